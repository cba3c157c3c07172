"""Contract audit of the auction against api.md "Auction" and bidding.md, through the real URLs.

bidding.md checklist — every rule and the test(s) that prove it (``rules`` = test_rules.py,
``svc`` = test_services_bids.py, ``api`` = test_api_bidding.py, ``items`` = test_api_items.py,
``pg`` = test_concurrency_pg.py, ``admin`` = test_admin.py, ``here`` = this module):

Bidders and paddles
- (event, number) unique; household shares a paddle; "no bidding against yourself" per paddle
  → here: test_household_shares_one_paddle
- active registration as registrant or as linked guest, else NOT_REGISTERED → svc: test_not_registered,
  test_cancelled_registration_is_not_registered; api: test_not_registered_is_409;
  here: test_linked_guest_bids_under_own_account
- CHECKIN_REQUIRED / pre-bidding → svc: test_checkin_is_needed_to_bid, test_prebidding_allowed_without_the_checkin_rule
- lowest free number on first bid → svc: test_first_bid_assigns_lowest_free_paddle
- a paddle with activity is never released or reused → here: test_paddle_with_bids_survives_cancellation
- NPO_SUSPENDED, ITEM_NOT_OPEN, ITEM_CLOSED (also while still ``open``), LIVE_ITEM, drafts 404
  → svc: test_npo_suspended, test_item_not_open*, test_item_closed*, test_live_item_refuses_online_bids;
  items: test_bid_on_another_npos_draft_item_is_404; here: test_bid_refusals_through_the_api
Amounts
- malformed/zero/negative/>2 decimals/max < amount → 400 → rules: test_money_parse_*; svc: test_bad_*;
  api: test_bad_amounts_are_400; here: test_three_decimal_and_exponent_amounts_are_400
- tiered/explicit increments, minimum next bid → rules: test_tiered_*, test_min_next_bid_*
- BID_TOO_LOW carries ``min_bid`` → api: test_bid_too_low_carries_min_bid; here: test_worked_example_through_the_api
Proxy rules 1-5, privacy (6), immutable rows / bid_count / last row = C (7)
- rules: test_rule1_* … test_rule5_*, test_random_sequences_keep_invariants;
  svc: test_worked_example_through_the_service, test_rule2_*, test_tie_goes_to_earlier_maximum,
  test_reserve_bump_and_close_sold, test_bid_rows_are_immutable;
  items: test_item_fields_reserve_and_private_maximum; admin: test_change_page_bid_history_hides_maximums;
  here: test_worked_example_through_the_api, test_rule2_through_the_api
Time and closing
- opens_at defaults to opening time → here: test_open_defaults_opens_at_and_needs_published_event
- group closing time → items: test_closing_time_for_a_category
- clock read after the lock → svc: test_time_is_read_after_the_lock
- soft close → svc: test_soft_close_*
- close (command, admin action, endpoint), idempotent, two closers, event close → api: test_close_auctions_command_*,
  test_event_close_hook_closes_items, test_closing_the_event_*; admin: test_actions_open_close_withdraw;
  pg: test_two_closers_at_once_one_outcome; here: test_close_endpoint_answers_sold_or_unsold
- winner notified after commit → api: test_close_auctions_command_closes_due_items; here: test_won_mail_failure_*
Buy now and quantity → api: test_buy_now_*; pg: test_racing_buy_now_*
Live auction and staff bids
- LIVE_ITEM, BIDDER_NUMBER_UNKNOWN, quantity N, below_reserve_ok, ITEM_ALREADY_SOLD, audited undo
  → api: test_live_sales_two_trips_reserve_and_undo; here: test_bidder_number_of_another_event_is_unknown
- clerk bids on behalf, audited, rules unchanged → svc: test_clerk_phone_bid_for_bidder_number; api:
  test_clerk_bids_by_bidder_number; here: test_clerk_bid_follows_the_same_rules
Paddle raise → api: test_paddle_raise_*, test_pledge_*; here: test_paddle_raise_shape_and_audited_pledge_undo
Retries → api: test_idempotency_key_replays_and_rejects_other_body;
  pg: test_duplicate_idempotency_key_retries_in_parallel; here: test_idempotency_keys_are_per_user
Notifications → svc: test_outbid_notification_sent_after_commit, test_failing_mail_server_never_fails_the_bid;
  api: test_send_notifications_picks_up_stuck_pending_rows; here: test_outbid_mail_failure_*, test_won_mail_failure_*
Invariants 1-5 (PostgreSQL, threads) → pg: test_many_threads_bidding_on_one_hot_item and the racing tests.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from unittest import mock

import pytest
from django.core import mail
from django.core.mail import get_connection
from django.core.management import call_command
from django.utils import timezone

from apps.attendance.models import Guest, Paddle
from apps.auctions.invariants import check_item
from apps.auctions.models import Bid, ItemKind, ItemStatus
from apps.auctions.selectors import bid_context
from apps.auctions.services.bidding import bid_place
from apps.auctions.services.items import item_create
from apps.auctions.tests.factories import ItemFactory, bidder, register
from apps.core.models import AuditEntry, OutboxEmail, OutboxStatus
from apps.events.tests.factories import EventFactory, PublishedEventFactory
from apps.npos.models import NPOStatus
from apps.npos.tests.factories import MembershipFactory
from apps.users.tests.factories import UserFactory
from conftest import client_for

pytestmark = pytest.mark.django_db
D = Decimal

ITEM_FIELDS = {
    "id",
    "event",
    "title",
    "description",
    "category",
    "number",
    "kind",
    "status",
    "starting_bid",
    "bid_increment",
    "current_bid",
    "min_next_bid",
    "bid_count",
    "opens_at",
    "closes_at",
    "buy_now_price",
    "quantity",
    "quantity_left",
    "fair_market_value",
    "images",
}


def member(npo, role="admin"):
    user = UserFactory()
    MembershipFactory(npo=npo, user=user, role=role)
    return user


def error(response) -> str:
    return response.json()["error"]["code"]


def bids_url(item) -> str:
    return f"/api/v1/items/{item.pk}/bids/"


# --- item shape --------------------------------------------------------------------------------------


def test_item_carries_every_contract_field_with_contract_types() -> None:
    item = ItemFactory(reserve=D("300"), fair_market_value=D("80"))
    anon = client_for(None).get(f"/api/v1/items/{item.pk}/").json()
    assert set(anon) >= ITEM_FIELDS and "reserve" not in anon and "leading" not in anon
    assert anon["current_bid"] is None and anon["bid_increment"] is None and anon["bid_count"] == 0
    assert (
        anon["starting_bid"] == "100.00" and anon["min_next_bid"] == "100.00" and anon["fair_market_value"] == "80.00"
    )
    assert anon["buy_now_price"] is None and anon["quantity"] == 1 and anon["quantity_left"] == 1
    assert anon["images"] == [] and anon["event"] == str(item.event_id) and anon["kind"] == "silent"
    donor = client_for(UserFactory()).get(f"/api/v1/items/{item.pk}/").json()
    assert ITEM_FIELDS | {"leading", "my_max_bid"} <= set(donor) and "reserve" not in donor
    assert donor["leading"] is False and donor["my_max_bid"] is None
    listed = client_for(None).get(f"/api/v1/events/{item.event_id}/items/").json()
    assert set(listed) == {"count", "next", "previous", "results"}
    assert set(listed["results"][0]) >= ITEM_FIELDS and "reserve" not in listed["results"][0]
    listed = client_for(member(item.event.npo, "coordinator")).get(f"/api/v1/events/{item.event_id}/items/").json()
    assert listed["results"][0]["reserve"] == "300.00"


@pytest.mark.parametrize(
    ("role", "shown"),
    [("admin", True), ("coordinator", True), ("staff", False), ("auctioneer", False), ("cashier", False)],
)
def test_reserve_is_shown_only_to_events_manage(role, shown) -> None:
    """Regression: the reserve is private to roles with events.manage — in the API as in the admin
    (it was shown to every member)."""
    item = ItemFactory(reserve=D("300"))
    client = client_for(member(item.event.npo, role))
    detail = client.get(f"/api/v1/items/{item.pk}/").json()
    listed = client.get(f"/api/v1/events/{item.event_id}/items/").json()["results"][0]
    assert ("reserve" in detail, "reserve" in listed) == (shown, shown)
    if shown:
        assert detail["reserve"] == listed["reserve"] == "300.00"


def _discloses(body: Any, amount: str) -> bool:
    """Whether any value of the JSON ``body`` names ``amount``: as a money string or number, or as a
    word of a message. (A bare substring test of the raw body also matched ids and timestamps that
    happened to contain the digits — it failed once on a sale's random UUID.)"""
    if isinstance(body, dict):
        return any(_discloses(value, amount) for value in body.values())
    if isinstance(body, list):
        return any(_discloses(value, amount) for value in body)
    if isinstance(body, int | float) and not isinstance(body, bool):
        return D(str(body)) == D(amount)
    if isinstance(body, str):
        words = body.replace("$", " ").replace(",", " ").split()
        return any(word.rstrip(".") in (amount, f"{amount}.00") for word in words) or f"{amount}.00" in body
    return False


def test_a_clerk_below_the_reserve_is_asked_to_confirm_without_seeing_it() -> None:
    item = ItemFactory(kind=ItemKind.LIVE, reserve=D("777"))
    bidder(item.event, 101)
    clerk = client_for(member(item.event.npo, "auctioneer"))
    url = f"/api/v1/items/{item.pk}/sales/"
    r = clerk.post(url, {"bidder_number": 101, "amount": "100"}, format="json")
    assert r.status_code == 409 and r.json()["error"]["code"] == "BELOW_RESERVE"
    assert not _discloses(r.json(), "777")
    r = clerk.post(url, {"bidder_number": 101, "amount": "100", "below_reserve_ok": True}, format="json")
    assert r.status_code == 201 and r.json()["below_reserve"] is True and not _discloses(r.json(), "777")
    assert _discloses({"a": ["777.00"]}, "777") and _discloses({"m": "The reserve is $777."}, "777")
    assert _discloses({"n": 777}, "777") and not _discloses({"id": "5f0e7773-0000", "at": "12:07:77"}, "777")
    opened = clerk.post(f"/api/v1/items/{ItemFactory(event=item.event, status='draft', reserve=D('777')).pk}/open/")
    assert opened.status_code == 200 and "reserve" not in opened.json()


# --- the worked example and rule 2 through the API ---------------------------------------------------


def test_worked_example_through_the_api() -> None:
    item = ItemFactory(starting_bid=D("100"), bid_increment=D("10"))
    a, b = client_for(bidder(item.event, 101)), client_for(bidder(item.event, 102))
    r = a.post(bids_url(item), {"amount": "100", "max_amount": "200"}, format="json")
    assert r.status_code == 201 and set(r.json()) == {"bid", "leading", "current_bid", "min_next_bid"}
    assert r.json()["leading"] is True and r.json()["current_bid"] == "100.00"
    r = b.post(bids_url(item), {"amount": "110"}, format="json")  # rule 4
    assert r.status_code == 201 and r.json()["leading"] is False and r.json()["current_bid"] == "120.00"
    r = b.post(bids_url(item), {"amount": "250"}, format="json")  # rule 3
    assert r.status_code == 201 and r.json()["leading"] is True and r.json()["current_bid"] == "250.00"
    assert r.json()["min_next_bid"] == "260.00"
    r = a.post(bids_url(item), {"amount": "255"}, format="json")
    assert r.status_code == 409 and error(r) == "BID_TOO_LOW" and r.json()["error"]["min_bid"] == "260.00"
    history = client_for(None).get(bids_url(item)).json()
    rows = [(row["bidder_number"], row["amount"], row["automatic"]) for row in reversed(history["results"])]
    assert rows == [
        (101, "100.00", False),
        (102, "110.00", False),
        (101, "120.00", True),
        (101, "200.00", True),
        (102, "250.00", False),
    ]
    assert [row["sequence"] for row in history["results"]] == [5, 4, 3, 2, 1]
    assert history["count"] == 5 and isinstance(history["results"][0]["bidder_number"], int)
    for row in history["results"]:
        assert set(row) == {"id", "bidder_number", "amount", "automatic", "sequence", "created_at"}
    detail = client_for(None).get(f"/api/v1/items/{item.pk}/").json()
    assert detail["bid_count"] == 5 and detail["current_bid"] == "250.00"


def test_rule2_through_the_api() -> None:
    item = ItemFactory()
    a = client_for(bidder(item.event, 101))
    a.post(bids_url(item), {"amount": "100", "max_amount": "150"}, format="json")
    r = a.post(bids_url(item), {"amount": "110", "max_amount": "400"}, format="json")
    assert r.status_code == 201 and r.json()["leading"] is True and r.json()["current_bid"] == "100.00"
    r = a.post(bids_url(item), {"amount": "110", "max_amount": "300"}, format="json")
    assert r.status_code == 409 and error(r) == "ALREADY_LEADING"
    assert client_for(None).get(bids_url(item)).json()["count"] == 1
    body = a.get(f"/api/v1/items/{item.pk}/").json()
    assert body["bid_count"] == 1 and body["my_max_bid"] == "400.00" and body["leading"] is True


# --- amounts -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("amount", ["100.000", "150.005", "1e3", "1E+2", "1_000"])
def test_three_decimal_and_exponent_amounts_are_400(amount: str) -> None:
    item = ItemFactory()
    client = client_for(bidder(item.event, 101))
    r = client.post(bids_url(item), {"amount": amount}, format="json")
    assert r.status_code == 400 and error(r) == "VALIDATION_ERROR" and "amount" in r.json()["error"]["fields"]
    r = client.post(bids_url(item), {"amount": "100", "max_amount": amount}, format="json")
    assert r.status_code == 400 and "max_amount" in r.json()["error"]["fields"]
    assert Bid.objects.count() == 0


def test_max_amount_below_amount_is_400_before_business_rules() -> None:
    item = ItemFactory(status=ItemStatus.SOLD)  # would be 409 ITEM_CLOSED
    r = client_for(bidder(item.event, 101)).post(bids_url(item), {"amount": "150", "max_amount": "120"}, format="json")
    assert r.status_code == 400 and "max_amount" in r.json()["error"]["fields"]


# --- refusals ----------------------------------------------------------------------------------------


def test_bid_refusals_through_the_api() -> None:
    event = PublishedEventFactory()
    user = bidder(event, 101)
    client = client_for(user)
    live = ItemFactory(event=event, kind=ItemKind.LIVE)
    assert error(client.post(bids_url(live), {"amount": "100"}, format="json")) == "LIVE_ITEM"
    later = ItemFactory(event=event, opens_at=timezone.now() + timezone.timedelta(hours=1))
    assert error(client.post(bids_url(later), {"amount": "100"}, format="json")) == "ITEM_NOT_OPEN"
    due = ItemFactory(event=event, closes_at=timezone.now() + timezone.timedelta(minutes=5))
    with mock.patch("apps.auctions.services.bidding.timezone.now", return_value=due.closes_at):
        r = client.post(bids_url(due), {"amount": "100"}, format="json")
    assert r.status_code == 409 and error(r) == "ITEM_CLOSED"
    assert client_for(None).get(f"/api/v1/items/{due.pk}/").json()["status"] == "open"  # the closer has not run
    open_item = ItemFactory(event=event)
    event.npo.status = NPOStatus.SUSPENDED
    event.npo.save()
    r = client.post(bids_url(open_item), {"amount": "100"}, format="json")
    assert r.status_code == 409 and error(r) == "NPO_SUSPENDED"
    r = client.post(f"/api/v1/items/{open_item.pk}/buy-now/", {}, format="json")
    assert r.status_code == 409 and error(r) == "NPO_SUSPENDED"
    assert Bid.objects.count() == 0


def test_bidder_number_of_another_event_is_unknown() -> None:
    item = ItemFactory()
    bidder(PublishedEventFactory(npo=item.event.npo), 555)  # issued, but for another event
    clerk = client_for(member(item.event.npo, "auctioneer"))
    r = clerk.post(bids_url(item), {"amount": "100", "bidder_number": 555}, format="json")
    assert r.status_code == 409 and error(r) == "BIDDER_NUMBER_UNKNOWN"
    live = ItemFactory(event=item.event, kind=ItemKind.LIVE)
    r = clerk.post(f"/api/v1/items/{live.pk}/sales/", {"bidder_number": 555, "amount": "100"}, format="json")
    assert r.status_code == 409 and error(r) == "BIDDER_NUMBER_UNKNOWN"


def test_clerk_bid_follows_the_same_rules() -> None:
    item = ItemFactory(bid_increment=D("10"))
    bidder(item.event, 101)
    client_for(bidder(item.event, 102)).post(bids_url(item), {"amount": "100", "max_amount": "300"}, format="json")
    clerk = client_for(member(item.event.npo, "auctioneer"))
    r = clerk.post(bids_url(item), {"amount": "105", "bidder_number": 101}, format="json")
    assert r.status_code == 409 and r.json()["error"]["min_bid"] == "110.00"
    r = clerk.post(bids_url(item), {"amount": "110", "bidder_number": 101}, format="json")
    assert r.status_code == 201 and r.json()["leading"] is False and r.json()["current_bid"] == "120.00"
    r = clerk.post(bids_url(item), {"amount": "200", "bidder_number": "x"}, format="json")
    assert r.status_code == 400 and "bidder_number" in r.json()["error"]["fields"]
    assert AuditEntry.objects.filter(action="bid.place_for_bidder").count() == 1


# --- paddles -----------------------------------------------------------------------------------------


def test_household_shares_one_paddle() -> None:
    item = ItemFactory()
    a = bidder(item.event, 101)
    partner = UserFactory()
    Guest.objects.create(
        registration=a.guest.registration,
        event=item.event,
        user=partner,
        first_name="Pat",
        last_name="Partner",
        email=partner.email,
        paddle=a.guest.paddle,
    )
    client_for(a).post(bids_url(item), {"amount": "100", "max_amount": "200"}, format="json")
    # Same paddle: the household never bids against itself (rule 2, judged per paddle).
    r = client_for(partner).post(bids_url(item), {"amount": "110"}, format="json")
    assert r.status_code == 409 and error(r) == "ALREADY_LEADING"
    r = client_for(partner).post(bids_url(item), {"amount": "110", "max_amount": "250"}, format="json")
    assert r.status_code == 201 and r.json()["leading"] is True and r.json()["bid"]["bidder_number"] == 101
    assert client_for(partner).get(f"/api/v1/items/{item.pk}/").json()["leading"] is True
    assert OutboxEmail.objects.count() == 0
    assert Paddle.objects.filter(event=item.event).count() == 1


def test_linked_guest_bids_under_own_account() -> None:
    item = ItemFactory()
    host = register(item.event)
    friend = UserFactory()
    Guest.objects.create(
        registration=host.registration,
        event=item.event,
        user=friend,
        first_name="Fran",
        last_name="Friend",
        email=friend.email,
    )
    r = client_for(friend).post(bids_url(item), {"amount": "100"}, format="json")
    assert r.status_code == 201 and r.json()["leading"] is True
    guest = Guest.objects.get(user=friend)
    assert guest.paddle is not None and r.json()["bid"]["bidder_number"] == guest.paddle.number
    host.refresh_from_db()
    assert host.paddle_id is None  # the friend's paddle is their own


def test_paddle_with_bids_survives_cancellation() -> None:
    from apps.attendance.services.registrations import registration_cancel

    item = ItemFactory()
    guest = register(item.event)
    client_for(guest.user).post(bids_url(item), {"amount": "100"}, format="json")
    paddle = Guest.objects.get(pk=guest.pk).paddle
    registration_cancel(registration=guest.registration, actor=guest.user)
    assert Paddle.objects.filter(pk=paddle.pk, number=paddle.number).exists()
    newcomer = register(item.event)
    r = client_for(newcomer.user).post(bids_url(item), {"amount": "110"}, format="json")
    assert r.status_code == 201 and r.json()["bid"]["bidder_number"] != paddle.number
    r = client_for(guest.user).post(bids_url(item), {"amount": "500"}, format="json")
    assert r.status_code == 409 and error(r) == "NOT_REGISTERED"
    assert check_item(item) == []


# --- lifecycle ---------------------------------------------------------------------------------------


def test_open_defaults_opens_at_and_needs_published_event() -> None:
    draft_event = EventFactory()
    admin = member(draft_event.npo)
    item = item_create(event=draft_event, actor=admin, title="Quilt", starting_bid=Decimal("50"))
    r = client_for(admin).post(f"/api/v1/items/{item.pk}/open/")
    assert r.status_code == 409 and error(r) == "EVENT_NOT_PUBLISHED"
    event = PublishedEventFactory(npo=draft_event.npo)
    item = item_create(event=event, actor=admin, title="Lamp", starting_bid=Decimal("50"))
    clerk = client_for(member(event.npo, "auctioneer"))
    r = clerk.post(f"/api/v1/items/{item.pk}/open/")
    assert r.status_code == 200 and r.json()["status"] == "open" and r.json()["opens_at"] is not None
    r = clerk.post(f"/api/v1/items/{item.pk}/open/")
    assert r.status_code == 409 and error(r) == "INVALID_TRANSITION"
    assert client_for(UserFactory()).post(f"/api/v1/items/{item.pk}/open/").status_code == 403
    assert client_for(None).post(f"/api/v1/items/{item.pk}/open/").status_code == 401


def test_close_endpoint_answers_sold_or_unsold() -> None:
    sold = ItemFactory()
    unsold = ItemFactory(event=sold.event)
    client_for(bidder(sold.event, 101)).post(bids_url(sold), {"amount": "100"}, format="json")
    clerk = client_for(member(sold.event.npo, "auctioneer"))
    r = clerk.post(f"/api/v1/items/{sold.pk}/close/")
    assert r.status_code == 200 and r.json()["status"] == "sold" and r.json()["quantity_left"] == 0
    assert clerk.post(f"/api/v1/items/{sold.pk}/close/").json()["status"] == "sold"  # idempotent
    r = clerk.post(f"/api/v1/items/{unsold.pk}/close/")
    assert r.status_code == 200 and r.json()["status"] == "unsold"


def test_sale_flag_must_be_a_boolean() -> None:
    item = ItemFactory(kind=ItemKind.LIVE, reserve=D("500"))
    bidder(item.event, 101)
    clerk = client_for(member(item.event.npo, "auctioneer"))
    url = f"/api/v1/items/{item.pk}/sales/"
    r = clerk.post(url, {"bidder_number": 101, "amount": "100", "below_reserve_ok": "maybe"}, format="json")
    assert r.status_code == 400 and "below_reserve_ok" in r.json()["error"]["fields"]
    r = clerk.post(url, {"bidder_number": 101, "amount": "100", "below_reserve_ok": "true"}, format="json")
    assert r.status_code == 400  # a JSON body's boolean is a JSON boolean (apps.core.api.fields)
    r = clerk.post(url, {"bidder_number": 101, "amount": "100", "below_reserve_ok": True}, format="json")
    assert r.status_code == 201 and r.json()["below_reserve"] is True


# --- paddle raise --------------------------------------------------------------------------------------


def test_paddle_raise_shape_and_audited_pledge_undo() -> None:
    event = PublishedEventFactory()
    bidder(event, 101)
    url = f"/api/v1/events/{event.pk}/paddle-raise/"
    body = client_for(None).get(url).json()
    assert {"levels", "open", "phone_pledges", "totals_by_level", "total"} <= set(body)
    assert body["levels"] == [] and body["open"] is False and body["total"] == "0.00"
    clerk_user = member(event.npo, "auctioneer")
    clerk = client_for(clerk_user)
    r = clerk.post(f"/api/v1/events/{event.pk}/pledges/", {"bidder_number": 101, "amount": "250"}, format="json")
    assert r.status_code == 201 and r.json()["amount"] == "250.00"
    r = clerk.post(f"/api/v1/events/{event.pk}/pledges/{r.json()['id']}/undo/")
    assert r.status_code == 200 and r.json()["undone_at"]
    entry = AuditEntry.objects.get(action="pledge.undo")
    assert entry.actor == clerk_user and entry.npo_id == event.npo_id
    # Input errors come before business rules: a malformed number is 400 even for a suspended NPO.
    event.npo.status = NPOStatus.SUSPENDED
    event.npo.save()
    pledges = f"/api/v1/events/{event.pk}/pledges/"
    assert clerk.post(pledges, {"bidder_number": "x", "amount": "5"}, format="json").status_code == 400
    r = clerk.post(pledges, {"bidder_number": 101, "amount": "5"}, format="json")
    assert r.status_code == 409 and error(r) == "NPO_SUSPENDED"


# --- retries -----------------------------------------------------------------------------------------


def test_idempotency_keys_are_per_user() -> None:
    item = ItemFactory()
    a, b = client_for(bidder(item.event, 101)), client_for(bidder(item.event, 102))
    r = a.post(bids_url(item), {"amount": "100"}, format="json", HTTP_IDEMPOTENCY_KEY="same")
    assert r.status_code == 201
    r = b.post(bids_url(item), {"amount": "110"}, format="json", HTTP_IDEMPOTENCY_KEY="same")
    assert r.status_code == 201 and r.json()["bid"]["bidder_number"] == 102
    assert Bid.objects.filter(item=item, visible=True).count() == 2


# --- notifications: a mail failure never fails the bid or the close; the row is retried ---------------


def test_outbid_mail_failure_through_the_api_marks_row_failed(django_capture_on_commit_callbacks) -> None:
    item = ItemFactory()
    a = bidder(item.event, 101)
    client_for(a).post(bids_url(item), {"amount": "100"}, format="json")
    with (
        mock.patch("django.core.mail.EmailMultiAlternatives.send", side_effect=ConnectionRefusedError("smtp down")),
        django_capture_on_commit_callbacks(execute=True),
    ):
        r = client_for(bidder(item.event, 102)).post(bids_url(item), {"amount": "110"}, format="json")
    assert r.status_code == 201 and r.json()["leading"] is True
    note = OutboxEmail.objects.get()
    assert note.template == "auctions/outbid" and note.status == OutboxStatus.FAILED and note.attempts == 1
    OutboxEmail.objects.filter(pk=note.pk).update(next_attempt_at=timezone.now())  # the retry is due
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_notifications")
    note.refresh_from_db()
    assert note.status == OutboxStatus.SENT and note.attempts == 2 and mail.outbox[-1].to == [a.email]


def test_outbid_mail_failure_even_when_recording_it_fails(django_capture_on_commit_callbacks) -> None:
    """The worst case after commit: the mail server and then the outbox update fail. The bid still
    answers 201; the row stays claimed until its lease runs out, then the sweep sends it."""
    item = ItemFactory()
    a = bidder(item.event, 101)
    bid_place(context=bid_context(a, item), amount="100")
    real_filter = OutboxEmail.objects.filter
    calls: list[dict] = []

    def flaky(*args, **kwargs):  # the claim, then recording the failed attempt raises
        calls.append(kwargs)
        if len(calls) == 2:
            raise RuntimeError("db gone")
        return real_filter(*args, **kwargs)

    with (
        mock.patch("django.core.mail.EmailMultiAlternatives.send", side_effect=OSError("smtp down")) as send,
        mock.patch.object(OutboxEmail.objects, "filter", side_effect=flaky),
        django_capture_on_commit_callbacks(execute=True),
    ):
        r = client_for(bidder(item.event, 102)).post(bids_url(item), {"amount": "110"}, format="json")
    assert r.status_code == 201 and send.call_count == 1 and len(calls) == 2
    note = OutboxEmail.objects.get()
    assert note.status == OutboxStatus.SENDING and note.claimed_until > timezone.now()
    OutboxEmail.objects.filter(pk=note.pk).update(claimed_until=timezone.now() - timezone.timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_notifications")
    note.refresh_from_db()
    assert note.status == OutboxStatus.SENT and mail.outbox[-1].to == [a.email] and note.attempts == 2


def test_an_exploding_after_commit_callback_never_fails_the_bid(django_capture_on_commit_callbacks) -> None:
    item = ItemFactory()
    bid_place(context=bid_context(bidder(item.event, 101), item), amount="100")
    with (
        mock.patch("apps.core.outbox.outbox_deliver", side_effect=RuntimeError("boom")) as send,
        django_capture_on_commit_callbacks(execute=True),
    ):
        r = client_for(bidder(item.event, 102)).post(bids_url(item), {"amount": "110"}, format="json")
    assert r.status_code == 201 and send.call_count == 1
    assert OutboxEmail.objects.get().status == OutboxStatus.PENDING  # left for the sweep


def test_won_mail_failure_marks_row_failed_and_is_retried(django_capture_on_commit_callbacks) -> None:
    item = ItemFactory()
    winner = bidder(item.event, 101)
    bid_place(context=bid_context(winner, item), amount="100")
    clerk = client_for(member(item.event.npo, "auctioneer"))
    with (
        mock.patch("django.core.mail.EmailMultiAlternatives.send", side_effect=TimeoutError("timed out")),
        django_capture_on_commit_callbacks(execute=True),
    ):
        r = clerk.post(f"/api/v1/items/{item.pk}/close/")
    assert r.status_code == 200 and r.json()["status"] == "sold"
    note = OutboxEmail.objects.get(template="auctions/won")
    assert note.status == OutboxStatus.FAILED and "timed out" in note.last_error and note.next_attempt_at
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_notifications", "--now")
    note.refresh_from_db()
    assert note.status == OutboxStatus.SENT and mail.outbox[-1].to == [winner.email]


def test_first_send_uses_a_bounded_timeout(settings) -> None:
    from apps.core.outbox import SEND_TIMEOUT_SECONDS, email_send, outbox_claim

    settings.EMAIL_TIMEOUT = None
    user = UserFactory()
    note = OutboxEmail.objects.create(
        template="auctions/outbid", user=user, to=user.email, context={"item_title": "Lamp", "current_bid": "5.00"}
    )
    claimed = outbox_claim(note.pk)
    with mock.patch("apps.core.outbox.get_connection", wraps=get_connection) as conn:
        assert email_send(claimed) == "sent"
    assert conn.call_args.kwargs["timeout"] == SEND_TIMEOUT_SECONDS


# --- order of checks ---------------------------------------------------------------------------------


def test_member_only_reads_are_401_before_404_for_anonymous_callers() -> None:
    hidden = ItemFactory(event=EventFactory(), status=ItemStatus.DRAFT)
    anon = client_for(None)
    assert anon.get(f"/api/v1/items/{hidden.pk}/sales/").status_code == 401
    assert anon.get(f"/api/v1/events/{hidden.event_id}/pledges/").status_code == 401
    assert anon.get(f"/api/v1/events/{hidden.event_id}/my-bids/").status_code == 401
    # A malformed id matches no route (<uuid:>): 404 from the URL resolver, before any view runs.
    assert anon.get("/api/v1/items/not-a-uuid/sales/").status_code == 404
    outsider = client_for(UserFactory())
    assert outsider.get(f"/api/v1/items/{hidden.pk}/sales/").status_code == 404
    assert outsider.get(f"/api/v1/events/{hidden.event_id}/pledges/").status_code == 404
    public = ItemFactory(kind=ItemKind.LIVE)
    assert outsider.get(f"/api/v1/items/{public.pk}/sales/").status_code == 403
    assert outsider.get(f"/api/v1/events/{public.event_id}/pledges/").status_code == 403


def test_a_silent_item_cannot_open_with_a_zero_starting_bid() -> None:
    """A zero start would advertise ``min_next_bid`` "0.00", which no valid bid can meet."""
    from apps.auctions.models import Item

    item = ItemFactory(status=ItemStatus.DRAFT, starting_bid=Decimal("0"))
    admin = MembershipFactory(npo=item.event.npo, role="admin").user
    response = client_for(admin).post(f"/api/v1/items/{item.id}/open/")
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"starting_bid": ["A silent item needs a starting bid above zero."]}
    assert Item.objects.get(pk=item.pk).status == "draft"


def test_plain_text_mail_is_not_html_escaped(django_capture_on_commit_callbacks) -> None:
    """Subjects and text bodies are plain text: an apostrophe must not arrive as ``&#x27;``."""
    item = ItemFactory(title="Chef's table for six")
    bid_place(context=bid_context(bidder(item.event, 101), item), amount="100")
    with django_capture_on_commit_callbacks(execute=True):
        bid_place(context=bid_context(bidder(item.event, 102), item), amount="110")
    message = mail.outbox[-1]
    assert "Chef's table for six" in message.subject and "&#x27;" not in message.subject
    assert "Chef's table for six" in message.body and "&#x27;" not in message.body
