"""``manage.py build_privacy_exports``: build privacy exports whose background hand-over never ran
(a crash between commit and work) and retry failed ones (at most 5 attempts). Meant for cron every
few minutes, next to ``send_notifications``."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from apps.legal.services.exports import privacy_exports_retry


class Command(BaseCommand):
    help = "Finish pending privacy exports and retry failed ones."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--older-than", type=int, default=60, help="pending rows older than N seconds")
        parser.add_argument("--limit", type=int, default=100)

    def handle(self, *args: Any, **options: Any) -> None:
        attempted, ready = privacy_exports_retry(older_than_seconds=options["older_than"], limit=options["limit"])
        self.stdout.write(self.style.SUCCESS(f"{ready} of {attempted} export(s) ready"))
