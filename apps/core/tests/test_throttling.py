"""Unit tests of apps.core.throttling (the accounts API tests cover the wiring)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory, force_authenticate

from apps.core import throttling as t


@pytest.fixture
def rates(settings: Any):
    def apply(**values: str | None) -> None:
        settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": values}

    return apply


def drf_request(data: Any = None, user: Any = None, ip: str = "192.0.2.1") -> Request:
    from rest_framework.parsers import JSONParser

    raw = APIRequestFactory().post("/x/", data or {}, format="json", REMOTE_ADDR=ip)
    request = Request(raw, parsers=[JSONParser()])
    if user is not None:
        request.user = user
    return request


def test_missing_scope_rate_lets_everything_through(rates):
    rates()
    throttle = t.LoginIPRateThrottle()
    assert throttle.rate is None
    assert all(throttle.allow_request(drf_request(), None) for _ in range(5))
    assert t.scope_rate("password_reset") is None


def test_ip_key_is_hashed(rates):
    rates(login_ip="5/min")
    throttle = t.LoginIPRateThrottle()
    key = throttle.get_cache_key(drf_request(ip="192.0.2.77"), None)
    assert "192.0.2.77" not in key  # no personal data in cache keys
    assert key != throttle.get_cache_key(drf_request(ip="192.0.2.78"), None)


def test_window_slides(rates, monkeypatch):
    rates(login_ip="2/min")
    now = [1000.0]
    monkeypatch.setattr(t.ScopedRateThrottle, "timer", lambda self: now[0])
    request = drf_request()
    assert t.LoginIPRateThrottle().allow_request(request, None)
    assert t.LoginIPRateThrottle().allow_request(request, None)
    assert not t.LoginIPRateThrottle().allow_request(request, None)
    now[0] += 61
    assert t.LoginIPRateThrottle().allow_request(request, None)


@pytest.mark.django_db
def test_bid_throttle_keys_on_the_user(rates, user):
    rates(bid="1/min")
    signed_in = drf_request(ip="192.0.2.1")
    force_authenticate(signed_in, user)
    signed_in.user = user
    elsewhere = drf_request(ip="192.0.2.2")
    elsewhere.user = user
    assert t.BidRateThrottle().allow_request(signed_in, None)
    assert not t.BidRateThrottle().allow_request(elsewhere, None)  # same user, other IP
    anonymous = drf_request(ip="192.0.2.3")
    assert t.BidRateThrottle().allow_request(anonymous, None)


@pytest.mark.django_db
def test_anon_throttle_skips_signed_in_users(rates, user):
    rates(anon="1/min")
    request = drf_request()
    request.user = user
    assert t.AnonIPRateThrottle().get_cache_key(request, None) is None
    anonymous = drf_request(ip="192.0.2.9")
    assert t.AnonIPRateThrottle().allow_request(anonymous, None)
    assert not t.AnonIPRateThrottle().allow_request(anonymous, None)


@pytest.mark.parametrize("backend", ["configured", "locmem"])
def test_counter_window_is_constant_size_and_refusals_do_not_count(rates, monkeypatch, backend):
    """The sliding-window counter: one small integer per window whatever the rate, the previous
    window weighted by its overlap, refused requests not counted, a Retry-After that lets through."""
    from django.core.cache import cache
    from django.core.cache.backends.locmem import LocMemCache

    store = cache if backend == "configured" else LocMemCache("throttle-test", {})
    monkeypatch.setattr(t.ScopedRateThrottle, "cache", store)
    rates(login_ip="3/min")
    now = [6000.0]  # the start of a window
    monkeypatch.setattr(t.ScopedRateThrottle, "timer", lambda self: now[0])
    request = drf_request(ip="192.0.2.77")
    assert all(t.LoginIPRateThrottle().allow_request(request, None) for _ in range(3))
    refused = t.LoginIPRateThrottle()
    assert not refused.allow_request(request, None)
    assert not t.LoginIPRateThrottle().allow_request(request, None)
    key = refused.key
    assert store.get(f"{key}:100") == 3  # one integer, refusals not counted
    assert 0 < refused.wait() <= 60
    # Half-way through the next window the previous one still weighs half: 1.5 used, one more fits
    # (2.5), the next would make 3.5.
    now[0] += 90
    assert t.LoginIPRateThrottle().allow_request(request, None)
    assert t.LoginIPRateThrottle().allow_request(request, None)
    throttle = t.LoginIPRateThrottle()
    assert not throttle.allow_request(request, None)
    wait = throttle.wait()
    assert 0 < wait <= 30
    now[0] += wait
    assert t.LoginIPRateThrottle().allow_request(request, None)


@pytest.mark.django_db
@pytest.mark.redis
def test_combined_throttles_count_every_scope_in_one_round_trip(rates, monkeypatch, user):
    """The bid path passes the ``user`` and ``bid`` throttles: on Redis both are counted in one
    pipeline, and each decides exactly as alone (refusals not counted, the longest wait wins)."""
    from django.core.cache import cache
    from rest_framework.exceptions import Throttled
    from rest_framework.views import APIView

    rates(user="100/min", bid="2/min")
    now = [12000.0 + (hash(str(user.pk)) % 1000) * 60]  # a window of this test's own
    monkeypatch.setattr(t.ScopedRateThrottle, "timer", lambda self: now[0])
    pipelines = []
    real_execute = type(cache.client.get_client(write=True).pipeline()).execute

    def counting_execute(pipe, *args, **kwargs):
        pipelines.append(len(pipe.command_stack))
        return real_execute(pipe, *args, **kwargs)

    monkeypatch.setattr(type(cache.client.get_client(write=True).pipeline()), "execute", counting_execute)

    class View(t.CombinedThrottlesMixin, APIView):
        throttle_classes = [t.UserRateThrottle, t.BidRateThrottle]

    def attempt() -> float | None:
        request = drf_request()
        request.user = user
        try:
            View().check_throttles(request)
        except Throttled as exc:
            return exc.wait
        return None

    assert attempt() is None and attempt() is None
    assert pipelines == [6, 6]  # INCR, EXPIRE and GET for each scope, one round trip per request
    wait = attempt()
    assert wait is not None and 0 < wait <= 60  # the bid scope refuses
    scopes = {}
    for cls in (t.UserRateThrottle, t.BidRateThrottle):
        throttle = cls()
        request = drf_request()
        request.user = user
        throttle.prepare(request, None)
        scopes[throttle.scope] = cache.get(throttle.current)
    assert scopes == {"user": 3, "bid": 2}  # the refused request counted where it was let through

    def broken(pipe, *args, **kwargs):
        raise ConnectionError("redis down")

    monkeypatch.setattr(type(cache.client.get_client(write=True).pipeline()), "execute", broken)
    now[0] += 3600
    assert attempt() is None  # fails open, scope by scope, as a single throttle does


# --- limits counted in the database -------------------------------------------------------------------


def test_scope_rate_reads_the_configured_rate(rates):
    rates(password_reset="5/hour", contact="3/min", register="7/d")
    assert t.scope_rate("password_reset") == (5, timedelta(hours=1))
    assert t.scope_rate("contact") == (3, timedelta(minutes=1))
    assert t.scope_rate("register") == (7, timedelta(days=1))


def test_window_limit_check_refuses_beyond_the_limit_with_the_wait_until_one_ages_out():
    from apps.core.exceptions import Throttled

    now = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    times = [now - timedelta(minutes=m) for m in (50, 30, 10)]
    t.window_limit_check(times[:2], limit=3, window=timedelta(hours=1), now=now, message="x")
    with pytest.raises(Throttled) as refused:
        t.window_limit_check(times, limit=3, window=timedelta(hours=1), now=now, message="Too many.", who="a")
    assert refused.value.code == "THROTTLED" and refused.value.message == "Too many."
    assert refused.value.retry_after == 10 * 60 + 1  # the oldest (50 min ago) leaves the hour in 10 min
    assert refused.value.headers == {"Retry-After": "601"}
    with pytest.raises(Throttled) as two_more:  # room for two: the two oldest must age out
        t.window_limit_check(times, limit=3, window=timedelta(hours=1), now=now, message="x", extra=2)
    assert two_more.value.retry_after == 30 * 60 + 1


@pytest.mark.django_db
def test_rows_limit_check_counts_recent_rows_in_the_database(rates, settings):
    """The mail scopes need no cache at all: a broken one changes nothing."""
    from apps.core import outbox
    from apps.core.exceptions import Throttled
    from apps.core.models import OutboxEmail

    settings.CACHES = {"default": {"BACKEND": "apps.users.tests.broken_cache.BrokenCache"}}
    rates(password_reset="2/hour")
    rows = outbox.queued_to("a@example.org", "password_reset")
    for _ in range(2):
        t.rows_limit_check(rows, scope="password_reset", message="no")
        outbox.email_queue(template="password_reset", to="a@example.org")
    with pytest.raises(Throttled):
        t.rows_limit_check(rows, scope="password_reset", message="no")
    # Another address, another template: their own budgets. An hour later: room again.
    t.rows_limit_check(outbox.queued_to("b@example.org", "password_reset"), scope="password_reset", message="no")
    t.rows_limit_check(outbox.queued_to("a@example.org", "verify_email"), scope="password_reset", message="no")
    OutboxEmail.objects.update(created_at=timezone.now() - timedelta(minutes=61))
    t.rows_limit_check(rows, scope="password_reset", message="no")
