"""Outbid and won e-mails (bidding.md "Notifications"), through the platform's one outbox
(:mod:`apps.core.outbox`).

Services call :func:`notification_queue` inside their transaction: the row commits with the bid or
the close, or not at all; after commit it is handed to the mail framework on a background pool, a
failure only marks the row ``failed`` (it never reaches the bid), and ``manage.py send_notifications``
retries. Rows are ``core.OutboxEmail`` with template ``auctions/<kind>`` and ``ref`` naming the item.
"""

from __future__ import annotations

from typing import Any

from apps.auctions import metrics
from apps.core import outbox
from apps.core.models import OutboxEmail

TEMPLATE_PREFIX = "auctions/"


def item_ref(item: Any) -> str:
    """The outbox ``ref`` of an item (admins and the invariant checker find its mails by it)."""
    return f"auctions.item:{item.pk}" if item is not None else ""


def notification_queue(
    *, kind: str, user: Any, item: Any = None, context: dict[str, Any] | None = None
) -> OutboxEmail | None:
    """Queue an ``outbid``/``won`` mail for ``user``; it is sent right after the transaction commits."""
    email = getattr(user, "email", "") if user is not None else ""
    return outbox.email_queue(
        template=f"{TEMPLATE_PREFIX}{kind}", to=email, user=user, context=context, ref=item_ref(item)
    )


def _count(row: OutboxEmail, result: str) -> None:
    if row.template.startswith(TEMPLATE_PREFIX) and result in ("sent", "failed"):
        metrics.inc(metrics.NOTIFICATIONS, result)


outbox.on_result(_count)
