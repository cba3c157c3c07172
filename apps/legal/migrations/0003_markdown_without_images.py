"""Markdown HTML no longer carries images (an ``<img>`` is a tracking pixel for whoever wrote
it; ``apps.core.text``): the stored HTML that has one is rendered again without it."""

from django.db import migrations

from apps.core.text import html_columns_rerender

FIELDS = {"body": "body_html"}


def drop_images(registry, schema_editor):
    model = registry.get_model("legal", "LegalDocument")
    html_columns_rerender(model._base_manager, FIELDS, containing="<img")


class Migration(migrations.Migration):
    dependencies = [
        ("legal", "0002_consent_log_append_only"),
    ]

    operations = [
        migrations.RunPython(drop_images, migrations.RunPython.noop),
    ]
