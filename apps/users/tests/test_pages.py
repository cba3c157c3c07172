"""The pages behind the e-mail links: they exist on this server, a GET changes nothing,
and the POSTs go through the same services as the API."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client

from apps.users.models import AccountTokenPurpose, User
from apps.users.services.account_tokens import account_token_issue
from apps.users.tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def _token(user: User, purpose: str) -> str:
    return account_token_issue(user=user, purpose=purpose, ttl=timedelta(hours=1))


def test_verify_email_get_shows_a_button_and_changes_nothing_post_verifies() -> None:
    user = UserFactory(email_verified_at=None)
    token = _token(user, AccountTokenPurpose.EMAIL_VERIFICATION)
    client = Client()
    page = client.get("/verify-email/", {"token": token})
    assert page.status_code == 200 and b"Confirm my e-mail address" in page.content
    user.refresh_from_db()
    assert user.email_verified_at is None  # a mail scanner opening the link verifies nothing
    done = client.post("/verify-email/", {"token": token})
    assert done.status_code == 200 and b'data-state="verified"' in done.content
    user.refresh_from_db()
    assert user.email_verified_at is not None
    again = client.post("/verify-email/", {"token": token})  # single use, as in the API
    assert again.status_code == 400 and b'role="alert"' in again.content


def test_the_verification_mail_links_to_this_server_and_the_page_exists(django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        Client().post(
            "/sign-up/",
            {"first_name": "Ann", "last_name": "Lee", "email": "ann@example.org", "password": "a-long-Passw0rd!"},
        )
    link = re.search(r"http://127\.0\.0\.1:8000(/verify-email/\?token=\S+)", mail.outbox[-1].body)
    assert link is not None
    assert Client().get(link.group(1)).status_code == 200


def test_reset_password_form_sets_the_new_password() -> None:
    user = UserFactory()
    token = _token(user, AccountTokenPurpose.PASSWORD_RESET)
    client = Client()
    assert client.get("/reset-password/", {"token": token}).status_code == 200
    differs = client.post("/reset-password/", {"token": token, "password": "N3w-passw0rd-x", "password_again": "other"})
    assert b"The two passwords differ" in differs.content
    weak = client.post("/reset-password/", {"token": token, "password": "123", "password_again": "123"})
    assert b"field-error" in weak.content  # the service's password rules, shown on the field
    done = client.post(
        "/reset-password/", {"token": token, "password": "N3w-passw0rd-x", "password_again": "N3w-passw0rd-x"}
    )
    assert b'data-state="reset"' in done.content
    user.refresh_from_db()
    assert user.check_password("N3w-passw0rd-x")


def test_sign_in_goes_through_the_sign_in_service_and_follows_a_safe_next_only() -> None:
    user = UserFactory()
    client = Client()
    wrong = client.post("/sign-in/", {"email": user.email, "password": "nope"})
    assert wrong.status_code == 200 and b"wrong" in wrong.content
    ok = client.post("/sign-in/?next=/events/x/", {"email": user.email, "password": DEFAULT_PASSWORD})
    assert ok.status_code == 302 and ok["Location"] == "/events/x/"
    assert "augeo_device" in ok.cookies
    evil = Client().post(
        "/sign-in/", {"email": user.email, "password": DEFAULT_PASSWORD, "next": "https://evil.example/"}
    )
    assert evil["Location"] == "/"
    assert client.post("/sign-out/").status_code == 302


def test_unverified_account_cannot_sign_in_on_the_page() -> None:
    user = UserFactory(email_verified_at=None)
    res = Client().post("/sign-in/", {"email": user.email, "password": DEFAULT_PASSWORD})
    assert res.status_code == 200 and b"Verify your e-mail" in res.content


def test_sign_up_refuses_a_taken_address_on_the_field() -> None:
    user = UserFactory()
    res = Client().post(
        "/sign-up/", {"first_name": "A", "last_name": "B", "email": user.email, "password": "a-long-Passw0rd!"}
    )
    assert b"already exists" in res.content and User.objects.filter(email=user.email).count() == 1


def test_the_profile_chooses_the_zone_of_times_not_tied_to_an_event() -> None:
    from rest_framework.test import APIClient

    user = UserFactory()
    client = APIClient()
    client.force_authenticate(user)
    assert client.patch("/api/v1/users/me/", {"timezone": "Mars/Olympus"}, format="json").status_code == 400
    response = client.patch("/api/v1/users/me/", {"timezone": "Europe/Berlin"}, format="json")
    assert response.status_code == 200 and response.json()["timezone"] == "Europe/Berlin"
    user.refresh_from_db()
    assert user.timezone == "Europe/Berlin"


def test_sign_up_asks_to_accept_the_published_legal_documents() -> None:
    from apps.legal.tests.factories import publish_both

    publish_both("1.0")
    form = {"first_name": "Ann", "last_name": "Lee", "email": "ann@example.org", "password": "a-long-Passw0rd!"}
    page = Client().get("/sign-up/")
    assert b"I accept the Privacy policy (version 1.0) and the Terms (version 1.0)" in page.content
    refused = Client().post("/sign-up/", form)
    assert b"field-error" in refused.content and not User.objects.filter(email="ann@example.org").exists()
    Client().post("/sign-up/", {**form, "accept": "on"})
    user = User.objects.get(email="ann@example.org")
    assert user.consent_terms_version == "1.0"
