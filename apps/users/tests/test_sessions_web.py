"""Regression: "log out everywhere", a password reset and a password change end Django sessions (the
admin, the browsable API) too, not only JWTs; the token blacklist admin never shows token text."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from apps.users.services.accounts import user_set_active
from apps.users.services.sessions import password_reset_confirm, password_reset_request, session_logout
from apps.users.tests.conftest import bearer, login
from apps.users.tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def signed_in_browser(user) -> Client:
    browser = Client()
    browser.force_login(user)
    assert browser.get("/api/v1/users/me/").status_code == 200
    return browser


def test_logout_all_ends_admin_and_browsable_api_sessions(api_client, superuser):
    browser = signed_in_browser(superuser)
    assert browser.get("/admin/").status_code == 200
    access = login(api_client, superuser.email).json()["access"]
    assert bearer(access).post("/api/v1/auth/logout-all/").status_code == 204
    assert browser.get("/api/v1/users/me/").status_code in (401, 403)
    admin_page = browser.get("/admin/")
    assert admin_page.status_code == 302 and "/admin/login/" in admin_page["Location"]


def test_deactivation_ends_sessions(superuser):
    user = UserFactory(is_staff=True)
    browser = signed_in_browser(user)
    user_set_active(user=user, is_active=False, actor=superuser)
    assert browser.get("/api/v1/users/me/").status_code in (401, 403)


def test_password_reset_ends_sessions(user, django_capture_on_commit_callbacks):
    from apps.users.tests.conftest import token_from_mail

    browser = signed_in_browser(user)
    with django_capture_on_commit_callbacks(execute=True):
        password_reset_request(email=user.email)
    password_reset_confirm(token=token_from_mail(), password="a-brand-new-passphrase")
    assert browser.get("/api/v1/users/me/").status_code in (401, 403)


def test_password_change_keeps_the_callers_session_and_ends_the_others(user):
    caller, other = signed_in_browser(user), signed_in_browser(user)
    response = caller.post(
        "/api/v1/auth/password-change/",
        {"current_password": DEFAULT_PASSWORD, "new_password": "another-long-passphrase"},
        content_type="application/json",
        HTTP_X_CSRFTOKEN="x",
    )
    assert response.status_code == 200, response.content
    assert caller.get("/api/v1/users/me/").status_code == 200
    assert other.get("/api/v1/users/me/").status_code in (401, 403)


def test_session_hash_follows_the_secret_key_fallbacks(user, settings):
    old_hash = user.get_session_auth_hash()
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "another-secret-key-" + "x" * 40
    assert old_hash in list(user.get_session_auth_fallback_hash())
    assert user.get_session_auth_hash() != old_hash


# --- the token blacklist admin --------------------------------------------------------------------


@pytest.fixture
def issued(user, api_client):
    tokens = login(api_client, user.email).json()
    session_logout(refresh=tokens["refresh"])
    login(api_client, user.email)
    return tokens["refresh"]


def test_blacklist_admin_hides_the_token_text(admin_client, issued):
    outstanding = OutstandingToken.objects.order_by("created_at").first()
    for url in (
        "/admin/token_blacklist/outstandingtoken/",
        f"/admin/token_blacklist/outstandingtoken/{outstanding.pk}/change/",
        "/admin/token_blacklist/blacklistedtoken/",
        f"/admin/token_blacklist/blacklistedtoken/{BlacklistedToken.objects.get().pk}/change/",
    ):
        response = admin_client.get(url)
        assert response.status_code == 200, url
        content = response.content.decode()
        assert outstanding.jti in content
        for token in OutstandingToken.objects.values_list("token", flat=True):
            assert token not in content and token.split(".")[1] not in content, url


def test_blacklist_admin_is_read_only(admin_client, issued):
    outstanding = OutstandingToken.objects.first()
    assert admin_client.get("/admin/token_blacklist/outstandingtoken/add/").status_code == 403
    assert admin_client.get(f"/admin/token_blacklist/outstandingtoken/{outstanding.pk}/delete/").status_code == 403
    response = admin_client.post(
        f"/admin/token_blacklist/outstandingtoken/{outstanding.pk}/change/", {"jti": "changed"}
    )
    assert response.status_code == 403
    assert admin_client.get("/admin/token_blacklist/blacklistedtoken/add/").status_code == 403
    listing = admin_client.get("/admin/token_blacklist/outstandingtoken/")
    assert b"delete_selected" not in listing.content


def test_blacklist_admin_is_for_super_admins_only(client, issued):
    staff = UserFactory(is_staff=True)
    client.force_login(staff)
    assert client.get("/admin/token_blacklist/outstandingtoken/").status_code == 403
