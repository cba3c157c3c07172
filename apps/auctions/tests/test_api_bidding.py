"""Bids, buy-now, live sales, paddle raise, pledges, totals and my-bids through the API."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.management import call_command
from django.utils import timezone

from apps.auctions.invariants import check_item
from apps.auctions.models import Bid, ItemKind, ItemStatus, PaddleRaiseLevel, Pledge, Purchase, Sale
from apps.auctions.selectors import bid_context
from apps.auctions.services.bidding import bid_place
from apps.auctions.services.buy_now import buy_now
from apps.auctions.services.closing import item_close, items_close_for_event
from apps.auctions.services.items import item_create
from apps.auctions.services.live import sale_record
from apps.auctions.tests.factories import ItemFactory, bidder
from apps.core.models import AuditEntry
from apps.events.tests.factories import PublishedEventFactory
from apps.npos.tests.factories import MembershipFactory
from apps.users.tests.factories import UserFactory
from conftest import client_for

pytestmark = pytest.mark.django_db
D = Decimal


def member(npo, role="admin"):
    user = UserFactory()
    MembershipFactory(npo=npo, user=user, role=role)
    return user


def error(response) -> str:
    return response.json()["error"]["code"]


# --- bids ----------------------------------------------------------------------------------------


def test_place_bid_answer_shape() -> None:
    item = ItemFactory(bid_increment=D("10"))
    a = bidder(item.event, 101)
    r = client_for(a).post(f"/api/v1/items/{item.pk}/bids/", {"amount": "100", "max_amount": "200"}, format="json")
    assert r.status_code == 201
    body = r.json()
    assert body["leading"] is True and body["current_bid"] == "100.00" and body["min_next_bid"] == "110.00"
    assert body["bid"]["bidder_number"] == 101 and body["bid"]["amount"] == "100.00"
    assert body["bid"]["max_amount"] == "200.00" and body["bid"]["sequence"] == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"amount": "-5"}, "amount"),
        ({"amount": "0"}, "amount"),
        ({"amount": "abc"}, "amount"),
        ({"amount": "100.005"}, "amount"),
        ({"amount": 100.005}, "amount"),
        ({}, "amount"),
        ({"amount": "150", "max_amount": "120"}, "max_amount"),
        ({"amount": "150", "max_amount": "x"}, "max_amount"),
    ],
)
def test_bad_amounts_are_400(body, field) -> None:
    item = ItemFactory()
    r = client_for(bidder(item.event, 101)).post(f"/api/v1/items/{item.pk}/bids/", body, format="json")
    assert r.status_code == 400 and error(r) == "VALIDATION_ERROR" and field in r.json()["error"]["fields"]


def test_malformed_json_is_400() -> None:
    item = ItemFactory()
    r = client_for(bidder(item.event, 101)).post(
        f"/api/v1/items/{item.pk}/bids/", "{not json", content_type="application/json"
    )
    assert r.status_code == 400


def test_bid_too_low_carries_min_bid() -> None:
    item = ItemFactory()
    r = client_for(bidder(item.event, 101)).post(f"/api/v1/items/{item.pk}/bids/", {"amount": "99"}, format="json")
    assert r.status_code == 409 and error(r) == "BID_TOO_LOW" and r.json()["error"]["min_bid"] == "100.00"


def test_anonymous_cannot_bid_but_can_read_history() -> None:
    item = ItemFactory()
    assert client_for(None).post(f"/api/v1/items/{item.pk}/bids/", {"amount": "100"}, format="json").status_code == 401
    assert client_for(None).get(f"/api/v1/items/{item.pk}/bids/").status_code == 200


def test_not_registered_is_409() -> None:
    item = ItemFactory()
    r = client_for(UserFactory()).post(f"/api/v1/items/{item.pk}/bids/", {"amount": "100"}, format="json")
    assert r.status_code == 409 and error(r) == "NOT_REGISTERED"


def test_clerk_bids_by_bidder_number() -> None:
    item = ItemFactory()
    bidder(item.event, 101)
    clerk = member(item.event.npo, "auctioneer")
    url = f"/api/v1/items/{item.pk}/bids/"
    r = client_for(clerk).post(url, {"amount": "100", "bidder_number": 101}, format="json")
    assert r.status_code == 201 and r.json()["bid"]["bidder_number"] == 101
    r = client_for(clerk).post(url, {"amount": "200", "bidder_number": 999}, format="json")
    assert r.status_code == 409 and error(r) == "BIDDER_NUMBER_UNKNOWN"
    r = client_for(member(item.event.npo, "staff")).post(url, {"amount": "200", "bidder_number": 101}, format="json")
    assert r.status_code == 403


def test_idempotency_key_replays_and_rejects_other_body() -> None:
    item = ItemFactory()
    client = client_for(bidder(item.event, 101))
    url = f"/api/v1/items/{item.pk}/bids/"
    first = client.post(url, {"amount": "100"}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = client.post(url, {"amount": "100"}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == again.status_code == 201 and first.json() == again.json()
    assert Bid.objects.count() == 1
    other = client.post(url, {"amount": "150"}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert other.status_code == 422 and error(other) == "IDEMPOTENCY_KEY_REUSED"


def test_bid_post_queries_are_few(django_assert_num_queries) -> None:
    """What an accepted outbidding bid runs, and nothing more: the context (the item with its event,
    NPO and the bidder's guest row, one statement), the bidder's three row locks and the item's, the
    leader's account, the bid row, the item's new state, the outbid mail and the audit entry (and the
    savepoint of the request's transaction)."""
    item = ItemFactory()
    a, b = bidder(item.event, 101), bidder(item.event, 102)
    bid_place(context=bid_context(a, item), amount="100")
    with django_assert_num_queries(12) as captured:
        r = client_for(b).post(f"/api/v1/items/{item.pk}/bids/", {"amount": "110"}, format="json")
    assert r.status_code == 201
    # Only the columns the engine uses: the long texts of the item, event and NPO were most of the
    # bytes and of the SQL to build.
    selects = [q["sql"] for q in captured.captured_queries if q["sql"].lstrip().upper().startswith("SELECT")]
    assert selects and not [sql for sql in selects if "description_html" in sql or "mission_html" in sql]


def test_a_bid_below_the_minimum_is_refused_before_any_row_lock(django_assert_num_queries) -> None:
    """On a hot item most bids arrive too low: they are refused on the item as read before the locks
    (the rules' first check, repeated under the lock), so they never queue for the item's row lock
    or lock the bidder's registration, guest and paddle."""
    item = ItemFactory()
    a, b = bidder(item.event, 101), bidder(item.event, 102)
    bid_place(context=bid_context(a, item), amount="100")
    with django_assert_num_queries(1) as captured:  # the context: the item with the bidder's guest
        r = client_for(b).post(f"/api/v1/items/{item.pk}/bids/", {"amount": "100"}, format="json")
    assert r.status_code == 409 and error(r) == "BID_TOO_LOW" and r.json()["error"]["min_bid"] == "110.00"
    assert not [q["sql"] for q in captured.captured_queries if " FOR " in q["sql"].upper()]
    assert Bid.objects.count() == 1


def test_the_bid_context_is_the_bidders_guest() -> None:
    """``bid_context`` reads the guest ``bidder_guest_for`` finds, in every case: the registrant of
    their own party ahead of a guest row in a friend's, a linked guest, a cancelled party, another
    event's party, nobody."""
    from apps.attendance.tests.factories import GuestFactory, RegistrationFactory

    item = ItemFactory()
    event = item.event
    own = bidder(event, 101)
    GuestFactory(registration=RegistrationFactory(event=event), user=own)  # also in a friend's party
    linked = UserFactory()
    linked_guest = GuestFactory(registration=RegistrationFactory(event=event), user=linked)
    cancelled = UserFactory()
    RegistrationFactory(event=event, user=cancelled, status="cancelled")
    elsewhere = bidder(PublishedEventFactory(), 7)
    expected = {own: own.guest, linked: linked_guest, cancelled: None, elsewhere: None, UserFactory(): None}
    for user, guest in expected.items():
        context = bid_context(user, item.pk)
        assert context.item.pk == item.pk and context.event.pk == event.pk and context.npo.pk == event.npo_id
        assert context.user == user and context.item.event is context.event and context.event.npo is context.npo
        assert (context.bidder.pk if context.bidder else None) == (guest.pk if guest else None)
    assert bid_context(AnonymousUser(), item.pk).bidder is None


# --- buy now -------------------------------------------------------------------------------------


def test_buy_now_on_silent_item_ends_it() -> None:
    item = ItemFactory(buy_now_price=D("500"))
    a, b = bidder(item.event, 101), bidder(item.event, 102)
    bid_place(context=bid_context(a, item), amount="100", max_amount="200")
    r = client_for(b).post(f"/api/v1/items/{item.pk}/buy-now/", {}, format="json")
    assert r.status_code == 201 and r.json()["amount"] == "500.00" and r.json()["bidder_number"] == 102
    item.refresh_from_db()
    assert item.status == ItemStatus.SOLD and item.winner_paddle.number == 102
    r = client_for(a).post(f"/api/v1/items/{item.pk}/bids/", {"amount": "300"}, format="json")
    assert error(r) == "ITEM_CLOSED"
    assert check_item(item) == []
    totals = client_for(None).get(f"/api/v1/events/{item.event_id}/totals/").json()
    assert totals["by_source"]["buy_now"] == "500.00" and totals["by_source"]["silent"] == "0.00"


def test_buy_now_unavailable_once_leader_max_reaches_price() -> None:
    item = ItemFactory(buy_now_price=D("500"))
    bid_place(context=bid_context(bidder(item.event, 101), item), amount="100", max_amount="500")
    r = client_for(bidder(item.event, 102)).post(f"/api/v1/items/{item.pk}/buy-now/", {}, format="json")
    assert r.status_code == 409 and error(r) == "BUY_NOW_UNAVAILABLE"
    no_price = ItemFactory(event=item.event)
    r = client_for(bidder(item.event, 103)).post(f"/api/v1/items/{no_price.pk}/buy-now/", {}, format="json")
    assert error(r) == "BUY_NOW_UNAVAILABLE"


def test_buy_now_only_quantity_and_sold_out() -> None:
    item = ItemFactory(kind=ItemKind.BUY_NOW_ONLY, buy_now_price=D("40"), quantity=3)
    client = client_for(bidder(item.event, 101))
    url = f"/api/v1/items/{item.pk}/buy-now/"
    r = client.post(url, {"quantity": 2}, format="json")
    assert r.status_code == 201 and r.json()["amount"] == "80.00" and r.json()["quantity"] == 2
    r = client.post(url, {"quantity": 2}, format="json")
    assert r.status_code == 409 and error(r) == "SOLD_OUT"
    assert client.post(url, {"quantity": 1}, format="json").status_code == 201
    item.refresh_from_db()
    assert item.status == ItemStatus.SOLD and item.quantity_left == 0
    assert error(client.post(url, {}, format="json")) == "SOLD_OUT"
    assert client.post(url, {"quantity": 0}, format="json").status_code == 400
    assert client.post(url, {"quantity": "many"}, format="json").status_code == 400
    assert check_item(item) == []


def test_buy_now_silent_quantity_must_be_one() -> None:
    item = ItemFactory(buy_now_price=D("500"))
    r = client_for(bidder(item.event, 101)).post(f"/api/v1/items/{item.pk}/buy-now/", {"quantity": 2}, format="json")
    assert r.status_code == 400


def test_buy_now_live_item_refused() -> None:
    item = ItemFactory(kind=ItemKind.LIVE, buy_now_price=D("500"))
    r = client_for(bidder(item.event, 101)).post(f"/api/v1/items/{item.pk}/buy-now/", {}, format="json")
    assert error(r) == "LIVE_ITEM"


# --- live sales ----------------------------------------------------------------------------------


def test_live_sales_two_trips_reserve_and_undo() -> None:
    item = ItemFactory(kind=ItemKind.LIVE, quantity=2, reserve=D("1000"))
    bidder(item.event, 101)
    bidder(item.event, 102)
    clerk = client_for(member(item.event.npo, "auctioneer"))
    url = f"/api/v1/items/{item.pk}/sales/"
    r = clerk.post(url, {"bidder_number": 101, "amount": "900"}, format="json")
    assert r.status_code == 409 and error(r) == "BELOW_RESERVE"
    r = clerk.post(url, {"bidder_number": 101, "amount": "900", "below_reserve_ok": True}, format="json")
    assert r.status_code == 201 and r.json()["below_reserve"] is True
    r = clerk.post(url, {"bidder_number": 102, "amount": "1500"}, format="json")
    assert r.status_code == 201
    sale_id = r.json()["id"]
    r = clerk.post(url, {"bidder_number": 101, "amount": "1500"}, format="json")
    assert r.status_code == 409 and error(r) == "ITEM_ALREADY_SOLD"
    item.refresh_from_db()
    assert item.status == ItemStatus.SOLD and item.quantity_sold == 2
    r = clerk.post(f"/api/v1/items/{item.pk}/sales/{sale_id}/undo/")
    assert r.status_code == 200 and r.json()["undone_at"]
    assert error(clerk.post(f"/api/v1/items/{item.pk}/sales/{sale_id}/undo/")) == "ALREADY_UNDONE"
    item.refresh_from_db()
    assert item.status == ItemStatus.OPEN and item.quantity_sold == 1
    assert AuditEntry.objects.filter(action="sale.undo").count() == 1
    assert AuditEntry.objects.filter(action="sale.record").count() == 2
    assert clerk.get(url).json()["count"] == 2
    r = clerk.post(url, {"bidder_number": 555, "amount": "100"}, format="json")
    assert error(r) == "BIDDER_NUMBER_UNKNOWN"
    r = clerk.post(url, {"bidder_number": "x", "amount": "100"}, format="json")
    assert r.status_code == 400
    totals = client_for(None).get(f"/api/v1/events/{item.event_id}/totals/").json()
    assert totals["by_source"]["live"] == "900.00"
    assert check_item(item) == []


def test_sales_refused_for_silent_items_and_non_clerks() -> None:
    item = ItemFactory()
    bidder(item.event, 101)
    r = client_for(member(item.event.npo, "auctioneer")).post(
        f"/api/v1/items/{item.pk}/sales/", {"bidder_number": 101, "amount": "100"}, format="json"
    )
    assert error(r) == "NOT_LIVE_ITEM"
    r = client_for(member(item.event.npo, "cashier")).post(
        f"/api/v1/items/{item.pk}/sales/", {"bidder_number": 101, "amount": "100"}, format="json"
    )
    assert r.status_code == 403


def test_closing_live_item() -> None:
    item = ItemFactory(kind=ItemKind.LIVE, quantity=3)
    bidder(item.event, 101)
    clerk = member(item.event.npo, "auctioneer")
    sale_record(item=item, bidder_number=101, amount="50", actor=clerk)
    assert item_close(item=item, actor=clerk).status == ItemStatus.SOLD
    other = ItemFactory(kind=ItemKind.LIVE, event=item.event)
    assert item_close(item=other, actor=clerk).status == ItemStatus.UNSOLD


# --- paddle raise and pledges --------------------------------------------------------------------


def test_paddle_raise_reads_its_summary_once(django_assert_num_queries) -> None:
    """The event (visibility), then the one summary (settings, levels, pledges by amount) that both
    the flags and the totals come from — not read a second time for the totals."""
    event = PublishedEventFactory()
    for amount in ("1000", "500"):
        PaddleRaiseLevel.objects.create(event=event, amount=D(amount))
    with django_assert_num_queries(4):
        r = client_for(None).get(f"/api/v1/events/{event.pk}/paddle-raise/")
    assert r.status_code == 200 and r.json()["levels"] == ["1000.00", "500.00"]


def test_paddle_raise_levels_pledges_totals_and_undo() -> None:
    event = PublishedEventFactory(goal_amount=D("10000"))
    admin = client_for(member(event.npo))
    donor = bidder(event, 101)
    bidder(event, 102)
    url = f"/api/v1/events/{event.pk}/paddle-raise/"
    r = admin.post(url, {"levels": ["1000", "500", "100"], "open": True, "phone_pledges": False}, format="json")
    assert r.status_code == 200 and r.json()["levels"] == ["1000.00", "500.00", "100.00"] and r.json()["open"] is True
    pledges = f"/api/v1/events/{event.pk}/pledges/"
    r = client_for(donor).post(pledges, {"amount": "500"}, format="json")
    assert r.status_code == 409 and error(r) == "PADDLE_RAISE_CLOSED"
    admin.post(url, {"phone_pledges": True}, format="json")
    assert client_for(donor).post(pledges, {"amount": "500"}, format="json").status_code == 201
    r = client_for(donor).post(pledges, {"amount": "250"}, format="json")
    assert r.status_code == 400  # not a level
    clerk = client_for(member(event.npo, "auctioneer"))
    r = clerk.post(pledges, {"bidder_number": 102, "amount": "1000"}, format="json")
    assert r.status_code == 201 and r.json()["bidder_number"] == 102 and r.json()["source"] == "clerk"
    clerk.post(pledges, {"bidder_number": 102, "amount": "100"}, format="json")
    assert error(clerk.post(pledges, {"bidder_number": 999, "amount": "100"}, format="json")) == "BIDDER_NUMBER_UNKNOWN"
    body = client_for(None).get(url).json()
    assert body["total"] == "1600.00" and body["count"] == 3
    assert [(r["level"], r["count"], r["total"]) for r in body["totals_by_level"]] == [
        ("1000.00", 1, "1000.00"),
        ("500.00", 1, "500.00"),
        ("100.00", 1, "100.00"),
    ]
    pledge_id = Pledge.objects.get(amount=D("1000")).pk
    assert clerk.post(f"{pledges}{pledge_id}/undo/").status_code == 200
    assert error(clerk.post(f"{pledges}{pledge_id}/undo/")) == "ALREADY_UNDONE"
    totals = client_for(None).get(f"/api/v1/events/{event.pk}/totals/").json()
    assert totals["by_source"]["paddle_raise"] == "600.00" and totals["raised"] == "600.00" and totals["percent"] == 6.0
    assert clerk.get(pledges).json()["count"] == 3
    assert client_for(donor).get(pledges).status_code == 403


def test_pledge_any_positive_amount_without_levels() -> None:
    event = PublishedEventFactory()
    clerk = client_for(member(event.npo, "auctioneer"))
    bidder(event, 101)
    r = clerk.post(f"/api/v1/events/{event.pk}/pledges/", {"bidder_number": 101, "amount": "37.50"}, format="json")
    assert r.status_code == 201
    for amount in ("0", "-3", "1.001", "abc"):
        r = clerk.post(f"/api/v1/events/{event.pk}/pledges/", {"bidder_number": 101, "amount": amount}, format="json")
        assert r.status_code == 400


def test_paddle_raise_bad_levels() -> None:
    event = PublishedEventFactory()
    admin = client_for(member(event.npo))
    url = f"/api/v1/events/{event.pk}/paddle-raise/"
    assert admin.post(url, {"levels": ["100", "100"]}, format="json").status_code == 400
    assert admin.post(url, {"levels": ["-1"]}, format="json").status_code == 400
    assert admin.post(url, {"levels": "100"}, format="json").status_code == 400
    r = admin.post(url, {"levels": [{"amount": "250", "label": "A table"}]}, format="json")
    assert r.status_code == 200 and r.json()["totals_by_level"][0]["label"] == "A table"


@pytest.mark.parametrize(
    "value", ["yes", "true", 1, 0, "on", None], ids=["yes", "str-true", "one", "zero", "on", "null"]
)
@pytest.mark.parametrize("field", ["open", "phone_pledges"])
def test_paddle_raise_flags_are_json_booleans(field, value) -> None:
    """DRF's lenient BooleanField read ``"yes"``/``1``/``"on"`` as true; a flag is a JSON boolean (400)."""
    event = PublishedEventFactory()
    admin = client_for(member(event.npo))
    r = admin.post(f"/api/v1/events/{event.pk}/paddle-raise/", {field: value}, format="json")
    assert r.status_code == 400 and field in r.json()["error"]["fields"], r.content
    ok = admin.post(f"/api/v1/events/{event.pk}/paddle-raise/", {field: True}, format="json")
    assert ok.status_code == 200 and ok.json()[field] is True


def test_below_reserve_ok_is_a_json_boolean() -> None:
    item = ItemFactory(kind=ItemKind.LIVE, reserve=D("500"), starting_bid=D("0"))
    bidder(item.event, 101)
    clerk = client_for(member(item.event.npo, "auctioneer"))
    body = {"bidder_number": 101, "amount": "100", "below_reserve_ok": "yes"}
    r = clerk.post(f"/api/v1/items/{item.pk}/sales/", body, format="json")
    assert r.status_code == 400 and "below_reserve_ok" in r.json()["error"]["fields"]
    assert not Sale.objects.exists()


# --- totals, my bids, closing ----------------------------------------------------------------------


def test_totals_without_goal_and_silent_wins() -> None:
    item = ItemFactory()
    bid_place(context=bid_context(bidder(item.event, 101), item), amount="150")
    item_close(item=item)
    totals = client_for(None).get(f"/api/v1/events/{item.event_id}/totals/").json()
    assert totals == {
        "raised": "150.00",
        "by_source": {"silent": "150.00", "live": "0.00", "buy_now": "0.00", "paddle_raise": "0.00"},
        "goal": None,
        "percent": None,
    }


def test_my_bids_states() -> None:
    event = PublishedEventFactory()
    a, b = bidder(event, 101), bidder(event, 102)
    leading, outbid, won, lost = (ItemFactory(event=event) for _ in range(4))
    ItemFactory(event=event)  # never bid on
    bid_place(context=bid_context(a, leading), amount="100")
    bid_place(context=bid_context(a, outbid), amount="100")
    bid_place(context=bid_context(b, outbid), amount="110")
    bid_place(context=bid_context(a, won), amount="100", max_amount="300")
    bid_place(context=bid_context(a, lost), amount="100")
    bid_place(context=bid_context(b, lost), amount="200")
    item_close(item=won)
    item_close(item=lost)
    r = client_for(a).get(f"/api/v1/events/{event.pk}/my-bids/")
    assert r.status_code == 200 and r.json()["count"] == 4
    states = {row["item"]["id"]: (row["state"], row["my_max_bid"], row["current_bid"]) for row in r.json()["results"]}
    assert states[str(leading.pk)] == ("leading", "100.00", "100.00")
    assert states[str(outbid.pk)] == ("outbid", "100.00", "110.00")
    assert states[str(won.pk)] == ("won", "300.00", "100.00")
    assert states[str(lost.pk)][0] == "lost"
    assert client_for(None).get(f"/api/v1/events/{event.pk}/my-bids/").status_code == 401
    assert client_for(UserFactory()).get(f"/api/v1/events/{event.pk}/my-bids/").json()["count"] == 0


def test_close_auctions_command_closes_due_items(django_capture_on_commit_callbacks) -> None:
    from django.core import mail

    item = ItemFactory(closes_at=timezone.now() + timezone.timedelta(hours=1))
    later = ItemFactory(event=item.event, closes_at=timezone.now() + timezone.timedelta(hours=3))
    winner = bidder(item.event, 101)
    bid_place(context=bid_context(winner, item), amount="100")
    with django_capture_on_commit_callbacks(execute=True):
        from unittest import mock

        with mock.patch(
            "apps.auctions.services.closing.timezone.now", return_value=timezone.now() + timezone.timedelta(hours=2)
        ):
            call_command("close_auctions")
    item.refresh_from_db()
    later.refresh_from_db()
    assert item.status == ItemStatus.SOLD and later.status == ItemStatus.OPEN
    assert mail.outbox[-1].to == [winner.email] and "won" in mail.outbox[-1].subject.lower()


def test_event_close_hook_closes_items() -> None:
    item = ItemFactory(kind=ItemKind.BUY_NOW_ONLY, buy_now_price=D("5"), quantity=10)
    silent = ItemFactory(event=item.event)
    buy_now(item=item, user=bidder(item.event, 101))
    closed = items_close_for_event(event=item.event)
    assert {i.status for i in closed} == {ItemStatus.SOLD, ItemStatus.UNSOLD}
    silent.refresh_from_db()
    assert silent.status == ItemStatus.UNSOLD
    assert Purchase.objects.count() == 1 and Sale.objects.count() == 0


def test_bid_rate_limit_per_account(settings) -> None:
    from rest_framework.settings import api_settings

    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "bid": "2/min"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    api_settings.reload()
    try:
        item = ItemFactory()
        client = client_for(bidder(item.event, 101))
        url = f"/api/v1/items/{item.pk}/bids/"
        codes = [client.post(url, {"amount": str(100 + 50 * i)}, format="json").status_code for i in range(3)]
        assert codes[-1] == 429 and error(client.post(url, {"amount": "900"}, format="json")) == "THROTTLED"
    finally:
        api_settings.reload()


def test_send_notifications_picks_up_stuck_pending_rows(django_capture_on_commit_callbacks) -> None:
    from django.core import mail

    from apps.core.models import OutboxEmail, OutboxStatus

    item = ItemFactory()
    user = UserFactory()
    note = OutboxEmail.objects.create(
        template="auctions/outbid",
        user=user,
        to=user.email,
        ref=f"auctions.item:{item.pk}",
        context={"item_number": 1, "item_title": "Lamp", "current_bid": "5.00"},
    )
    # a pending row untouched for AUGEO_OUTBOX_REQUEUE_SECONDS (300) lost its task: the sweep queues it
    OutboxEmail.objects.filter(pk=note.pk).update(updated_at=timezone.now() - timezone.timedelta(minutes=6))
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_notifications")
    note.refresh_from_db()
    assert note.status == OutboxStatus.SENT and mail.outbox[0].subject.startswith("You have been outbid")


def test_closing_the_event_closes_its_items_through_the_events_service() -> None:
    from apps.events.services.events import event_close

    item = ItemFactory()
    bid_place(context=bid_context(bidder(item.event, 101), item), amount="100")
    event_close(event=item.event, actor=member(item.event.npo))
    item.refresh_from_db()
    assert item.status == ItemStatus.SOLD and item.winning_amount == D("100")


def test_item_numbers_are_sequential_per_event() -> None:
    event = PublishedEventFactory()
    admin = member(event.npo)
    numbers = [item_create(event=event, actor=admin, title=f"Lot {i}").number for i in range(3)]
    other = item_create(event=PublishedEventFactory(), actor=admin, title="Elsewhere")
    assert numbers == [1, 2, 3] and other.number == 1
