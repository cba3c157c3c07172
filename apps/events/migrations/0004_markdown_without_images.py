"""Markdown HTML no longer carries images (an ``<img>`` is a tracking pixel for whoever wrote
it; ``apps.core.text``): the stored HTML that has one is rendered again without it."""

from django.db import migrations

from apps.core.text import html_columns_rerender

FIELDS = {"description": "description_html"}


def drop_images(registry, schema_editor):
    model = registry.get_model("events", "Event")
    html_columns_rerender(model._base_manager, FIELDS, containing="<img")


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0003_money_input_ceiling"),
    ]

    operations = [
        migrations.RunPython(drop_images, migrations.RunPython.noop),
    ]
