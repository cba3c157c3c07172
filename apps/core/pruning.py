"""Removal of data past its retention, run by ``manage.py prune_expired`` (cron, e.g. hourly).

Each app contributes pruners by defining ``apps/<app>/pruning.py`` with functions decorated with
:func:`pruner`; the command discovers those modules. A pruner takes the current time and
``dry_run`` and returns how many rows it removed (or would remove)::

    @pruner("expired account tokens")
    def prune_account_tokens(*, now: datetime, dry_run: bool) -> int: ...
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import QuerySet

from apps.core.models import AuditEntry, IdempotencyKey, OutboxEmail, OutboxStatus

Pruner = Callable[..., int]
PRUNERS: dict[str, Pruner] = {}


def pruner(label: str) -> Callable[[Pruner], Pruner]:
    """Register a pruner under ``label`` (the name the command prints)."""

    def decorator(func: Pruner) -> Pruner:
        PRUNERS[label] = func
        return func

    return decorator


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
