"""Brute-force lockout: 5 consecutive failures per (account, IP) lock the pair for 15 minutes."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from axes.models import AccessAttempt
from django.utils import timezone

from apps.core.models import AuditEntry
from apps.users.tests.conftest import login
from apps.users.tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

WRONG = "wrong-password-here"


def fail(client, email, times, ip="10.0.0.1"):
    return [login(client, email, WRONG, ip=ip).status_code for _ in range(times)]


def assert_locked(response, at_most=900):
    assert response.status_code == 429, response.content
    error = response.json()["error"]
    assert error["code"] == "ACCOUNT_LOCKED"
    assert 0 < int(response["Retry-After"]) <= at_most
    assert error["retry_after"] == int(response["Retry-After"])


def test_five_failures_lock_even_the_right_password(api_client, user):
    assert fail(api_client, user.email, 5) == [401] * 5
    assert_locked(login(api_client, user.email, DEFAULT_PASSWORD))
    assert_locked(login(api_client, user.email, WRONG))
    assert AuditEntry.objects.filter(action="auth.lockout", details__email=user.email).count() == 1
    assert AuditEntry.objects.filter(action="auth.login_locked").count() == 2


def test_locked_attempts_do_not_extend_the_cool_off(api_client, user):
    fail(api_client, user.email, 5)
    start = timezone.now()
    with time_machine.travel(start + timedelta(minutes=10)):
        response = login(api_client, user.email, WRONG)
        assert_locked(response, at_most=5 * 60 + 1)
    with time_machine.travel(start + timedelta(minutes=15, seconds=5)):
        assert login(api_client, user.email).status_code == 200


def test_a_success_resets_the_count(api_client, user):
    assert fail(api_client, user.email, 4) == [401] * 4
    assert login(api_client, user.email).status_code == 200
    assert fail(api_client, user.email, 4) == [401] * 4
    assert login(api_client, user.email).status_code == 200
    assert not AccessAttempt.objects.filter(username=user.email).exists()


def test_right_password_of_unverified_account_resets_the_count(api_client, unverified):
    fail(api_client, unverified.email, 4)
    assert login(api_client, unverified.email).status_code == 403
    assert fail(api_client, unverified.email, 4) == [401] * 4


def test_lock_is_per_account_and_ip(api_client, user):
    other = UserFactory()
    fail(api_client, user.email, 5, ip="10.0.0.1")
    assert_locked(login(api_client, user.email, ip="10.0.0.1"))
    # Same account from another IP (the guest's phone on mobile data): not locked.
    assert login(api_client, user.email, ip="10.0.0.2").status_code == 200
    # Another account behind the same IP (the gala room): not locked.
    assert login(api_client, other.email, ip="10.0.0.1").status_code == 200


def test_lock_keys_on_normalised_email(api_client, user):
    fail(api_client, user.email.upper(), 3)
    fail(api_client, f"  {user.email}  ", 2)
    assert_locked(login(api_client, user.email))


def test_lock_keys_on_forwarded_client_ip_behind_a_proxy(api_client, user, settings):
    settings.NUM_PROXIES = 1
    for _ in range(5):
        api_client.post(
            "/api/v1/auth/login/",
            {"email": user.email, "password": WRONG},
            format="json",
            REMOTE_ADDR="10.9.9.9",
            HTTP_X_FORWARDED_FOR="203.0.113.7",
        )
    locked = api_client.post(
        "/api/v1/auth/login/",
        {"email": user.email, "password": DEFAULT_PASSWORD},
        format="json",
        REMOTE_ADDR="10.9.9.9",
        HTTP_X_FORWARDED_FOR="203.0.113.7",
    )
    assert locked.status_code == 429
    # Another client behind the same balancer is not affected.
    other = api_client.post(
        "/api/v1/auth/login/",
        {"email": user.email, "password": DEFAULT_PASSWORD},
        format="json",
        REMOTE_ADDR="10.9.9.9",
        HTTP_X_FORWARDED_FOR="203.0.113.8",
    )
    assert other.status_code == 200


def test_unlocks_after_cool_off(api_client, user):
    fail(api_client, user.email, 5)
    with time_machine.travel(timezone.now() + timedelta(minutes=15, seconds=1)):
        assert login(api_client, user.email).status_code == 200


def test_unknown_accounts_lock_too(api_client, db):
    """No difference between existing and unknown accounts (no enumeration through the lock)."""
    fail(api_client, "nobody@example.org", 5)
    assert_locked(login(api_client, "nobody@example.org", WRONG))


@pytest.mark.parametrize(
    "backend",
    ["apps.users.tests.broken_cache.BrokenCache", "django.core.cache.backends.dummy.DummyCache"],
    ids=["cache-raises", "cache-forgets"],
)
def test_lock_survives_a_cache_outage(api_client, user, settings, throttle_rates, backend):
    throttle_rates(login="1000/min", login_ip="1000/min")
    settings.CACHES = {"default": {"BACKEND": backend}}
    assert fail(api_client, user.email, 5) == [401] * 5
    assert_locked(login(api_client, user.email))


def test_password_reset_clears_the_lock(api_client, user, django_capture_on_commit_callbacks):
    from apps.users.tests.conftest import token_from_mail

    fail(api_client, user.email, 5)
    with django_capture_on_commit_callbacks(execute=True):
        api_client.post("/api/v1/auth/password-reset/", {"email": user.email}, format="json")
    response = api_client.post(
        "/api/v1/auth/password-reset/confirm/",
        {"token": token_from_mail(), "password": "a-brand-new-passphrase"},
        format="json",
    )
    assert response.status_code == 200
    assert login(api_client, user.email, "a-brand-new-passphrase").status_code == 200


def test_admin_login_form_is_locked_too(client, superuser):
    """The admin's login form shares the lock (axes backend + middleware)."""
    for _ in range(5):
        login_response = client.post(
            "/admin/login/", {"username": superuser.email, "password": WRONG}, REMOTE_ADDR="10.0.0.1"
        )
        assert login_response.status_code in (200, 429)
    response = client.post(
        "/admin/login/", {"username": superuser.email, "password": DEFAULT_PASSWORD}, REMOTE_ADDR="10.0.0.1"
    )
    assert response.status_code == 429
    assert response["Retry-After"]
    assert "text/plain" in response["Content-Type"]


def test_lock_holds_with_redis_unreachable(api_client, user, settings, throttle_rates):
    """The production cache configuration (django-redis, IGNORE_EXCEPTIONS) pointed at a dead port."""
    throttle_rates(login="3/min", login_ip="3/min")
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2, "IGNORE_EXCEPTIONS": True},
        }
    }
    assert fail(api_client, user.email, 5) == [401] * 5  # throttles off (cache down), lock still counts
    assert_locked(login(api_client, user.email))


@pytest.mark.redis
def test_login_throttle_on_real_redis(api_client, user, settings, throttle_rates):
    throttle_rates(login="2/min", login_ip="1000/min")
    assert "redis" in settings.CACHES["default"]["BACKEND"].lower()
    assert [login(api_client, user.email).status_code for _ in range(3)] == [200, 200, 429]
