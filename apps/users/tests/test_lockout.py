"""Brute-force lockout (OWASP "device cookies", apps.users.lockout): 5 failures per account from any
IP lock it for 15 minutes for clients without a device token; a device token has its own limit."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from apps.core.models import AuditEntry
from apps.users import lockout
from apps.users.models import LoginLock
from apps.users.tests.conftest import LOGIN, bearer, login
from apps.users.tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

WRONG = "wrong-password-here"


def fail(client, email, times, ip="10.0.0.1", **extra):
    return [login_as(client, email, WRONG, ip=ip, **extra).status_code for _ in range(times)]


def login_as(client, email, password=DEFAULT_PASSWORD, ip="10.0.0.1", device=None, **extra):
    if device:
        extra["HTTP_X_DEVICE_TOKEN"] = device
    return client.post(LOGIN, {"email": email, "password": password}, format="json", REMOTE_ADDR=ip, **extra)


def assert_locked(response, at_most=900):
    assert response.status_code == 429, response.content
    error = response.json()["error"]
    assert error["code"] == "ACCOUNT_LOCKED"
    assert 0 < int(response["Retry-After"]) <= at_most
    assert error["retry_after"] == int(response["Retry-After"])


def device_token_for(client, user, ip="10.0.0.1"):
    response = login_as(client, user.email, ip=ip)
    assert response.status_code == 200, response.content
    return response.json()["device_token"]


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
        assert_locked(login(api_client, user.email, WRONG), at_most=5 * 60 + 1)
    with time_machine.travel(start + timedelta(minutes=15, seconds=5)):
        assert login(api_client, user.email).status_code == 200


def test_a_success_resets_the_count(api_client, user):
    assert fail(api_client, user.email, 4) == [401] * 4
    assert login(api_client, user.email).status_code == 200
    assert fail(api_client, user.email, 4) == [401] * 4
    assert login(api_client, user.email).status_code == 200
    assert not LoginLock.objects.exists()


def test_a_streak_ends_when_the_window_passes_without_a_failure(api_client, user):
    fail(api_client, user.email, 4)
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        assert fail(api_client, user.email, 4) == [401] * 4
        assert login(api_client, user.email).status_code == 200


def test_right_password_of_unverified_account_resets_the_count(api_client, unverified):
    fail(api_client, unverified.email, 4)
    assert login(api_client, unverified.email).status_code == 403
    assert fail(api_client, unverified.email, 4) == [401] * 4


def test_failures_from_many_ips_lock_the_account(api_client, user):
    """The per-(account, IP) lock let an attacker with many addresses guess on; the count is per account."""
    for n in range(5):
        assert login(api_client, user.email, WRONG, ip=f"198.51.100.{n + 1}").status_code == 401
    assert_locked(login(api_client, user.email, ip="203.0.113.50"))


def test_another_account_behind_the_same_ip_is_not_locked(api_client, user):
    other = UserFactory()
    fail(api_client, user.email, 5, ip="10.0.0.1")
    assert login(api_client, other.email, ip="10.0.0.1").status_code == 200


def test_lock_keys_on_normalised_email(api_client, user):
    fail(api_client, user.email.upper(), 3)
    fail(api_client, f"  {user.email}  ", 2)
    assert_locked(login(api_client, user.email))


def test_lockout_bypass_by_rotating_x_forwarded_for(api_client, user, settings):
    """Regression: with DJANGO_NUM_PROXIES=1 a client talking to the app directly rotated
    X-Forwarded-For and every attempt counted for a fresh "IP". An untrusted peer's header is ignored."""
    settings.NUM_PROXIES = 1
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    for n in range(5):
        response = login_as(api_client, user.email, WRONG, ip="203.0.113.9", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")
        assert response.status_code == 401
    assert_locked(login_as(api_client, user.email, ip="203.0.113.9", HTTP_X_FORWARDED_FOR="198.51.100.77"))
    ips = set(AuditEntry.objects.filter(action="auth.login_failed").values_list("ip_address", flat=True))
    assert ips == {"203.0.113.9"}  # the header changed nothing, not even the audit trail


def test_trusted_proxy_failures_from_many_client_ips_lock_the_account(api_client, user, settings):
    settings.NUM_PROXIES = 1
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    for n in range(5):
        response = login_as(api_client, user.email, WRONG, ip="10.9.9.9", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")
        assert response.status_code == 401
    ips = set(AuditEntry.objects.filter(action="auth.login_failed").values_list("ip_address", flat=True))
    assert ips == {f"198.51.100.{n}" for n in range(5)}  # the proxy's header is believed…
    # …and the account is locked for every untrusted client, whatever address it comes from.
    assert_locked(login_as(api_client, user.email, ip="10.9.9.9", HTTP_X_FORWARDED_FOR="203.0.113.200"))


def test_known_device_signs_in_while_the_account_is_locked(api_client, user):
    """Regression: anyone could keep a named user from signing in. The real user's device token
    (from an earlier sign-in) is not subject to the account lock."""
    device = device_token_for(api_client, user, ip="192.0.2.10")
    attacker = type(api_client)()
    assert fail(attacker, user.email, 12, ip="198.51.100.1") == [401] * 5 + [429] * 7
    response = login_as(api_client, user.email, ip="192.0.2.10", device=device)
    assert response.status_code == 200, response.content
    assert response.json()["device_token"]
    # The lock still holds for everybody else, from that same IP too.
    assert_locked(login(attacker, user.email, ip="192.0.2.10"))


def test_device_cookie_works_for_browsers(api_client, user, settings):
    response = login_as(api_client, user.email)
    cookie = response.cookies[settings.DEVICE_TOKEN_COOKIE_NAME]
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and int(cookie["max-age"]) > 0
    fail(type(api_client)(), user.email, 5, ip="198.51.100.1")
    browser = type(api_client)()
    browser.cookies[settings.DEVICE_TOKEN_COOKIE_NAME] = cookie.value
    assert login_as(browser, user.email).status_code == 200


def test_five_failures_with_a_device_token_invalidate_it(api_client, user):
    device = device_token_for(api_client, user)
    assert fail(api_client, user.email, 5, device=device) == [401] * 5
    assert AuditEntry.objects.filter(action="auth.device_token_invalidated").count() == 1
    # The device's failures did not count against the account: untrusted clients still sign in…
    assert login_as(type(api_client)(), user.email, ip="192.0.2.1").status_code == 200
    # …and the spent token is an untrusted client now: subject to the account lock again.
    fail(type(api_client)(), user.email, 5, ip="198.51.100.1")
    assert_locked(login_as(api_client, user.email, device=device))


def test_a_device_success_resets_its_own_count(api_client, user):
    device = device_token_for(api_client, user)
    fail(api_client, user.email, 4, device=device)
    assert login_as(api_client, user.email, device=device).status_code == 200
    assert fail(api_client, user.email, 4, device=device) == [401] * 4
    assert login_as(api_client, user.email, device=device).status_code == 200


@pytest.mark.parametrize("kind", ["other-account", "tampered", "expired", "garbage"])
def test_a_device_token_that_is_not_valid_for_the_account_is_ignored(api_client, user, kind):
    other = UserFactory()
    token = {
        "other-account": lambda: device_token_for(api_client, other),
        "tampered": lambda: device_token_for(api_client, user)[:-2] + "xx",
        "expired": lambda: lockout.device_token_issue(user_id=user.pk),
        "garbage": lambda: "x" * 600,
    }[kind]()
    api_client.cookies.clear()
    fail(api_client, user.email, 5, ip="198.51.100.1")
    if kind == "expired":
        with time_machine.travel(timezone.now() + timedelta(days=181)):
            assert login_as(api_client, user.email, device=token).status_code == 200  # lock over by then
        return
    assert_locked(login_as(api_client, user.email, device=token))


def test_unlocks_after_cool_off(api_client, user):
    fail(api_client, user.email, 5)
    with time_machine.travel(timezone.now() + timedelta(minutes=15, seconds=1)):
        assert login(api_client, user.email).status_code == 200


def test_unknown_accounts_lock_too(api_client, db):
    """No difference between existing and unknown accounts (no enumeration through the lock)."""
    fail(api_client, "nobody@example.org", 5)
    assert_locked(login(api_client, "nobody@example.org", WRONG))


def test_the_table_names_nobody(api_client, user):
    fail(api_client, user.email, 2)
    assert LoginLock.objects.get().key == lockout.account_key(user.email) != user.email


@pytest.mark.parametrize(
    "backend",
    ["apps.users.tests.broken_cache.BrokenCache", "django.core.cache.backends.dummy.DummyCache"],
    ids=["cache-raises", "cache-forgets"],
)
def test_lock_survives_a_cache_outage(api_client, user, settings, throttle_rates, backend):
    throttle_rates(login_ip="1000/min")
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


def test_lockout_reset_command(api_client, user):
    from django.core.management import call_command

    fail(api_client, user.email, 5)
    call_command("lockout_reset", user.email.upper())
    assert login(api_client, user.email).status_code == 200


def test_lock_holds_with_redis_unreachable(api_client, user, settings, throttle_rates):
    """The production cache configuration (django-redis, IGNORE_EXCEPTIONS) pointed at a dead port."""
    throttle_rates(login_ip="3/min")
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2, "IGNORE_EXCEPTIONS": True},
        }
    }
    assert fail(api_client, user.email, 5) == [401] * 5  # throttles off (cache down), lock still counts
    assert_locked(login(api_client, user.email))


# --- the admin's login form: the same service, the same rules -----------------------------------------


def admin_login(client, email, password=DEFAULT_PASSWORD, ip="10.0.0.1", **extra):
    return client.post("/admin/login/", {"username": email, "password": password}, REMOTE_ADDR=ip, **extra)


def test_admin_login_form_is_locked_per_account(client, superuser):
    """Regression: the admin login had no per-account limit once the IP changed."""
    for n in range(5):
        assert admin_login(client, superuser.email, WRONG, ip=f"198.51.100.{n}").status_code == 200  # form again
    response = admin_login(client, superuser.email, ip="203.0.113.1")
    assert response.status_code == 429 and 0 < int(response["Retry-After"]) <= 900
    assert b"Too many failed sign-in attempts" in response.content
    assert "_auth_user_id" not in client.session


def test_admin_and_api_share_one_lock(client, api_client, superuser):
    fail(api_client, superuser.email, 5)
    assert admin_login(client, superuser.email).status_code == 429


def test_admin_login_issues_a_device_cookie_that_passes_the_lock(client, superuser, settings):
    response = admin_login(client, superuser.email)
    assert response.status_code == 302
    cookie = response.cookies[settings.DEVICE_TOKEN_COOKIE_NAME]
    assert cookie["httponly"]
    client.logout()  # a new, empty cookie jar
    attacker = type(client)()
    for _ in range(6):
        admin_login(attacker, superuser.email, WRONG, ip="198.51.100.1")
    assert admin_login(attacker, superuser.email).status_code == 429
    client.cookies[settings.DEVICE_TOKEN_COOKIE_NAME] = cookie.value
    assert admin_login(client, superuser.email).status_code == 302


def test_admin_login_of_an_unverified_or_non_staff_account(client, unverified, user):
    assert b"Verify your e-mail" in admin_login(client, unverified.email).content
    response = admin_login(client, user.email)
    assert response.status_code == 200 and "_auth_user_id" not in client.session


# --- "confirm with your password": the same counters as sign-in ---------------------------------------

CHANGE = "/api/v1/auth/password-change/"
DELETE_ACCOUNT = "/api/v1/privacy/delete-account/"
NEW = "a-brand-new-passphrase-1"


def change(client, current, device=None):
    extra = {"HTTP_X_DEVICE_TOKEN": device} if device else {}
    return client.post(CHANGE, {"current_password": current, "new_password": NEW}, format="json", **extra)


def test_wrong_current_passwords_lock_like_sign_ins(api_client, user, tokens):
    """A stolen session guessed the current password without limit; now 5 wrong ones lock the account
    exactly as 5 failed sign-ins do, on the same counter."""
    client = bearer(tokens["access"])
    assert [change(client, WRONG).status_code for _ in range(5)] == [400] * 5
    assert_locked(change(client, DEFAULT_PASSWORD))  # even the right one
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)
    assert_locked(login(type(api_client)(), user.email))  # one lock for the account (a client without device)
    assert AuditEntry.objects.filter(action="auth.password_check_failed", actor=user).count() == 5
    assert AuditEntry.objects.filter(action="auth.lockout", details__email=user.email).count() == 1
    assert AuditEntry.objects.filter(action="auth.password_check_locked").count() == 1


def test_sign_in_failures_and_current_password_failures_add_up(api_client, user, tokens):
    client = bearer(tokens["access"])
    stranger = type(api_client)()  # no device cookie
    assert fail(stranger, user.email, 3) == [401] * 3
    assert [change(client, WRONG).status_code for _ in range(2)] == [400] * 2
    assert_locked(login(stranger, user.email))


def test_a_right_current_password_ends_the_streak(user, tokens):
    client = bearer(tokens["access"])
    assert [change(client, WRONG).status_code for _ in range(4)] == [400] * 4
    assert change(client, DEFAULT_PASSWORD).status_code == 200
    assert not LoginLock.objects.exists()


def test_the_device_token_keeps_its_owner_out_of_someone_elses_lock(api_client, user):
    signed_in = login(api_client, user.email).json()
    fail(type(api_client)(), user.email, 5, ip="198.51.100.9")  # somebody else locks the account
    client = bearer(signed_in["access"])
    assert_locked(change(client, DEFAULT_PASSWORD))  # without the device token
    assert change(client, DEFAULT_PASSWORD, device=signed_in["device_token"]).status_code == 200


def test_wrong_passwords_on_account_deletion_lock_like_sign_ins(user, tokens):
    client = bearer(tokens["access"])
    for _ in range(5):
        response = client.post(DELETE_ACCOUNT, {"password": WRONG}, format="json")
        assert response.status_code == 400 and "password" in response.json()["error"]["fields"]
    assert_locked(client.post(DELETE_ACCOUNT, {"password": DEFAULT_PASSWORD}, format="json"))
    user.refresh_from_db()
    assert user.is_active and not user.email.endswith(".invalid")


def admin_password_change(client, old, new=NEW):
    data = {"old_password": old, "new_password1": new, "new_password2": new}
    return client.post("/admin/password_change/", data, REMOTE_ADDR="10.0.0.1")


def test_admin_password_change_page_counts_with_the_lockout(client, superuser):
    client.force_login(superuser)
    for _ in range(5):
        response = admin_password_change(client, WRONG)
        assert response.status_code == 200 and b"The current password is wrong." in response.content
    locked = admin_password_change(client, DEFAULT_PASSWORD)
    assert locked.status_code == 429 and 0 < int(locked["Retry-After"]) <= 900
    assert b"Too many wrong passwords" in locked.content
    superuser.refresh_from_db()
    assert superuser.check_password(DEFAULT_PASSWORD)


def test_admin_password_change_page_goes_through_the_service(client, api_client, superuser):
    refresh = login(api_client, superuser.email).json()["refresh"]
    client.force_login(superuser)
    weak = admin_password_change(client, DEFAULT_PASSWORD, new="short")
    assert weak.status_code == 200 and not LoginLock.objects.exists()
    done = admin_password_change(client, DEFAULT_PASSWORD)
    assert done.status_code == 302 and done["Location"].endswith("/admin/password_change/done/")
    superuser.refresh_from_db()
    assert superuser.check_password(NEW)
    assert client.get("/admin/").status_code == 200  # this browser stays signed in
    assert api_client.post("/api/v1/auth/refresh/", {"refresh": refresh}, format="json").status_code == 401
    assert AuditEntry.objects.filter(action="auth.password_change", actor=superuser).exists()
