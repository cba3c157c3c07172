"""One-time connect tickets for the WebSocket (live.md "Transport").

A JWT in the socket's URL (``?token=``) ends up in every access log between the phone and the app
(nginx, uvicorn). Instead the client trades its JWT (or session) for a ticket with
``POST /api/v1/live/tickets/`` and opens ``/ws/events/{id}/?ticket=<ticket>``: the ticket is worth
nothing once used, and nothing 30 seconds (``LIVE_TICKET_SECONDS``) after it was issued, so a log line
holding one holds nothing usable.

Where tickets live: the cache — Redis in production, so a ticket issued through one instance opens a
socket on any other; local memory on the embedded default (one process). Only a digest of the ticket
is the key (a Redis dump holds no usable ticket); the value is the user id and the issue time.

Single use: redeeming reads the entry, then deletes it, and only the caller whose ``delete`` removed
the key gets the user. ``delete`` is atomic on both backends (Redis ``DEL`` answers how many keys it
removed; the local-memory cache deletes under its lock and answers whether the key was there), so of
two sockets racing with one ticket exactly one wins. A database row with a conditional update would
give the same guarantee at the price of a write on the hot path and a table to prune; the entry here
expires by itself. Redis down: issuing answers 503 (nothing was stored, the client retries later),
redeeming finds nothing and the socket closes with 4401 — it never crashes.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache

from apps.core.exceptions import ServiceUnavailable

logger = logging.getLogger("augeo.live")

KEY_PREFIX = "live:ticket:"
#: Longest ticket looked up; anything longer (or shorter than a real one) is refused unread.
MAX_LENGTH = 64
MIN_LENGTH = 32


@dataclass(frozen=True)
class Ticket:
    """What the API answers: the ticket and how many seconds it stays valid."""

    ticket: str
    expires_in: int


@dataclass(frozen=True)
class TicketClaim:
    """Whose ticket it was and when it was issued (epoch seconds): the socket's user must still be
    active and signed in everywhere since then (``apps.live.auth``)."""

    user_id: str
    issued_at: float


def _now() -> float:
    """Epoch seconds (a function of its own, so a test can move this module's clock alone)."""
    return time.time()


def _key(ticket: str) -> str:
    return KEY_PREFIX + hashlib.sha256(ticket.encode()).hexdigest()


def ticket_issue(*, user: Any) -> Ticket:
    """A fresh single-use ticket bound to ``user``. Raises :class:`ServiceUnavailable` when the
    cache cannot store it (Redis down): a ticket nobody can redeem would only fail later."""
    lifetime = int(settings.LIVE_TICKET_SECONDS)
    ticket = secrets.token_urlsafe(32)
    claim = {"user": str(user.pk), "issued": _now()}
    try:
        stored = cache.add(_key(ticket), claim, timeout=lifetime)
    except Exception:  # a cache backend that raises instead of failing quietly
        logger.warning("live ticket could not be stored", exc_info=True)
        stored = False
    if not stored:
        raise ServiceUnavailable(message="Live updates are unavailable for a moment; try again shortly.")
    return Ticket(ticket=ticket, expires_in=lifetime)


def ticket_redeem(ticket: Any) -> TicketClaim | None:
    """The claim of a valid, unused, unexpired ticket — and the ticket is spent; ``None`` otherwise
    (also when the cache is unreachable)."""
    if not isinstance(ticket, str) or not MIN_LENGTH <= len(ticket) <= MAX_LENGTH:
        return None
    key = _key(ticket)
    try:
        claim = cache.get(key)
        if not isinstance(claim, dict) or not cache.delete(key):
            return None  # unknown, expired, or another socket spent it first
    except Exception:
        logger.warning("live ticket could not be redeemed", exc_info=True)
        return None
    issued, user_id = claim.get("issued"), claim.get("user")
    if not isinstance(issued, int | float) or not isinstance(user_id, str):
        return None
    if _now() - issued > float(settings.LIVE_TICKET_SECONDS):  # the cache's expiry, checked again
        return None
    return TicketClaim(user_id=user_id, issued_at=float(issued))
