"""Sign-up, e-mail verification and resending (api.md "Accounts")."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from apps.core.models import AuditEntry
from apps.users.models import AccountToken, User
from apps.users.tests.conftest import login, token_from_mail
from apps.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

REGISTER = "/api/v1/auth/register/"
VERIFY = "/api/v1/auth/verify-email/"
RESEND = "/api/v1/auth/verify-email/resend/"
GOOD = {
    "email": "Ada@Example.org",
    "password": "a-long-enough-passphrase",
    "first_name": "Ada",
    "last_name": "Lovelace",
}


def register(client, **overrides):
    return client.post(REGISTER, {**GOOD, **overrides}, format="json")


def test_register_creates_unverified_user_and_sends_token(api_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = register(api_client)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["email"] == "ada@example.org"
    assert body["email_verified"] is False
    assert "access" not in body and "refresh" not in body and "password" not in body
    user = User.objects.get(email="ada@example.org")
    assert user.check_password(GOOD["password"]) and user.email_verified_at is None
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ada@example.org"]
    assert "token=" in message.body
    token = token_from_mail(message)
    # Stored hashed only.
    assert not AccountToken.objects.filter(token_hash=token).exists()
    assert AccountToken.objects.filter(user=user).count() == 1
    assert AuditEntry.objects.filter(action="auth.register", object_id=str(user.pk)).exists()
    # HTML alternative carries the same link.
    assert token in message.alternatives[0][0]


def test_no_mail_when_the_transaction_rolls_back(api_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        register(api_client)
    assert len(callbacks) == 1
    assert mail.outbox == []


def test_duplicate_email_case_insensitive(api_client):
    UserFactory(email="ada@example.org")
    response = register(api_client, email="ADA@example.ORG")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert "email" in error["fields"]
    assert User.objects.filter(email__iexact="ada@example.org").count() == 1


@pytest.mark.parametrize(
    "password",
    ["short1234", "1234567890123", "password123", "ada@example.org1"],
    ids=["too-short", "numeric", "common", "similar-to-email"],
)
def test_weak_passwords_refused(api_client, password):
    response = register(api_client, password=password)
    assert response.status_code == 400
    assert "password" in response.json()["error"]["fields"]
    assert not User.objects.exists()


@pytest.mark.parametrize("missing", ["email", "password", "first_name", "last_name"])
def test_missing_fields(api_client, missing):
    payload = {k: v for k, v in GOOD.items() if k != missing}
    response = api_client.post(REGISTER, payload, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["fields"][missing]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("email", 123),
        ("email", "not-an-email"),
        ("password", 12345678901234),
        ("first_name", ["Ada"]),
        ("last_name", {"x": 1}),
        ("email", None),
        ("password", True),
    ],
)
def test_wrong_types(api_client, field, value):
    response = register(api_client, **{field: value})
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b'"a string"', b"null"])
def test_garbage_bodies(api_client, body):
    response = api_client.post(REGISTER, body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"


def test_verify_then_login(api_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        register(api_client)
    token = token_from_mail()
    assert login(api_client, "ada@example.org", GOOD["password"]).status_code == 403
    response = api_client.post(VERIFY, {"token": token}, format="json")
    assert response.status_code == 200
    assert User.objects.get(email="ada@example.org").email_verified_at is not None
    assert login(api_client, "ada@example.org", GOOD["password"]).status_code == 200
    # Reused.
    again = api_client.post(VERIFY, {"token": token}, format="json")
    assert again.status_code == 400
    assert again.json()["error"]["code"] == "INVALID_TOKEN"


def test_verify_expired_token(api_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        register(api_client)
    token = token_from_mail()
    with time_machine.travel(timezone.now() + timedelta(hours=24, minutes=1)):
        response = api_client.post(VERIFY, {"token": token}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "INVALID_TOKEN"
    assert User.objects.get(email="ada@example.org").email_verified_at is None


def test_verify_just_before_expiry(api_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        register(api_client)
    token = token_from_mail()
    with time_machine.travel(timezone.now() + timedelta(hours=23, minutes=59)):
        assert api_client.post(VERIFY, {"token": token}, format="json").status_code == 200


@pytest.mark.parametrize(
    "mutate",
    [lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"), lambda t: t + "x", lambda t: t[:10], lambda t: "x" * 300],
)
def test_verify_tampered_token(api_client, django_capture_on_commit_callbacks, mutate):
    with django_capture_on_commit_callbacks(execute=True):
        register(api_client)
    response = api_client.post(VERIFY, {"token": mutate(token_from_mail())}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] in ("INVALID_TOKEN", "VALIDATION_ERROR")


@pytest.mark.parametrize("payload", [{}, {"token": 123}, {"token": None}, {"token": ""}])
def test_verify_bad_input(api_client, payload):
    response = api_client.post(VERIFY, payload, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"


def test_password_reset_token_does_not_verify(api_client, unverified, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        api_client.post("/api/v1/auth/password-reset/", {"email": unverified.email}, format="json")
    response = api_client.post(VERIFY, {"token": token_from_mail()}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "INVALID_TOKEN"


def test_resend_always_202_and_mails_only_unverified(api_client, unverified, user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        for email in ("nobody@example.org", user.email, unverified.email.upper()):
            response = api_client.post(RESEND, {"email": email}, format="json")
            assert response.status_code == 202
    assert [m.to for m in mail.outbox] == [[unverified.email]]
    assert "token=" in mail.outbox[0].body


def test_resend_new_token_works_and_spends_older_ones(api_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        register(api_client)
        api_client.post(RESEND, {"email": "ada@example.org"}, format="json")
    first, second = token_from_mail(mail.outbox[0]), token_from_mail(mail.outbox[1])
    assert first != second
    assert api_client.post(VERIFY, {"token": second}, format="json").status_code == 200
    assert api_client.post(VERIFY, {"token": first}, format="json").status_code == 400


@pytest.mark.parametrize("payload", [{}, {"email": 5}, {"email": "nope"}])
def test_resend_bad_input(api_client, payload):
    response = api_client.post(RESEND, payload, format="json")
    assert response.status_code == 400


def test_deactivated_user_cannot_verify(api_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        register(api_client)
    User.objects.filter(email="ada@example.org").update(is_active=False)
    response = api_client.post(VERIFY, {"token": token_from_mail()}, format="json")
    assert response.json()["error"]["code"] == "INVALID_TOKEN"


def test_register_ignores_stale_authorization_header(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer garbage")
    assert register(api_client).status_code == 201


def test_oversized_body_is_413(api_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = register(api_client, first_name="x" * 5000)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "FILE_TOO_LARGE"


def test_overlong_password_is_400(api_client):
    response = register(api_client, password="x" * 257)
    assert response.status_code == 400
    assert "password" in response.json()["error"]["fields"]
