"""What every auction write shares: money and number input (400 naming the field), the item's row
lock (level 5 of :mod:`apps.attendance.locks`), the status and time gates of bids and buy-now, the
clerk check and the e-mail context of an item."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from apps.auctions.models import (
    Item,
    ItemKind,
    ItemStatus,
)
from apps.auctions.selectors import BidContext
from apps.core.compiled import CompiledQuery
from apps.core.errors import ErrorCode
from apps.core.exceptions import Conflict, ValidationFailed
from apps.core.money import int_parse, money_parse
from apps.events.models import EventStatus
from apps.npos import authz
from apps.npos.capabilities import Capability
from apps.npos.models import NPOStatus
from apps.users.selectors import user_by_pk


def amount_parse(raw: Any, field: str = "amount", *, required: bool = True) -> Decimal | None:
    """Money input → Decimal (:func:`apps.core.money.money_parse`: ASCII digits, ≤ ``AUGEO_MAX_AMOUNT``),
    or 400 ``VALIDATION_ERROR`` naming ``field``."""
    if raw is None or raw == "":
        if not required:
            return None
        raise ValidationFailed(message=f"{field}: this field is required.", fields={field: ["This field is required."]})
    try:
        return money_parse(raw)
    except ValueError as exc:
        raise ValidationFailed(message=f"{field}: {exc}", fields={field: [str(exc)]}) from None


def int_input(raw: Any, field: str, *, minimum: int = 1, required: bool = True) -> int | None:
    if raw is None or raw == "":
        if not required:
            return None
        raise ValidationFailed(message=f"{field}: this field is required.", fields={field: ["This field is required."]})
    value = int_parse(raw)
    if value is None:
        raise ValidationFailed(
            message=f"{field}: a whole number is required.", fields={field: ["A whole number is required."]}
        )
    if value < minimum or value > 2_000_000_000:
        raise ValidationFailed(
            message=f"{field}: must be at least {minimum}.", fields={field: [f"Must be at least {minimum}."]}
        )
    return value


#: Long texts no write under the item lock reads; leaving them out of the locked read keeps a hot
#: item's lock short (a deferred column is still read on access, with one query).
_UNREAD_UNDER_LOCK = (
    "description",
    "description_html",
    "event__description",
    "event__description_html",
    "event__npo__description",
    "event__npo__description_html",
    "event__npo__mission",
    "event__npo__mission_html",
    "event__npo__review_notes",
    "event__npo__social_links",
    "leader_user__social_links",
)

_LOCK_ITEM: CompiledQuery[Item] = CompiledQuery(
    "auctions.lock_item",
    lambda p: Item.objects.select_for_update(of=("self",))
    .select_related("event", "event__npo", "leader_user")
    .defer(*_UNREAD_UNDER_LOCK)
    .filter(pk=p.item),
    item=uuid.UUID,
)
_LOCK_ITEM_FOR_BID: CompiledQuery[Item] = CompiledQuery(
    "auctions.lock_item_for_bid",
    lambda p: Item.objects.select_for_update().defer("description", "description_html").filter(pk=p.item),
    item=uuid.UUID,
)


def lock_item(item_id: Any) -> Item:
    """The item under its row lock (only the item row: ``of=("self",)``), event, NPO and leader
    loaded."""
    item = _LOCK_ITEM.first(item=item_id)
    if item is None:
        raise Item.DoesNotExist
    return item


def lock_item_for_bid(context: BidContext) -> Item:
    """A bid's item lock: the item row under ``FOR UPDATE`` (every column but its long texts), with
    the event and NPO the bid read a moment before its locks (``BidContext``) attached, and the
    current leader's account (the outbid notice goes to them) read by key once the lock is held.

    Only the item row is locked: the event's and NPO's status and soft-close setting are the ones
    the context read in the same request, the item's own state (status, times, price, leader) is
    the one under the lock. An event close locks the event and then its items, so a bid after a
    close still finds its item closed."""
    item = _LOCK_ITEM_FOR_BID.first(item=context.item.pk)
    if item is None:
        raise Item.DoesNotExist
    item.event = context.event
    item.leader_user = user_by_pk(item.leader_user_id) if item.leader_user_id is not None else None
    return item


def item_npo_id(item: Item) -> Any:
    return item.event.npo_id


def check_npo_active(item: Item) -> None:
    if item.event.npo.status == NPOStatus.SUSPENDED:
        raise Conflict(ErrorCode.NPO_SUSPENDED, "This organisation is suspended; its auction is paused.")


def check_open_for_bids(item: Item, now: Any) -> None:
    """Status and time gates shared by bids and buy-now (bidding.md "Bidders and paddles")."""
    check_npo_active(item)
    if item.kind == ItemKind.LIVE:
        raise Conflict(ErrorCode.LIVE_ITEM, "Live-auction items are sold in the room, not online.")
    if item.status in (ItemStatus.DRAFT, ItemStatus.WITHDRAWN):
        raise Conflict(ErrorCode.ITEM_NOT_OPEN, "This item is not open for bidding.")
    if item.status != ItemStatus.OPEN or item.event.status == EventStatus.CLOSED:
        raise Conflict(ErrorCode.ITEM_CLOSED, "Bidding on this item has closed.")
    if item.opens_at is not None and now < item.opens_at:
        raise Conflict(
            ErrorCode.ITEM_NOT_OPEN, "Bidding on this item has not opened yet.", opens_at=item.opens_at.isoformat()
        )
    if item.closes_at is not None and now >= item.closes_at:
        raise Conflict(ErrorCode.ITEM_CLOSED, "Bidding on this item has closed.")


def check_biddable(item: Item, now: Any) -> None:
    check_open_for_bids(item, now)
    if item.kind == ItemKind.BUY_NOW_ONLY:
        raise Conflict(ErrorCode.BUY_NOW_ONLY, "This item is sold at a fixed price; use buy now.")


def check_clerk(actor: Any, npo_id: Any) -> None:
    """Acting for a bidder number is clerk work wherever the call comes from (API, admin, commands)."""
    authz.check_capability(
        actor, npo_id, Capability.AUCTION_CLERK, message="Only auction clerks may act for a bidder number."
    )


def item_mail_context(item: Item) -> dict[str, Any]:
    return {
        "item_id": str(item.pk),
        "item_number": item.number,
        "item_title": item.title,
        "event_id": str(item.event_id),
        "event_name": item.event.name,
        "currency": getattr(item.event.npo, "currency", "USD"),
    }
