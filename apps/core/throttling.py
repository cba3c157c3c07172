"""Rate limits (DRF throttles) that key on the account where there is one.

Scopes and their rates live in ``settings.THROTTLE_RATES`` (``THROTTLE_RATE_<SCOPE>`` overrides one);
they are read from DRF's ``api_settings`` on every request, so ``override_settings(REST_FRAMEWORK=…)``
in a test takes effect without reloading modules.

- ``register``, ``password_reset``: keyed on the normalised e-mail address in the body, so mail to
  one address stays rare wherever the requests come from, while a gala room behind one public IP is
  not slowed down by one guest. Without an address they fall back to the IP.
- ``login_ip``: a generous per-IP ceiling on logins (hundreds of guests sign in within minutes), on
  every sign-in form: the API, the ``/sign-in/`` page and the admin's login (:func:`throttle_wait`
  lets a plain Django view or form use a scope).
  Password guessing is bounded by the lockout in the database (``apps.users.lockout``: per account
  and per device token), deliberately not by a throttle keyed on the e-mail alone — that one let
  anybody keep a named user from signing in.
- ``anon`` / ``user``: the defaults of every view (per IP for anonymous callers, per account).
- ``bid``: per signed-in user; ``contact``: per IP (for other apps).

The client IP is ``apps.core.net.client_ip`` (trusted proxies), the same address the lockout and the
audit log use. Throttles fail open: when the cache is down (Redis outage) requests are let through
and the failure is logged — the brute-force lock lives in the database and still holds.
"""

from __future__ import annotations

import hashlib
import logging
import math
from typing import Any

from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from apps.core.net import client_ip

logger = logging.getLogger("augeo.throttling")


def _digest(value: str) -> str:
    # Cache keys must not carry personal data (Redis dumps, monitoring); a digest keys just as well.
    return hashlib.sha256(value.encode()).hexdigest()[:32]


class ScopedRateThrottle(SimpleRateThrottle):
    """Base class: rate read at request time, IP from ``client_ip``, fail-open on cache errors."""

    scope: str

    def __init__(self) -> None:  # SimpleRateThrottle reads the rate in __init__; keep that, but lazily.
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)

    def get_rate(self) -> str | None:
        rate = api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)
        return str(rate) if rate else None

    def client_key(self, request: Request) -> str:
        return f"ip:{client_ip(request) or 'unknown'}"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": _digest(self.client_key(request))}

    def allow_request(self, request: Request, view: Any) -> bool:
        """A sliding-window counter: O(1) per request whatever the rate.

        DRF's ``SimpleRateThrottle`` keeps a list of every timestamp of the last ``duration`` and
        reads, trims, pickles and writes the whole list back on every request: at the ``user``
        rate (1,200/min) that is up to 1,200 floats through Redis per API call, and an anonymous
        crowd behind one address shares one list. Here each window of ``duration`` seconds has one
        integer counter (``INCR``); the rate in force is the current window's count plus the
        previous window's, weighted by how much of it still overlaps the sliding window — the
        estimate used by Cloudflare and Redis' rate limiters, exact from a cold start and off by
        at most the previous window's share at a boundary, never letting a burst of 2 x the rate
        through. One Redis round trip (a pipeline: ``INCR``, ``EXPIRE``, ``GET``), a few bytes; two on other
        cache backends (``get_many`` + ``incr``).
        """
        # Outside the try: a malformed body must surface as the parser's 400, not be swallowed.
        if not self.prepare(request, view):
            return True
        assert self.duration is not None and self.num_requests is not None
        current, previous, overlap = self.current, self.previous, self.overlap_now
        try:
            counted = self.counted
            if counted is None:
                counted = _redis_count(self.cache, current, previous, 2 * self.duration)
            if counted is None:  # another cache backend: read both, then count
                counts = self.cache.get_many([current, previous])
                before, previous_count = counts.get(current, 0), counts.get(previous, 0)
            else:  # Redis: counted already, in the same round trip as the previous window's read
                before, previous_count = counted[0] - 1, counted[1]
            self.estimate = previous_count * overlap + before
            if self.estimate >= self.num_requests:
                self.previous_count, self.overlap = previous_count, overlap
                if counted is not None:
                    self.cache.decr(current)  # a refused request does not count
                return self.throttle_failure()
            if counted is None:
                self._count(current)
            return True
        except Exception:  # the cache is down: degrade to "no throttling" rather than a 500
            logger.warning("throttle cache unavailable; scope %s not enforced", self.scope)
            return True

    #: This request's count and the previous window's, when :func:`count_together` fetched them.
    counted: tuple[int, int] | None = None
    _prepared: bool | None = None

    def prepare(self, request: Request, view: Any) -> bool:
        """Work out this request's window keys (once); False when the throttle does not apply (no
        rate, or no key: e.g. the ``user`` scope for an anonymous caller)."""
        if self._prepared is None:
            self._prepared = False
            if self.rate is None or self.num_requests is None or self.duration is None:
                return False
            self.key = self.get_cache_key(request, view)
            if self.key is None:
                return False
            self.now = self.timer()
            window = int(self.now // self.duration)
            self.current, self.previous = f"{self.key}:{window}", f"{self.key}:{window - 1}"
            self.overlap_now = 1.0 - (self.now - window * self.duration) / self.duration
            self._prepared = True
        return self._prepared

    def _count(self, key: str) -> None:
        """Adds this request to its window's counter (created on first use, kept for two windows)."""
        try:
            self.cache.incr(key)
        except ValueError:  # no counter yet in this window
            if not self.cache.add(key, 1, timeout=2 * (self.duration or 0)):
                self.cache.incr(key)  # another request created it meanwhile

    def wait(self) -> float | None:
        """Seconds until the estimate falls below the rate again (the previous window's weight
        shrinks as time passes; at the latest when the next window starts)."""
        if self.duration is None or self.num_requests is None:
            return None
        window_end = (int(self.now // self.duration) + 1) * self.duration
        previous = getattr(self, "previous_count", 0)
        current = self.estimate - previous * getattr(self, "overlap", 0.0)
        if previous and current < self.num_requests:
            # previous * (overlap - dt / duration) + current < num_requests
            needed = (previous * self.overlap + current - self.num_requests) / previous * self.duration
            return max(0.0, min(needed, window_end - self.now)) + 0.001
        return max(0.0, window_end - self.now)


def _redis_count(cache: Any, current: str, previous: str, ttl: int) -> tuple[int, int] | None:
    """On django-redis: ``INCR current``, ``EXPIRE current``, ``GET previous`` in one pipeline and
    ``(current count with this request, previous count)``; None for any other cache backend."""
    counted = _redis_counts(cache, [(current, previous, ttl)])
    return None if counted is None else counted[0]


def _redis_counts(cache: Any, windows: list[tuple[str, str, int]]) -> list[tuple[int, int]] | None:
    """:func:`_redis_count` for several ``(current, previous, ttl)`` windows in one pipeline."""
    client_of = getattr(getattr(cache, "client", None), "get_client", None)
    make_key = getattr(getattr(cache, "client", None), "make_key", None)
    if client_of is None or make_key is None:
        return None
    pipe = client_of(write=True).pipeline(transaction=False)
    for current, previous, ttl in windows:
        current_key = make_key(current)
        pipe.incr(current_key)
        pipe.expire(current_key, ttl)
        pipe.get(make_key(previous))
    results = pipe.execute()
    return [(int(results[i]), int(results[i + 2] or 0)) for i in range(0, len(results), 3)]


def count_together(throttles: list[Any], request: Request, view: Any) -> None:
    """Count ``request`` in every one of ``throttles`` kept in Redis in one round trip (a pipeline of
    each one's ``INCR``, ``EXPIRE`` and ``GET``) instead of one each; each throttle then decides on
    its count as before (:class:`CombinedThrottlesMixin`). Anything else — another cache backend, a
    Redis error — leaves each throttle to count on its own (and fail open on its own)."""
    ours = [t for t in throttles if isinstance(t, ScopedRateThrottle) and t.prepare(request, view)]
    if len(ours) < 2:
        return
    cache = ours[0].cache
    if any(t.cache is not cache for t in ours):
        return
    try:
        counted = _redis_counts(cache, [(t.current, t.previous, 2 * (t.duration or 0)) for t in ours])
    except Exception:
        logger.warning("throttle cache unavailable; counting the scopes one by one")
        return
    for throttle, counts in zip(ours, counted or (), strict=False):
        throttle.counted = counts


class CombinedThrottlesMixin:
    """A view whose requests pass several throttles (the bid path: ``user`` and ``bid``) counts them
    in one Redis round trip (:func:`count_together`); the decision, the 429 and its ``Retry-After``
    are DRF's ``check_throttles``, unchanged."""

    def check_throttles(self, request: Request) -> None:
        throttles = self.get_throttles()  # type: ignore[attr-defined]
        count_together(throttles, request, self)
        durations = [throttle.wait() for throttle in throttles if not throttle.allow_request(request, self)]
        if durations:
            self.throttled(request, max((d for d in durations if d is not None), default=None))  # type: ignore[attr-defined]


def throttle_wait(throttle_class: type[ScopedRateThrottle], request: Any) -> int | None:
    """Count ``request`` (a Django ``HttpRequest`` of a page or the admin) in ``throttle_class``'s
    scope, as DRF does for an API view: None when it may go on, else the whole seconds to wait (the
    ``Retry-After``). Only throttles keyed on the client IP or the user work here (no parsed body)."""
    throttle = throttle_class()
    if throttle.allow_request(request, None):
        return None
    return max(1, math.ceil(throttle.wait() or 1))


class AccountRateThrottle(ScopedRateThrottle):
    """Keyed on the e-mail address in the request body (normalised), else on the client IP."""

    email_field = "email"

    def client_key(self, request: Request) -> str:
        data = request.data if isinstance(getattr(request, "data", None), dict) else {}
        email = data.get(self.email_field)
        if isinstance(email, str) and email.strip():
            return f"account:{email.strip().lower()}"
        return super().client_key(request)


class LoginIPRateThrottle(ScopedRateThrottle):
    scope = "login_ip"


class RegisterRateThrottle(AccountRateThrottle):
    scope = "register"


class PasswordResetRateThrottle(AccountRateThrottle):
    scope = "password_reset"


class BidRateThrottle(ScopedRateThrottle):
    """Per signed-in user (bids always come from an account); per IP otherwise."""

    scope = "bid"

    def client_key(self, request: Request) -> str:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return f"user:{user.pk}"
        return super().client_key(request)


class ContactRateThrottle(ScopedRateThrottle):
    scope = "contact"


class UserRateThrottle(ScopedRateThrottle):
    """DRF's ``user`` scope for signed-in callers (anonymous ones are the ``anon`` scope's)."""

    scope = "user"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": _digest(f"user:{user.pk}")}


class AnonIPRateThrottle(ScopedRateThrottle):
    """DRF's ``anon`` scope, but keyed on ``client_ip`` and read lazily like the others."""

    scope = "anon"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return None
        return super().get_cache_key(request, view)
