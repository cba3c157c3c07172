"""``authz.scope_q`` can be OR-ed with public rows and AND-ed with anything, for every caller. It once
returned an empty ``Q()`` for super admins, and ``Q(public) | Q()`` is ``Q(public)`` in
Django: the documented use narrowed super admins to the public rows, and two selectors guarded
against it by hand."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db.models import Q

from apps.events.models import Event, EventStatus
from apps.events.tests.factories import EventFactory
from apps.npos import authz
from apps.npos.capabilities import Capability
from apps.npos.tests.factories import MembershipFactory
from apps.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PUBLIC = Q(status=EventStatus.PUBLISHED)


@pytest.fixture
def events():
    mine = EventFactory(status=EventStatus.DRAFT)
    other = EventFactory(status=EventStatus.DRAFT)
    public = EventFactory(status=EventStatus.PUBLISHED)
    return mine, other, public


def visible(user, combine):
    return set(Event.objects.filter(combine(PUBLIC, authz.scope_q(user, None))).values_list("pk", flat=True))


def test_scope_q_or_public_keeps_every_row_for_super_admins(events):
    mine, other, public = events
    superuser = UserFactory(is_superuser=True)
    assert visible(superuser, lambda a, b: a | b) == {mine.pk, other.pk, public.pk}
    assert visible(superuser, lambda a, b: b | a) == {mine.pk, other.pk, public.pk}
    assert visible(superuser, lambda a, b: a & b) == {public.pk}


def test_scope_q_for_members_and_anonymous(events):
    mine, _other, public = events
    member = MembershipFactory(npo=mine.npo).user
    assert visible(member, lambda a, b: a | b) == {mine.pk, public.pk}
    assert visible(member, lambda a, b: a & b) == set()
    assert visible(AnonymousUser(), lambda a, b: a | b) == {public.pk}
    assert visible(AnonymousUser(), lambda a, b: a & b) == set()
    outsider = UserFactory()
    assert visible(outsider, lambda a, b: a | b) == {public.pk}
    staff = MembershipFactory(npo=mine.npo, role="staff").user
    only_manage = Event.objects.filter(PUBLIC | authz.scope_q(staff, Capability.EVENTS_MANAGE))
    assert set(only_manage.values_list("pk", flat=True)) == {public.pk}


def test_selectors_without_hand_guards_show_super_admins_everything(events):
    from apps.attendance import selectors as attendance
    from apps.attendance.tests.factories import RegistrationFactory
    from apps.events.selectors import event_for, events_visible_to

    mine, other, public = events
    superuser = UserFactory(is_superuser=True)
    assert {mine.pk, other.pk, public.pk} <= set(events_visible_to(superuser).values_list("pk", flat=True))
    assert event_for(superuser, other.pk).event == other
    registration = RegistrationFactory(event=public)
    assert registration in attendance.registrations_visible_to(superuser)
    assert registration not in attendance.registrations_visible_to(UserFactory())
