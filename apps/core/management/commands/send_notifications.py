"""``manage.py send_notifications``: run the outbox sweep now (the scheduler runs it every 30 s):
due retries, rows whose worker died and rows whose task was lost are queued again. ``--now`` also
retries every failed row at once, whatever its next attempt (rows that gave up included with
``--gave-up``)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from apps.core.outbox import outbox_retry, outbox_sweep


class Command(BaseCommand):
    help = "Queue failed, stuck or lost outbox e-mails again."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--now", action="store_true", help="retry failed rows now, not at their next attempt")
        parser.add_argument("--gave-up", action="store_true", help="with --now: rows that reached the cap too")

    def handle(self, *args: Any, now: bool = False, gave_up: bool = False, **options: Any) -> None:
        counts = outbox_sweep()
        retried = outbox_retry(gave_up=gave_up) if now else 0
        queued = counts["due"] + counts["lost_claims"] + counts["lost_tasks"] + retried
        self.stdout.write(
            self.style.SUCCESS(
                f"{queued} e-mail(s) queued again (due {counts['due']}, interrupted {counts['lost_claims']}, "
                f"lost {counts['lost_tasks']}, retried now {retried}); {counts['gave_up']} gave up"
            )
        )
