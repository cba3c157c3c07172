"""Buy now: a silent item's buy-now price (ends the auction) and buy-now-only items (never
oversold)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from apps.attendance.selectors import bidder_guest_for
from apps.auctions import metrics, signals
from apps.auctions.models import (
    Item,
    ItemKind,
    ItemStatus,
    NotificationKind,
    Purchase,
)
from apps.auctions.notifications import notification_queue
from apps.auctions.services.bidders import bidder_lock, bidder_resolve
from apps.auctions.services.common import (
    check_open_for_bids,
    int_input,
    item_mail_context,
    item_npo_id,
    lock_item,
)
from apps.core.errors import ErrorCode
from apps.core.exceptions import Conflict, ValidationFailed
from apps.core.money import max_amount, money, money_format
from apps.core.services import audit_record


def _check_buyable(item: Item, now: Any) -> None:
    if item.kind == ItemKind.BUY_NOW_ONLY and item.status == ItemStatus.SOLD:
        raise Conflict(ErrorCode.SOLD_OUT, "This item is sold out.", quantity_left=0)
    check_open_for_bids(item, now)


def buy_now(*, item: Item, user: Any, quantity: Any = 1, actor: Any = None, ip: str | None = None) -> Purchase:
    """Buy ``quantity`` units at the buy-now price.

    A silent item: one unit, only while the leader's maximum is below the price (else 409
    ``BUY_NOW_UNAVAILABLE``); the purchase ends the auction (``sold``) and the displaced leader is
    notified. A ``buy_now_only`` item: never oversold (409 ``SOLD_OUT``); the last unit closes it.
    """
    actor = actor if actor is not None else user
    units = int_input(1 if quantity is None else quantity, "quantity")
    assert units is not None
    try:
        _check_buyable(item, timezone.now())
        guest = bidder_guest_for(user=user, event=item.event)
        ref = bidder_resolve(user=user, event=item.event, guest=guest, actor=actor)
        with transaction.atomic():
            bidder = bidder_lock(ref, event=item.event)
            item = lock_item(item.pk)
            now = timezone.now()
            _check_buyable(item, now)
            price = item.buy_now_price
            if price is None:
                raise Conflict(ErrorCode.BUY_NOW_UNAVAILABLE, "This item has no buy-now price.")
            displaced = None
            if item.kind == ItemKind.SILENT:
                if units != 1:
                    raise ValidationFailed(message="A silent item has one unit.", fields={"quantity": ["Must be 1."]})
                if item.leader_max is not None and item.leader_max >= price:
                    raise Conflict(ErrorCode.BUY_NOW_UNAVAILABLE, "Bidding has reached the buy-now price.")
                if item.leader_user is not None and item.leader_paddle_id != bidder.paddle.pk:
                    displaced = item.leader_user
            left = item.quantity - item.quantity_sold
            if units > left:
                raise Conflict(ErrorCode.SOLD_OUT, "Not enough units left.", quantity_left=left)
            if price * units > max_amount():  # a purchase is a money input too (and must fit its column)
                raise ValidationFailed(
                    message=f"quantity: the total cannot be more than {money_format(max_amount())}.",
                    fields={
                        "quantity": [f"The total cannot be more than {money_format(max_amount())}; buy fewer units."]
                    },
                )
            purchase = Purchase.objects.create(
                item=item,
                paddle=bidder.paddle,
                user=bidder.user,
                quantity=units,
                unit_price=price,
                amount=money(price * units),
            )
            item.quantity_sold += units
            fields = ["quantity_sold", "updated_at"]
            if item.quantity_sold >= item.quantity:
                item.status = ItemStatus.SOLD
                item.closed_at = now
                item.winner_paddle = bidder.paddle if item.kind == ItemKind.SILENT else None
                fields += ["status", "closed_at", "winner_paddle"]
            item.save(update_fields=fields)
            if item.status == ItemStatus.SOLD:
                buyer = bidder.paddle if units == item.quantity else None
                signals.item_closed.send(sender=Item, item=item, amount=price, paddle=buyer)
            signals.totals_changed.send(sender=Item, event=item.event)
            if displaced is not None:
                notification_queue(
                    kind=NotificationKind.OUTBID,
                    user=displaced,
                    item=item,
                    context={**item_mail_context(item), "bought_now": True},
                )
                signals.outbid.send(sender=Item, user=displaced, item=item)
            audit_record(
                actor=actor,
                action="item.buy_now",
                obj=item,
                npo_id=item_npo_id(item),
                ip=ip,
                details={"bidder_number": bidder.paddle.number, "quantity": units, "amount": str(purchase.amount)},
            )
    except Conflict as exc:
        metrics.bid_rejected(exc.code)
        raise
    metrics.funds_raised(source="buy_now", amount=purchase.amount, currency=item.event.npo.currency)
    return purchase
