"""Drop the auction's former outbox table (``auctions.Notification``): 0004 moved its rows into
``core.OutboxEmail`` and nothing has written to it since. Reversible: going back recreates the empty
table, and 0004's backwards step then moves the auction's outbox rows into it again."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("auctions", "0004_notifications_to_outbox"),
    ]

    operations = [
        migrations.DeleteModel(name="Notification"),
    ]
