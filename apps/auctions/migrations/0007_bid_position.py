"""A private ``position`` for every bid row and a public ``sequence`` for the visible ones only
(``Bid``'s docstring says why). This step adds the columns; 0007 fills them; 0008 makes ``position``
required and unique."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("auctions", "0006_markdown_without_images"),
    ]

    operations = [
        migrations.AddField(
            model_name="bid",
            name="position",
            field=models.PositiveIntegerField(null=True),
        ),
        migrations.AlterField(
            model_name="bid",
            name="sequence",
            field=models.PositiveIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="item",
            name="last_position",
            field=models.PositiveIntegerField(default=0, editable=False),
        ),
    ]
