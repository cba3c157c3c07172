"""A short-lived shared cache of an event's public reads.

A room of phones polls the catalogue and the totals all night; the answer is the same for every
anonymous caller and changes only when something is bid, sold, pledged or edited. Within
``AUGEO_PUBLIC_CACHE_SECONDS`` (default 1 s, 0 turns it off) such a read is answered from the
cache, so the room costs one build per second, not one per phone.

Invalidation: every public change of an event's auction goes through the live publisher after it
commits (``apps.live.publisher``: bids, item updates and closes, sales, pledges, totals), which calls
:func:`event_changed`; that bumps the event's version, and an entry built under an older version
is never served again. So a committed bid is visible on the very next read, and a change that does
not go through the publisher (an event unpublished, a catalogue edit in the admin) at the latest
when the entry expires.

One cache round trip per read (``get_many`` of the version and the entry); the cache failing
(Redis down: django-redis ignores the error) only means the read is built every time.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache

T = TypeVar("T")


def _ttl() -> float:
    return float(getattr(settings, "AUGEO_PUBLIC_CACHE_SECONDS", 1))


def _event(event_id: Any) -> str:
    """One spelling of the event's id whoever calls (a UUID, its string or its hex)."""
    return getattr(event_id, "hex", None) or str(event_id).replace("-", "")


def _version_key(event_id: Any) -> str:
    return f"pub:v:{_event(event_id)}"


def _entry_key(event_id: Any, name: str) -> str:
    return f"pub:e:{_event(event_id)}:{hashlib.sha256(name.encode()).hexdigest()[:32]}"


def read(event_id: Any, name: str, build: Callable[[], T]) -> T:
    """``build()``'s value for ``name`` (e.g. the absolute URL of the read) of ``event_id``, from the
    cache when built less than the TTL ago under the event's current version."""
    ttl = _ttl()
    if ttl <= 0:
        return build()
    version_key, entry_key = _version_key(event_id), _entry_key(event_id, name)
    found = cache.get_many([version_key, entry_key])
    version = found.get(version_key, 0)
    entry = found.get(entry_key)
    if isinstance(entry, tuple) and len(entry) == 2 and entry[0] == version:
        return entry[1]  # type: ignore[no-any-return]
    value = build()
    cache.set(entry_key, (version, value), timeout=ttl)
    return value


def event_changed(event_id: Any) -> None:
    """Called after commit when ``event_id``'s public state changed: entries built before are stale."""
    if _ttl() <= 0:
        return
    key = _version_key(event_id)
    try:
        cache.incr(key)
    except ValueError:  # no version yet: start one that outlives every entry
        if not cache.add(key, 1, timeout=3600):
            cache.incr(key)
