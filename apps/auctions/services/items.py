"""An item's life before and outside bidding: create, edit (price rules frozen once it has bids),
delete, open, withdraw, group closing times."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from apps.auctions import signals
from apps.auctions.models import (
    FINAL_STATUSES,
    Item,
    ItemKind,
    ItemStatus,
)
from apps.auctions.services.common import (
    item_npo_id,
    lock_item,
)
from apps.core.errors import ErrorCode
from apps.core.exceptions import Conflict, ValidationFailed
from apps.core.money import money_parse
from apps.core.services import audit_record
from apps.events.models import Event, EventStatus

#: Read by the bidding rules; frozen once an item has bids or sales (``item_update``).
PRICE_RULE_FIELDS = ("kind", "starting_bid", "bid_increment", "reserve")


#: Money fields of an item, bounded like every money input (``apps.core.money``).
ITEM_MONEY_FIELDS = ("starting_bid", "bid_increment", "fair_market_value", "reserve", "buy_now_price")


EDITABLE_FIELDS = (
    "title",
    "description",
    "category",
    "kind",
    "donated_by",
    "sponsor",
    "starting_bid",
    "bid_increment",
    "fair_market_value",
    "reserve",
    "buy_now_price",
    "quantity",
    "opens_at",
    "closes_at",
    "display_order",
)


def item_validate(item: Item) -> None:
    """Cross-field rules the database constraints also enforce, as a friendly 400 first; and the
    money ceiling for every price (the API's MoneyField and the model validators check it too, this
    is the one that holds for every caller)."""
    errors: dict[str, list[str]] = {}
    for name in ITEM_MONEY_FIELDS:
        value = getattr(item, name)
        if value is None:
            continue
        try:
            money_parse(value, allow_zero=True)
        except ValueError as exc:
            errors[name] = [str(exc)]
    if item.kind == ItemKind.SILENT and item.quantity != 1:
        errors["quantity"] = ["A silent item has quantity 1."]
    if item.kind == ItemKind.BUY_NOW_ONLY and item.buy_now_price is None:
        errors["buy_now_price"] = ["A buy-now-only item needs a buy-now price."]
    if item.opens_at and item.closes_at and item.closes_at <= item.opens_at:
        errors["closes_at"] = ["Must be after opens_at."]
    if item.quantity < item.quantity_sold:
        errors["quantity"] = [f"{item.quantity_sold} units are already sold."]
    if item.sponsor is not None and item.sponsor.event_id != item.event_id:
        errors["sponsor"] = ["Choose a sponsor of this event."]
    if errors:
        first = next(iter(errors))
        raise ValidationFailed(message=f"{first}: {errors[first][0]}", fields=errors)


@transaction.atomic
def item_create(*, event: Event, actor: Any, ip: str | None = None, **data: Any) -> Item:
    """Create a draft item with the next free ``number`` of the event (event row locked, so two
    creators never pick the same number; the unique constraint backs it)."""
    Event.objects.select_for_update(no_key=True).filter(pk=event.pk).values_list("pk", flat=True).first()
    last = Item.objects.filter(event=event).order_by("-number").values_list("number", flat=True).first()
    item = Item(event=event, number=(last or 0) + 1, created_by=actor, status=ItemStatus.DRAFT)
    for name in EDITABLE_FIELDS:
        if name in data:
            setattr(item, name, data[name])
    if item.starting_bid is None:
        item.starting_bid = Decimal("0")
    item_validate(item)
    item.save()
    audit_record(actor=actor, action="item.create", obj=item, npo_id=event.npo_id, ip=ip)
    return item


@transaction.atomic
def item_update(*, item: Item, actor: Any, ip: str | None = None, **data: Any) -> Item:
    """Edit an item under its lock (never overwriting the auction state a bid just wrote).

    Once an item has bids or sales, the fields the price rules read are frozen (409 ``ITEM_HAS_BIDS``):
    kind, starting bid, increment and reserve. Rule 5 (the reserve lifts the price) is applied when a
    bid arrives, so a reserve lowered below the leader's maximum would leave the item ``unsold`` at
    close, and one raised after it was met would turn a sale into ``unsold``."""
    item = lock_item(item.pk)
    changed = [name for name in EDITABLE_FIELDS if name in data and getattr(item, name) != data[name]]
    has_activity = item.last_sequence > 0 or item.quantity_sold > 0
    frozen = set(PRICE_RULE_FIELDS) & set(changed)
    if frozen and has_activity:
        raise Conflict(
            ErrorCode.ITEM_HAS_BIDS,
            f"{', '.join(sorted(frozen))} cannot change once the item has bids or sales.",
            frozen=sorted(frozen),
        )
    if "kind" in changed and item.status != ItemStatus.DRAFT:
        raise Conflict(ErrorCode.INVALID_TRANSITION, "The kind of an open item cannot change.")
    if item.status in FINAL_STATUSES and changed:
        raise Conflict(ErrorCode.INVALID_TRANSITION, "A closed item cannot be edited.")
    for name in changed:
        setattr(item, name, data[name])
    item_validate(item)
    if changed:
        item.save(update_fields=[*changed, "updated_at"])
        if "closes_at" in changed and item.status == ItemStatus.OPEN:
            signals.item_updated.send(sender=Item, item=item)
        audit_record(
            actor=actor,
            action="item.update",
            obj=item,
            npo_id=item_npo_id(item),
            ip=ip,
            details={"fields": changed},
        )
    return item


@transaction.atomic
def item_delete(*, item: Item, actor: Any, ip: str | None = None) -> None:
    """Delete a draft item without activity; anything else is withdrawn instead (409)."""
    item = lock_item(item.pk)
    if item.status != ItemStatus.DRAFT or item.last_sequence or item.quantity_sold:
        raise Conflict(ErrorCode.INVALID_TRANSITION, "Only draft items can be deleted; withdraw it instead.")
    audit_record(actor=actor, action="item.delete", obj=item, npo_id=item_npo_id(item), ip=ip)
    item.delete()


@transaction.atomic
def item_open(*, item: Item, actor: Any, ip: str | None = None) -> Item:
    """``draft``/``withdrawn`` → ``open``; the event must be published (409 EVENT_NOT_PUBLISHED).
    ``opens_at`` defaults to now."""
    item = lock_item(item.pk)
    if item.status not in (ItemStatus.DRAFT, ItemStatus.WITHDRAWN):
        raise Conflict(ErrorCode.INVALID_TRANSITION, f"An item that is {item.status} cannot be opened.")
    if item.kind == ItemKind.SILENT and item.starting_bid <= 0:
        # Drafts may be incomplete; an open silent item must advertise a minimum a donor can bid
        # (every bid is above zero).
        raise ValidationFailed(
            message="Set a starting bid above zero before opening this item.",
            fields={"starting_bid": ["A silent item needs a starting bid above zero."]},
        )
    if item.event.status != EventStatus.PUBLISHED:
        raise Conflict(ErrorCode.EVENT_NOT_PUBLISHED, "Publish the event before opening items.")
    item.status = ItemStatus.OPEN
    fields = ["status", "updated_at"]
    if item.opens_at is None:
        item.opens_at = timezone.now()
        fields.append("opens_at")
    item.save(update_fields=fields)
    signals.item_updated.send(sender=Item, item=item)
    audit_record(actor=actor, action="item.open", obj=item, npo_id=item_npo_id(item), ip=ip)
    return item


@transaction.atomic
def item_withdraw(*, item: Item, actor: Any, ip: str | None = None) -> Item:
    """``draft``/``open`` → ``withdrawn`` (hidden from donors, refuses bids; bid rows are kept)."""
    item = lock_item(item.pk)
    if item.status not in (ItemStatus.DRAFT, ItemStatus.OPEN):
        raise Conflict(ErrorCode.INVALID_TRANSITION, f"An item that is {item.status} cannot be withdrawn.")
    if item.quantity_sold:
        raise Conflict(ErrorCode.INVALID_TRANSITION, "Undo the sales or purchases first.")
    was_public = item.status == ItemStatus.OPEN
    item.status = ItemStatus.WITHDRAWN
    item.save(update_fields=["status", "updated_at"])
    if was_public:
        signals.item_updated.send(sender=Item, item=item)
    audit_record(actor=actor, action="item.withdraw", obj=item, npo_id=item_npo_id(item), ip=ip)
    return item


@transaction.atomic
def items_set_closing_time(
    *, event: Event, closes_at: Any, actor: Any, category: str | None = None, ip: str | None = None
) -> int:
    """Set ``closes_at`` for a group of the event's not-yet-closed silent items (all, or one category),
    e.g. "the jewellery table closes at 21:00". Returns how many items changed."""
    qs = Item.objects.filter(event=event, kind=ItemKind.SILENT, status__in=[ItemStatus.DRAFT, ItemStatus.OPEN])
    if category is not None:
        qs = qs.filter(category=category)
    qs = qs.filter(Q(opens_at__isnull=True) | Q(opens_at__lt=closes_at))
    ids = list(qs.select_for_update().values_list("pk", flat=True))
    count = Item.objects.filter(pk__in=ids).update(closes_at=closes_at, updated_at=timezone.now())
    signals.items_updated.send(sender=Item, event=event, item_ids=ids)
    audit_record(
        actor=actor,
        action="item.closing_time",
        npo_id=event.npo_id,
        ip=ip,
        details={"event": str(event.pk), "category": category, "closes_at": closes_at, "count": count},
    )
    return count
