"""The auction's Prometheus counters (exported at ``/metrics``).

Bids and money use the platform-wide business counters of :mod:`apps.core.metrics`
(``augeo_bids_placed_total``, ``augeo_bids_rejected_total{reason}``,
``augeo_funds_raised_total{source,currency}``); accepted bids and money are counted only once their
transaction commits, so a rolled-back request is never counted. Closing and notification outcomes
are auction-specific counters defined here. Undone sales and pledges are not subtracted (a counter
only grows); the totals endpoint is the source of truth for money.

Incrementing never raises: metrics must not be able to fail a bid.
"""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

from django.db import transaction
from prometheus_client import Counter

from apps.core import metrics as core

logger = logging.getLogger("augeo.auctions")

CLOSED = Counter("augeo_auction_items_closed_total", "Items closed by result", ["status"])
NOTIFICATIONS = Counter("augeo_auction_notifications_total", "Outbox deliveries by result", ["result"])


def _safely(increment: Any) -> None:
    try:
        increment()
    except Exception:  # pragma: no cover - a metrics problem must never reach the caller
        logger.exception("metric increment failed")


def inc(counter: Any, label: str) -> None:
    _safely(lambda: counter.labels(label).inc())


def bid_accepted() -> None:
    transaction.on_commit(lambda: _safely(core.bids_placed.inc))


def bid_rejected(code: str) -> None:
    _safely(lambda: core.bids_rejected.labels(reason=code).inc())


def funds_raised(*, source: str, amount: Decimal, currency: str) -> None:
    """``source`` is one of the totals' sources: ``live``, ``buy_now``, ``paddle_raise``."""
    transaction.on_commit(
        lambda: _safely(lambda: core.funds_raised.labels(source=source, currency=currency).inc(float(amount)))
    )
