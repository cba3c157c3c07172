"""Service-level details that the API tests do not reach."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.db import IntegrityError
from django.utils import timezone
from rest_framework_simplejwt.tokens import RefreshToken

from apps.core.exceptions import PermissionDenied, ValidationFailed
from apps.users import lockout
from apps.users.authentication import JWTAuthentication
from apps.users.models import AccountToken, User
from apps.users.services.account_tokens import account_token_issue
from apps.users.services.accounts import (
    email_verify,
    user_mark_verified,
    user_profile_update,
    user_register,
    user_set_active,
)
from apps.users.tests.conftest import bearer
from apps.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_register_race_on_unique_email_is_a_validation_error():
    with (
        mock.patch("apps.users.models.User.save", side_effect=IntegrityError("dup")),
        pytest.raises(ValidationFailed) as info,
    ):
        user_register(email="race@example.org", password="a-long-enough-passphrase", first_name="A", last_name="B")
    assert "email" in info.value.fields


def test_mail_outage_does_not_fail_the_request(api_client, django_capture_on_commit_callbacks):
    with (
        mock.patch("django.core.mail.EmailMultiAlternatives.send", side_effect=ConnectionRefusedError),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = api_client.post(
            "/api/v1/auth/register/",
            {"email": "m@example.org", "password": "a-long-enough-passphrase", "first_name": "M", "last_name": "N"},
            format="json",
        )
    assert response.status_code == 201
    assert mail.outbox == []


def test_tokens_are_stored_hashed():
    user = UserFactory()
    secret = account_token_issue(user=user, purpose="password_reset", ttl=timedelta(hours=1))
    row = AccountToken.objects.get(user=user)
    assert row.token_hash != secret and len(row.token_hash) == 64
    assert str(row).startswith("password_reset")
    assert row.is_usable


def test_non_string_token_is_invalid():
    from apps.users.errors import InvalidToken

    with pytest.raises(InvalidToken):
        email_verify(token=None)


def test_legacy_access_token_without_precise_claim_uses_iat(user):
    """Tokens minted by plain simplejwt (no iat_precise) are checked against the cut-off in seconds."""
    legacy = RefreshToken.for_user(user)
    access = str(legacy.access_token)
    assert bearer(access).get("/api/v1/users/me/").status_code == 200
    User.objects.filter(pk=user.pk).update(tokens_valid_after=timezone.now() + timedelta(seconds=5))
    assert bearer(access).get("/api/v1/users/me/").status_code == 401


def test_authentication_without_cut_off(user):
    token = RefreshToken.for_user(user).access_token
    assert JWTAuthentication().get_user(token) == user


def test_account_key_normalises():
    assert lockout.account_key("  A@B.org ") == lockout.account_key("a@b.org")


def test_device_key_refuses_non_strings_and_foreign_payloads(user):
    from django.core import signing

    assert lockout.device_key(None, user_id=user.pk) is None
    assert lockout.device_key(123, user_id=user.pk) is None
    assert lockout.device_key(lockout.device_token_issue(user_id=user.pk), user_id=None) is None
    not_a_dict = signing.dumps(["x"], salt=lockout.DEVICE_TOKEN_SALT)
    assert lockout.device_key(not_a_dict, user_id=user.pk) is None
    other_salt = signing.dumps({"u": str(user.pk), "n": "x"})
    assert lockout.device_key(other_salt, user_id=user.pk) is None


def test_set_active_is_idempotent_and_refuses_self():
    admin = UserFactory(is_superuser=True)
    target = UserFactory()
    assert user_set_active(user=target, is_active=True, actor=admin).is_active
    with pytest.raises(PermissionDenied):
        user_set_active(user=admin, is_active=False, actor=admin)


def test_mark_verified_is_idempotent():
    target = UserFactory()
    before = target.email_verified_at
    assert user_mark_verified(user=target, actor=None).email_verified_at == before


def test_profile_update_ignores_unknown_fields():
    target = UserFactory(first_name="A")
    user_profile_update(user=target, data={"is_superuser": True, "first_name": "B"})
    target.refresh_from_db()
    assert (target.first_name, target.is_superuser) == ("B", False)


def test_user_model_helpers():
    target = UserFactory(first_name="", last_name="", email="Helper@Example.org")
    assert target.email == "helper@example.org"
    assert target.get_full_name() == "helper@example.org" == target.get_short_name() == str(target)
