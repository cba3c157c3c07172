"""The project's one task API: Django's own Tasks framework (``django.tasks`` in Django 6; the
``django-tasks`` backport on 5.2) with django-tasks-db's database backend (docs/background-work.md).

Everything the apps need is imported from here, so moving to Django 6 changes the imports of this
module only (``from django.tasks import task, …``). Declare a job in your app's ``tasks.py``::

    from apps.core.tasks import enqueue_after_commit, task

    @task(priority=PRIORITY_MAIL)
    def charge_balance(paddle_id: str) -> str:
        return payments.balance_charge(paddle=Paddle.objects.get(pk=paddle_id)).status

and enqueue it from the service, inside its transaction::

    enqueue_after_commit(charge_balance, str(paddle.pk))

Arguments must be JSON (ids as strings, never model instances). A task only moves a durable row
forward (an outbox mail, a pending payment, an export): it reads the row, checks its state, acts,
records the outcome. Tasks are not retried by the framework: one that raises is ``FAILED`` (listed
for super admins in the admin, with a retry action); automatic retries with backoff live in the
rows (the outbox's ``next_attempt_at``), and the outbox sweep re-enqueues what a lost task left.

Backends (``AUGEO_TASKS_BACKEND``): ``database`` (production and the worker tests) writes the task
row *in* the business transaction, so a task cannot be lost between commit and enqueue, and
``manage.py run_worker`` processes run it (``SELECT … FOR UPDATE SKIP LOCKED``); ``immediate`` (the
embedded default) runs it in-process right after commit.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Min
from django.utils import timezone
from django_tasks import TaskResultStatus, task, task_backends
from django_tasks.base import Task
from django_tasks.signals import task_finished, task_started
from django_tasks_db import DatabaseBackend
from django_tasks_db.models import DBTaskResult, get_date_max

from apps.core import metrics
from apps.core.pruning import prune_all
from apps.core.services import audit_record

logger = logging.getLogger("augeo.tasks")

__all__ = [
    "PRIORITY_MAIL",
    "PRIORITY_ROUTINE",
    "PRIORITY_URGENT",
    "Task",
    "TaskResultStatus",
    "enqueue_after_commit",
    "prune_expired",
    "queue_stats",
    "sweep_outbox",
    "task",
    "task_results_retry",
    "tasks_reap_lost",
]

#: Workers take higher priorities first: closing on time beats mail, mail beats housekeeping.
PRIORITY_URGENT = 50
PRIORITY_MAIL = 10
PRIORITY_ROUTINE = 0


class WorkerLost(Exception):
    """Recorded on a task that stayed RUNNING past ``AUGEO_TASK_LOST_SECONDS``: its worker was
    killed or crashed mid-task (the durable row the task was moving is recovered by its sweep)."""


def uses_database(backend: Any = None) -> bool:
    """True when tasks are rows in this database (the worker runs them)."""
    return isinstance(backend or task_backends["default"], DatabaseBackend)


def _enqueue(job: Task, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    try:
        job.enqueue(*args, **kwargs)
    except Exception:  # the change has committed; the job's sweep recovers the work
        logger.exception("could not enqueue %s after commit", job.name)


def enqueue_after_commit(job: Task, *args: Any, **kwargs: Any) -> None:
    """Enqueue ``job`` so that it runs only once the current transaction has committed.

    With the database backend the task row is written now, inside the transaction: it commits with
    the change (a worker cannot see it earlier) or rolls back with it, and is never lost in between.
    Otherwise (the immediate backend) the enqueue — and so the run — happens right after commit.
    Outside a transaction both simply enqueue now.
    """
    backend = job.get_backend()
    if uses_database(backend):
        job.enqueue(*args, **kwargs)
        return
    transaction.on_commit(functools.partial(_enqueue, job, args, kwargs), robust=True)


def queue_stats() -> dict[str, Any]:
    """Depth of the queue (tasks ready to run now) and the age of the oldest, for the readiness
    probe and ``/metrics``. The immediate backend has no queue: depth 0."""
    if not uses_database():
        return {"backend": "immediate", "depth": 0, "oldest_seconds": 0.0}
    now = timezone.now()
    ready = DBTaskResult.objects.ready().aggregate(depth=Count("pk"), oldest=Min("enqueued_at"))
    oldest = (now - ready["oldest"]).total_seconds() if ready["oldest"] else 0.0
    return {"backend": "database", "depth": ready["depth"], "oldest_seconds": round(max(oldest, 0.0), 1)}


def failed_by_task() -> dict[str, int]:
    """Stored FAILED task results per task (what the admin lists for a retry)."""
    rows = DBTaskResult.objects.failed().values("task_path").annotate(n=Count("pk")).order_by()
    return {row["task_path"].rsplit(".", 1)[-1]: row["n"] for row in rows}


def tasks_reap_lost(*, now: Any = None) -> int:
    """Mark tasks RUNNING for longer than ``AUGEO_TASK_LOST_SECONDS`` as FAILED (:class:`WorkerLost`):
    django-tasks-db leaves the row of a killed worker RUNNING forever. Called by the outbox sweep."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.AUGEO_TASK_LOST_SECONDS)
    return DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING, started_at__lt=cutoff).update(
        status=TaskResultStatus.FAILED,
        finished_at=now,
        exception_class_path=f"{WorkerLost.__module__}.{WorkerLost.__qualname__}",
        traceback=f"WorkerLost: still running after {settings.AUGEO_TASK_LOST_SECONDS} s; its worker stopped.",
    )


@transaction.atomic
def task_results_retry(*, ids: Iterable[Any], actor: Any, ip: str | None = None) -> int:
    """Put FAILED tasks back in the queue as they were (same task, same arguments), audited.

    The row is reset rather than copied, so a retried task leaves the failed list; its traceback
    is kept in the audit entry. Tasks are written to be re-run safely (they check their row)."""
    rows = list(DBTaskResult.objects.select_for_update().filter(pk__in=list(ids), status=TaskResultStatus.FAILED))
    now = timezone.now()
    for row in rows:
        audit_record(
            actor=actor,
            action="task.retry",
            obj=row,
            ip=ip,
            details={"task": row.task_path, "error": row.exception_class_path, "failed_at": row.finished_at},
        )
    DBTaskResult.objects.filter(pk__in=[row.pk for row in rows]).update(
        status=TaskResultStatus.READY,
        enqueued_at=now,
        started_at=None,
        finished_at=None,
        run_after=get_date_max(),  # "no earliest time", as the backend stores it
        exception_class_path="",
        traceback="",
        return_value=None,
    )
    return len(rows)


# --- metrics (in whichever process runs the task: a worker, or a web process with "immediate") ---


def _task_name(task_result: Any) -> str:
    try:
        return str(task_result.task.name)
    except Exception:  # pragma: no cover - a task whose code is gone
        return "unknown"


def _on_started(sender: Any, task_result: Any, **kwargs: Any) -> None:
    if task_result.enqueued_at and task_result.started_at:
        latency = (task_result.started_at - task_result.enqueued_at).total_seconds()
        metrics.safely(lambda: metrics.task_latency.labels(task=_task_name(task_result)).observe(max(latency, 0.0)))


def _on_finished(sender: Any, task_result: Any, **kwargs: Any) -> None:
    name = _task_name(task_result)
    status = str(task_result.status)
    metrics.safely(lambda: metrics.tasks_finished.labels(task=name, status=status).inc())
    if task_result.status == TaskResultStatus.FAILED:
        metrics.safely(lambda: metrics.task_failures.labels(task=name).inc())


def connect_signals() -> None:
    """Called once from ``CoreConfig.ready``."""
    task_started.connect(_on_started, dispatch_uid="augeo.tasks.started")
    task_finished.connect(_on_finished, dispatch_uid="augeo.tasks.finished")


# --- the core app's jobs (scheduled by AUGEO_SCHEDULE, see apps/core/scheduler.py) ----------------


@task(priority=PRIORITY_MAIL)
def deliver_emails(ids: list[str]) -> dict[str, int]:
    """Deliver the given outbox rows (each claimed first; a row already taken is skipped)."""
    # Imported here: apps.core.outbox enqueues this task (a cycle), and the task's path is stored
    # with every queued row, so it stays in this module.
    from apps.core.outbox import outbox_deliver

    return outbox_deliver(ids)


@task(priority=PRIORITY_ROUTINE)
def sweep_outbox() -> dict[str, int]:
    """Re-enqueue outbox rows whose retry is due or whose task was lost; reap lost tasks."""
    from apps.core.outbox import outbox_sweep  # a cycle: see deliver_emails

    return outbox_sweep()


@task(priority=PRIORITY_ROUTINE)
def prune_expired() -> dict[str, int]:
    """``manage.py prune_expired`` on a schedule."""
    return prune_all(now=timezone.now(), dry_run=False)
