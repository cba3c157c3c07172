"""Guest invitations: an account is linked to an invited guest only when it
accepts the invitation's single-use link; a guest with paddle activity keeps their identity; the
invitation mail has daily limits and only plain-text names."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.test import override_settings
from django.utils import timezone

from apps.attendance.models import Guest, GuestInvitation, GuestInvitationStatus, Paddle
from apps.attendance.services.guests import guest_add, guest_update
from apps.attendance.services.paddles import paddle_ensure
from apps.attendance.services.registrations import registration_cancel
from apps.attendance.tests.factories import GuestFactory, PaddleFactory, RegistrationFactory
from apps.auctions.tests.factories import ItemFactory
from apps.core.models import AuditEntry
from apps.users.tests.factories import DEFAULT_PASSWORD, UserFactory
from conftest import client_for

pytestmark = pytest.mark.django_db

ACCEPT = "/api/v1/guest-invitations/accept/"


def guest_url(reg, guest, tail=""):
    return f"/api/v1/registrations/{reg.id}/guests/{guest.id}/{tail}"


def last_token(address: str) -> str:
    """The token of the newest invitation mailed to ``address`` (from the mail's text)."""
    message = [m for m in mail.outbox if m.to == [address]][-1]
    return re.search(r"token=([\w-]+)", message.body).group(1)


def invite(donor, reg, address, capture, **extra):
    """``donor`` adds a guest with ``address`` through the API; returns (guest, token)."""
    with capture(execute=True):
        res = client_for(donor).post(f"/api/v1/registrations/{reg.id}/guests/", {"email": address, **extra})
    assert res.status_code == 201, res.json()
    return Guest.objects.get(pk=res.json()["id"]), last_token(address)


# --- item 2: no hand-over by e-mail ------------------------------------------------------------------


def test_guest_email_change_cannot_hand_over_a_paddle(event, donor, django_capture_on_commit_callbacks):
    """A registrant pointed a guest's e-mail at another account: the paddle, its bids and its private
    maximum went with it. A guest whose paddle has activity keeps their e-mail now."""
    reg = RegistrationFactory(event=event, user=donor)
    friend = UserFactory(email="friend@example.net")
    guest, token = invite(donor, reg, "friend@example.net", django_capture_on_commit_callbacks)
    assert client_for(friend).post(ACCEPT, {"token": token}).status_code == 200
    item = ItemFactory(event=event)
    assert (
        client_for(friend).post(f"/api/v1/items/{item.pk}/bids/", {"amount": "100", "max_amount": "900"}).status_code
        == 201
    )
    paddle = Guest.objects.get(pk=guest.pk).paddle
    thief = UserFactory(email="thief@example.net")

    res = client_for(donor).patch(guest_url(reg, guest), {"email": "thief@example.net"})

    assert res.status_code == 409 and res.json()["error"]["code"] == "GUEST_HAS_ACTIVITY"
    guest.refresh_from_db()
    assert guest.email == "friend@example.net" and guest.user == friend and guest.paddle == paddle
    assert client_for(thief).get(f"/api/v1/items/{item.pk}/").json()["my_max_bid"] is None
    # Other fields of such a guest may still change.
    assert client_for(donor).patch(guest_url(reg, guest), {"phone": "+15550100"}).status_code == 200


def test_email_change_without_activity_unlinks_and_releases_the_paddle(
    event, donor, django_capture_on_commit_callbacks
):
    reg = RegistrationFactory(event=event, user=donor)
    friend = UserFactory(email="friend@example.net")
    guest, token = invite(donor, reg, "friend@example.net", django_capture_on_commit_callbacks)
    client_for(friend).post(ACCEPT, {"token": token})
    paddle_ensure(guest=Guest.objects.get(pk=guest.pk))
    number = Guest.objects.get(pk=guest.pk).paddle.number
    newcomer = UserFactory(email="new@example.net")

    with django_capture_on_commit_callbacks(execute=True):
        res = client_for(donor).patch(guest_url(reg, guest), {"email": "new@example.net"})

    assert res.status_code == 200 and res.json()["linked"] is False and res.json()["bidder_number"] is None
    guest.refresh_from_db()
    assert guest.user is None and guest.paddle is None
    assert not Paddle.objects.filter(event=event, number=number).exists()
    # The old link is dead; the new address gets its own invitation.
    assert client_for(friend).post(ACCEPT, {"token": token}).status_code in (403, 410)
    assert client_for(newcomer).post(ACCEPT, {"token": last_token("new@example.net")}).status_code == 200
    assert AuditEntry.objects.filter(action="attendance.guest_email_changed").exists()


def test_household_paddle_stays_with_the_household_when_a_guest_email_changes(event, donor):
    reg = RegistrationFactory(event=event, user=donor)
    registrant = reg.guests.get()
    guest = GuestFactory(registration=reg, email="kid@example.net")
    shared = PaddleFactory(event=event, number=150, registration=reg)
    Guest.objects.filter(pk__in=[registrant.pk, guest.pk]).update(paddle=shared)
    guest_update(guest=guest, actor=donor, data={"email": "other@example.net"})
    guest.refresh_from_db()
    assert guest.paddle is None and Paddle.objects.filter(pk=shared.pk).exists()
    assert Guest.objects.get(pk=registrant.pk).paddle == shared


def test_signing_in_with_the_address_links_nothing(event, donor, client):
    """Auto-linking is gone: not at session login, not at JWT login, not at e-mail verification,
    not when the guest is added with an address that already has an account."""
    reg = RegistrationFactory(event=event, user=donor)
    friend = UserFactory(email="friend@example.net")
    res = client_for(donor).post(f"/api/v1/registrations/{reg.id}/guests/", {"email": "friend@example.net"})
    assert res.status_code == 201 and res.json()["linked"] is False
    client.force_login(friend)  # sends user_logged_in
    assert (
        client_for(None)
        .post("/api/v1/auth/login/", {"email": "friend@example.net", "password": DEFAULT_PASSWORD})
        .status_code
        == 200
    )
    friend.email_verified_at = timezone.now()
    friend.save()
    guest = Guest.objects.get(pk=res.json()["id"])
    assert guest.user is None
    assert client_for(friend).get(f"/api/v1/events/{event.id}/my-registration/").status_code == 404
    item = ItemFactory(event=event)
    bid = client_for(friend).post(f"/api/v1/items/{item.pk}/bids/", {"amount": "100"})
    assert bid.status_code == 409 and bid.json()["error"]["code"] == "NOT_REGISTERED"


def test_linked_flag_does_not_reveal_whether_an_address_has_an_account(event, donor):
    UserFactory(email="known@example.net")
    res = client_for(donor).post(
        f"/api/v1/events/{event.id}/registrations/",
        {"guests": [{"email": "known@example.net"}, {"email": "unknown@example.net"}]},
        format="json",
    )
    assert res.status_code == 201
    assert [g["linked"] for g in res.json()["guests"]] == [True, False, False]  # the registrant, then both


# --- accepting ---------------------------------------------------------------------------------------


def test_accept_links_the_account_which_then_sees_the_party_and_bids(event, donor, django_capture_on_commit_callbacks):
    reg = RegistrationFactory(event=event, user=donor)
    friend = UserFactory(email="Friend@Example.net")
    guest, token = invite(donor, reg, "friend@example.net", django_capture_on_commit_callbacks)
    body = mail.outbox[-1].body
    assert f"/guest-invitations/accept/?token={token}" in body

    res = client_for(friend).post(ACCEPT, {"token": token})

    assert res.status_code == 200, res.json()
    assert res.json()["guest"]["id"] == str(guest.id) and res.json()["guest"]["linked"] is True
    assert res.json()["registration"]["code"] == reg.code
    assert Guest.objects.get(pk=guest.pk).user == friend
    mine = client_for(friend).get(f"/api/v1/events/{event.id}/my-registration/")
    assert mine.status_code == 200 and mine.json()["is_owner"] is False
    item = ItemFactory(event=event)
    assert client_for(friend).post(f"/api/v1/items/{item.pk}/bids/", {"amount": "100"}).status_code == 201
    assert AuditEntry.objects.filter(action="attendance.guest_invitation_accepted", actor=friend).exists()
    again = client_for(friend).post(ACCEPT, {"token": token})
    assert again.status_code == 410 and again.json()["error"]["code"] == "GONE"


def test_accept_refusals(event, donor, django_capture_on_commit_callbacks):
    reg = RegistrationFactory(event=event, user=donor)
    guest, token = invite(donor, reg, "friend@example.net", django_capture_on_commit_callbacks)
    assert client_for(None).post(ACCEPT, {"token": token}).status_code == 401
    assert client_for(UserFactory()).post(ACCEPT, {"token": token}).status_code == 403
    unverified = UserFactory(email="friend@example.net", email_verified_at=None)
    assert client_for(unverified).post(ACCEPT, {"token": token}).status_code == 403
    assert client_for(donor).post(ACCEPT, {"token": "nope"}).status_code == 404
    assert client_for(donor).post(ACCEPT, {}).status_code == 400
    assert Guest.objects.get(pk=guest.pk).user is None


def test_expired_replaced_and_cancelled_invitations_are_gone(event, donor, django_capture_on_commit_callbacks):
    reg = RegistrationFactory(event=event, user=donor)
    friend = UserFactory(email="friend@example.net")
    guest, first = invite(donor, reg, "friend@example.net", django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        assert client_for(donor).post(guest_url(reg, guest, "invite/")).status_code == 200
    second = last_token("friend@example.net")
    assert second != first
    assert client_for(friend).post(ACCEPT, {"token": first}).status_code == 410  # replaced by the resend
    GuestInvitation.objects.filter(status=GuestInvitationStatus.PENDING).update(expires_at=timezone.now())
    assert client_for(friend).post(ACCEPT, {"token": second}).status_code == 410  # expired
    GuestInvitation.objects.filter(status=GuestInvitationStatus.PENDING).update(
        expires_at=timezone.now() + timedelta(days=1)
    )
    registration_cancel(registration=reg, actor=donor)
    assert client_for(friend).post(ACCEPT, {"token": second}).status_code == 410  # cancelled
    assert Guest.objects.get(pk=guest.pk).user is None


def test_removed_guest_invitation_is_gone(event, donor, django_capture_on_commit_callbacks):
    reg = RegistrationFactory(event=event, user=donor)
    friend = UserFactory(email="friend@example.net")
    guest, token = invite(donor, reg, "friend@example.net", django_capture_on_commit_callbacks)
    assert client_for(donor).delete(guest_url(reg, guest)).status_code == 204
    assert client_for(friend).post(ACCEPT, {"token": token}).status_code == 410


def test_accepting_while_already_attending_is_409(event, donor, django_capture_on_commit_callbacks):
    friend = UserFactory(email="friend@example.net")
    RegistrationFactory(event=event, user=friend)
    reg = RegistrationFactory(event=event, user=donor)
    _guest, token = invite(donor, reg, "friend@example.net", django_capture_on_commit_callbacks)
    res = client_for(friend).post(ACCEPT, {"token": token})
    assert res.status_code == 409 and res.json()["error"]["code"] == "ALREADY_REGISTERED"


def test_resend_rules(event, donor, staff, django_capture_on_commit_callbacks):
    reg = RegistrationFactory(event=event, user=donor)
    placeholder = GuestFactory(registration=reg, email="")
    assert client_for(donor).post(guest_url(reg, placeholder, "invite/")).status_code == 400
    registrant = reg.guests.get(is_registrant=True)
    assert client_for(donor).post(guest_url(reg, registrant, "invite/")).status_code == 409
    guest = GuestFactory(registration=reg, email="g@example.net")
    assert client_for(staff).post(guest_url(reg, guest, "invite/")).status_code == 403  # attendance.view only
    assert client_for(UserFactory()).post(guest_url(reg, guest, "invite/")).status_code == 404


# --- item 5: limits and plain-text names -----------------------------------------------------------


def test_invitation_mails_are_limited_per_guest(event, donor, django_capture_on_commit_callbacks):
    """Ten PATCHes of a guest's e-mail were ten mails from the platform's address in a second."""
    reg = RegistrationFactory(event=event, user=donor)
    guest = GuestFactory(registration=reg, email="")
    client = client_for(donor)
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(3):
            assert client.patch(guest_url(reg, guest), {"email": f"v{n}@example.net"}).status_code == 200
        res = client.patch(guest_url(reg, guest), {"email": "v3@example.net", "first_name": "Zed"})
    assert res.status_code == 429 and res.json()["error"]["code"] == "THROTTLED"
    assert 0 < int(res["Retry-After"]) <= 24 * 3600 + 1
    assert len(mail.outbox) == 3
    guest.refresh_from_db()
    assert guest.email == "v2@example.net" and guest.first_name != "Zed"  # nothing half-written
    # Name changes send no mail, so they are not limited.
    assert client.patch(guest_url(reg, guest), {"first_name": "Zed"}).status_code == 200
    assert client.post(guest_url(reg, guest, "invite/")).status_code == 429
    # A day later the guest may be invited again.
    GuestInvitation.objects.update(created_at=timezone.now() - timedelta(hours=25))
    assert client.patch(guest_url(reg, guest), {"email": "v3@example.net"}).status_code == 200


@override_settings(GUEST_INVITATIONS_PER_REGISTRATION_PER_DAY=4)
def test_invitation_mails_are_limited_per_registration_and_removing_guests_does_not_reset(
    event, donor, django_capture_on_commit_callbacks
):
    reg = RegistrationFactory(event=event, user=donor)
    client = client_for(donor)
    url = f"/api/v1/registrations/{reg.id}/guests/"
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(4):
            res = client.post(url, {"email": f"g{n}@example.net"})
            assert res.status_code == 201
            assert client.delete(f"{url}{res.json()['id']}/").status_code == 204
        refused = client.post(url, {"email": "g4@example.net"})
    assert refused.status_code == 429 and "Retry-After" in refused
    assert len(mail.outbox) == 4
    assert not Guest.objects.filter(email="g4@example.net").exists()
    assert client.post(url, {"name": "No Mail"}).status_code == 201  # a guest without e-mail is no mail


@override_settings(GUEST_INVITATIONS_PER_REGISTRATION_PER_DAY=2)
def test_registration_with_more_invited_guests_than_a_day_allows_is_400(event, donor):
    guests = [{"email": f"g{n}@example.net"} for n in range(3)]
    res = client_for(donor).post(f"/api/v1/events/{event.id}/registrations/", {"guests": guests}, format="json")
    assert res.status_code == 400 and "guests" in res.json()["error"]["fields"]


@pytest.mark.parametrize(
    "name",
    [
        "Click https://evil.example/win",
        "visit www.evil.example",
        "Ann evil.example",
        "mail me@evil.example",
        "x" * 61,
        "Ann\r\nBcc: victim@example.net",
        "<b>Ann</b>",
    ],
)
def test_names_used_in_mails_are_plain_text(event, donor, name):
    reg = RegistrationFactory(event=event, user=donor)
    url = f"/api/v1/registrations/{reg.id}/guests/"
    for body in ({"first_name": name}, {"last_name": name}, {"name": name}):
        res = client_for(donor).post(url, body)
        assert res.status_code == 400, (body, res.json())
        assert res.json()["error"]["code"] == "VALIDATION_ERROR"
    guest = GuestFactory(registration=reg)
    assert client_for(donor).patch(guest_url(reg, guest), {"first_name": name}).status_code == 400
    res = client_for(UserFactory()).post(
        f"/api/v1/events/{event.id}/registrations/", {"guests": [{"name": name}]}, format="json"
    )
    assert res.status_code == 400 and "guests.0.name" in res.json()["error"]["fields"]


def test_ordinary_names_pass(event, donor):
    reg = RegistrationFactory(event=event, user=donor)
    for name in ("Mary-Ann O'Brien", "J. R. R. Tolkien", "Zoë Saldaña", "李小龍", "x" * 60):
        res = client_for(donor).post(f"/api/v1/registrations/{reg.id}/guests/", {"first_name": name[:60]})
        assert res.status_code == 201, (name, res.json())


def test_walk_in_names_are_checked_too(event, staff):
    res = client_for(staff).post(
        f"/api/v1/events/{event.id}/walk-ins/", {"first_name": "Win at", "last_name": "evil.example"}
    )
    assert res.status_code == 400 and "last_name" in res.json()["error"]["fields"]


def test_registrant_name_with_an_address_is_left_out_of_the_mail(event, django_capture_on_commit_callbacks):
    spammer = UserFactory(first_name="Free prizes at", last_name="evil.example")
    reg = RegistrationFactory(event=event, user=spammer)
    with django_capture_on_commit_callbacks(execute=True):
        guest_add(registration=reg, actor=spammer, data={"email": "victim@example.net"})
    body = mail.outbox[-1].body
    assert "evil.example" not in body and "You are invited to" in body
    assert "\n" not in mail.outbox[-1].subject


def test_invitation_mail_failure_never_breaks_the_change(event, donor, monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setattr(
        "django.core.mail.EmailMultiAlternatives.send", lambda *a, **k: (_ for _ in ()).throw(OSError("smtp down"))
    )
    reg = RegistrationFactory(event=event, user=donor)
    with django_capture_on_commit_callbacks(execute=True):
        guest = guest_add(registration=reg, actor=donor, data={"email": "g@example.net"})
    assert GuestInvitation.objects.filter(guest=guest).count() == 1
