"""Rate limits that key on the account where there is one: DRF throttles kept in the cache, and the
database-backed limits of the scopes that send e-mail.

Scopes and their rates live in ``settings.THROTTLE_RATES`` (``THROTTLE_RATE_<SCOPE>`` overrides one);
they are read from DRF's ``api_settings`` on every request, so ``override_settings(REST_FRAMEWORK=…)``
in a test takes effect without reloading modules.

- ``register``, ``password_reset``, ``contact``: the scopes whose every request sends an e-mail (a
  verification link, a reset link, a message to the platform). They are **counted in the
  database**, not the cache: :func:`rows_limit_check` counts the rows each sent mail leaves anyway
  (the outbox rows to the address, the stored contact messages of the IP) within the scope's period,
  the way the guest invitations' daily limits and the one-export-an-hour rule count theirs, and
  refuses the next with 429 ``THROTTLED`` and ``Retry-After`` (:func:`window_limit_check`). A cache
  throttle fails open during a Redis outage, and then anyone could mail one address without limit.
  ``register`` and ``password_reset`` key on the address (mail to one address stays rare wherever the
  requests come from, and a gala room behind one IP is not slowed down by one guest; unknown
  addresses count like real ones); ``contact`` on the client IP.
- ``login_ip``: a generous per-IP ceiling on logins (hundreds of guests sign in within minutes), on
  every sign-in form: the API, the ``/sign-in/`` page and the admin's login (:func:`throttle_wait`
  lets a plain Django view or form use a scope).
  Password guessing is bounded by the lockout in the database (``apps.users.lockout``: per account
  and per device token), deliberately not by a throttle keyed on the e-mail alone — that one let
  anybody keep a named user from signing in.
- ``anon`` / ``user``: the defaults of every view (per IP for anonymous callers, per account).
- ``bid``: per signed-in user.

The client IP is ``apps.core.net.client_ip`` (trusted proxies), the same address the lockout and the
audit log use. The cache throttles fail open: when the cache is down (Redis outage) requests are let
through and the failure is logged — what must hold then (the brute-force lock, the mail limits) lives
in the database.
"""

from __future__ import annotations

import hashlib
import logging
import math
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from apps.core.exceptions import Throttled
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


class LoginIPRateThrottle(ScopedRateThrottle):
    scope = "login_ip"


class BidRateThrottle(ScopedRateThrottle):
    """Per signed-in user (bids always come from an account); per IP otherwise."""

    scope = "bid"

    def client_key(self, request: Request) -> str:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return f"user:{user.pk}"
        return super().client_key(request)


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


# --- limits counted in the database ---------------------------------------------------------------

_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def scope_rate(scope: str) -> tuple[int, timedelta] | None:
    """The scope's rate (``"5/hour"``) as ``(count, period)``; None when the scope has no rate."""
    rate = api_settings.DEFAULT_THROTTLE_RATES.get(scope)
    if not rate:
        return None
    count, period = str(rate).split("/")
    return int(count), timedelta(seconds=_PERIODS[period.strip()[0]])


def window_limit_check(
    times: Sequence[datetime],
    *,
    limit: int,
    window: timedelta,
    now: datetime,
    message: str,
    extra: int = 1,
    **details: Any,
) -> None:
    """429 ``THROTTLED`` when ``extra`` more actions would exceed ``limit`` within ``window``, given the
    times of the actions already taken in it (``times``, all after ``now - window``). ``Retry-After``
    is when enough of them have aged out of the window. The one rule behind every limit counted in
    the database (guest invitations, the mail scopes)."""
    if len(times) + extra <= limit:
        return
    ordered = sorted(times)
    must_age_out = len(ordered) + extra - limit
    pivot = ordered[min(max(must_age_out, 1), len(ordered)) - 1] if ordered else now
    raise Throttled(message, retry_after=int((pivot + window - now).total_seconds()) + 1, **details)


def rows_limit_check(rows: QuerySet[Any], *, scope: str, message: str, field: str = "created_at") -> None:
    """A throttle scope counted in the database: ``rows`` are the rows each earlier action of this
    key left behind (the outbox rows of mails to one address, one IP's contact messages); created
    within the scope's period, they are counted against its rate (:func:`window_limit_check`).

    Holds when the cache is down, survives a flush, and needs no second store. Exact when the
    caller holds a row lock that serialises the key (the account row, when there is one);
    otherwise parallel requests may pass a count together — a burst, never an unbounded stream."""
    rate = scope_rate(scope)
    if rate is None:
        return
    limit, window = rate
    now = timezone.now()
    recent = rows.filter(**{f"{field}__gt": now - window}).order_by(f"-{field}")
    times = list(recent.values_list(field, flat=True)[:limit])
    window_limit_check(times, limit=limit, window=window, now=now, message=message)
