"""Prometheus metrics of live updates (exported at ``/metrics`` with the others).

Label values come from closed sets (message types, failure reasons), never ids. Incrementing never
raises: a metrics problem must not reach a bid or a socket.
"""

from __future__ import annotations

import logging
from typing import Any

from prometheus_client import Counter, Gauge

logger = logging.getLogger("augeo.live")

BROADCASTS = Counter("augeo_broadcasts", "Live messages handed to the channel layer, by type.", ["type"])
BROADCAST_FAILURES = Counter(
    "augeo_broadcast_failures",
    "Live messages dropped because the channel layer failed (error, timeout, queue_full, build).",
    ["reason"],
)
CONNECTIONS = Gauge(
    "augeo_live_connections", "WebSocket connections open in this process.", multiprocess_mode="livesum"
)
SOCKETS_CLOSED = Counter(
    "augeo_live_sockets_closed",
    "WebSocket connections the server closed, by reason (slow, token_expired, bad_token, bad_ticket, "
    "revoked, invisible, layer_down, over_cap_user, over_cap_ip, flood).",
    ["reason"],
)
TOKEN_PARAM = Counter(
    "augeo_live_token_param",
    "WebSocket handshakes that sent the deprecated ?token= (a JWT in the URL) instead of a ticket.",
)
SOCKET_COUNT_FAILURES = Counter(
    "augeo_live_socket_count_failures",
    "Socket cap bookkeeping that failed (Redis unreachable), by operation; such sockets are not capped.",
    ["operation"],
)


def _safely(increment: Any) -> None:
    try:
        increment()
    except Exception:  # pragma: no cover - a metrics problem must never reach the caller
        logger.exception("metric increment failed")


def broadcast_sent(message_type: str) -> None:
    _safely(lambda: BROADCASTS.labels(message_type).inc())


def broadcast_failed(reason: str) -> None:
    _safely(lambda: BROADCAST_FAILURES.labels(reason).inc())


def socket_closed(reason: str) -> None:
    _safely(lambda: SOCKETS_CLOSED.labels(reason).inc())


def connections(delta: int) -> None:
    _safely(lambda: CONNECTIONS.inc(delta))


def token_param_used() -> None:
    _safely(lambda: TOKEN_PARAM.inc())


def socket_count_failed(operation: str) -> None:
    _safely(lambda: SOCKET_COUNT_FAILURES.labels(operation).inc())
