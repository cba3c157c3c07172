"""The check-in desk: search by anything a guest carries, one-tap idempotent check-in,
undo for a minute, walk-ins, and only for ``checkin.perform`` of the event's NPO."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from apps.attendance.models import Guest
from apps.attendance.tests.conftest import member
from apps.attendance.tests.factories import (
    EventFactory,
    FoodOptionFactory,
    GuestFactory,
    PaddleFactory,
    RegistrationFactory,
    TableFactory,
)
from apps.core.models import AuditEntry
from apps.npos.capabilities import Role

pytestmark = pytest.mark.django_db


def desk(event):
    return f"/admin/attendance/desk/{event.pk}/"


def logged_in(user):
    client = Client()
    client.force_login(user)
    return client


def test_search_by_code_shows_party_table_meal_and_paddle(event, staff):
    registration = RegistrationFactory(event=event, code="QRC234")
    guest = registration.guests.get()
    guest.table = TableFactory(event=event, number=12)
    guest.food_option = FoodOptionFactory(event=event, name="Vegan")
    guest.paddle = PaddleFactory(event=event, number=342)
    guest.save()
    GuestFactory(registration=registration, first_name="Kim", last_name="Park")
    page = logged_in(staff).get(desk(event), {"q": "qrc234"})  # what a scanner types
    html = page.content.decode()
    assert page.status_code == 200
    assert "QRC234 · 2 guests" in html and "Vegan" in html and "#342" in html and ">12<" in html and "Kim Park" in html
    by_number = logged_in(staff).get(desk(event), {"q": "#342"})
    assert guest.full_name in by_number.content.decode()


def test_one_tap_checks_in_once_and_hands_out_the_paddle(event, staff):
    guest = RegistrationFactory(event=event).guests.get()
    client = logged_in(staff)
    for _ in range(2):  # a double tap
        res = client.post(desk(event), {"action": "check_in", "guest": guest.pk, "q": guest.last_name}, follow=True)
    guest.refresh_from_db()
    assert guest.checked_in_at is not None and guest.paddle.number == 100
    assert AuditEntry.objects.filter(action="attendance.guest_checked_in").count() == 1
    html = res.content.decode()
    assert "was already checked in. Paddle #100." in html
    assert 'value="undo"' in html  # undo within reach for a minute


def test_undo_button_goes_after_a_minute_and_undo_works(event, staff):
    guest = RegistrationFactory(event=event).guests.get()
    client = logged_in(staff)
    client.post(desk(event), {"action": "check_in", "guest": guest.pk})
    Guest.objects.filter(pk=guest.pk).update(checked_in_at=timezone.now() - timedelta(minutes=2))
    assert 'value="undo"' not in client.get(desk(event), {"q": guest.last_name}).content.decode()
    Guest.objects.filter(pk=guest.pk).update(checked_in_at=timezone.now())
    client.post(desk(event), {"action": "undo", "guest": guest.pk})
    guest.refresh_from_db()
    assert guest.checked_in_at is None and guest.paddle is not None


def test_walk_in_registers_and_checks_in(event, staff):
    meal = FoodOptionFactory(event=event, name="Fish")
    res = logged_in(staff).post(
        f"{desk(event)}walk-in/",
        {"first_name": "Wally", "last_name": "Walker", "email": "wally@example.org", "food_option": str(meal.pk)},
        follow=True,
    )
    guest = Guest.objects.get(last_name="Walker")
    assert guest.checked_in_at is not None and guest.food_option == meal and guest.paddle is not None
    assert f"Paddle #{guest.paddle.number}" in res.content.decode()
    bad = logged_in(staff).post(f"{desk(event)}walk-in/", {"first_name": "", "last_name": "X"}, follow=True)
    assert "was not registered" in bad.content.decode()


def test_only_checkin_perform_of_the_npo_opens_the_desk(event, staff):
    assert logged_in(member(event, Role.AUCTIONEER)).get(desk(event)).status_code == 404
    other = EventFactory()
    assert logged_in(staff).get(desk(other)).status_code == 404
    assert logged_in(member(event, Role.COORDINATOR)).get(desk(event)).status_code == 200
    foreign = RegistrationFactory(event=other).guests.get()
    logged_in(staff).post(desk(event), {"action": "check_in", "guest": foreign.pk})
    foreign.refresh_from_db()
    assert foreign.checked_in_at is None


def test_the_desk_answers_in_a_fixed_number_of_queries(event, staff, django_assert_num_queries):
    client = logged_in(staff)
    for _ in range(3):
        RegistrationFactory(event=event, user__last_name="Quinn")
    client.get(desk(event), {"q": "quinn"})  # warm the session and caches
    with django_assert_num_queries(9) as few:
        client.get(desk(event), {"q": "quinn"})
    for _ in range(12):
        GuestFactory(registration=RegistrationFactory(event=event, user__last_name="Quinn"), last_name="Quinn")
    with django_assert_num_queries(len(few.captured_queries)):
        page = client.get(desk(event), {"q": "quinn"})
    assert page.content.decode().count('class="desk-row') == 25  # at most RESULTS_LIMIT rows
