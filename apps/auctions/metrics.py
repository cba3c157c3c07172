"""Prometheus counters of the auction (exported at ``/metrics`` by django-prometheus' registry).

Incrementing never raises: metrics must not be able to fail a bid.
"""

from __future__ import annotations

import logging
from typing import Any

logger = logging.getLogger("augeo.auctions")

try:
    from prometheus_client import Counter

    BIDS = Counter("augeo_auction_bids_total", "Bid attempts by outcome", ["outcome"])
    SALES = Counter("augeo_auction_sales_total", "Live sales, buy-now purchases and pledges", ["kind"])
    CLOSED = Counter("augeo_auction_items_closed_total", "Items closed by result", ["status"])
    NOTIFICATIONS = Counter("augeo_auction_notifications_total", "Outbox deliveries by result", ["result"])
except Exception:  # pragma: no cover - prometheus_client missing or registry clash
    BIDS = SALES = CLOSED = NOTIFICATIONS = None  # type: ignore[assignment]


def inc(counter: Any, label: str) -> None:
    if counter is None:  # pragma: no cover
        return
    try:
        counter.labels(label).inc()
    except Exception:  # pragma: no cover
        logger.exception("metric increment failed")
