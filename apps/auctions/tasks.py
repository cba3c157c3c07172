"""The auction's background jobs (apps.core.tasks)."""

from __future__ import annotations

from apps.auctions.services.closing import items_close_due
from apps.core.tasks import PRIORITY_URGENT, task


@task(priority=PRIORITY_URGENT)
def close_due_items() -> int:
    """Close every item whose ``closes_at`` has passed (enqueued every few seconds by the scheduler,
    ``AUGEO_SCHEDULE``). Closing is locked and idempotent, so overlapping runs are harmless."""
    return len(items_close_due())
