"""Password reset (by e-mail) and password change."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from apps.core.models import AuditEntry
from apps.users.models import User
from apps.users.tests.conftest import bearer, login, token_from_mail
from apps.users.tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

RESET = "/api/v1/auth/password-reset/"
CONFIRM = "/api/v1/auth/password-reset/confirm/"
CHANGE = "/api/v1/auth/password-change/"
REFRESH = "/api/v1/auth/refresh/"
ME = "/api/v1/users/me/"
NEW = "a-brand-new-passphrase"


@pytest.fixture
def reset_token(api_client, user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(RESET, {"email": user.email}, format="json")
    assert response.status_code == 202
    return token_from_mail()


def test_reset_request_always_202(api_client, user, django_capture_on_commit_callbacks):
    inactive = UserFactory(is_active=False)
    with django_capture_on_commit_callbacks(execute=True):
        answers = {
            email: api_client.post(RESET, {"email": email}, format="json")
            for email in ("nobody@example.org", inactive.email, user.email.upper())
        }
    assert {r.status_code for r in answers.values()} == {202}
    # Same body whatever the address: nothing to enumerate.
    assert len({r.content for r in answers.values()}) == 1
    assert [m.to for m in mail.outbox] == [[user.email]]
    assert "token=" in mail.outbox[0].body
    assert "reset" in mail.outbox[0].subject.lower()


@pytest.mark.parametrize("payload", [{}, {"email": 42}, {"email": "not-an-address"}, {"email": None}])
def test_reset_request_bad_input(api_client, db, payload):
    response = api_client.post(RESET, payload, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"


def test_reset_confirm_sets_password_and_revokes_every_session(api_client, user, reset_token):
    with time_machine.travel(timezone.now() - timedelta(seconds=30)):
        session = login(api_client, user.email).json()
    response = api_client.post(CONFIRM, {"token": reset_token, "password": NEW}, format="json")
    assert response.status_code == 200, response.content
    assert login(api_client, user.email, DEFAULT_PASSWORD).status_code == 401
    assert login(api_client, user.email, NEW).status_code == 200
    assert api_client.post(REFRESH, {"refresh": session["refresh"]}, format="json").status_code == 401
    assert bearer(session["access"]).get(ME).status_code == 401
    assert AuditEntry.objects.filter(action="auth.password_reset", actor=user).exists()


def test_reset_token_is_single_use(api_client, reset_token):
    assert api_client.post(CONFIRM, {"token": reset_token, "password": NEW}, format="json").status_code == 200
    again = api_client.post(CONFIRM, {"token": reset_token, "password": "yet-another-passphrase"}, format="json")
    assert again.status_code == 400
    assert again.json()["error"]["code"] == "INVALID_TOKEN"


def test_reset_token_expires_after_an_hour(api_client, reset_token):
    with time_machine.travel(timezone.now() + timedelta(minutes=61)):
        response = api_client.post(CONFIRM, {"token": reset_token, "password": NEW}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "INVALID_TOKEN"


def test_reset_tampered_token(api_client, reset_token):
    tampered = reset_token[:-2] + ("xy" if not reset_token.endswith("xy") else "zz")
    response = api_client.post(CONFIRM, {"token": tampered, "password": NEW}, format="json")
    assert response.json()["error"]["code"] == "INVALID_TOKEN"


def test_verification_token_cannot_reset(api_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        api_client.post(
            "/api/v1/auth/register/",
            {"email": "x@example.org", "password": NEW, "first_name": "X", "last_name": "Y"},
            format="json",
        )
    response = api_client.post(CONFIRM, {"token": token_from_mail(), "password": "another-passphrase"}, format="json")
    assert response.json()["error"]["code"] == "INVALID_TOKEN"


def test_weak_password_keeps_the_token_usable(api_client, reset_token):
    weak = api_client.post(CONFIRM, {"token": reset_token, "password": "123"}, format="json")
    assert weak.status_code == 400
    assert weak.json()["error"]["code"] == "VALIDATION_ERROR"
    assert "password" in weak.json()["error"]["fields"]
    assert api_client.post(CONFIRM, {"token": reset_token, "password": NEW}, format="json").status_code == 200


def test_newest_reset_spends_older_links(api_client, user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        api_client.post(RESET, {"email": user.email}, format="json")
        api_client.post(RESET, {"email": user.email}, format="json")
    first, second = token_from_mail(mail.outbox[0]), token_from_mail(mail.outbox[1])
    assert api_client.post(CONFIRM, {"token": second, "password": NEW}, format="json").status_code == 200
    assert (
        api_client.post(CONFIRM, {"token": first, "password": "other-passphrase-1"}, format="json").status_code == 400
    )


def test_reset_verifies_an_unverified_address(api_client, unverified, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        api_client.post(RESET, {"email": unverified.email}, format="json")
    api_client.post(CONFIRM, {"token": token_from_mail(), "password": NEW}, format="json")
    assert login(api_client, unverified.email, NEW).status_code == 200


@pytest.mark.parametrize(
    "payload",
    [{}, {"token": "abc"}, {"password": NEW}, {"token": 1, "password": NEW}, {"token": "abc", "password": 12345678901}],
)
def test_reset_confirm_bad_input(api_client, db, payload):
    response = api_client.post(CONFIRM, payload, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"


def test_reset_confirm_garbage_json(api_client, db):
    response = api_client.post(CONFIRM, b"\xff\xfe", content_type="application/json")
    assert response.status_code == 400


# --- change ---------------------------------------------------------------------------------------


def test_change_password_keeps_this_session_and_revokes_the_others(api_client, user):
    with time_machine.travel(timezone.now() - timedelta(seconds=30)):
        mine = login(api_client, user.email).json()
        other = login(api_client, user.email).json()
    response = bearer(mine["access"]).post(
        CHANGE, {"current_password": DEFAULT_PASSWORD, "new_password": NEW}, format="json"
    )
    assert response.status_code == 200, response.content
    user.refresh_from_db()
    assert user.check_password(NEW)
    assert api_client.post(REFRESH, {"refresh": other["refresh"]}, format="json").status_code == 401
    assert api_client.post(REFRESH, {"refresh": mine["refresh"]}, format="json").status_code == 200
    assert bearer(mine["access"]).get(ME).status_code == 200
    assert login(api_client, user.email, NEW).status_code == 200
    assert AuditEntry.objects.filter(action="auth.password_change", actor=user).exists()


def test_change_with_wrong_current_password(tokens, user):
    response = bearer(tokens["access"]).post(
        CHANGE, {"current_password": "not-the-password", "new_password": NEW}, format="json"
    )
    assert response.status_code == 400
    assert "current_password" in response.json()["error"]["fields"]
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)


def test_change_to_weak_password(tokens):
    response = bearer(tokens["access"]).post(
        CHANGE, {"current_password": DEFAULT_PASSWORD, "new_password": "short"}, format="json"
    )
    assert response.status_code == 400
    assert "new_password" in response.json()["error"]["fields"]


@pytest.mark.parametrize(
    "payload",
    [{}, {"current_password": DEFAULT_PASSWORD}, {"new_password": NEW}, {"current_password": 1, "new_password": NEW}],
)
def test_change_bad_input(tokens, payload):
    response = bearer(tokens["access"]).post(CHANGE, payload, format="json")
    assert response.status_code == 400


def test_change_needs_authentication(api_client, db):
    response = api_client.post(CHANGE, {"current_password": DEFAULT_PASSWORD, "new_password": NEW}, format="json")
    assert response.status_code == 401


def test_change_spends_pending_reset_links(api_client, user, tokens, reset_token):
    bearer(tokens["access"]).post(CHANGE, {"current_password": DEFAULT_PASSWORD, "new_password": NEW}, format="json")
    response = api_client.post(CONFIRM, {"token": reset_token, "password": "attacker-passphrase"}, format="json")
    assert response.json()["error"]["code"] == "INVALID_TOKEN"


def test_change_through_a_session_login_keeps_the_session(client, user):
    client.force_login(user)
    response = client.post(
        CHANGE, {"current_password": DEFAULT_PASSWORD, "new_password": NEW}, content_type="application/json"
    )
    assert response.status_code == 200
    assert client.get(ME).status_code == 200
    assert User.objects.get(pk=user.pk).check_password(NEW)
