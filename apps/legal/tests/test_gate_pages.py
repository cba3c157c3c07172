"""The consent gate on pages: a signed-in person who has to accept the published documents is sent from
every page outside the API (invitation pages, my registration, the display...) to ``/consent/`` and
back; what they need to accept, sign out or reach their account stays reachable."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from django.test import Client

from apps.attendance.tests.factories import RegistrationFactory
from apps.events.tests.factories import PublishedEventFactory
from apps.legal.tests.factories import accept, publish_both, published
from apps.npos.models import Invitation, Membership
from apps.npos.services.team import invitation_create
from apps.npos.tests.factories import MembershipFactory, NPOFactory
from apps.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _consent_location(path: str) -> str:
    return f"/consent/?next={quote(path, safe='')}"


def test_my_registration_sends_a_gated_user_to_consent_and_back():
    registration = RegistrationFactory()
    publish_both()
    client = _signed_in(registration.user)
    page = f"/events/{registration.event_id}/my-registration/"
    response = client.get(page)
    assert response.status_code == 302 and response["Location"] == _consent_location(page)

    form = client.get(response["Location"])
    html = form.content.decode()
    assert form.status_code == 200
    assert "Terms of service" in html and "Privacy policy" in html and "<em>text</em>" in html
    assert 'name="terms_version" value="1.0"' in html and "Sign out" in html
    unticked = client.post("/consent/", {"next": page, "terms_version": "1.0", "privacy_version": "1.0"})
    assert unticked.status_code == 200 and "Tick the box" in unticked.content.decode()
    done = client.post("/consent/", {"next": page, "terms_version": "1.0", "privacy_version": "1.0", "agree": "yes"})
    assert done.status_code == 302 and done["Location"] == page
    registration.user.refresh_from_db()
    assert (registration.user.consent_terms_version, registration.user.consent_privacy_version) == ("1.0", "1.0")
    assert client.get(page).status_code == 200


def test_a_gated_user_cannot_accept_a_team_invitation_until_they_accept_the_documents():
    npo = NPOFactory(name="Food Bank")
    admin = MembershipFactory(npo=npo).user
    invitee = UserFactory(email="vol@example.org")
    _, token = invitation_create(npo=npo, email=invitee.email, role="staff", actor=admin)
    publish_both()
    client = _signed_in(invitee)
    page = f"/invitations/accept/?token={token}"
    shown = client.get(page)
    assert shown.status_code == 302 and shown["Location"] == _consent_location(page)
    posted = client.post("/invitations/accept/", {"token": token})
    assert posted.status_code == 302 and posted["Location"].startswith("/consent/?next=")
    assert not Membership.objects.filter(user=invitee).exists()
    assert Invitation.objects.get().status == "pending"
    accept(invitee)
    assert client.post("/invitations/accept/", {"token": token}).status_code == 200
    assert Membership.objects.filter(user=invitee).exists()


@pytest.mark.parametrize(
    "path",
    [
        "/guest-invitations/accept/?token=abc",
        "/",
        "/events/{slug}/",
        "/events/{slug}/display/",
    ],
)
def test_other_pages_are_gated_too(path):
    event = PublishedEventFactory()
    publish_both()
    path = path.format(slug=event.slug)
    response = _signed_in(UserFactory()).get(path)
    assert response.status_code == 302 and response["Location"] == _consent_location(path)


def test_a_minor_version_does_not_gate_pages_and_a_major_one_does():
    registration = RegistrationFactory()
    publish_both()
    accept(registration.user)
    client = _signed_in(registration.user)
    page = f"/events/{registration.event_id}/my-registration/"
    published("terms", "1.1")
    assert client.get(page).status_code == 200
    published("terms", "2.0")
    response = client.get(page)
    assert response.status_code == 302
    assert 'name="terms_version" value="2.0"' in client.get(response["Location"]).content.decode()


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/consent/"),
        ("get", "/sign-in/"),
        ("get", "/sign-up/"),
        ("post", "/sign-out/"),
        ("get", "/verify-email/"),
        ("get", "/reset-password/"),
        ("get", "/health/live/"),
        ("get", "/static/pages/pages.css"),
        ("get", "/api/v1/users/me/"),
        ("get", "/api/schema/"),
        ("get", "/admin/login/"),
    ],
)
def test_what_a_gated_person_still_reaches(method, path):
    publish_both()
    response = getattr(_signed_in(UserFactory()), method)(path)
    assert not (response.status_code == 302 and response["Location"].startswith("/consent/")), path


def test_the_api_keeps_its_own_answer():
    publish_both()
    response = _signed_in(UserFactory()).get("/api/v1/npos/")
    assert response.status_code == 409 and response.json()["error"]["code"] == "CONSENT_REQUIRED"


def test_in_the_admin_staff_go_to_the_admins_consent_page_others_to_its_login():
    publish_both()
    staff = _signed_in(UserFactory(is_staff=True)).get("/admin/")
    assert staff.status_code == 302 and staff["Location"].startswith("/admin/consent/?next=")
    donor = _signed_in(UserFactory()).get("/admin/")
    assert donor.status_code == 302 and donor["Location"].startswith("/admin/login/")


def test_nothing_is_gated_without_published_documents_or_for_anonymous_visitors():
    registration = RegistrationFactory()
    client = _signed_in(registration.user)
    assert client.get(f"/events/{registration.event_id}/my-registration/").status_code == 200
    publish_both()
    assert Client().get("/").status_code == 200


def test_the_consent_page_needs_sign_in_and_never_redirects_off_site():
    publish_both()
    anonymous = Client().get("/consent/")
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/sign-in/?next=")
    user = UserFactory()
    accept(user)
    client = _signed_in(user)
    for target in ("https://evil.example/", "//evil.example/", "/consent/"):
        response = client.get("/consent/", {"next": target})
        assert response.status_code == 302 and response["Location"] == "/", target
    assert client.get("/consent/", {"next": "/events/x/"})["Location"] == "/events/x/"
