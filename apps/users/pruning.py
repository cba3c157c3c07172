"""Retention of the accounts area, run by ``manage.py prune_expired``."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Q

from apps.core.pruning import pruner
from apps.users.lockout import lock_duration
from apps.users.models import AccountToken, LoginLock

#: Spent or expired e-mail tokens are kept a while so a reuse still reads "invalid", then dropped.
ACCOUNT_TOKEN_RETENTION = timedelta(days=7)


@pruner("expired account tokens")
def prune_account_tokens(*, now: datetime, dry_run: bool) -> int:
    """E-mail verification and password reset tokens that expired more than a week ago."""
    queryset = AccountToken.objects.filter(expires_at__lt=now - ACCOUNT_TOKEN_RETENTION)
    if dry_run:
        return queryset.count()
    count, _ = queryset.delete()
    return count


@pruner("stale login counters")
def prune_login_locks(*, now: datetime, dry_run: bool) -> int:
    """Failure counters whose streak is over: no lock running and no failure within the window
    (an invalidated device token's row stays until the token would have expired)."""
    queryset = LoginLock.objects.filter(Q(locked_until__isnull=True) | Q(locked_until__lte=now)).filter(
        Q(last_failure_at__isnull=True) | Q(last_failure_at__lte=now - lock_duration())
    )
    if dry_run:
        return queryset.count()
    count, _ = queryset.delete()
    return count
