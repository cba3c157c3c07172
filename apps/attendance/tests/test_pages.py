"""Donor pages: my registration with its QR code, the guest invitation page, and the
registration e-mail's link and times."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.core import mail
from django.test import Client

from apps.attendance.models import Registration
from apps.attendance.qr import code_qr_png, code_qr_svg
from apps.attendance.services.invitations import guest_invitation_send
from apps.attendance.services.registrations import registration_create
from apps.attendance.tests.factories import (
    EventFactory,
    FoodOptionFactory,
    GuestFactory,
    RegistrationFactory,
    TableFactory,
)
from apps.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_my_registration_page_shows_code_qr_party_table_and_meals() -> None:
    event = EventFactory(name="Harvest Gala")
    registration = RegistrationFactory(event=event, code="ABC234")
    me = registration.guests.get()
    table = TableFactory(event=event, number=7, name="Oak")
    me.table = table
    me.food_option = FoodOptionFactory(event=event, name="Risotto")
    me.save()
    GuestFactory(registration=registration, first_name="Plus", last_name="One")
    client = Client()
    client.force_login(registration.user)
    res = client.get(f"/events/{event.pk}/my-registration/")
    assert res.status_code == 200
    html = res.content.decode()
    assert "ABC234" in html and "<svg" in html and "Risotto" in html and "Table 7" in html and "Plus One" in html
    assert code_qr_svg("ABC234") in html


def test_my_registration_needs_sign_in_and_a_registration() -> None:
    event = EventFactory()
    anonymous = Client().get(f"/events/{event.pk}/my-registration/")
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/sign-in/?next=")
    stranger = Client()
    stranger.force_login(UserFactory())
    assert stranger.get(f"/events/{event.pk}/my-registration/").status_code == 404


def test_qr_png_is_a_png() -> None:
    assert code_qr_png("ABC234").startswith(b"\x89PNG")


def test_guest_invitation_page_links_my_account(django_capture_on_commit_callbacks) -> None:
    registration = RegistrationFactory()
    guest = GuestFactory(registration=registration, email="friend@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        invitation = guest_invitation_send(guest=guest, registration=registration, actor=registration.user)
    assert invitation is not None
    token = mail.outbox[-1].body.split("token=")[1].split()[0] if mail.outbox else None
    friend = UserFactory(email="friend@example.org")
    client = Client()
    anonymous = Client().get("/guest-invitations/accept/", {"token": token})
    assert anonymous.status_code == 200 and b"Create an account" in anonymous.content
    client.force_login(friend)
    res = client.post("/guest-invitations/accept/", {"token": token})
    assert res.status_code == 200 and b'data-state="accepted"' in res.content
    guest.refresh_from_db()
    assert guest.user_id == friend.pk


def test_registration_mail_gives_the_start_in_the_event_zone_and_a_working_link(
    django_capture_on_commit_callbacks,
) -> None:
    # 23:00 UTC is 5:00 PM in Chicago (CST in December); the server runs on UTC.
    event = EventFactory(
        timezone="America/Chicago",
        starts_at=datetime(2026, 12, 20, 23, 0, tzinfo=UTC),
        ends_at=datetime(2026, 12, 21, 4, 0, tzinfo=UTC),
    )
    donor = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        registration_create(event=event, user=donor)
    message = mail.outbox[-1]
    body = message.body
    assert "Dec 20, 2026, 5:00 PM CST" in body and "11 p.m." not in body
    code = Registration.objects.get(event=event).code
    [(name, content, mimetype)] = message.attachments  # the QR code of the registration code
    assert name == f"registration-{code}.png" and mimetype == "image/png" and content == code_qr_png(code)
    link = body[body.index("/events/") :].split()[0]
    client = Client()
    client.force_login(donor)
    assert client.get(link).status_code == 200
