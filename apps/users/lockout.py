"""Brute-force protection of the sign-in, after OWASP's "device cookies".

Two pulls meet here: lock per account and anyone can lock a named user out; lock per IP and an
attacker rotating addresses guesses freely. So:

* **untrusted clients** (no valid device token for the account): their failures count per account,
  from any IP. At ``LOGIN_FAILURE_LIMIT`` (5) the account is locked for them for
  ``LOGIN_LOCK_DURATION`` (15 min) — 429 ``ACCOUNT_LOCKED`` with ``Retry-After``, even with the right
  password, and attempts while locked neither count nor extend the lock.
* **known devices**: a successful sign-in issues a *device token* (signed: account + random nonce;
  an HttpOnly cookie for browsers and ``device_token`` in the API answer, sent back as
  ``X-Device-Token``). A client presenting a valid token for the account ignores the account lock
  and has its own limit: 5 failures invalidate that token, and it is an untrusted client again.

A failure streak ends when ``LOGIN_LOCK_DURATION`` passes without a failure, or on a success of the
same kind of client (an untrusted success resets the account count, a device success its own).
Every attempt is *reserved* before the password is checked (the counter is incremented under a row
lock in its own short transaction, and given back on success), so parallel requests cannot get more
than the limit of guesses in. The counters are ``LoginLock`` rows in the database, never the cache.
"""

from __future__ import annotations

import hashlib
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from apps.users.models import LoginLock, LoginLockScope

DEVICE_TOKEN_SALT = "augeo.users.device-token"  # noqa: S105 - a signing salt, public by design
#: Header API clients send their device token in; browsers send the cookie instead.
DEVICE_TOKEN_HEADER = "HTTP_X_DEVICE_TOKEN"  # noqa: S105 - a header name


def failure_limit() -> int:
    return int(getattr(settings, "LOGIN_FAILURE_LIMIT", 5))


def lock_duration() -> timedelta:
    return getattr(settings, "LOGIN_LOCK_DURATION", timedelta(minutes=15))


def device_token_ttl() -> timedelta:
    return getattr(settings, "DEVICE_TOKEN_TTL", timedelta(days=180))


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def account_key(email: str) -> str:
    return _digest(email.strip().lower())


# --- device tokens --------------------------------------------------------------------------------


def device_token_issue(*, user_id: Any) -> str:
    """A new device token for the account (signed, time-stamped; nothing stored until it fails)."""
    return signing.dumps({"u": str(user_id), "n": secrets.token_urlsafe(18)}, salt=DEVICE_TOKEN_SALT)


def device_key(token: Any, *, user_id: Any) -> str | None:
    """The counter key of ``token`` when it is a genuine, unexpired token of this account; else None.
    (Whether it has been invalidated by failures is the counter's business.)"""
    if not isinstance(token, str) or not token or len(token) > 512 or user_id is None:
        return None
    try:
        payload = signing.loads(token, salt=DEVICE_TOKEN_SALT, max_age=device_token_ttl())
    except signing.BadSignature:  # includes SignatureExpired
        return None
    if not isinstance(payload, dict) or payload.get("u") != str(user_id) or not isinstance(payload.get("n"), str):
        return None
    return _digest(payload["n"])


def device_token_from(request: HttpRequest) -> str | None:
    """The device token a client presents: the ``X-Device-Token`` header, else the cookie."""
    token = request.META.get(DEVICE_TOKEN_HEADER) or request.COOKIES.get(device_cookie_name())
    return token or None


def device_cookie_name() -> str:
    return str(getattr(settings, "DEVICE_TOKEN_COOKIE_NAME", "augeo_device"))


def device_cookie_set(response: HttpResponse, token: str) -> None:
    """Hand a browser its device token: HttpOnly (no script reads it), Secure like the session
    cookie, SameSite=Lax, for as long as the token is valid."""
    response.set_cookie(
        device_cookie_name(),
        token,
        max_age=int(device_token_ttl().total_seconds()),
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


# --- the counters ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Attempt:
    """A reserved sign-in attempt: which counter it was charged to."""

    scope: str
    key: str
    reached_limit: bool  # this attempt, if it fails, is the one that locks (or invalidates)


class Locked(Exception):
    """The account is locked for this (untrusted) client; ``seconds_left`` until it may try again."""

    def __init__(self, seconds_left: int) -> None:
        super().__init__(seconds_left)
        self.seconds_left = max(1, int(seconds_left))


class DeviceSpent(Exception):
    """The device token was invalidated (by a parallel attempt, say): the client is untrusted now."""


def _streak_over(row: LoginLock, now: datetime) -> bool:
    """A failure streak ends when its lock has run out, or the window passed without a failure."""
    if row.locked_until is not None:
        return row.locked_until <= now
    return row.last_failure_at is None or row.last_failure_at <= now - lock_duration()


def device_is_trusted(key: str) -> bool:
    """False once the token's failures invalidated it (its lock runs until it would expire)."""
    now = timezone.now()
    return not LoginLock.objects.filter(scope=LoginLockScope.DEVICE, key=key, locked_until__gt=now).exists()


def attempt_reserve(*, scope: str, key: str) -> Attempt:
    """Charge one attempt to the counter before the password is checked (see the module docstring).

    Raises ``Locked`` while an account lock runs (the attempt is not counted), ``DeviceSpent`` when
    the device token is no longer valid (the caller charges the account instead).
    """
    now = timezone.now()
    limit = failure_limit()
    with transaction.atomic():
        row, _ = LoginLock.objects.select_for_update().get_or_create(scope=scope, key=key)
        if row.locked_until is not None and row.locked_until > now:
            if scope == LoginLockScope.DEVICE:
                raise DeviceSpent()
            raise Locked(math.ceil((row.locked_until - now).total_seconds()))
        if _streak_over(row, now):
            row.failures, row.locked_until = 0, None
        row.failures += 1
        row.last_failure_at = now
        reached = row.failures >= limit
        if reached:
            # A device token is finished for good (until it would have expired anyway).
            row.locked_until = now + (lock_duration() if scope == LoginLockScope.ACCOUNT else device_token_ttl())
        row.save(update_fields=["failures", "last_failure_at", "locked_until"])
    return Attempt(scope=scope, key=key, reached_limit=reached)


def attempt_succeeded(attempt: Attempt) -> None:
    """The password was right: the streak of this kind of client ends (the row goes)."""
    LoginLock.objects.filter(scope=attempt.scope, key=attempt.key).delete()


def lockout_reset(*, email: str) -> int:
    """Lift the account lock of ``email`` (password reset, operators); returns the rows removed."""
    count, _ = LoginLock.objects.filter(scope=LoginLockScope.ACCOUNT, key=account_key(email)).delete()
    return count
