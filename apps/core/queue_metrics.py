"""Gauges of the background work read from the database at scrape time (appended to ``/metrics`` by
:func:`apps.core.views.metrics`): the task queue's depth and oldest age, stored failed tasks by
task, and outbox rows by status. Apart from :mod:`apps.core.metrics`, which the task module reports
to, so that neither imports the other."""

from __future__ import annotations

import logging
from collections.abc import Iterator

from django.db.models import Count
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily

from apps.core import tasks
from apps.core.models import OutboxEmail, OutboxStatus

logger = logging.getLogger("augeo.metrics")


class QueueCollector:
    """Gauges read from the database at scrape time, so they are right whichever process (web,
    worker, scheduler) did the work and survive restarts: the queue's depth and oldest age, stored
    failed tasks by task, and outbox rows by status (sent and cancelled ones left out)."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        up = GaugeMetricFamily("augeo_task_queue_up", "1 when the task queue could be read.")
        try:
            stats = tasks.queue_stats()
            failed = tasks.failed_by_task()
            outbox = dict(
                OutboxEmail.objects.filter(status__in=[OutboxStatus.PENDING, OutboxStatus.SENDING, OutboxStatus.FAILED])
                .values_list("status")
                .annotate(n=Count("pk"))
                .order_by()
            )
        except Exception as exc:  # the database is down: say so, never fail the scrape
            logger.warning("queue metrics unavailable: %s", exc.__class__.__name__)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        depth = GaugeMetricFamily("augeo_task_queue_depth", "Tasks ready to run now (not started).")
        depth.add_metric([], stats["depth"])
        yield depth
        oldest = GaugeMetricFamily("augeo_task_queue_oldest_seconds", "Age of the oldest task ready to run.")
        oldest.add_metric([], stats["oldest_seconds"])
        yield oldest
        failures = GaugeMetricFamily("augeo_tasks_failed", "Failed tasks held for a retry, by task.", labels=["task"])
        for name, count in sorted(failed.items()):
            failures.add_metric([name], count)
        yield failures
        mails = GaugeMetricFamily("augeo_outbox_emails", "Outbox e-mails not yet final, by status.", labels=["status"])
        for status in (OutboxStatus.PENDING, OutboxStatus.SENDING, OutboxStatus.FAILED):
            mails.add_metric([str(status)], outbox.get(status, 0))
        yield mails


def queue_metrics_text() -> bytes:
    """The :class:`QueueCollector` gauges in the Prometheus text format (appended to ``/metrics``)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(QueueCollector())  # type: ignore[arg-type]
    return generate_latest(registry)
