"""Login, JWT validation, refresh rotation, logout and log-out-everywhere."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from unittest import mock

import jwt
import pytest
import time_machine
from django.conf import settings
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from apps.core.models import AuditEntry
from apps.npos.models import MembershipStatus
from apps.npos.tests.factories import MembershipFactory, NPOFactory
from apps.users.models import User
from apps.users.tests.conftest import bearer, login
from apps.users.tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

ME = "/api/v1/users/me/"
REFRESH = "/api/v1/auth/refresh/"
LOGOUT = "/api/v1/auth/logout/"
LOGOUT_ALL = "/api/v1/auth/logout-all/"


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


# --- login ----------------------------------------------------------------------------------------


def test_login_returns_tokens_and_user(api_client, user):
    npo = NPOFactory(name="Food Bank")
    MembershipFactory(npo=npo, user=user, role="coordinator")
    MembershipFactory(npo=NPOFactory(), user=user, role="admin", status=MembershipStatus.REMOVED)
    response = login(api_client, user.email.upper())
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"access", "refresh", "device_token", "user"}
    assert body["user"]["id"] == str(user.id)
    assert body["user"]["is_superuser"] is False
    assert body["user"]["memberships"] == [{"npo": str(npo.id), "role": "coordinator"}]
    user.refresh_from_db()
    assert user.last_login is not None
    assert AuditEntry.objects.filter(action="auth.login", actor=user).exists()
    me = bearer(body["access"]).get(ME)
    assert me.status_code == 200
    assert me.json()["email"] == user.email


def test_token_lifetimes(api_client, user):
    body = login(api_client, user.email).json()
    access = jwt.decode(body["access"], options={"verify_signature": False})
    refresh = jwt.decode(body["refresh"], options={"verify_signature": False})
    assert access["exp"] - access["iat"] == 15 * 60
    assert refresh["exp"] - refresh["iat"] == 7 * 24 * 3600
    assert access["token_type"] == "access" and refresh["token_type"] == "refresh"
    assert access["sid"] == refresh["sid"]


def test_wrong_password_401(api_client, user):
    response = login(api_client, user.email, "wrong-password-here")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "INVALID_CREDENTIALS"
    assert AuditEntry.objects.filter(action="auth.login_failed", details__email=user.email).exists()


def test_unknown_email_401(api_client, db):
    response = login(api_client, "nobody@example.org")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "INVALID_CREDENTIALS"


def test_unverified_403_only_with_right_password(api_client, unverified):
    wrong = login(api_client, unverified.email, "wrong-password-here")
    assert wrong.status_code == 401
    right = login(api_client, unverified.email)
    assert right.status_code == 403
    assert right.json()["error"]["code"] == "EMAIL_NOT_VERIFIED"
    assert "access" not in right.json()


def test_deactivated_user_cannot_login(api_client):
    inactive = UserFactory(is_active=False)
    response = login(api_client, inactive.email)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "INVALID_CREDENTIALS"


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"email": "a@example.org"},
        {"password": "x"},
        {"email": 1, "password": "x"},
        {"email": "a@example.org", "password": 1234567890},
        {"email": ["a@example.org"], "password": "x"},
        {"email": "a@example.org", "password": None},
    ],
)
def test_login_bad_input(api_client, db, payload):
    response = api_client.post("/api/v1/auth/login/", payload, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"


def test_login_garbage_json(api_client, db):
    response = api_client.post("/api/v1/auth/login/", b"{email:", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"


def test_login_form_encoded_works(api_client, user):
    response = api_client.post("/api/v1/auth/login/", {"email": user.email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 200


def test_login_ignores_stale_bearer(api_client, user):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not.a.token")
    assert login(api_client, user.email).status_code == 200


def test_superuser_flag(api_client, superuser):
    body = login(api_client, superuser.email).json()
    assert body["user"]["is_superuser"] is True


# --- access token validation ----------------------------------------------------------------------


def test_no_token_401(api_client, db):
    response = api_client.get(ME)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "NOT_AUTHENTICATED"


def test_expired_access_token(tokens):
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        response = bearer(tokens["access"]).get(ME)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "TOKEN_INVALID"


def test_tampered_access_token(tokens):
    header, payload, signature = tokens["access"].split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["user_id"] = str(UserFactory().id)
    forged = f"{header}.{_b64(claims)}.{signature}"
    response = bearer(forged).get(ME)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "TOKEN_INVALID"


def test_alg_none_token_refused(tokens):
    claims = jwt.decode(tokens["access"], options={"verify_signature": False})
    unsigned = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."
    response = bearer(unsigned).get(ME)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "TOKEN_INVALID"


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
def test_other_algorithm_and_other_key_refused(tokens):
    claims = jwt.decode(tokens["access"], options={"verify_signature": False})
    signing_key = settings.SIMPLE_JWT["SIGNING_KEY"]
    for token in (jwt.encode(claims, signing_key, algorithm="HS512"), jwt.encode(claims, "another-key" * 4)):
        assert bearer(token).get(ME).status_code == 401


def test_refresh_token_used_as_access_token(tokens):
    response = bearer(tokens["refresh"]).get(ME)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "TOKEN_INVALID"


def test_deactivated_users_access_token_refused(tokens, user):
    User.objects.filter(pk=user.pk).update(is_active=False)
    response = bearer(tokens["access"]).get(ME)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "TOKEN_INVALID"


def test_deleted_users_token_refused(tokens, user):
    User.objects.filter(pk=user.pk).delete()
    assert bearer(tokens["access"]).get(ME).status_code == 401
    assert bearer(tokens["access"]).post(REFRESH, {"refresh": tokens["refresh"]}, format="json").status_code == 401


@pytest.mark.parametrize("header", ["Bearer", "Bearer a b", "Bearer not-a-jwt"])
def test_malformed_authorization_header(api_client, db, header):
    api_client.credentials(HTTP_AUTHORIZATION=header)
    response = api_client.get(ME)
    assert response.status_code == 401


# --- refresh ---------------------------------------------------------------------------------------


def test_refresh_rotates_and_refuses_the_old_one(api_client, tokens):
    response = api_client.post(REFRESH, {"refresh": tokens["refresh"]}, format="json")
    assert response.status_code == 200
    fresh = response.json()
    assert set(fresh) == {"access", "refresh"}
    assert fresh["refresh"] != tokens["refresh"]
    assert bearer(fresh["access"]).get(ME).status_code == 200
    old = api_client.post(REFRESH, {"refresh": tokens["refresh"]}, format="json")
    assert old.status_code == 401
    assert old.json()["error"]["code"] == "TOKEN_INVALID"
    # The rotated one keeps the session and works once.
    assert (
        jwt.decode(fresh["refresh"], options={"verify_signature": False})["sid"]
        == jwt.decode(tokens["refresh"], options={"verify_signature": False})["sid"]
    )
    assert api_client.post(REFRESH, {"refresh": fresh["refresh"]}, format="json").status_code == 200


def test_access_token_is_no_refresh_token(api_client, tokens):
    response = api_client.post(REFRESH, {"refresh": tokens["access"]}, format="json")
    assert response.status_code == 401


@pytest.mark.parametrize("payload", [{}, {"refresh": 12}, {"refresh": None}, {"refresh": ["x"]}])
def test_refresh_bad_input(api_client, db, payload):
    response = api_client.post(REFRESH, payload, format="json")
    assert response.status_code == 400


def test_refresh_garbage_token(api_client, db):
    response = api_client.post(REFRESH, {"refresh": "garbage"}, format="json")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "TOKEN_INVALID"


def test_refresh_expired(api_client, tokens):
    with time_machine.travel(timezone.now() + timedelta(days=7, minutes=1)):
        response = api_client.post(REFRESH, {"refresh": tokens["refresh"]}, format="json")
    assert response.status_code == 401


def test_refresh_of_deactivated_user(api_client, tokens, user):
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert api_client.post(REFRESH, {"refresh": tokens["refresh"]}, format="json").status_code == 401


def test_refresh_token_not_issued_by_us_refused(api_client, tokens):
    OutstandingToken.objects.all().delete()  # e.g. minted with a leaked key but never recorded
    assert api_client.post(REFRESH, {"refresh": tokens["refresh"]}, format="json").status_code == 401


# --- logout ---------------------------------------------------------------------------------------


def test_logout_blacklists_that_refresh_token(api_client, user, tokens):
    other = login(api_client, user.email).json()
    response = api_client.post(LOGOUT, {"refresh": tokens["refresh"]}, format="json")
    assert response.status_code == 204
    assert api_client.post(REFRESH, {"refresh": tokens["refresh"]}, format="json").status_code == 401
    # The other session is untouched.
    assert api_client.post(REFRESH, {"refresh": other["refresh"]}, format="json").status_code == 200
    # A second logout with the same token is refused like any revoked token.
    assert api_client.post(LOGOUT, {"refresh": tokens["refresh"]}, format="json").status_code == 401


@pytest.mark.parametrize("payload", [{}, {"refresh": 5}])
def test_logout_bad_input(api_client, db, payload):
    assert api_client.post(LOGOUT, payload, format="json").status_code == 400


def test_logout_garbage_token(api_client, db):
    response = api_client.post(LOGOUT, {"refresh": "nope"}, format="json")
    assert response.status_code == 401


def test_logout_all_revokes_every_session(api_client, user):
    first = login(api_client, user.email).json()
    second = login(api_client, user.email).json()
    rotated = api_client.post(REFRESH, {"refresh": second["refresh"]}, format="json").json()
    response = bearer(first["access"]).post(LOGOUT_ALL)
    assert response.status_code == 204
    for refresh in (first["refresh"], second["refresh"], rotated["refresh"]):
        assert api_client.post(REFRESH, {"refresh": refresh}, format="json").status_code == 401
    assert not OutstandingToken.objects.filter(user=user, blacklistedtoken__isnull=True).exists()
    assert AuditEntry.objects.filter(action="auth.logout_all", actor=user).exists()
    # Access tokens issued before the cut-off stop working at once; a new login right after works.
    assert bearer(first["access"]).get(ME).status_code == 401
    assert bearer(rotated["access"]).get(ME).status_code == 401
    fresh = login(api_client, user.email).json()
    assert bearer(fresh["access"]).get(ME).status_code == 200


def test_logout_all_needs_authentication(api_client, db):
    response = api_client.post(LOGOUT_ALL)
    assert response.status_code == 401


def test_blacklisting_is_per_user(api_client, user, tokens):
    other = UserFactory()
    other_tokens = login(api_client, other.email).json()
    bearer(tokens["access"]).post(LOGOUT_ALL)
    assert api_client.post(REFRESH, {"refresh": other_tokens["refresh"]}, format="json").status_code == 200
    assert BlacklistedToken.objects.filter(token__user=other).count() == 1  # only the rotated one


# --- a token's signature checked once per process ---------------------------------------------------


def test_a_tokens_signature_is_checked_once_and_its_expiry_every_time(tokens, user):
    """The second request with the same token skips the signature check (remembered by the token's
    hash) but not the expiry, the user's state or the revocation cut-off, which each request reads."""
    from rest_framework_simplejwt.backends import TokenBackend

    from apps.users import authentication

    authentication._VERIFIED.clear()
    with mock.patch.object(TokenBackend, "decode", autospec=True, side_effect=TokenBackend.decode) as decode:
        assert bearer(tokens["access"]).get(ME).status_code == 200
        assert bearer(tokens["access"]).get(ME).status_code == 200
        assert decode.call_count == 1
        with time_machine.travel(timezone.now() + timedelta(minutes=16)):
            response = bearer(tokens["access"]).get(ME)
        assert response.status_code == 401 and response.json()["error"]["code"] == "TOKEN_INVALID"
        assert decode.call_count == 2  # expired: forgotten, and simplejwt's own path said why
    fresh = login(APIClient(), user.email).json()["access"]
    assert bearer(fresh).get(ME).status_code == 200
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert bearer(fresh).get(ME).status_code == 401
    User.objects.filter(pk=user.pk).update(is_active=True)
    assert bearer(fresh).get(ME).status_code == 200
    assert bearer(fresh).post(LOGOUT_ALL).status_code in (200, 204)
    assert bearer(fresh).get(ME).status_code == 401


def test_a_remembered_token_is_the_token_simplejwt_gives(tokens):
    """The token rebuilt from the remembered payload has simplejwt's attributes and claims."""
    from rest_framework_simplejwt.tokens import AccessToken

    from apps.users import authentication

    authentication._VERIFIED.clear()
    auth = authentication.JWTAuthentication()
    raw = tokens["access"].encode()
    first, second = auth.get_validated_token(raw), auth.get_validated_token(raw)
    assert type(second) is AccessToken and vars(second).keys() == vars(AccessToken(raw)).keys()
    assert second.payload == first.payload and second.token == raw


def test_a_new_signing_key_forgets_the_checked_tokens(tokens, settings):
    from apps.users import authentication

    assert bearer(tokens["access"]).get(ME).status_code == 200
    assert authentication._VERIFIED
    settings.SIMPLE_JWT = {**settings.SIMPLE_JWT, "SIGNING_KEY": "another-signing-key-" * 3}
    assert not authentication._VERIFIED  # the next use is checked again, with whatever key simplejwt holds


def test_the_checked_tokens_are_bounded(tokens, monkeypatch):
    from apps.users import authentication

    monkeypatch.setattr(authentication, "_VERIFIED_MAX", 1)
    authentication._VERIFIED.clear()
    authentication._VERIFIED[b"x" * 32] = (object, {})
    assert bearer(tokens["access"]).get(ME).status_code == 200
    assert list(authentication._VERIFIED) != [b"x" * 32] and len(authentication._VERIFIED) == 1
