"""A leader's maximum stays their own (bidding.md rule 6), whoever watches: a clerk entering bids for
the leading paddle, or anyone reading the history, the item, the live messages or the audit log
while the leader raises their own maximum (rule 2)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from apps.auctions.invariants import check_item
from apps.auctions.models import Bid
from apps.auctions.selectors import bid_context
from apps.auctions.services.bidding import bid_place, bid_place_for_bidder
from apps.auctions.tests.factories import ItemFactory, bidder
from apps.core.exceptions import Conflict
from apps.core.models import AuditEntry
from apps.npos.tests.factories import MembershipFactory
from apps.users.tests.factories import UserFactory
from conftest import client_for

pytestmark = pytest.mark.django_db
D = Decimal


def member(npo: Any, role: str) -> Any:
    user = UserFactory()
    MembershipFactory(npo=npo, user=user, role=role)
    return user


def bids_url(item: Any) -> str:
    return f"/api/v1/items/{item.pk}/bids/"


# --- a clerk's bid for the leading paddle ---------------------------------------------------------


def test_a_clerk_bid_for_the_leader_answers_the_same_whatever_the_leaders_maximum() -> None:
    """It used to answer 409 at or below the leader's maximum and 201 above it: an auctioneer could
    binary-search the maximum by entering bids for the leading paddle. Now every amount, below,
    at or above the maximum (and below the minimum), gets the one refusal, and nothing changes."""
    item = ItemFactory(starting_bid=D("100"), bid_increment=D("10"))
    leader = bidder(item.event, 101)
    bid_place(context=bid_context(leader, item), amount="100", max_amount="300")
    clerk = client_for(member(item.event.npo, "auctioneer"))
    answers = set()
    for amount, top in (("110", "200"), ("110", "300"), ("110", "301"), ("900", "5000"), ("105", None)):
        body = {"amount": amount, "bidder_number": 101, **({"max_amount": top} if top else {})}
        r = clerk.post(bids_url(item), body, format="json")
        assert r.status_code == 409, (amount, top, r.json())
        answers.add(r.content)
    assert len(answers) == 1
    assert b"ALREADY_LEADING" in answers.pop()
    item.refresh_from_db()
    assert item.leader_max == D("300") and item.current_bid == D("100") and item.last_position == 1
    assert Bid.objects.filter(item=item).count() == 1 and check_item(item) == []


def test_refused_clerk_bids_are_audited_without_any_amount() -> None:
    item = ItemFactory(starting_bid=D("100"), bid_increment=D("10"))
    bid_place(context=bid_context(bidder(item.event, 101), item), amount="100", max_amount="300")
    clerk = member(item.event.npo, "auctioneer")
    client = client_for(clerk)
    client.post(bids_url(item), {"amount": "110", "max_amount": "450", "bidder_number": 101}, format="json")
    client.post(
        bids_url(item),
        {"amount": "120", "max_amount": "470", "bidder_number": 101},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k-1",  # the refusal is stored with the key, and so is its audit entry
    )
    client.post(bids_url(item), {"amount": "110", "bidder_number": 999}, format="json")
    entries = list(AuditEntry.objects.filter(action="bid.place_for_bidder_refused").order_by("id"))
    assert [(e.actor_id, e.object_id, e.npo_id) for e in entries] == [(clerk.pk, str(item.pk), item.event.npo_id)] * 3
    assert [e.details for e in entries] == [
        {"bidder_number": 101, "code": "ALREADY_LEADING"},
        {"bidder_number": 101, "code": "ALREADY_LEADING"},
        {"bidder_number": 999, "code": "BIDDER_NUMBER_UNKNOWN"},
    ]
    for entry in entries:
        assert not any(amount in str(entry.details) for amount in ("300", "450", "470", "110", "120"))


def test_the_service_refuses_a_clerk_bid_for_the_leader_too() -> None:
    """The rule lives in the service, so every caller (API, admin, commands) gets it."""
    item = ItemFactory(starting_bid=D("100"), bid_increment=D("10"))
    bid_place(context=bid_context(bidder(item.event, 101), item), amount="100", max_amount="300")
    clerk = member(item.event.npo, "auctioneer")
    with pytest.raises(Conflict) as exc:
        bid_place_for_bidder(
            context=bid_context(clerk, item),
            bidder_number=101,
            amount="110",
            max_amount="9000",
        )
    assert exc.value.code == "ALREADY_LEADING"
    assert AuditEntry.objects.filter(action="bid.place_for_bidder_refused", actor=clerk).count() == 1


def test_a_clerk_still_bids_for_a_paddle_that_does_not_lead() -> None:
    item = ItemFactory(starting_bid=D("100"), bid_increment=D("10"))
    bid_place(context=bid_context(bidder(item.event, 101), item), amount="100", max_amount="300")
    bidder(item.event, 102)
    clerk = client_for(member(item.event.npo, "auctioneer"))
    r = clerk.post(bids_url(item), {"amount": "110", "max_amount": "400", "bidder_number": 102}, format="json")
    assert r.status_code == 201 and r.json()["leading"] is True and r.json()["current_bid"] == "310.00"
    r = clerk.post(bids_url(item), {"amount": "400", "bidder_number": 102}, format="json")
    assert r.status_code == 409 and r.json()["error"]["code"] == "ALREADY_LEADING"


def test_the_donor_still_raises_their_own_maximum() -> None:
    """Rule 2 is unchanged for the leader themself: above their maximum it is a raise, else 409."""
    item = ItemFactory(starting_bid=D("100"), bid_increment=D("10"))
    leader = bidder(item.event, 101)
    bid_place(context=bid_context(leader, item), amount="100", max_amount="300")
    r = client_for(leader).post(bids_url(item), {"amount": "110", "max_amount": "500"}, format="json")
    assert r.status_code == 201 and r.json()["leading"] is True and r.json()["current_bid"] == "100.00"
    r = client_for(leader).post(bids_url(item), {"amount": "110", "max_amount": "450"}, format="json")
    assert r.status_code == 409 and r.json()["error"]["code"] == "ALREADY_LEADING"
    item.refresh_from_db()
    assert item.leader_max == D("500")


# --- a leader raising their own maximum leaves no public trace ----------------------------------


def test_a_raise_takes_no_public_sequence() -> None:
    """The raise's invisible row used to take the next ``sequence``: the history then read 1, 3, 4 —
    and the gap told everyone the leader had just raised."""
    item = ItemFactory(starting_bid=D("100"), bid_increment=D("10"))
    a, b = bidder(item.event, 101), bidder(item.event, 102)
    bid_place(context=bid_context(a, item), amount="100", max_amount="200")
    r = client_for(a).post(bids_url(item), {"amount": "110", "max_amount": "400"}, format="json")
    assert r.status_code == 201 and r.json()["bid"]["sequence"] is None  # the donor's own, invisible row
    bid_place(context=bid_context(b, item), amount="110")  # rule 4: B at 110, A's proxy at 120
    history = client_for(None).get(bids_url(item)).json()["results"]
    assert [(row["sequence"], row["bidder_number"], row["amount"]) for row in history] == [
        (3, 101, "120.00"),
        (2, 102, "110.00"),
        (1, 101, "100.00"),
    ]
    item.refresh_from_db()
    assert item.last_sequence == item.bid_count == 3 and item.last_position == 4
    assert list(Bid.objects.filter(item=item).order_by("position").values_list("position", "sequence")) == [
        (1, 1),
        (2, None),
        (3, 2),
        (4, 3),
    ]
    assert check_item(item) == []


def test_a_raise_sends_no_live_message_and_leaves_updated_at(monkeypatch: pytest.MonkeyPatch) -> None:
    published: list[tuple[str, int]] = []
    monkeypatch.setattr(
        "apps.live.publisher.bid_placed", lambda *, item, paddle=None: published.append(("bid", item.last_sequence))
    )
    monkeypatch.setattr("apps.live.publisher.item_updated", lambda *, item: published.append(("item", 0)))
    item = ItemFactory(starting_bid=D("100"), bid_increment=D("10"))
    a, b = bidder(item.event, 101), bidder(item.event, 102)
    bid_place(context=bid_context(a, item), amount="100", max_amount="200")
    before = client_for(None).get(f"/api/v1/items/{item.pk}/").json()
    with time_machine.travel(timezone.now() + timedelta(minutes=5)):
        bid_place(context=bid_context(a, item), amount="110", max_amount="400")
    after = client_for(None).get(f"/api/v1/items/{item.pk}/").json()
    assert after == before  # nothing public moved, updated_at included
    with time_machine.travel(timezone.now() + timedelta(minutes=10)):
        bid_place(context=bid_context(b, item), amount="110")
    assert published == [("bid", 1), ("bid", 3)]  # the sequences the history shows, without a gap
    assert client_for(None).get(f"/api/v1/items/{item.pk}/").json()["updated_at"] != before["updated_at"]


def test_the_audit_entry_of_a_raise_reads_like_any_bid() -> None:
    """A cashier (``reports.view``) reads the audit log in the admin; the raise's entry used to say
    ``"rule": 2`` (and had no amount or sequence where a bid had them)."""
    item = ItemFactory(starting_bid=D("100"), bid_increment=D("10"))
    a, b = bidder(item.event, 101), bidder(item.event, 102)
    bid_place(context=bid_context(a, item), amount="100", max_amount="200")
    bid_place(context=bid_context(a, item), amount="110", max_amount="400")  # the raise
    bid_place(context=bid_context(b, item), amount="110")
    entries = list(AuditEntry.objects.filter(action="bid.place").order_by("id"))
    assert [e.details for e in entries] == [{"bidder_number": 101}, {"bidder_number": 101}, {"bidder_number": 102}]
    assert {e.object_repr for e in entries} == {str(item)}
