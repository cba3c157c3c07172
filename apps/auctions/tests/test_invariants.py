"""The invariant checker reports each kind of violation (the PostgreSQL suite shows it catches races)."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from django.utils import timezone

from apps.auctions.invariants import check_event, check_item
from apps.auctions.models import Bid, Item, ItemKind, Purchase, Sale
from apps.auctions.selectors import bid_context
from apps.auctions.services.bidding import bid_place
from apps.auctions.tests.factories import ItemFactory, bidder
from apps.core.models import AuditEntry, OutboxEmail

pytestmark = pytest.mark.django_db
D = Decimal


def row(item, paddle, amount, seq, *, automatic=False, visible=True, max_amount=None, placement=None):
    return Bid.objects.create(
        item=item,
        paddle=paddle,
        amount=D(amount),
        max_amount=max_amount if max_amount is not None else (None if automatic else D(amount)),
        automatic=automatic,
        visible=visible,
        position=seq,
        sequence=seq if visible else None,
        placement=placement or uuid.uuid4(),
    )


def test_clean_item_has_no_problems() -> None:
    item = ItemFactory()
    bid_place(context=bid_context(bidder(item.event, 101), item), amount="100", max_amount="300")
    bid_place(context=bid_context(bidder(item.event, 102), item), amount="150")
    assert check_item(item) == [] and check_event(item.event) == {}


def test_detects_state_and_order_violations() -> None:
    item = ItemFactory(starting_bid=D("100"), bid_increment=D("10"))
    a, b = bidder(item.event, 101).guest.paddle, bidder(item.event, 102).guest.paddle
    row(item, a, "100", 1)
    row(item, b, "100", 2)  # equal without a tie, below the minimum
    row(item, a, "90", 4)  # decreasing, sequence gap
    row(item, b, "500", 5, automatic=True)  # auto above its paddle's maximum
    Item.objects.filter(pk=item.pk).update(
        current_bid=D("120"),
        bid_count=9,
        last_sequence=3,
        leader_max=D("1"),
        closed_at=timezone.now() - timezone.timedelta(days=1),
    )
    problems = " | ".join(check_item(item))
    for expected in (
        "positions are not",
        "last_position",
        "sequences of the visible rows are not",
        "last_sequence",
        "bid_count",
        "current_bid",
        "leader is not",
        "leader_max",
        "below previous",
        "without a tie",
        "below the minimum",
        "exceeds its paddle",
        "at/after the close",
        "own rows",
    ):
        assert expected in problems, expected
    assert str(item.number) in check_event(item.event)


def test_detects_unit_violations() -> None:
    item = ItemFactory(buy_now_price=D("50"))
    paddle = bidder(item.event, 101).guest.paddle
    Purchase.objects.create(item=item, paddle=paddle, quantity=1, unit_price=D("50"), amount=D("50"))
    Purchase.objects.create(item=item, paddle=paddle, quantity=1, unit_price=D("50"), amount=D("50"))
    Item.objects.filter(pk=item.pk).update(status="sold", quantity_sold=1, winning_amount=D("5"), winner_paddle=paddle)
    AuditEntry.objects.create(action="item.close", object_id=str(item.pk))
    AuditEntry.objects.create(action="item.close", object_id=str(item.pk))
    OutboxEmail.objects.create(template="auctions/won", to="x@example.com", ref=f"auctions.item:{item.pk}")
    OutboxEmail.objects.create(template="auctions/won", to="x@example.com", ref=f"auctions.item:{item.pk}")
    problems = " | ".join(check_item(item))
    for expected in ("quantity_sold", "oversold", "both bought", "not the leader", "closed 2 times", "won"):
        assert expected in problems, expected


def test_detects_sold_without_outcome_and_current_without_bids() -> None:
    item = ItemFactory(kind=ItemKind.SILENT)
    Item.objects.filter(pk=item.pk).update(status="sold", current_bid=D("5"))
    problems = " | ".join(check_item(item))
    assert "sold without" in problems and "without any visible bid" in problems
    live = ItemFactory(kind=ItemKind.LIVE, event=item.event)
    Sale.objects.create(item=live, paddle=bidder(item.event, 102).guest.paddle, amount=D("10"))
    assert any("quantity_sold" in p for p in check_item(live))
