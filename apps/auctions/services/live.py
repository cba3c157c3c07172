"""The live auction: the auctioneer's clerk records hammer prices to bidder numbers, and undoes them."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from apps.attendance.locks import lock_paddle
from apps.auctions import metrics, signals
from apps.auctions.models import (
    Item,
    ItemKind,
    ItemStatus,
    Sale,
)
from apps.auctions.services.bidders import bidder_lock, bidder_resolve_number
from apps.auctions.services.common import (
    amount_parse,
    check_clerk,
    check_npo_active,
    item_npo_id,
    lock_item,
)
from apps.core.errors import ErrorCode
from apps.core.exceptions import Conflict
from apps.core.services import audit_record
from apps.events.models import EventStatus


@transaction.atomic
def sale_record(
    *,
    item: Item,
    bidder_number: Any,
    amount: Any,
    below_reserve_ok: bool = False,
    actor: Any,
    ip: str | None = None,
) -> Sale:
    """Record a live-auction sale (hammer price to a bidder number); up to ``quantity`` sales.

    409 ``ITEM_ALREADY_SOLD`` past the quantity, ``BELOW_RESERVE`` under the reserve without
    ``below_reserve_ok``, ``BIDDER_NUMBER_UNKNOWN``, ``NOT_LIVE_ITEM`` for other kinds; the same
    eligibility as a bid: a cancelled party's paddle is ``NOT_REGISTERED``, a closed event
    ``EVENT_CLOSED`` (totals never change after the close).
    """
    value = amount_parse(amount, "amount")
    assert value is not None
    check_clerk(actor, item_npo_id(item))
    ref = bidder_resolve_number(number=bidder_number, event=item.event)
    bidder = bidder_lock(ref, event=item.event)
    item = lock_item(item.pk)
    now = timezone.now()
    if item.event.status == EventStatus.CLOSED:
        raise Conflict(ErrorCode.EVENT_CLOSED, "The event is closed; its totals are final.")
    check_npo_active(item)
    if item.kind != ItemKind.LIVE:
        raise Conflict(ErrorCode.NOT_LIVE_ITEM, "Only live-auction items are sold by the auctioneer.")
    if item.status in (ItemStatus.DRAFT, ItemStatus.WITHDRAWN):
        raise Conflict(ErrorCode.ITEM_NOT_OPEN, "Open the item before selling it.")
    if item.status == ItemStatus.SOLD or item.quantity_sold >= item.quantity:
        raise Conflict(ErrorCode.ITEM_ALREADY_SOLD, "Every unit of this item is already sold.")
    if item.status != ItemStatus.OPEN:
        raise Conflict(ErrorCode.ITEM_CLOSED, "This item is closed.")
    below = item.reserve is not None and value < item.reserve
    if below and not below_reserve_ok:
        # The answer does not carry the reserve: it is private to events.manage, and a clerk only needs
        # to know that a confirmation is required.
        raise Conflict(ErrorCode.BELOW_RESERVE, "The amount is below the reserve; confirm with below_reserve_ok.")
    sale = Sale.objects.create(item=item, paddle=bidder.paddle, amount=value, below_reserve=below, entered_by=actor)
    item.quantity_sold += 1
    fields = ["quantity_sold", "updated_at"]
    if item.quantity_sold >= item.quantity:
        item.status = ItemStatus.SOLD
        item.closed_at = now
        fields += ["status", "closed_at"]
    item.save(update_fields=fields)
    signals.sale_recorded.send(sender=Sale, sale=sale, item=item)
    if item.status == ItemStatus.SOLD:
        buyer = bidder.paddle if item.quantity == 1 else None
        signals.item_closed.send(sender=Item, item=item, amount=value, paddle=buyer)
    signals.totals_changed.send(sender=Sale, event=item.event)
    audit_record(
        actor=actor,
        action="sale.record",
        obj=sale,
        npo_id=item_npo_id(item),
        ip=ip,
        details={
            "item": str(item.pk),
            "item_number": item.number,
            "bidder_number": bidder.paddle.number,
            "amount": str(value),
            "below_reserve": below,
        },
    )
    metrics.funds_raised(source="live", amount=value, currency=item.event.npo.currency)
    return sale


@transaction.atomic
def sale_undo(*, sale: Sale, actor: Any, ip: str | None = None) -> Sale:
    """Undo a live sale (a wrong bidder number, a withdrawn bid): keeps the row, frees the unit and
    reopens a sold-out item unless its event is closed. 409 ``ALREADY_UNDONE`` the second time.
    Takes the paddle lock first (level 4, before the item): an undo changes the paddle's statement,
    so it and a checkout payment on that paddle are decided one after the other."""
    lock_paddle(sale.paddle_id)
    item = lock_item(sale.item_id)
    sale = Sale.objects.select_for_update().get(pk=sale.pk)
    if sale.undone_at is not None:
        raise Conflict(ErrorCode.ALREADY_UNDONE, "This sale was already undone.")
    sale.undone_at = timezone.now()
    sale.undone_by = actor
    sale.save(update_fields=["undone_at", "undone_by", "updated_at"])
    item.quantity_sold = max(item.quantity_sold - 1, 0)
    fields = ["quantity_sold", "updated_at"]
    if item.status == ItemStatus.SOLD:
        if item.event.status == EventStatus.CLOSED:
            item.status = ItemStatus.SOLD if item.quantity_sold else ItemStatus.UNSOLD
        else:
            item.status, item.closed_at = ItemStatus.OPEN, None
            fields.append("closed_at")
        fields.append("status")
    item.save(update_fields=fields)
    signals.sale_undone.send(sender=Sale, sale=sale, item=item)
    if "status" in fields:
        signals.item_updated.send(sender=Item, item=item)  # reopened (or, after the event closed, unsold)
    signals.totals_changed.send(sender=Sale, event=item.event)
    audit_record(
        actor=actor,
        action="sale.undo",
        obj=sale,
        npo_id=item_npo_id(item),
        ip=ip,
        details={"item": str(item.pk), "amount": str(sale.amount)},
    )
    return sale
