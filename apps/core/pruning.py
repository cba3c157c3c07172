"""Removal of data past its retention: :func:`prune_all`, run hourly by the scheduler (the
``prune_expired`` task) and by ``manage.py prune_expired``.

Each app contributes pruners by defining ``apps/<app>/pruning.py`` with functions decorated with
:func:`pruner`; :func:`prune_all` discovers those modules. A pruner takes the current time and
``dry_run`` and returns how many rows it removed (or would remove)::

    @pruner("expired account tokens")
    def prune_account_tokens(*, now: datetime, dry_run: bool) -> int: ...
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import QuerySet
from django.utils.module_loading import autodiscover_modules
from django_tasks_db.models import DBTaskResult

from apps.core.models import AuditEntry, IdempotencyKey, OutboxEmail, OutboxStatus

Pruner = Callable[..., int]
PRUNERS: dict[str, Pruner] = {}


def pruner(label: str) -> Callable[[Pruner], Pruner]:
    """Register a pruner under ``label`` (the name the command prints)."""

    def decorator(func: Pruner) -> Pruner:
        PRUNERS[label] = func
        return func

    return decorator


def prune_all(*, now: datetime, dry_run: bool) -> dict[str, int]:
    """Run every registered pruner; ``{label: rows removed (or that would be)}``."""
    autodiscover_modules("pruning")
    return {label: prune(now=now, dry_run=dry_run) for label, prune in PRUNERS.items()}


def _delete(queryset: QuerySet, dry_run: bool) -> int:
    if dry_run:
        return queryset.count()
    # _raw_delete: one DELETE statement, no per-row signals; neither model has dependants.
    return queryset._raw_delete(queryset.db)


@pruner("expired idempotency keys")
def prune_idempotency_keys(*, now: datetime, dry_run: bool) -> int:
    """Keys older than ``IDEMPOTENCY_KEY_TTL`` are no longer replayed; drop them."""
    return _delete(IdempotencyKey.objects.filter(created_at__lt=now - settings.IDEMPOTENCY_KEY_TTL), dry_run)


@pruner("old audit entries")
def prune_audit_entries(*, now: datetime, dry_run: bool) -> int:
    """Audit entries older than ``AUDIT_RETENTION_DAYS`` (env, default 365)."""
    cutoff = now - timedelta(days=settings.AUDIT_RETENTION_DAYS)
    return _delete(AuditEntry.objects.filter(created_at__lt=cutoff), dry_run)


#: Delivered or cancelled e-mails are kept this long (support questions: "did the mail go out?").
OUTBOX_RETENTION = timedelta(days=30)


@pruner("old outbox e-mails")
def prune_outbox(*, now: datetime, dry_run: bool) -> int:
    """Sent or cancelled outbox rows older than 30 days (failed ones stay for an operator to see)."""
    queryset = OutboxEmail.objects.filter(
        status__in=[OutboxStatus.SENT, OutboxStatus.CANCELLED], created_at__lt=now - OUTBOX_RETENTION
    )
    return _delete(queryset, dry_run)


#: Finished task results are kept this long: successful ones for a week (latency questions),
#: failed ones for 30 days (an operator may still want the traceback or a retry).
TASK_RESULT_RETENTION = {"SUCCESSFUL": timedelta(days=7), "FAILED": timedelta(days=30)}


@pruner("old task results")
def prune_task_results(*, now: datetime, dry_run: bool) -> int:
    """Finished rows of the task table (django-tasks-db keeps every result until removed)."""
    total = 0
    for status, retention in TASK_RESULT_RETENTION.items():
        total += _delete(DBTaskResult.objects.filter(status=status, finished_at__lt=now - retention), dry_run)
    return total
