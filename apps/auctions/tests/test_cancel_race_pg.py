"""Cancelling a registration racing its bids, and a first bid racing check-in — PostgreSQL, real
threads.

The bid path read the registration's status without a lock and never re-checked it; the paddle
release's ``IntegrityError`` guard could not fire because PostgreSQL checks foreign keys at COMMIT,
so one of the two requests ended in a 500, or a cancelled party got its bid in. Both now follow the
one lock order of :mod:`apps.attendance.locks` (registration → guest → paddle → item).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from apps.attendance.models import Guest, Paddle, Registration, RegistrationStatus
from apps.attendance.services.checkin import guest_check_in
from apps.attendance.services.registrations import registration_cancel
from apps.auctions import selectors as auction_selectors
from apps.auctions.invariants import check_item
from apps.auctions.models import Bid, Pledge
from apps.auctions.selectors import bid_context
from apps.auctions.services.bidding import bid_place
from apps.auctions.services.paddle_raise import pledge_record
from apps.auctions.tests.factories import ItemFactory, register
from apps.core.exceptions import DomainError
from apps.core.tests.race import race
from apps.events.services.events import event_close
from apps.events.tests.factories import PublishedEventFactory
from apps.npos.tests.factories import MembershipFactory
from apps.users.tests.factories import UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
D = Decimal
ROUNDS = 12


def crashes(results: list[Any]) -> list[Any]:
    """Anything but a domain answer (a 4xx) — on the API these were 500s."""
    return [r for r in results if isinstance(r, BaseException) and not isinstance(r, DomainError)]


@pytest.mark.parametrize("with_paddle", [True, False], ids=["paddle", "first-bid"])
def test_cancel_racing_bids_never_lets_a_cancelled_party_bid(with_paddle: bool) -> None:
    event = PublishedEventFactory(next_bidder_number=100)
    clerk = UserFactory()
    MembershipFactory(npo=event.npo, user=clerk, role="auctioneer")
    for n in range(ROUNDS):
        guest = register(event, paddle_number=500 + n if with_paddle else None)
        user, registration = guest.user, guest.registration
        items = [ItemFactory(event=event, starting_bid=D("10")) for _ in range(3)]
        work: list[Callable[[], Any]] = [
            lambda reg=registration, user=user: registration_cancel(registration=reg, actor=user),
            *[lambda item=item, user=user: bid_place(context=bid_context(user, item), amount="10") for item in items],
        ]
        if with_paddle:  # a clerk entering a pledge for the same paddle at the same moment
            work.append(lambda n=n: pledge_record(event=event, amount="5", actor=clerk, bidder_number=500 + n))
        results = race(*work)

        assert crashes(results) == []
        assert not isinstance(results[0], BaseException)  # the cancellation itself always succeeds
        refused = [r for r in results[1:4] if isinstance(r, DomainError)]
        assert all(r.code == "NOT_REGISTERED" for r in refused), [r.code for r in refused]
        registration.refresh_from_db()
        if with_paddle and isinstance(results[4], DomainError):
            # The clerk's pledge: a cancellation that released the paddle first leaves a number that
            # is no longer issued (BIDDER_NUMBER_UNKNOWN); one that still holds it, NOT_REGISTERED.
            pledge_code = results[4].code
            assert pledge_code in ("NOT_REGISTERED", "BIDDER_NUMBER_UNKNOWN"), pledge_code
            if pledge_code == "BIDDER_NUMBER_UNKNOWN":
                assert not Paddle.objects.filter(registration=registration).exists()
        assert registration.status == RegistrationStatus.CANCELLED
        paddles = Paddle.objects.filter(registration=registration)
        bids = Bid.objects.filter(paddle__in=paddles)
        pledges = Pledge.objects.filter(paddle__in=paddles)
        # Nothing was accepted after the cancellation, and what was accepted kept its paddle.
        assert all(b.created_at < registration.cancelled_at for b in bids)
        assert all(p.created_at < registration.cancelled_at for p in pledges)
        assert bids.count() == sum(1 for r in results[1:4] if not isinstance(r, BaseException))
        if bids.exists() or pledges.exists():
            assert paddles.count() == 1
        else:
            assert paddles.count() == 0  # released: no activity
        for item in items:
            assert check_item(item) == []


def test_first_bid_racing_check_in_gives_the_guest_one_paddle() -> None:
    event = PublishedEventFactory(next_bidder_number=100)
    staff = UserFactory()
    MembershipFactory(npo=event.npo, user=staff, role="staff")
    item = ItemFactory(event=event, starting_bid=D("10"))
    for n in range(ROUNDS):
        guest = register(event)
        fresh = Guest.objects.get(pk=guest.pk)
        amount = str(auction_selectors.item_min_next_bid(type(item).objects.get(pk=item.pk)))
        results = race(
            lambda guest=guest, amount=amount: bid_place(context=bid_context(guest.user, item), amount=amount),
            lambda fresh=fresh: guest_check_in(guest=fresh, actor=staff),
            lambda fresh=fresh: guest_check_in(guest=fresh, actor=staff),  # a second tablet
        )
        assert crashes(results) == [], n
        assert not any(isinstance(r, BaseException) for r in results), results
        guest.refresh_from_db()
        assert guest.paddle is not None and guest.checked_in_at is not None
        assert Paddle.objects.filter(registration=guest.registration).count() == 1
        bid = Bid.objects.get(item=item, user=guest.user)
        assert bid.paddle_id == guest.paddle_id
        check_ins = results[1:]
        assert {r.guest.bidder_number for r in check_ins} == {guest.paddle.number}
        assert sorted(r.already_checked_in for r in check_ins) == [False, True]
    numbers = list(Paddle.objects.filter(event=event).values_list("number", flat=True))
    assert sorted(numbers) == list(range(100, 100 + ROUNDS))  # lowest free, no holes, no doubles
    assert check_item(item) == []
    assert Registration.objects.filter(event=event).count() == ROUNDS


def test_cancel_bid_pledge_and_event_close_racing_end_cleanly() -> None:
    """The event close locks the event and then every item; the others lock the party first. With
    ``FOR UPDATE`` on the event row, a cancellation's foreign-key check at COMMIT waited for the
    close, the close for a bid's item, and the bid for the cancellation: a deadlock."""
    for n in range(ROUNDS // 2):
        event = PublishedEventFactory()
        clerk = UserFactory()
        MembershipFactory(npo=event.npo, user=clerk, role="admin")
        guest = register(event, paddle_number=100)
        other = register(event, paddle_number=101)
        items = [ItemFactory(event=event, starting_bid=D("10")) for _ in range(2)]
        results = race(
            lambda guest=guest: registration_cancel(registration=guest.registration, actor=guest.user),
            lambda guest=guest, item=items[0]: bid_place(context=bid_context(guest.user, item), amount="10"),
            lambda other=other, item=items[1]: bid_place(context=bid_context(other.user, item), amount="10"),
            lambda event=event, clerk=clerk: pledge_record(event=event, amount="5", actor=clerk, bidder_number=100),
            lambda event=event, clerk=clerk: event_close(event=event, actor=clerk),
        )
        assert crashes(results) == [], n
        codes = [r.code if isinstance(r, DomainError) else None for r in results]
        if codes[3] == "BIDDER_NUMBER_UNKNOWN":
            # The cancellation released the number before the clerk's pledge looked it up (as in the
            # test above): a number no longer issued — only when no paddle is left.
            assert not Paddle.objects.filter(pk=guest.paddle_id).exists(), codes
            codes[3] = None
        assert set(codes) <= {"NOT_REGISTERED", "ITEM_CLOSED", "EVENT_CLOSED", None}, codes
        for item in items:
            assert check_item(item) == []
