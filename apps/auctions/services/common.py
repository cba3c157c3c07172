"""What every auction write shares: money and number input (400 naming the field), the item's row
lock (level 5 of :mod:`apps.attendance.locks`), the status and time gates of bids and buy-now, the
clerk check and the e-mail context of an item."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection

from apps.auctions.models import (
    Item,
    ItemKind,
    ItemStatus,
)
from apps.core.exceptions import Conflict, ValidationFailed
from apps.core.money import int_parse, money_parse
from apps.core.prepared import PreparedRead, joined_rows, require_transaction
from apps.events.models import EventStatus
from apps.npos import authz
from apps.npos.capabilities import Capability
from apps.npos.models import NPOStatus


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


def lock_item(item_id: Any) -> Item:
    """The item under its row lock (only the item row: ``of=("self",)``), event and NPO loaded."""
    return (
        Item.objects.select_for_update(of=("self",))
        .select_related("event", "event__npo", "leader_user")
        .defer(*_UNREAD_UNDER_LOCK)
        .get(pk=item_id)
    )


_BID_ITEM: tuple[tuple[PreparedRead, PreparedRead], str] | None = None


def lock_item_for_bid(item: Item) -> Item:
    """A bid's item lock: the item row (every column but its long texts) under ``FOR UPDATE``, as one
    precompiled statement that also reads the current leader's account (the outbid notice goes to
    them), with the event and NPO of ``item`` — the bid's read before its locks
    (:data:`apps.auctions.selectors.ITEM_FOR_BID`) — attached.

    Only the item row is locked either way (``lock_item`` locks ``of=("self",)`` too): the event's
    and NPO's status and soft-close setting are the ones read a moment earlier in the same request,
    the item's own state (status, times, price, leader) is the one under the lock. An event close
    locks the event and then its items, so a bid after a close still finds its item closed. Every
    bid takes this lock, and the ORM spent more building the joined, deferred read than the
    statement took (bench/hotspots.py bid).

    The leader is joined in the same statement (a round trip less for every accepted bid). When the
    lock had to wait for another bid, PostgreSQL re-reads the item's newest version but re-checks
    the join against the account row it read before waiting: if the leader changed meanwhile, the
    joined account is not theirs, and they are read by primary key after the lock, as before.
    """
    from apps.users.authentication import user_by_pk, user_read

    global _BID_ITEM
    if _BID_ITEM is None:
        quote = connection.ops.quote_name
        long_texts = ("description", "description_html")
        reads = (
            PreparedRead(Item, [f.attname for f in Item._meta.concrete_fields if f.name not in long_texts]),
            user_read(),
        )
        lock = " FOR UPDATE OF i" if connection.features.has_select_for_update_of else ""
        # Identifiers from the models' _meta, quoted; the key is a parameter.
        _BID_ITEM = (
            reads,
            f"SELECT {reads[0].select_list('i')}, {reads[1].select_list('u')} "  # noqa: S608
            f"FROM {quote(Item._meta.db_table)} i LEFT JOIN {quote(get_user_model()._meta.db_table)} u "
            f"ON u.{quote('id')} = i.{quote('leader_user_id')} WHERE i.{quote('id')} = %s{lock}",
        )
    require_transaction()
    reads, sql = _BID_ITEM
    rows = joined_rows(reads, sql, [Item._meta.pk.get_db_prep_value(item.pk, connection)])  # type: ignore[union-attr]
    if not rows:
        raise Item.DoesNotExist
    locked, joined = rows[0]
    Item.event.field.set_cached_value(locked, item.event)
    leader = None
    if locked.leader_user_id is not None:
        leader = joined if joined.pk == locked.leader_user_id else user_by_pk(locked.leader_user_id)
    Item.leader_user.field.set_cached_value(locked, leader)
    return locked  # type: ignore[no-any-return]


def item_npo_id(item: Item) -> Any:
    return item.event.npo_id


def check_npo_active(item: Item) -> None:
    if item.event.npo.status == NPOStatus.SUSPENDED:
        raise Conflict("NPO_SUSPENDED", "This organisation is suspended; its auction is paused.")


def check_open_for_bids(item: Item, now: Any) -> None:
    """Status and time gates shared by bids and buy-now (bidding.md "Bidders and paddles")."""
    check_npo_active(item)
    if item.kind == ItemKind.LIVE:
        raise Conflict("LIVE_ITEM", "Live-auction items are sold in the room, not online.")
    if item.status in (ItemStatus.DRAFT, ItemStatus.WITHDRAWN):
        raise Conflict("ITEM_NOT_OPEN", "This item is not open for bidding.")
    if item.status != ItemStatus.OPEN or item.event.status == EventStatus.CLOSED:
        raise Conflict("ITEM_CLOSED", "Bidding on this item has closed.")
    if item.opens_at is not None and now < item.opens_at:
        raise Conflict("ITEM_NOT_OPEN", "Bidding on this item has not opened yet.", opens_at=item.opens_at.isoformat())
    if item.closes_at is not None and now >= item.closes_at:
        raise Conflict("ITEM_CLOSED", "Bidding on this item has closed.")


def check_biddable(item: Item, now: Any) -> None:
    check_open_for_bids(item, now)
    if item.kind == ItemKind.BUY_NOW_ONLY:
        raise Conflict("BUY_NOW_ONLY", "This item is sold at a fixed price; use buy now.")


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
