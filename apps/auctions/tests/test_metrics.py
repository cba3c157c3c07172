"""Bids and money feed the platform's business counters (``/metrics``), once committed."""

from __future__ import annotations

from decimal import Decimal

import pytest
from prometheus_client import REGISTRY

from apps.auctions.models import ItemKind
from apps.auctions.selectors import bid_context
from apps.auctions.services.bidding import bid_place
from apps.auctions.services.buy_now import buy_now
from apps.auctions.tests.factories import ItemFactory, bidder
from apps.core.exceptions import Conflict

pytestmark = pytest.mark.django_db


def _value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_accepted_and_rejected_bids_are_counted(django_capture_on_commit_callbacks) -> None:
    item = ItemFactory()
    placed, too_low = _value("augeo_bids_placed_total"), _value("augeo_bids_rejected_total", reason="BID_TOO_LOW")
    with django_capture_on_commit_callbacks(execute=True):
        bid_place(context=bid_context(bidder(item.event, 101), item), amount="100")
    with pytest.raises(Conflict):
        bid_place(context=bid_context(bidder(item.event, 102), item), amount="100")
    assert _value("augeo_bids_placed_total") == placed + 1
    assert _value("augeo_bids_rejected_total", reason="BID_TOO_LOW") == too_low + 1


def test_money_is_counted_by_source_and_currency_after_commit(django_capture_on_commit_callbacks) -> None:
    item = ItemFactory(kind=ItemKind.BUY_NOW_ONLY, buy_now_price=Decimal("40.00"), quantity=5)
    before = _value("augeo_funds_raised_total", source="buy_now", currency="USD")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        buy_now(item=item, user=bidder(item.event, 101), quantity=2)
    assert _value("augeo_funds_raised_total", source="buy_now", currency="USD") == before  # not yet committed
    for callback in callbacks:
        callback()
    assert _value("augeo_funds_raised_total", source="buy_now", currency="USD") == before + 80
