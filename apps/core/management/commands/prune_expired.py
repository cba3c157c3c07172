"""``manage.py prune_expired [--dry-run]``: delete data past its retention (see apps.core.pruning)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from apps.core.pruning import prune_all


class Command(BaseCommand):
    help = "Delete expired idempotency keys, audit entries past AUDIT_RETENTION_DAYS and other apps' expired data."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Count what would be deleted; delete nothing.")

    def handle(self, *args: Any, dry_run: bool = False, **options: Any) -> None:
        verb = "would delete" if dry_run else "deleted"
        for label, count in prune_all(now=timezone.now(), dry_run=dry_run).items():
            self.stdout.write(f"{label}: {verb} {count}")
