"""Closing items: one item (the API, the admin), every due item (``manage.py close_auctions``) and
every open item of an event being closed (``event_close``, through the ``event_closed`` signal)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from apps.auctions import metrics, signals
from apps.auctions.models import (
    FINAL_STATUSES,
    Item,
    ItemKind,
    ItemStatus,
    NotificationKind,
)
from apps.auctions.notifications import notification_queue
from apps.auctions.services.common import (
    item_mail_context,
    item_npo_id,
    lock_item,
)
from apps.core.errors import ErrorCode
from apps.core.exceptions import Conflict
from apps.core.money import money_str
from apps.core.services import audit_record
from apps.events.models import Event


def item_close(*, item: Item, actor: Any = None, only_if_due: bool = False, ip: str | None = None) -> Item:
    """Close an item: ``sold`` (a silent item to its leader at the current bid, if the reserve is
    met; a live/buy-now item when any unit sold) or ``unsold``.

    Re-reads the item under its lock, so two closers at once produce one outcome; closing a closed
    item returns it unchanged. ``only_if_due`` (the cron) skips items whose ``closes_at`` moved
    (soft close) since they were selected. The winner is notified after commit.
    """
    with transaction.atomic():
        item = lock_item(item.pk)
        now = timezone.now()
        if item.status in FINAL_STATUSES:
            return item
        if item.status != ItemStatus.OPEN:
            raise Conflict(ErrorCode.INVALID_TRANSITION, f"An item that is {item.status} cannot be closed.")
        if only_if_due and (item.closes_at is None or item.closes_at > now):
            return item
        winner_user = None
        if item.kind == ItemKind.SILENT:
            reserve_met = item.reserve is None or (item.current_bid is not None and item.current_bid >= item.reserve)
            if item.current_bid is not None and item.leader_paddle_id is not None and reserve_met:
                item.status = ItemStatus.SOLD
                item.winner_paddle_id = item.leader_paddle_id
                item.winning_amount = item.current_bid
                item.quantity_sold = 1
                winner_user = item.leader_user
            else:
                item.status = ItemStatus.UNSOLD
        else:
            item.status = ItemStatus.SOLD if item.quantity_sold > 0 else ItemStatus.UNSOLD
        item.closed_at = now
        item.save(
            update_fields=["status", "winner_paddle", "winning_amount", "quantity_sold", "closed_at", "updated_at"]
        )
        signals.item_closed.send(sender=Item, item=item, amount=None, paddle=None)
        signals.totals_changed.send(sender=Item, event=item.event)
        if winner_user is not None:
            notification_queue(
                kind=NotificationKind.WON,
                user=winner_user,
                item=item,
                context={**item_mail_context(item), "amount": money_str(item.winning_amount)},
            )
            signals.won.send(sender=Item, user=winner_user, item=item, amount=item.winning_amount)
        audit_record(
            actor=actor,
            action="item.close",
            obj=item,
            npo_id=item_npo_id(item),
            ip=ip,
            details={"status": item.status, "amount": money_str(item.winning_amount)},
        )
    metrics.inc(metrics.CLOSED, item.status)
    return item


def items_close_due(*, now: Any = None, actor: Any = None) -> list[Item]:
    """Close every open silent item whose ``closes_at`` has passed (``manage.py close_auctions``).
    Each item closes in its own transaction so one failure does not hold back the rest."""
    now = now or timezone.now()
    ids = list(
        Item.objects.filter(status=ItemStatus.OPEN, closes_at__lte=now)
        .order_by("closes_at")
        .values_list("pk", flat=True)
    )
    closed = []
    for pk in ids:
        item = item_close(item=Item(pk=pk), actor=actor, only_if_due=True)
        if item.status in FINAL_STATUSES:
            closed.append(item)
    return closed


def items_close_for_event(*, event: Event, actor: Any = None) -> list[Item]:
    """Close every open item of ``event`` (called by ``event_close`` inside its transaction)."""
    ids = list(Item.objects.filter(event=event, status=ItemStatus.OPEN).order_by("number").values_list("pk", flat=True))
    return [item_close(item=Item(pk=pk), actor=actor) for pk in ids]
