"""Retention of the legal app's data (``manage.py prune_expired``; see apps.core.pruning)."""

from __future__ import annotations

from datetime import datetime

from apps.core.pruning import pruner
from apps.legal.services.exports import privacy_exports_expire


@pruner("expired privacy export files")
def prune_privacy_exports(*, now: datetime, dry_run: bool) -> int:
    """An export's file is deleted once its 24-hour link has expired (the row stays, ``expired``)."""
    return privacy_exports_expire(now=now, dry_run=dry_run)
