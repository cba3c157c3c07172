from __future__ import annotations

import uuid

import pytest
from django.db import IntegrityError

from apps.attendance import selectors
from apps.attendance.models import Guest, Paddle, Registration, RegistrationStatus
from apps.attendance.services import common as common_module
from apps.attendance.services import registrations as registrations_module
from apps.attendance.services.checkin import guest_check_in, guest_undo_check_in, walk_in_register
from apps.attendance.services.common import CODE_ALPHABET, CODE_LENGTH, split_name
from apps.attendance.services.guests import guest_remove, guest_update
from apps.attendance.services.paddles import guest_set_bidder_number, paddle_ensure
from apps.attendance.services.registrations import registration_cancel, registration_create
from apps.attendance.services.seating import table_create, table_update
from apps.attendance.tests.factories import (
    EventFactory,
    GuestFactory,
    PaddleFactory,
    RegistrationFactory,
    TableFactory,
)
from apps.core.exceptions import Conflict, ValidationFailed
from apps.core.models import OutboxEmail, OutboxStatus
from apps.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_one_confirmed_registration_per_user_in_database(event, donor):
    Registration.objects.create(event=event, user=donor, code="AAAAAA")
    Registration.objects.create(event=event, user=donor, code="BBBBBB", status=RegistrationStatus.CANCELLED)
    with pytest.raises(IntegrityError):
        Registration.objects.create(event=event, user=donor, code="CCCCCC")


def test_paddle_number_unique_per_event_in_database(event):
    PaddleFactory(event=event, number=5)
    PaddleFactory(number=5)  # another event is fine
    with pytest.raises(IntegrityError):
        Paddle.objects.create(event=event, number=5)


def test_registration_code_alphabet(event, donor):
    reg = registration_create(event=event, user=donor)
    assert len(reg.code) == CODE_LENGTH
    assert set(reg.code) <= set(CODE_ALPHABET)
    assert not set(reg.code) & set("01OIL")


def test_paddle_ensure_fills_gaps_and_reuses_released_numbers(event):
    for n in (100, 101, 103):
        PaddleFactory(event=event, number=n)
    a = RegistrationFactory(event=event).guests.get()
    b = RegistrationFactory(event=event).guests.get()
    assert paddle_ensure(guest=a).number == 102
    assert paddle_ensure(guest=a).number == 102  # idempotent
    assert paddle_ensure(guest=b).number == 104
    Paddle.objects.filter(event=event, number=101).delete()
    c = RegistrationFactory(event=event).guests.get()
    assert paddle_ensure(guest=c).number == 101


def test_numbers_below_start_do_not_count(event):
    PaddleFactory(event=event, number=5)
    guest = RegistrationFactory(event=event).guests.get()
    assert paddle_ensure(guest=guest).number == 100


def test_selectors_for_auctions(event, donor):
    reg = RegistrationFactory(event=event, user=donor)
    own = reg.guests.get()
    assert selectors.bidder_guest_for(user=donor, event=event) == own
    assert selectors.bidder_guest_for(user=UserFactory(), event=event) is None
    linked_user = UserFactory()
    linked = GuestFactory(registration=RegistrationFactory(event=event), user=linked_user)
    assert selectors.bidder_guest_for(user=linked_user, event=event) == linked
    paddle = paddle_ensure(guest=own)
    assert selectors.paddle_by_number(event=event, number=paddle.number) == paddle
    assert selectors.paddle_by_number(event=event, number="x") is None
    assert selectors.paddle_by_number(event=event, number=999) is None
    assert selectors.paddle_has_activity(paddle) is False
    reg.status = RegistrationStatus.CANCELLED
    reg.save()
    assert selectors.bidder_guest_for(user=donor, event=event) is None


def test_paddle_with_activity_is_kept_on_cancel(event, donor, monkeypatch):
    reg = RegistrationFactory(event=event, user=donor)
    guest = reg.guests.get()
    paddle = paddle_ensure(guest=guest)
    monkeypatch.setattr(registrations_module, "paddle_has_activity", lambda p: True)
    monkeypatch.setattr(common_module, "paddle_has_activity", lambda p: True)
    registration_cancel(registration=reg, actor=donor)
    guest.refresh_from_db()
    assert guest.paddle == paddle
    assert Paddle.objects.filter(pk=paddle.pk, registration=reg).exists()


def test_paddle_has_activity_walks_reverse_relations(event, donor):
    """Any other model pointing at Paddle counts — the auctions app's bids, and even an item's leader
    paddle declared with ``related_name="+"`` — and such a paddle survives a cancellation."""
    from decimal import Decimal

    from apps.auctions.models import Bid
    from apps.auctions.tests.factories import ItemFactory

    reg = RegistrationFactory(event=event, user=donor)
    guest = reg.guests.get()
    paddle = paddle_ensure(guest=guest)
    assert selectors.paddle_has_activity(paddle) is False
    item = ItemFactory(event=event)
    item.leader_paddle = paddle
    item.save()
    assert selectors.paddle_has_activity(paddle) is True
    item.leader_paddle = None
    item.save()
    Bid.objects.create(
        item=item, paddle=paddle, user=donor, amount=Decimal("100.00"), position=1, sequence=1, placement=uuid.uuid4()
    )
    assert selectors.paddle_has_activity(paddle) is True
    registration_cancel(registration=reg, actor=donor)
    assert Paddle.objects.filter(pk=paddle.pk).exists()
    guest.refresh_from_db()
    assert guest.paddle_id == paddle.pk


def test_guest_set_bidder_number_rejects_non_positive(event):
    guest = RegistrationFactory(event=event).guests.get()
    with pytest.raises(ValidationFailed):
        guest_set_bidder_number(guest=guest, actor=None, number=0)
    with pytest.raises(ValidationFailed):
        guest_set_bidder_number(guest=guest, actor=None, number=True)


def test_guest_remove_refuses_checked_in_and_releases_paddle(event, staff):
    reg = RegistrationFactory(event=event)
    extra = GuestFactory(registration=reg)
    guest_check_in(guest=extra, actor=staff)
    with pytest.raises(Conflict):
        guest_remove(guest=extra, actor=staff)
    guest_undo_check_in(guest=extra, actor=staff)
    number = Guest.objects.get(pk=extra.pk).paddle.number
    guest_remove(guest=Guest.objects.get(pk=extra.pk), actor=staff)
    assert not Paddle.objects.filter(event=event, number=number).exists()


def test_email_change_unlinks_and_reinvites(event, donor, mailoutbox, django_capture_on_commit_callbacks):
    reg = RegistrationFactory(event=event, user=donor)
    guest = GuestFactory(registration=reg, email="old@example.net", user=UserFactory(email="old@example.net"))
    UserFactory(email="new@example.net")
    with django_capture_on_commit_callbacks(execute=True):
        updated = guest_update(guest=guest, actor=donor, data={"email": "NEW@example.net"})
    # The new address's account is linked only when it accepts the invitation, never by e-mail match.
    assert updated.user is None
    assert [m.to for m in mailoutbox] == [["new@example.net"]]
    with pytest.raises(ValidationFailed):
        guest_update(guest=reg.guests.get(is_registrant=True), actor=donor, data={"email": "x@y.z"})


def test_mail_failure_never_breaks_registration(event, donor, monkeypatch, django_capture_on_commit_callbacks):
    def boom(*args, **kwargs):
        raise OSError("smtp down")

    monkeypatch.setattr("django.core.mail.EmailMultiAlternatives.send", boom)
    with django_capture_on_commit_callbacks(execute=True):
        reg = registration_create(event=event, user=donor, guests=[{"email": "g@example.net"}])
    assert reg.status == RegistrationStatus.CONFIRMED
    # both mails (confirmation, guest invitation) wait in the outbox for their retry
    rows = OutboxEmail.objects.order_by("template")
    assert [(r.template, r.status) for r in rows] == [
        ("attendance/guest_invitation", OutboxStatus.FAILED),
        ("attendance/registration_confirmed", OutboxStatus.FAILED),
    ]
    assert all("smtp down" in r.last_error and r.next_attempt_at for r in rows)


def test_search_code_alphabet_matches_services():
    assert frozenset(CODE_ALPHABET) == selectors._CODE_CHARS


def test_split_name():
    assert split_name("") == ("", "")
    assert split_name("Cher") == ("Cher", "")
    assert split_name("  Mary  Ann Smith ") == ("Mary Ann", "Smith")


def test_table_number_unique_in_service(event):
    table_create(event=event, actor=None, number=1, capacity=4)
    with pytest.raises(ValidationFailed):
        table_create(event=event, actor=None, number=1, capacity=4)
    table = TableFactory(event=event, number=2)
    with pytest.raises(ValidationFailed):
        table_update(table=table, actor=None, data={"number": 1})


def test_event_full_reports_seats_left():
    event = EventFactory(capacity=2)
    with pytest.raises(Conflict) as exc:
        registration_create(event=event, user=UserFactory(), guests=[{}, {}])
    assert exc.value.code == "EVENT_FULL" and exc.value.extra["seats_left"] == 2


def test_check_in_counter_counts_committed_first_check_ins_only(event, staff, django_capture_on_commit_callbacks):
    """``augeo_check_ins_total`` (apps.core.metrics) grows once per guest checked in, after commit:
    a repeat scan and a rolled-back check-in are not counted; a walk-in is."""
    from django.db import transaction

    from apps.core import metrics

    guest = RegistrationFactory(event=event).guests.get()
    before = metrics.check_ins._value.get()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        guest_check_in(guest=guest, actor=staff)
    assert len(callbacks) == 1
    assert metrics.check_ins._value.get() == before + 1
    with django_capture_on_commit_callbacks(execute=True):
        assert guest_check_in(guest=guest, actor=staff).already_checked_in is True
    assert metrics.check_ins._value.get() == before + 1

    other = RegistrationFactory(event=event).guests.get()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        guest_check_in(guest=other, actor=staff)
        raise RuntimeError("rolled back")
    assert metrics.check_ins._value.get() == before + 1

    with django_capture_on_commit_callbacks(execute=True):
        walk_in_register(event=event, actor=staff, first_name="Walk", last_name="In")
    assert metrics.check_ins._value.get() == before + 2


@pytest.mark.django_db(transaction=True)
def test_row_locks_refuse_to_run_outside_a_transaction_and_read_inside_one():
    """The compiled locks (apps.attendance.locks): outside a transaction the lock would end with the
    statement, so they refuse, as ``select_for_update`` does; inside one they read the row (a
    missing row: DoesNotExist, or None for a paddle)."""

    from django.db import transaction
    from django.db.transaction import TransactionManagementError

    from apps.attendance.locks import lock_guest, lock_paddle, lock_registration

    registration = RegistrationFactory()
    guest = registration.guests.get()
    with pytest.raises(TransactionManagementError):
        lock_guest(guest.pk)
    with transaction.atomic():
        locked = lock_guest(guest.pk)
        assert (locked.pk, locked.registration_id, locked.user_id) == (guest.pk, registration.pk, guest.user_id)
        assert lock_registration(registration.pk).status == registration.status
        assert lock_paddle(uuid.uuid4()) is None
        with pytest.raises(Registration.DoesNotExist):
            lock_registration(uuid.uuid4())
        with pytest.raises(Guest.DoesNotExist):
            lock_guest(uuid.uuid4())
