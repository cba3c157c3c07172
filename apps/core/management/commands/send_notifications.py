"""``manage.py send_notifications``: retry outbox e-mails (every kind: accounts, auctions, …) whose
delivery failed or never happened (a crash between commit and send). Meant for cron every few minutes."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from apps.core.outbox import outbox_retry


class Command(BaseCommand):
    help = "Retry failed or stuck outbox e-mails."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--older-than", type=int, default=60, help="pending rows older than N seconds")
        parser.add_argument("--limit", type=int, default=500)

    def handle(self, *args: Any, **options: Any) -> None:
        attempted, sent = outbox_retry(older_than_seconds=options["older_than"], limit=options["limit"])
        self.stdout.write(self.style.SUCCESS(f"{sent} of {attempted} e-mail(s) sent"))
