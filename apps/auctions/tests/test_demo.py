"""The demo seed: an auction in progress on the demo gala, idempotent."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from apps.auctions.invariants import check_item
from apps.auctions.models import Bid, Item, ItemStatus, Pledge, Purchase, Sale

pytestmark = pytest.mark.django_db


def test_seed_demo_builds_an_auction_in_progress_and_is_idempotent() -> None:
    call_command("seed_demo", stdout=io.StringIO())
    counts = (
        Item.objects.count(),
        Bid.objects.count(),
        Purchase.objects.count(),
        Sale.objects.count(),
        Pledge.objects.count(),
    )
    assert counts[0] >= 7 and counts[1] > 0 and counts[2] > 0 and counts[3] >= 1 and counts[4] >= 3
    assert Item.objects.filter(status=ItemStatus.SOLD, kind="live").exists()
    assert all(check_item(item) == [] for item in Item.objects.all())
    call_command("seed_demo", stdout=io.StringIO())
    assert counts == (
        Item.objects.count(),
        Bid.objects.count(),
        Purchase.objects.count(),
        Sale.objects.count(),
        Pledge.objects.count(),
    )


def test_seed_skips_without_gala() -> None:
    from apps.auctions import demo

    out = io.StringIO()
    assert demo.seed(out) == []
    assert "skipped" in out.getvalue()
