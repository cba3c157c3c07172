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

from prometheus_client import Counter

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
