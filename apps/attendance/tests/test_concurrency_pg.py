"""Two check-in tablets racing on PostgreSQL with real threads."""

from __future__ import annotations

import pytest

from apps.attendance.models import Guest, Paddle
from apps.attendance.services.checkin import guest_check_in
from apps.attendance.tests.factories import EventFactory, GuestFactory, RegistrationFactory
from apps.core.tests.race import race
from apps.npos.capabilities import Role
from apps.npos.tests.factories import MembershipFactory
from apps.users.tests.factories import UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _race(workers: list[list[Guest]], action) -> list[BaseException]:
    """Each batch on a tablet of its own (a thread), all started together; the errors raised."""
    results = race(*[lambda batch=batch: [action(guest) for guest in batch] for batch in workers])
    return [result for result in results if isinstance(result, BaseException)]


def test_two_tablets_check_in_fifty_guests_each():
    event = EventFactory(next_bidder_number=100)
    staff = UserFactory()
    MembershipFactory(npo=event.npo, user=staff, role=Role.STAFF)
    guests = [RegistrationFactory(event=event).guests.get() for _ in range(100)]

    errors = _race([guests[:50], guests[50:]], lambda g: guest_check_in(guest=g, actor=staff))

    assert errors == []
    numbers = list(Guest.objects.filter(event=event).values_list("paddle__number", flat=True))
    assert len(numbers) == 100 and None not in numbers
    assert len(set(numbers)) == 100
    assert sorted(numbers) == list(range(100, 200))  # lowest-free: no holes either
    assert Guest.objects.filter(event=event, checked_in_at__isnull=True).count() == 0


def test_same_guest_scanned_on_two_tablets_gets_one_paddle():
    event = EventFactory()
    staff = UserFactory()
    MembershipFactory(npo=event.npo, user=staff, role=Role.STAFF)
    reg = RegistrationFactory(event=event)
    household = [reg.guests.get(), *[GuestFactory(registration=reg) for _ in range(9)]]

    errors = _race([household, list(reversed(household))], lambda g: guest_check_in(guest=g, actor=staff))

    assert errors == []
    assert Paddle.objects.filter(event=event).count() == 10
    assert Guest.objects.filter(event=event, paddle__isnull=True).count() == 0
