"""Business counters exported at ``/metrics`` next to django-prometheus' request, DB and cache metrics.

Services call them after their transaction commits (``transaction.on_commit``) so a rolled-back bid is
never counted::

    from apps.core import metrics
    transaction.on_commit(lambda: metrics.bids_placed.inc())
    metrics.bids_rejected.labels(reason="BID_TOO_LOW").inc()
    metrics.funds_raised.labels(source="sale", currency="USD").inc(float(amount))

With several gunicorn workers ``PROMETHEUS_MULTIPROC_DIR`` is set and prometheus_client writes these
to per-process files that the ``/metrics`` view aggregates (see ``gunicorn.conf.py``). Label values
must come from a small closed set (error codes, sources, currencies), never ids or free text.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from prometheus_client import Counter, Histogram

logger = logging.getLogger("augeo.metrics")

bids_placed = Counter("augeo_bids_placed", "Bids accepted (proxy raises included once per request).")
bids_rejected = Counter(
    "augeo_bids_rejected", "Bids refused by a business rule, by error code (e.g. BID_TOO_LOW).", ["reason"]
)
check_ins = Counter("augeo_check_ins", "Guests checked in.")
funds_raised = Counter(
    "augeo_funds_raised",
    "Money committed (sales, buy-now, paddle-raise pledges, donations) in the event's currency.",
    ["source", "currency"],
)

# --- background work (apps/core/tasks.py) ---------------------------------------------------------
# Recorded by the process that runs the task: a worker (``run_worker --metrics-port``) or, with the
# embedded immediate backend, the web process itself. Labels are task function names (a closed set).
task_latency = Histogram(
    "augeo_task_latency_seconds",
    "Seconds from enqueue to start of a task, by task.",
    ["task"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900),
)
tasks_finished = Counter("augeo_tasks", "Tasks finished, by task and status (SUCCESSFUL, FAILED).", ["task", "status"])
task_failures = Counter("augeo_task_failures", "Tasks that raised, by task.", ["task"])


def safely(increment: Callable[[], Any]) -> None:
    """Run a metric update; a metrics problem must never reach a task or a request."""
    try:
        increment()
    except Exception:  # pragma: no cover - defensive
        logger.exception("metric update failed")
