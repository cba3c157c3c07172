"""The users admin: super admins only; actions go through the services."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from apps.core.models import AuditEntry
from apps.npos.tests.factories import MembershipFactory, NPOFactory
from apps.users.models import User
from apps.users.tests.conftest import bearer, login
from apps.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:users_user_changelist")


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


def act(client, action, users):
    return client.post(CHANGELIST, {"action": action, "_selected_action": [str(u.pk) for u in users]}, follow=True)


def test_changelist_search_and_filters(admin_client):
    UserFactory(email="findme@example.org", first_name="Zelda")
    UserFactory(email="unverified@example.org", email_verified_at=None)
    response = admin_client.get(CHANGELIST, {"q": "zelda"})
    assert response.status_code == 200
    assert b"findme@example.org" in response.content
    assert b"unverified@example.org" not in response.content
    response = admin_client.get(CHANGELIST, {"verified": "no"})
    assert b"unverified@example.org" in response.content and b"findme@example.org" not in response.content
    response = admin_client.get(CHANGELIST, {"verified": "yes"})
    assert b"findme@example.org" in response.content
    assert admin_client.get(CHANGELIST, {"is_active__exact": "1"}).status_code == 200


def test_change_and_add_views(admin_client):
    target = UserFactory()
    assert admin_client.get(reverse("admin:users_user_change", args=[target.pk])).status_code == 200
    response = admin_client.post(
        reverse("admin:users_user_add"),
        {
            "email": "New@Example.org",
            "usable_password": "true",
            "password1": "a-long-enough-passphrase",
            "password2": "a-long-enough-passphrase",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    created = User.objects.get(email="new@example.org")
    assert created.check_password("a-long-enough-passphrase")


def test_npo_staff_cannot_see_users(client):
    member = UserFactory(is_staff=True)
    MembershipFactory(npo=NPOFactory(), user=member, role="admin")
    client.force_login(member)
    assert client.get(CHANGELIST).status_code in (302, 403)
    assert client.get(reverse("admin:users_user_change", args=[member.pk])).status_code in (302, 403)
    index = client.get(reverse("admin:index"))
    assert b"/admin/users/user/" not in index.content


def test_deactivate_and_activate(admin_client, superuser, api_client):
    target = UserFactory()
    tokens = login(api_client, target.email).json()
    act(admin_client, "deactivate", [target])
    target.refresh_from_db()
    assert target.is_active is False
    assert bearer(tokens["access"]).get("/api/v1/users/me/").status_code == 401
    assert api_client.post("/api/v1/auth/refresh/", {"refresh": tokens["refresh"]}, format="json").status_code == 401
    assert AuditEntry.objects.filter(action="user.deactivated", actor=superuser, object_id=str(target.pk)).exists()
    act(admin_client, "activate", [target])
    target.refresh_from_db()
    assert target.is_active is True
    assert login(api_client, target.email).status_code == 200


def test_cannot_deactivate_yourself(admin_client, superuser):
    response = act(admin_client, "deactivate", [superuser])
    superuser.refresh_from_db()
    assert superuser.is_active is True
    assert b"cannot deactivate your own account" in response.content


def test_change_form_deactivation_goes_through_the_service(admin_client, superuser):
    target = UserFactory()
    url = reverse("admin:users_user_change", args=[target.pk])
    data = {
        "email": target.email,
        "first_name": target.first_name,
        "last_name": target.last_name,
        "social_links": "{}",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
    }
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    target.refresh_from_db()
    assert target.is_active is False
    assert AuditEntry.objects.filter(action="user.deactivated", object_id=str(target.pk)).exists()


def test_mark_verified(admin_client):
    target = UserFactory(email_verified_at=None)
    act(admin_client, "mark_verified", [target])
    target.refresh_from_db()
    assert target.email_verified_at is not None
    assert AuditEntry.objects.filter(action="user.email_verified_by_admin").count() == 1


def test_send_password_reset(admin_client, django_capture_on_commit_callbacks):
    target = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        act(admin_client, "send_password_reset", [target])
    assert [m.to for m in mail.outbox] == [[target.email]]
    assert "token=" in mail.outbox[0].body


def test_users_cannot_be_deleted(admin_client):
    target = UserFactory()
    assert admin_client.get(reverse("admin:users_user_delete", args=[target.pk])).status_code in (302, 403)
    assert User.objects.filter(pk=target.pk).exists()


def test_password_hashes_cannot_be_bisected_from_the_address_bar(admin_client):
    """``?password__startswith=`` answered "which users' hashes start so" (a bisection oracle)."""
    UserFactory()
    assert admin_client.get(CHANGELIST, {"password__startswith": "md5$"}).status_code == 400
    assert admin_client.get(CHANGELIST, {"password__gte": "a"}).status_code == 400
    assert admin_client.get(CHANGELIST, {"is_active__exact": "1"}).status_code == 200  # a declared filter


def test_refresh_tokens_cannot_be_bisected_from_the_address_bar(admin_client, api_client):
    """The token text is never shown, and ``?token__startswith=`` must not read it letter by letter."""
    refresh = login(api_client, UserFactory().email).json()["refresh"]
    api_client.post("/api/v1/auth/logout/", {"refresh": refresh}, format="json")
    outstanding = reverse("admin:token_blacklist_outstandingtoken_changelist")
    blacklisted = reverse("admin:token_blacklist_blacklistedtoken_changelist")
    assert admin_client.get(outstanding, {"token__startswith": refresh[:8]}).status_code == 400
    assert admin_client.get(blacklisted, {"token__token__startswith": refresh[:8]}).status_code == 400
    assert admin_client.get(outstanding, {"q": "x"}).status_code == 200  # search stays (jti, e-mail)
