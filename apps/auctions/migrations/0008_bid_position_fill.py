"""Fill ``Bid.position`` and renumber the public ``sequence``: every row keeps its old number as its
position; invisible rows (a leader raising their own maximum) lose their public number; the visible
rows of an item that had invisible ones are numbered 1..n again, in the same order. The item's
``last_position`` is its old ``last_sequence``, and its ``last_sequence`` the number of visible rows
(``bid_count``). Backwards: the positions become the sequences again."""

from django.db import migrations
from django.db.models import F


def forwards(apps, schema_editor):
    Bid = apps.get_model("auctions", "Bid")
    Item = apps.get_model("auctions", "Item")
    Bid.objects.update(position=F("sequence"))
    Item.objects.update(last_position=F("last_sequence"))
    items = list(Bid.objects.filter(visible=False).values_list("item_id", flat=True).distinct())
    Bid.objects.filter(visible=False).update(sequence=None)
    for item_id in items:
        # Each new number is at most the old one and rows go in ascending order: no clash on the way.
        rows = Bid.objects.filter(item_id=item_id, visible=True).order_by("position").values_list("pk", flat=True)
        for number, pk in enumerate(rows, start=1):
            Bid.objects.filter(pk=pk).update(sequence=number)
        Item.objects.filter(pk=item_id).update(last_sequence=F("bid_count"))


def backwards(apps, schema_editor):
    Bid = apps.get_model("auctions", "Bid")
    Item = apps.get_model("auctions", "Item")
    Bid.objects.update(sequence=None)
    Bid.objects.update(sequence=F("position"))
    Item.objects.update(last_sequence=F("last_position"))


class Migration(migrations.Migration):
    dependencies = [
        ("auctions", "0007_bid_position"),
    ]

    operations = [
        migrations.RunPython(forwards, backwards),
    ]
