"""Readiness checks: database, cache, storage and the task queue, each reported by name.

A probe must answer within the load balancer's timeout even when a dependency hangs, so the cache
and storage checks run concurrently in a small thread pool and are given up after
``HEALTH_CHECK_TIMEOUT`` seconds (reported as ``TimeoutError``). The database check runs in the
request's own thread (Django connections are per thread) and is bounded by the driver's connect
timeout (``connect_timeout`` in base settings). Redis is bounded by django-redis' socket timeouts
(0.5 s) and Azure by the SDK's connection timeout with one retry.

The queue check reports the backend, the depth (tasks ready to run) and the oldest one's age; it
is ``ok`` whenever the queue can be read — a deep queue is for alerts, not a reason to take web
pods out of the balancer.

The probe pool is the one thread pool left in web processes, on purpose: it runs read-only probes
whose result the request waits for (bounded by the timeout), holds no work that must survive a
restart, and is what keeps a hanging dependency from holding the probe.

``/health/ready/`` is public (load balancers call it without credentials), so its answer is reused
for ``HEALTH_READY_CACHE_SECONDS`` (5) **per process** (:func:`ready_checks`): however often it is
called, each process runs the checks — a query on the task table, a Redis PING, a request to Azure —
at most once per period, and concurrent probes wait for the one run in progress. A process-local
cache (not Redis) on purpose: the probe must not depend on the cache it checks, and a pod's own
answer is what its balancer wants. The view decides how much of it a caller sees
(``apps.core.views.health_ready``).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.files.storage import default_storage

from apps.core.queries import database_ping
from apps.core.tasks import queue_stats

_POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="health")


def _database() -> None:
    database_ping()


def _cache() -> None:
    client_getter = getattr(getattr(cache, "client", None), "get_client", None)
    if client_getter is not None:
        # django-redis swallows errors in get/set (IGNORE_EXCEPTIONS); a raw PING does not.
        client_getter(write=True).ping()
        return
    key = f"health:{uuid.uuid4().hex}"
    cache.set(key, "1", 5)
    if cache.get(key) != "1":
        raise RuntimeError("cache did not return the value it stored")


def _storage() -> None:
    default_storage.exists("health-check-probe")


def _queue() -> dict[str, Any]:
    return queue_stats()


CHECKS: dict[str, Callable[[], Any]] = {
    "database": _database,
    "cache": _cache,
    "storage": _storage,
    "queue": _queue,
}
#: Checks that may run outside the request thread (they use no thread-bound connection).
THREADED = frozenset({"cache", "storage"})


def _timed(check: Callable[[], Any]) -> dict[str, object]:
    started = time.monotonic()
    try:
        details = check()
    except Exception as exc:  # each failure is reported by name, never raised
        return {"status": "error", "error": exc.__class__.__name__}
    return {"status": "ok", "ms": round((time.monotonic() - started) * 1000, 1), **(details or {})}


_clock = time.monotonic
_cached: tuple[float, dict[str, dict[str, object]]] | None = None
_cached_lock = threading.Lock()


def ready_checks() -> dict[str, dict[str, object]]:
    """:func:`run_checks`, reused for ``HEALTH_READY_CACHE_SECONDS`` in this process (0: every call
    runs them). One run at a time: probes arriving meanwhile wait for its result."""
    global _cached
    ttl = float(getattr(settings, "HEALTH_READY_CACHE_SECONDS", 0) or 0)
    if ttl <= 0:
        return run_checks()
    cached = _cached
    if cached is not None and _clock() - cached[0] < ttl:
        return cached[1]
    with _cached_lock:
        cached = _cached
        if cached is not None and _clock() - cached[0] < ttl:
            return cached[1]
        results = run_checks()
        _cached = (_clock(), results)
        return results


def ready_checks_forget() -> None:
    """Drop the reused answer (tests; an operator's shell)."""
    global _cached
    _cached = None


def run_checks() -> dict[str, dict[str, object]]:
    """``{name: {"status": "ok"|"error", ...}}`` for every dependency, in ``CHECKS`` order."""
    timeout = float(getattr(settings, "HEALTH_CHECK_TIMEOUT", 2.0))
    futures = {name: _POOL.submit(_timed, check) for name, check in CHECKS.items() if name in THREADED}
    results: dict[str, dict[str, object]] = {}
    for name, check in CHECKS.items():
        if name not in THREADED:
            results[name] = _timed(check)
    deadline = time.monotonic() + timeout
    for name, future in futures.items():
        try:
            results[name] = future.result(timeout=max(0.0, deadline - time.monotonic()))
        except FutureTimeout:
            results[name] = {"status": "error", "error": "TimeoutError"}
    return {name: results[name] for name in CHECKS}
