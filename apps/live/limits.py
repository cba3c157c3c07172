"""How many sockets are open per signed-in user and per client IP (live.md: "Sockets are capped per
user and per IP"), counted across every process.

A count is a set of *leases*: one member per open socket (its channel name), each with an expiry.
A socket takes its leases when it joins (:meth:`SocketCounts.acquire` — refused when a count would
pass its cap), renews them on the consumer's re-check timer, and gives them back when it closes. A
process that crashes gives nothing back; its leases run out after :func:`lease_seconds` (three missed
renewals), so a count never stays wrong for long.

* **Redis** (``REDIS_URL``): one sorted set per user or IP (score = the lease's expiry), so every
  instance sees the same counts. Joining is one pipeline: drop expired leases, add this one, count.
  The keys carry a digest of the IP, never the address.
* **Local memory** (the embedded default, one process): the same leases in a dictionary.

Failing open: when Redis cannot be reached the socket is let in (and the failure logged and counted):
the cap protects the service from one abusive client; refusing every guest during a Redis blip would
do more harm than it prevents.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from typing import Any

from django.conf import settings

from apps.live import metrics

logger = logging.getLogger("augeo.live")

KEY_PREFIX = "augeo:live:sockets:"

#: (kind, key, cap): kind is what a refusal names ("user" or "ip").
Limit = tuple[str, str, int]


def _now() -> float:
    """Epoch seconds (a function of its own, so a test can move this module's clock alone)."""
    return time.time()


def lease_seconds() -> float:
    return max(3 * float(settings.LIVE_RECHECK_SECONDS), 30.0)


def socket_limits(*, user_id: Any, ip: str | None) -> list[Limit]:
    """The counts a socket joins: its client IP's, and its user's when signed in."""
    digest = hashlib.sha256((ip or "unknown").encode()).hexdigest()[:32]
    limits: list[Limit] = [("ip", f"{KEY_PREFIX}ip:{digest}", int(settings.LIVE_MAX_SOCKETS_PER_IP))]
    if user_id is not None:
        limits.append(("user", f"{KEY_PREFIX}user:{user_id}", int(settings.LIVE_MAX_SOCKETS_PER_USER)))
    return limits


class SocketCounts:
    """The interface of both stores. Every method is synchronous (the consumer runs it in a thread)
    and never raises."""

    def acquire(self, member: str, limits: list[Limit]) -> str | None:
        """Take a lease in every count; the kind of the first count over its cap (and no lease
        taken) or ``None``."""
        try:
            return self._acquire(member, limits, _now())
        except Exception:
            self._failed("acquire")
            return None

    def renew(self, member: str, limits: list[Limit]) -> None:
        try:
            self._renew(member, limits, _now())
        except Exception:
            self._failed("renew")

    def release(self, member: str, limits: list[Limit]) -> None:
        try:
            self._release(member, limits)
        except Exception:
            self._failed("release")

    def _failed(self, operation: str) -> None:
        logger.warning("live socket count: %s failed; the socket is not limited", operation, exc_info=True)
        metrics.socket_count_failed(operation)

    def _acquire(self, member: str, limits: list[Limit], now: float) -> str | None:
        raise NotImplementedError

    def _renew(self, member: str, limits: list[Limit], now: float) -> None:
        raise NotImplementedError

    def _release(self, member: str, limits: list[Limit]) -> None:
        raise NotImplementedError


class RedisSocketCounts(SocketCounts):
    """Sorted sets in the cache's Redis (``django_redis.get_redis_connection``)."""

    def _client(self) -> Any:
        # django-redis only when the socket counts are kept in Redis (the cache backend is then its).
        from django_redis import get_redis_connection

        return get_redis_connection("default")

    def _acquire(self, member: str, limits: list[Limit], now: float) -> str | None:
        expiry = now + lease_seconds()
        pipe = self._client().pipeline(transaction=True)
        for _, key, _ in limits:
            pipe.zremrangebyscore(key, "-inf", now)
            pipe.zadd(key, {member: expiry})
            pipe.zcard(key)
            pipe.expire(key, int(lease_seconds()) + 1)
        results = pipe.execute()
        counts = results[2::4]
        over = next((kind for (kind, _, cap), count in zip(limits, counts, strict=True) if count > cap), None)
        if over is not None:
            self._release(member, limits)
        return over

    def _renew(self, member: str, limits: list[Limit], now: float) -> None:
        pipe = self._client().pipeline(transaction=False)
        for _, key, _ in limits:
            pipe.zadd(key, {member: now + lease_seconds()})
            pipe.expire(key, int(lease_seconds()) + 1)
        pipe.execute()

    def _release(self, member: str, limits: list[Limit]) -> None:
        pipe = self._client().pipeline(transaction=False)
        for _, key, _ in limits:
            pipe.zrem(key, member)
        pipe.execute()


class LocalSocketCounts(SocketCounts):
    """The same leases in this process's memory (the embedded default's one server process)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._leases: dict[str, dict[str, float]] = {}

    def clear(self) -> None:
        with self._lock:
            self._leases.clear()

    def _acquire(self, member: str, limits: list[Limit], now: float) -> str | None:
        expiry = now + lease_seconds()
        with self._lock:
            for kind, key, cap in limits:
                leases = {m: e for m, e in self._leases.get(key, {}).items() if e > now}
                self._leases[key] = leases
                if member not in leases and len(leases) >= cap:
                    return kind
            for _, key, _ in limits:
                self._leases[key][member] = expiry
        return None

    def _renew(self, member: str, limits: list[Limit], now: float) -> None:
        with self._lock:
            for _, key, _ in limits:
                self._leases.setdefault(key, {})[member] = now + lease_seconds()

    def _release(self, member: str, limits: list[Limit]) -> None:
        with self._lock:
            for _, key, _ in limits:
                leases = self._leases.get(key)
                if leases is not None:
                    leases.pop(member, None)
                    if not leases:
                        del self._leases[key]


local_counts = LocalSocketCounts()
redis_counts = RedisSocketCounts()


def socket_counts() -> SocketCounts:
    """Redis when the cache is Redis (every instance shares the counts), else this process's."""
    backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    return redis_counts if backend.startswith("django_redis.") else local_counts
