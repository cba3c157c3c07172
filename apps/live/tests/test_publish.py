"""What the auction services publish, as a socket in the room receives it (live.md "Messages").

Each scenario runs on the in-memory layer and on Redis pub/sub (``layer`` fixture): bids go through
the HTTP API, the messages through the real publisher and consumer.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from apps.auctions.models import Item, ItemKind, ItemStatus, PaddleRaiseLevel, PaddleRaiseSettings
from apps.auctions.services.closing import item_close
from apps.auctions.services.items import item_open, item_update, item_withdraw, items_set_closing_time
from apps.auctions.services.live import sale_record, sale_undo
from apps.auctions.services.paddle_raise import pledge_record, pledge_undo
from apps.auctions.tests.factories import ItemFactory, bidder
from apps.live.tests.helpers import Socket, call, run, ticket_for
from apps.npos.tests.factories import MembershipFactory
from apps.users.tests.factories import UserFactory
from conftest import client_for

pytestmark = pytest.mark.django_db(transaction=True)
D = Decimal

COMMON = {"type", "event", "at"}
#: live.md "Messages": exactly these fields besides type/event/at.
SPEC = {
    "bid_placed": {
        *("item", "number", "current_bid", "min_next_bid", "bid_count", "bidder_number", "sequence", "closes_at"),
    },
    "item_updated": {"item", "status", "closes_at"},
    "item_closed": {"item", "status", "current_bid", "bidder_number"},
    "sale": {"item", "bidder_number", "amount", "undone"},
    "pledge": {"amount", "level", "total", "count"},
    "totals": {"raised", "by_source", "goal", "percent"},
    "outbid": {"item", "current_bid", "min_next_bid"},
    "won": {"item", "amount"},
}


def assert_shape(message: dict[str, Any]) -> None:
    assert message["type"] in SPEC, message
    assert set(message) == COMMON | SPEC[message["type"]], message


def bid(user: Any, item: Any, amount: str, max_amount: str | None = None) -> Any:
    body = {"amount": amount} if max_amount is None else {"amount": amount, "max_amount": max_amount}
    response = client_for(user).post(f"/api/v1/items/{item.pk}/bids/", body, format="json")
    assert response.status_code == 201, response.content
    return response


def clerk(event: Any) -> Any:
    user = UserFactory()
    MembershipFactory(npo=event.npo, user=user, role="auctioneer")
    return user


def test_proxy_scenario_never_shows_a_maximum_and_personal_messages_reach_only_their_user(layer: str) -> None:
    item = ItemFactory(bid_increment=D("10"), closes_at=timezone.now() + timezone.timedelta(hours=1))
    event = item.event
    alice, bob = bidder(event, 101), bidder(event, 102)
    tickets = ticket_for(alice), ticket_for(bob)

    async def scenario() -> list[dict[str, Any]]:
        room = Socket(f"/ws/events/{event.pk}/")
        mine_a = Socket(f"/ws/events/{event.pk}/", ticket=tickets[0])
        mine_b = Socket(f"/ws/events/{event.pk}/", ticket=tickets[1])
        for socket in (room, mine_a, mine_b):
            assert await socket.open()
        await call(bid, alice, item, "100", "777")  # alice leads at 100, maximum 777
        await call(bid, bob, item, "150")  # alice's proxy answers 160
        await call(bid, bob, item, "800", "999")  # bob takes the lead at 800, maximum 999
        await call(bid, alice, item, "810")  # bob's proxy answers 820
        await call(lambda: item_close(item=Item.objects.get(pk=item.pk)))

        seen = await room.messages(4 + 2)  # four bid_placed, item_closed, totals
        personal_a = [m for m in await mine_a.messages(6 + 1) if m["type"] in ("outbid", "won")]
        personal_b = [m for m in await mine_b.messages(6 + 1) if m["type"] in ("outbid", "won")]
        assert await room.silent() and await mine_a.silent() and await mine_b.silent()
        for socket in (room, mine_a, mine_b):
            await socket.close()
        return [seen, personal_a, personal_b]

    seen, personal_a, personal_b = run(scenario)
    everything = seen + personal_a + personal_b
    for message in everything:
        assert_shape(message)
        assert message["event"] == str(event.pk)
    text = json.dumps(everything)
    # bob's maximum (999) stays private to the end; alice's (777) only ever became a visible history
    # row when bob passed it — a message carries the resulting state, never a maximum.
    assert "777.00" not in text and "999.00" not in text
    bids = [m for m in seen if m["type"] == "bid_placed"]
    assert [m["sequence"] for m in bids] == sorted(m["sequence"] for m in bids)
    assert [(m["current_bid"], m["bidder_number"]) for m in bids] == [
        ("100.00", 101),
        ("160.00", 101),
        ("800.00", 102),
        ("820.00", 102),
    ]
    assert bids[-1]["min_next_bid"] == "830.00" and bids[-1]["bid_count"] == 7 and bids[-1]["number"] == item.number
    closed = next(m for m in seen if m["type"] == "item_closed")
    assert closed == {**closed, "status": "sold", "current_bid": "820.00", "bidder_number": 102}
    totals = next(m for m in seen if m["type"] == "totals")
    assert totals["raised"] == "820.00" and totals["by_source"]["silent"] == "820.00"
    # alice was outbid once (by bob's 800; her 810 never led); bob won. Nobody hears the other's personal messages.
    assert [m["type"] for m in personal_a] == ["outbid"]
    assert personal_a[0]["current_bid"] == "800.00" and personal_a[0]["min_next_bid"] == "810.00"
    assert [m["type"] for m in personal_b] == ["won"] and personal_b[0]["amount"] == "820.00"
    assert not [m for m in seen if m["type"] in ("outbid", "won")]


def test_item_lifecycle_sales_pledges_and_totals(layer: str) -> None:
    item = ItemFactory(status=ItemStatus.DRAFT, bid_increment=D("10"))
    event = item.event
    event.goal_amount = D("10000")
    event.save()
    live_item = ItemFactory(event=event, kind=ItemKind.LIVE, starting_bid=D("0"))
    staff = clerk(event)
    bidder(event, 150)  # the paddle the clerk sells to and pledges for
    PaddleRaiseSettings.objects.create(event=event, is_open=True)
    PaddleRaiseLevel.objects.create(event=event, amount=D("500"), label="A table")
    PaddleRaiseLevel.objects.create(event=event, amount=D("100"), label="A week of meals")

    async def scenario() -> list[dict[str, Any]]:
        room = Socket(f"/ws/events/{event.pk}/")
        assert await room.open()
        await call(item_open, item=item, actor=staff)
        later = timezone.now() + timezone.timedelta(hours=2)
        await call(items_set_closing_time, event=event, closes_at=later, actor=staff)
        await call(lambda: item_withdraw(item=Item.objects.get(pk=item.pk), actor=staff))
        sale = await call(sale_record, item=live_item, bidder_number=150, amount="2500", actor=staff)
        await call(sale_undo, sale=sale, actor=staff)
        pledge = await call(pledge_record, event=event, amount="500", bidder_number=150, actor=staff)
        await call(pledge_record, event=event, amount="100", bidder_number=150, actor=staff)
        await call(pledge_undo, pledge=pledge, actor=staff)
        messages = await room.messages(15)
        assert await room.silent()
        await room.close()
        return messages

    messages = run(scenario)
    for message in messages:
        assert_shape(message)
    kinds = [m["type"] for m in messages]
    assert kinds == [
        "item_updated",  # opened
        "item_updated",  # closing time (the open item; the live item is not silent)
        "item_updated",  # withdrawn
        "sale",
        "item_closed",
        "totals",
        "sale",  # undone
        "item_updated",  # reopened
        "totals",
        "pledge",
        "totals",
        "pledge",
        "totals",
        "pledge",  # undone
        "totals",
    ]
    opened, timed, withdrawn = messages[0], messages[1], messages[2]
    assert opened["status"] == "open" and opened["item"] == str(item.pk)
    assert timed["closes_at"] is not None and timed["item"] == str(item.pk)
    assert withdrawn["status"] == "withdrawn"
    sold, closed, totals = messages[3], messages[4], messages[5]
    assert sold == {**sold, "item": str(live_item.pk), "bidder_number": 150, "amount": "2500.00", "undone": False}
    assert closed == {**closed, "status": "sold", "current_bid": "2500.00", "bidder_number": 150}
    assert totals["raised"] == "2500.00" and totals["goal"] == "10000.00" and totals["percent"] == 25.0
    undone, reopened, after_undo = messages[6], messages[7], messages[8]
    assert undone["undone"] is True and reopened["status"] == "open" and after_undo["raised"] == "0.00"
    first, second, third = messages[9], messages[11], messages[13]
    assert first == {**first, "amount": "500.00", "level": "500.00", "total": "500.00", "count": 1}
    assert second == {**second, "amount": "100.00", "level": "100.00", "total": "600.00", "count": 1}
    assert third == {**third, "amount": "500.00", "level": "500.00", "total": "100.00", "count": 0}
    assert messages[14]["by_source"]["paddle_raise"] == "100.00"


def test_a_rolled_back_write_publishes_nothing(layer: str) -> None:
    from django.db import transaction

    item = ItemFactory(status=ItemStatus.DRAFT)
    staff = clerk(item.event)

    def open_then_fail() -> None:
        with transaction.atomic():
            item_open(item=item, actor=staff)
            transaction.set_rollback(True)

    async def scenario() -> bool:
        room = Socket(f"/ws/events/{item.event.pk}/")
        assert await room.open()
        await call(open_then_fail)
        quiet = await room.silent(0.5)
        await room.close()
        return quiet

    assert run(scenario)
    assert Item.objects.get(pk=item.pk).status == ItemStatus.DRAFT


def test_drafts_are_never_announced_to_the_room(layer: str) -> None:
    item = ItemFactory()
    draft = ItemFactory(event=item.event, status=ItemStatus.DRAFT)
    staff = clerk(item.event)

    async def scenario() -> list[dict[str, Any]]:
        room = Socket(f"/ws/events/{item.event.pk}/")
        assert await room.open()
        later = timezone.now() + timezone.timedelta(hours=3)
        await call(items_set_closing_time, event=item.event, closes_at=later, actor=staff)
        await call(item_update, item=draft, actor=staff, closes_at=later + timezone.timedelta(hours=1))
        await call(item_withdraw, item=draft, actor=staff)
        messages = await room.messages(1)
        assert await room.silent()
        await room.close()
        return messages

    (only,) = run(scenario)
    assert only["type"] == "item_updated" and only["item"] == str(item.pk)
