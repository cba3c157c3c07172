"""bid_place per bidding.md: eligibility, paddles, amounts, proxy rules, soft close, outbox, audit."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any
from unittest import mock

import pytest
from django.core import mail
from django.utils import timezone

from apps.attendance.models import Paddle
from apps.auctions.invariants import check_item
from apps.auctions.models import Bid, ImmutableRowError, ItemKind, ItemStatus
from apps.auctions.selectors import bid_context
from apps.auctions.services.bidding import bid_place, bid_place_for_bidder
from apps.auctions.services.closing import item_close
from apps.auctions.tests.factories import ItemFactory, bidder, context_of, register
from apps.core.exceptions import Conflict, PermissionDenied, ValidationFailed
from apps.core.models import AuditEntry, OutboxEmail, OutboxStatus
from apps.npos.models import NPOStatus
from apps.npos.tests.factories import MembershipFactory
from apps.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db
D = Decimal


def bid(item, user, amount, max_amount=None):
    return bid_place(context=context_of(user, item), amount=amount, max_amount=max_amount)


def visible_rows(item):
    return [
        (b.paddle.number, str(b.amount), b.automatic)
        for b in Bid.objects.filter(item=item, visible=True).select_related("paddle").order_by("sequence")
    ]


def test_worked_example_through_the_service() -> None:
    item = ItemFactory(starting_bid=D("100"), bid_increment=D("10"))
    a, b = bidder(item.event, 101), bidder(item.event, 102)
    r = bid(item, a, "100", "200")
    assert r.leading and r.current_bid == D("100") and r.min_next_bid == D("110")
    r = bid(item, b, "110")
    assert not r.leading and r.current_bid == D("120")
    assert visible_rows(item) == [(101, "100.00", False), (102, "110.00", False), (101, "120.00", True)]
    r = bid(item, b, "250")
    assert r.leading and r.current_bid == D("250")
    assert visible_rows(item)[-2:] == [(101, "200.00", True), (102, "250.00", False)]
    with pytest.raises(Conflict) as exc:
        bid(item, a, "255")
    assert exc.value.code == "BID_TOO_LOW" and exc.value.extra["min_bid"] == "260.00"
    item.refresh_from_db()
    assert item.bid_count == 5 and item.current_bid == D("250") and item.leader_paddle.number == 102
    assert list(Bid.objects.filter(item=item).order_by("sequence").values_list("sequence", flat=True)) == [
        1,
        2,
        3,
        4,
        5,
    ]
    assert check_item(item) == []


def test_own_row_carries_max_and_answer_shape() -> None:
    item = ItemFactory()
    a = bidder(item.event, 101)
    r = bid(item, a, "100", "300")
    assert r.bid.max_amount == D("300") and r.bid.paddle.number == 101 and r.bid.user == a and not r.bid.automatic


def test_rule2_leader_raising_max_adds_invisible_row_and_keeps_price() -> None:
    item = ItemFactory()
    a = bidder(item.event, 101)
    bid(item, a, "100", "200")
    r = bid(item, a, "110", "400")
    assert r.leading and r.current_bid == D("100")
    item.refresh_from_db()
    assert item.bid_count == 1 and item.leader_max == D("400")
    assert item.last_sequence == 1 and item.last_position == 2 and r.bid.sequence is None
    with pytest.raises(Conflict) as exc:
        bid(item, a, "110", "300")
    assert exc.value.code == "ALREADY_LEADING"


def test_tie_goes_to_earlier_maximum() -> None:
    item = ItemFactory(bid_increment=D("10"))
    a, b = bidder(item.event, 101), bidder(item.event, 102)
    bid(item, a, "100", "200")
    r = bid(item, b, "150", "200")
    assert not r.leading and r.current_bid == D("200")
    assert visible_rows(item)[-2:] == [(102, "200.00", False), (101, "200.00", True)]
    assert check_item(item) == []


def test_reserve_bump_and_close_sold() -> None:
    item = ItemFactory(reserve=D("500"))
    a = bidder(item.event, 101)
    r = bid(item, a, "100", "600")
    assert r.current_bid == D("500")
    closed = item_close(item=item)
    assert closed.status == ItemStatus.SOLD and closed.winning_amount == D("500") and closed.winner_paddle.number == 101


def test_close_below_reserve_is_unsold() -> None:
    item = ItemFactory(reserve=D("500"))
    bid(item, bidder(item.event, 101), "100", "300")
    assert item_close(item=item).status == ItemStatus.UNSOLD


def test_first_bid_assigns_lowest_free_paddle() -> None:
    item = ItemFactory()
    item.event.next_bidder_number = 100
    item.event.save()
    Paddle.objects.create(event=item.event, number=100)
    guest = register(item.event)
    bid(item, guest.user, "100")
    guest.refresh_from_db()
    assert guest.paddle.number == 101
    assert Bid.objects.get(item=item).paddle == guest.paddle


# --- eligibility ---------------------------------------------------------------------------------


def code_of(fn) -> str:
    with pytest.raises(Conflict) as exc:
        fn()
    return exc.value.code


def test_not_registered() -> None:
    item = ItemFactory()
    assert code_of(lambda: bid(item, UserFactory(), "100")) == "NOT_REGISTERED"


def test_cancelled_registration_is_not_registered() -> None:
    item = ItemFactory()
    a = bidder(item.event, 101)
    a.guest.registration.status = "cancelled"
    a.guest.registration.save()
    assert code_of(lambda: bid(item, a, "100")) == "NOT_REGISTERED"


def test_checkin_is_needed_to_bid() -> None:
    item = ItemFactory()
    item.event.checkin_required_to_bid = True
    item.event.save()
    assert code_of(lambda: bid(item, bidder(item.event, 101), "100")) == "CHECKIN_REQUIRED"
    assert bid(item, bidder(item.event, 102, checked_in=True), "100").leading


def test_prebidding_allowed_without_the_checkin_rule() -> None:
    item = ItemFactory()
    assert bid(item, bidder(item.event, 101), "100").leading


def test_npo_suspended() -> None:
    item = ItemFactory()
    a = bidder(item.event, 101)
    item.event.npo.status = NPOStatus.SUSPENDED
    item.event.npo.save()
    assert code_of(lambda: bid(item, a, "100")) == "NPO_SUSPENDED"


@pytest.mark.parametrize("status", [ItemStatus.DRAFT, ItemStatus.WITHDRAWN])
def test_item_not_open(status: str) -> None:
    item = ItemFactory(status=status)
    assert code_of(lambda: bid(item, bidder(item.event, 101), "100")) == "ITEM_NOT_OPEN"


def test_item_not_open_before_opens_at() -> None:
    item = ItemFactory(opens_at=timezone.now() + timedelta(hours=1))
    assert code_of(lambda: bid(item, bidder(item.event, 101), "100")) == "ITEM_NOT_OPEN"


@pytest.mark.parametrize("status", [ItemStatus.SOLD, ItemStatus.UNSOLD])
def test_item_closed_status(status: str) -> None:
    item = ItemFactory(status=status)
    assert code_of(lambda: bid(item, bidder(item.event, 101), "100")) == "ITEM_CLOSED"


def test_item_closed_at_closes_at_while_still_open() -> None:
    item = ItemFactory(closes_at=timezone.now() + timedelta(minutes=5))
    a = bidder(item.event, 101)
    with mock.patch("apps.auctions.services.bidding.timezone.now", return_value=item.closes_at):
        assert code_of(lambda: bid(item, a, "100")) == "ITEM_CLOSED"
    assert Bid.objects.count() == 0


def test_time_is_read_after_the_lock() -> None:
    """The time that decides is read once the item row is locked: the clock answers "still open"
    until the lock is held and "closed" from then on, so a clock read before the lock would accept
    the bid and fail this test."""
    from apps.auctions.services import bidding

    item = ItemFactory(closes_at=timezone.now() + timedelta(minutes=5))
    a = bidder(item.event, 101)
    held = {"lock": False}
    real_lock = bidding.lock_item_for_bid

    def lock_item(item: Any) -> Any:
        row = real_lock(item)
        held["lock"] = True
        return row

    def clock() -> Any:
        return item.closes_at if held["lock"] else item.closes_at - timedelta(seconds=1)

    with (
        mock.patch.object(bidding, "lock_item_for_bid", lock_item),
        mock.patch("apps.auctions.services.bidding.timezone.now", side_effect=clock),
    ):
        assert code_of(lambda: bid(item, a, "100")) == "ITEM_CLOSED"
    assert held["lock"]


def test_live_item_refuses_online_bids() -> None:
    item = ItemFactory(kind=ItemKind.LIVE)
    assert code_of(lambda: bid(item, bidder(item.event, 101), "100")) == "LIVE_ITEM"


def test_buy_now_only_item_refuses_bids() -> None:
    item = ItemFactory(kind=ItemKind.BUY_NOW_ONLY, buy_now_price=D("50"), quantity=5)
    assert code_of(lambda: bid(item, bidder(item.event, 101), "100")) == "BUY_NOW_ONLY"


# --- amounts -------------------------------------------------------------------------------------


@pytest.mark.parametrize("amount", ["-5", "0", "abc", "100.001", "", None, "NaN", True])
def test_bad_amounts_are_validation_errors(amount) -> None:
    item = ItemFactory()
    with pytest.raises(ValidationFailed) as exc:
        bid(item, bidder(item.event, 101), amount)
    assert "amount" in exc.value.fields


def test_max_below_amount_is_validation_error() -> None:
    item = ItemFactory()
    with pytest.raises(ValidationFailed) as exc:
        bid(item, bidder(item.event, 101), "150", "120")
    assert "max_amount" in exc.value.fields


def test_bad_max_amount() -> None:
    item = ItemFactory()
    with pytest.raises(ValidationFailed):
        bid(item, bidder(item.event, 101), "150", "1.234")


# --- soft close ----------------------------------------------------------------------------------


def test_soft_close_extends_when_price_changes_in_window() -> None:
    item = ItemFactory(closes_at=timezone.now() + timedelta(minutes=2))
    item.event.soft_close_minutes = 5
    item.event.save()
    a, b = bidder(item.event, 101), bidder(item.event, 102)
    bid(item, a, "100", "300")
    item.refresh_from_db()
    assert item.closes_at > timezone.now() + timedelta(minutes=4)
    extended = item.closes_at
    # The leader raising the maximum does not move the price → no extension.
    with mock.patch("apps.auctions.services.bidding.timezone.now", return_value=extended - timedelta(minutes=1)):
        bid(item, a, "110", "400")
    item.refresh_from_db()
    assert item.closes_at == extended
    with mock.patch("apps.auctions.services.bidding.timezone.now", return_value=extended - timedelta(minutes=1)):
        bid(item, b, "110")
    item.refresh_from_db()
    assert item.closes_at == extended - timedelta(minutes=1) + timedelta(minutes=5)


def test_soft_close_not_triggered_outside_window_or_when_off() -> None:
    closes = timezone.now() + timedelta(hours=2)
    item = ItemFactory(closes_at=closes)
    item.event.soft_close_minutes = 5
    item.event.save()
    bid(item, bidder(item.event, 101), "100")
    item.refresh_from_db()
    assert item.closes_at == closes
    other = ItemFactory(closes_at=timezone.now() + timedelta(minutes=1))
    bid(other, bidder(other.event, 101), "100")
    other.refresh_from_db()
    assert other.closes_at < timezone.now() + timedelta(minutes=2)


# --- clerk bids ----------------------------------------------------------------------------------


def test_clerk_phone_bid_for_bidder_number() -> None:
    item = ItemFactory()
    a = bidder(item.event, 101)
    clerk = UserFactory()
    MembershipFactory(npo=item.event.npo, user=clerk, role="auctioneer")
    r = bid_place_for_bidder(
        context=bid_context(clerk, item),
        bidder_number=101,
        amount="100",
        max_amount="150",
    )
    assert r.leading and r.bid.paddle == a.guest.paddle and r.bid.entered_by == clerk and r.bid.user is None
    entry = AuditEntry.objects.get(action="bid.place_for_bidder")
    assert entry.actor == clerk and "150" not in str(entry.details)


def test_clerk_bid_unknown_number_and_bad_number() -> None:
    item = ItemFactory()
    clerk = UserFactory(is_superuser=True)
    assert code_of(
        lambda: bid_place_for_bidder(
            context=bid_context(clerk, item),
            bidder_number=999,
            amount="100",
        )
    ) == ("BIDDER_NUMBER_UNKNOWN")
    with pytest.raises(ValidationFailed):
        bid_place_for_bidder(
            context=bid_context(clerk, item),
            bidder_number="abc",
            amount="100",
        )


def test_bidder_number_needs_clerk() -> None:
    item = ItemFactory()
    bidder(item.event, 101)
    with pytest.raises(PermissionDenied):
        bid_place_for_bidder(context=bid_context(UserFactory(), item), bidder_number=101, amount="100")


# --- outbox, audit, immutability ------------------------------------------------------------------


def test_outbid_notification_sent_after_commit(django_capture_on_commit_callbacks) -> None:
    item = ItemFactory()
    a, b = bidder(item.event, 101), bidder(item.event, 102)
    with django_capture_on_commit_callbacks(execute=True):
        bid(item, a, "100")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        bid(item, b, "110")
    assert len(callbacks) == 4  # the outbid hand-over, the bids-placed counter, the live bid_placed and outbid
    note = OutboxEmail.objects.get()
    assert note.user == a and note.template == "auctions/outbid" and note.status == OutboxStatus.SENT
    assert note.ref == f"auctions.item:{item.pk}"
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [a.email] and item.title in mail.outbox[0].body


def test_no_notification_when_leader_holds(django_capture_on_commit_callbacks) -> None:
    item = ItemFactory()
    a, b = bidder(item.event, 101), bidder(item.event, 102)
    with django_capture_on_commit_callbacks(execute=True):
        bid(item, a, "100", "500")
        bid(item, b, "110")
    assert OutboxEmail.objects.count() == 0


def test_failing_mail_server_never_fails_the_bid(django_capture_on_commit_callbacks) -> None:
    item = ItemFactory()
    a, b = bidder(item.event, 101), bidder(item.event, 102)
    bid(item, a, "100")
    with (
        mock.patch("django.core.mail.EmailMultiAlternatives.send", side_effect=OSError("smtp down")),
        django_capture_on_commit_callbacks(execute=True),
    ):
        r = bid(item, b, "110")
    assert r.leading
    note = OutboxEmail.objects.get()
    assert note.status == OutboxStatus.FAILED and note.attempts == 1 and "smtp down" in note.last_error
    # The sweep delivers it once its next attempt is due.
    from django.core.management import call_command

    OutboxEmail.objects.filter(pk=note.pk).update(next_attempt_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_notifications")
    note.refresh_from_db()
    assert note.status == OutboxStatus.SENT and len(mail.outbox) == 1


def test_bid_is_audited_without_maximum() -> None:
    item = ItemFactory()
    a = bidder(item.event, 101)
    bid(item, a, "100", "777")
    entry = AuditEntry.objects.get(action="bid.place")
    assert entry.actor == a and entry.npo_id == item.event.npo_id and "777" not in str(entry.details)


def test_bid_rows_are_immutable() -> None:
    item = ItemFactory()
    bid(item, bidder(item.event, 101), "100")
    row = Bid.objects.get()
    row.amount = D("1")
    with pytest.raises(ImmutableRowError):
        row.save()
    with pytest.raises(ImmutableRowError):
        row.delete()


def test_rejected_bid_writes_nothing() -> None:
    item = ItemFactory()
    a = bidder(item.event, 101)
    with pytest.raises(Conflict):
        bid(item, a, "50")
    assert Bid.objects.count() == 0 and AuditEntry.objects.filter(action="bid.place").count() == 0
