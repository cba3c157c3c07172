"""``manage.py close_auctions``: close every item whose closing time has passed, once. The scheduler
(``run_scheduler``) does this every 5 s through the ``close_due_items`` task; this is the manual lever.

Safe to run from several hosts at once: each item is re-read under its row lock and closing is
idempotent. Soft-close extensions are honoured (an item whose ``closes_at`` moved is skipped).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from apps.auctions.services.closing import items_close_due


class Command(BaseCommand):
    help = "Close the auction items whose closing time has passed (the scheduler does it every 5 s)."

    def handle(self, *args: Any, **options: Any) -> None:
        closed = items_close_due()
        for item in closed:
            self.stdout.write(f"closed {item.event_id} #{item.number}: {item.status}")
        self.stdout.write(self.style.SUCCESS(f"{len(closed)} item(s) closed"))
