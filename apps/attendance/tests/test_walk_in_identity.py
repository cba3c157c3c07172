"""Walk-ins and the identity an e-mail carries: an address typed at the desk never links an account,
and never hands a registered guest's paddle to whoever the desk names (api.md: "an address alone
never links an account"). Same e-mail and same name: the registered guest is checked in (200).
Another name: a separate, unlinked walk-in with a ``NAME_MISMATCH`` warning. An existing account's
address: an unlinked walk-in and the guest invitation, the only way to link it."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client

from apps.attendance.models import Guest, GuestInvitation, Registration
from apps.attendance.tests.conftest import member
from apps.attendance.tests.factories import GuestFactory, PaddleFactory, RegistrationFactory
from apps.auctions.tests.factories import ItemFactory
from apps.npos.capabilities import Role
from apps.users.models import User
from apps.users.tests.factories import UserFactory
from conftest import client_for

pytestmark = pytest.mark.django_db

ACCEPT = "/api/v1/guest-invitations/accept/"


def walk_in(staff, event, **body):
    return client_for(staff).post(f"/api/v1/events/{event.id}/walk-ins/", body, format="json")


def last_token(address: str) -> str:
    message = [m for m in mail.outbox if m.to == [address]][-1]
    return re.search(r"token=([\w-]+)", message.body).group(1)


def test_another_name_with_a_registrants_email_gets_its_own_unlinked_guest(event, staff, donor):
    """It used to check the donor's own guest in and hand their paddle to whoever stood at the desk."""
    registration = RegistrationFactory(event=event, user=donor)
    own = registration.guests.get()
    own.paddle = PaddleFactory(event=event, number=150, registration=registration)
    own.save()

    res = walk_in(staff, event, first_name="Mallory", last_name="Stranger", email=donor.email.upper())

    assert res.status_code == 201, res.json()
    body = res.json()
    assert body["id"] != str(own.id) and body["checked_in"] is True and body["bidder_number"] != 150
    assert [w["code"] for w in body["warnings"]] == ["NAME_MISMATCH"]
    own.refresh_from_db()
    assert own.checked_in_at is None and own.paddle.number == 150
    new = Guest.objects.get(pk=body["id"])
    assert new.user is None and new.registration.user is None and new.registration_id != registration.pk
    assert body["invitation_sent"] is True  # the address holder may link it, by accepting
    assert GuestInvitation.objects.filter(guest=new, email=donor.email.lower()).exists()


def test_the_same_name_checks_the_registered_guest_in(event, staff):
    """Case, accents and spacing are not a different name: the same person is at the door."""
    donor = UserFactory(first_name="José", last_name="García")
    registration = RegistrationFactory(event=event, user=donor)
    res = walk_in(staff, event, first_name=" jose ", last_name="GARCIA", email=donor.email)
    assert res.status_code == 200 and res.json()["id"] == str(registration.guests.get().id)
    assert res.json()["warnings"] == [] and res.json()["checked_in"] is True


def test_another_name_with_an_invited_guests_email_is_not_that_guest(event, staff):
    invited = GuestFactory(
        registration=RegistrationFactory(event=event), first_name="Ivy", last_name="Vance", email="ivy@example.net"
    )
    res = walk_in(staff, event, first_name="Eve", last_name="Other", email="ivy@example.net")
    assert res.status_code == 201 and res.json()["id"] != str(invited.id)
    assert [w["code"] for w in res.json()["warnings"]] == ["NAME_MISMATCH"]
    invited.refresh_from_db()
    assert invited.checked_in_at is None
    assert not User.objects.filter(email="ivy@example.net").exists()  # no account made for the address


def test_an_existing_accounts_email_is_linked_only_by_its_invitation(event, staff, django_capture_on_commit_callbacks):
    """It used to register the walk-in under that account: whoever the desk named bid, bought and
    pledged as the account holder, whose statement and card then paid for it."""
    account = UserFactory(first_name="Ann", last_name="Holder", email="ann@example.net")
    with django_capture_on_commit_callbacks(execute=True):
        res = walk_in(staff, event, first_name="Ann", last_name="Holder", email="ann@example.net")
    assert res.status_code == 201 and res.json()["warnings"] == [] and res.json()["invitation_sent"] is True
    guest = Guest.objects.get(pk=res.json()["id"])
    assert guest.user is None and guest.registration.user is None
    assert not Registration.objects.filter(user=account).exists()
    item = ItemFactory(event=event)
    bid = {"amount": "100"}
    assert client_for(account).post(f"/api/v1/items/{item.pk}/bids/", bid).json()["error"]["code"] == "NOT_REGISTERED"

    assert client_for(account).post(ACCEPT, {"token": last_token("ann@example.net")}).status_code == 200

    guest.refresh_from_db()
    assert guest.user == account and guest.registration.user == account  # the walk-in party is theirs now
    assert client_for(account).post(f"/api/v1/items/{item.pk}/bids/", bid).status_code == 201
    assert client_for(account).get(f"/api/v1/events/{event.id}/my-registration/").status_code == 200


def test_an_existing_account_of_another_name_gets_a_warning_too(event, staff):
    UserFactory(first_name="Ann", last_name="Holder", email="ann@example.net")
    res = walk_in(staff, event, first_name="Bob", last_name="Else", email="ann@example.net")
    assert res.status_code == 201 and [w["code"] for w in res.json()["warnings"]] == ["NAME_MISMATCH"]
    assert Guest.objects.get(pk=res.json()["id"]).user is None


def test_a_new_address_still_gets_its_own_account(event, staff):
    res = walk_in(staff, event, first_name="Walt", last_name="Kin", email="walt@example.net")
    assert res.status_code == 201 and res.json()["warnings"] == [] and res.json()["invitation_sent"] is False
    user = User.objects.get(email="walt@example.net")
    assert Guest.objects.get(pk=res.json()["id"]).user == user and not user.has_usable_password()


def test_the_desk_form_follows_the_same_rule_and_shows_the_warning(event, donor):
    registration = RegistrationFactory(event=event, user=donor)
    client = Client()
    client.force_login(member(event, Role.STAFF))
    res = client.post(
        f"/admin/attendance/desk/{event.pk}/walk-in/",
        {"first_name": "Mallory", "last_name": "Stranger", "email": donor.email},
        follow=True,
    )
    page = res.content.decode()
    assert "registered under another name" in page and "Mallory Stranger is registered and checked in" in page
    assert registration.guests.get().checked_in_at is None
    assert Guest.objects.get(last_name="Stranger").user is None
    res = client.post(
        f"/admin/attendance/desk/{event.pk}/walk-in/",
        {"first_name": donor.first_name, "last_name": donor.last_name, "email": donor.email},
        follow=True,
    )
    assert "was already registered: checked in" in res.content.decode()
    assert registration.guests.get().checked_in_at is not None
