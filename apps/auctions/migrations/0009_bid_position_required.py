"""``Bid.position`` required and unique per item; only visible rows carry a public ``sequence``."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("auctions", "0008_bid_position_fill"),
    ]

    operations = [
        migrations.AlterField(
            model_name="bid",
            name="position",
            field=models.PositiveIntegerField(),
        ),
        migrations.AlterModelOptions(
            name="bid",
            options={"ordering": ["item", "-position"]},
        ),
        migrations.AddConstraint(
            model_name="bid",
            constraint=models.UniqueConstraint(fields=("item", "position"), name="bid_position_unique_per_item"),
        ),
        migrations.AddConstraint(
            model_name="bid",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("sequence__isnull", False), ("visible", True)),
                    models.Q(("sequence__isnull", True), ("visible", False)),
                    _connector="OR",
                ),
                name="bid_sequence_only_on_visible_rows",
            ),
        ),
    ]
