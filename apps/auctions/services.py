"""Every write of the auction (bidding.md): items, bids, buy-now, live sales, paddle raise, closing.

Each money service has the pretix shape: validate the input, lock the item row
(``select_for_update``), read the clock *after* the lock, apply the rules (``rules.py``), write
immutable rows plus the denormalised item state, audit, queue notifications in the outbox — all in
one transaction — and send mail only after commit. The API, the admin and the commands call these
functions and nothing else.

Locks follow the platform's one order, written down with its reasons in :mod:`apps.attendance.locks`:
event → registration → guest → paddle → item → sale/pledge. Every bid, purchase, sale and pledge
locks the bidder's registration and paddle before the item (:func:`_bidder_lock`) and re-checks
them there, so a cancellation racing a bid is decided one way or the other, never half; a first-time
bidder's paddle is allocated in its own short transaction before any of that (:func:`_bidder_resolve`).
``event_close`` (events app) locks the event and then closes its items.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q, Sum
from django.http import HttpRequest
from django.utils import timezone

from apps.auctions import metrics
from apps.auctions.models import (
    FINAL_STATUSES,
    Bid,
    Item,
    ItemImage,
    ItemKind,
    ItemStatus,
    NotificationKind,
    PaddleRaiseLevel,
    PaddleRaiseSettings,
    Pledge,
    PledgeSource,
    Purchase,
    Sale,
)
from apps.auctions.notifications import notification_queue
from apps.auctions.rules import AuctionState, min_next_bid, money_str, proxy_resolve
from apps.core.exceptions import Conflict, PermissionDenied, ValidationFailed
from apps.core.money import int_parse, max_amount, money, money_parse
from apps.core.services import audit_record
from apps.live import publisher as live
from apps.npos import authz
from apps.npos.capabilities import Capability
from apps.npos.models import NPOStatus

logger = logging.getLogger("augeo.auctions")

# --- helpers -----------------------------------------------------------------------------------


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


def _int_parse(raw: Any, field: str, *, minimum: int = 1, required: bool = True) -> int | None:
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


def _lock_item(item_id: Any) -> Item:
    """The item under its row lock (only the item row: ``of=("self",)``), event and NPO loaded."""
    return (
        Item.objects.select_for_update(of=("self",))
        .select_related("event", "event__npo", "leader_user")
        .get(pk=item_id)
    )


def _npo_id(item: Item) -> Any:
    return item.event.npo_id


def _check_npo_active(item: Item) -> None:
    if item.event.npo.status == NPOStatus.SUSPENDED:
        raise Conflict("NPO_SUSPENDED", "This organisation is suspended; its auction is paused.")


def _check_open_for_bids(item: Item, now: Any) -> None:
    """Status and time gates shared by bids and buy-now (bidding.md "Bidders and paddles")."""
    _check_npo_active(item)
    if item.kind == ItemKind.LIVE:
        raise Conflict("LIVE_ITEM", "Live-auction items are sold in the room, not online.")
    if item.status in (ItemStatus.DRAFT, ItemStatus.WITHDRAWN):
        raise Conflict("ITEM_NOT_OPEN", "This item is not open for bidding.")
    if item.status != ItemStatus.OPEN or item.event.status == "closed":
        raise Conflict("ITEM_CLOSED", "Bidding on this item has closed.")
    if item.opens_at is not None and now < item.opens_at:
        raise Conflict("ITEM_NOT_OPEN", "Bidding on this item has not opened yet.", opens_at=item.opens_at.isoformat())
    if item.closes_at is not None and now >= item.closes_at:
        raise Conflict("ITEM_CLOSED", "Bidding on this item has closed.")


def _check_biddable(item: Item, now: Any) -> None:
    _check_open_for_bids(item, now)
    if item.kind == ItemKind.BUY_NOW_ONLY:
        raise Conflict("BUY_NOW_ONLY", "This item is sold at a fixed price; use buy now.")


@dataclass
class Bidder:
    """Who a bid, purchase or pledge is for: the paddle, the donor's account (if any), and who to
    notify about it. Built by :func:`_bidder_lock` with the party's rows locked."""

    paddle: Any
    user: Any  # the bidding account; None for clerk-entered bids
    notify_user: Any  # who gets outbid / won mail for this paddle


@dataclass(frozen=True)
class BidderRef:
    """The bidder as read before any lock: a donor's guest row, or a clerk's paddle number."""

    registration_id: Any
    guest_id: Any = None  # a donor bidding for themselves
    user: Any = None
    paddle_id: Any = None  # a clerk acting for a bidder number
    number: int | None = None


def _bidder_resolve(*, user: Any, event: Any, actor: Any) -> BidderRef:
    """The signed-in donor's guest row for ``event`` (409 ``NOT_REGISTERED`` / ``CHECKIN_REQUIRED``),
    with a paddle: a first-time bidder gets the lowest free number here, in its own short transaction
    (``paddle_ensure``), so the per-event allocation lock is never held while a hot item's lock is
    awaited. Call it outside the bid's transaction; :func:`_bidder_lock` re-checks it all."""
    from apps.attendance.selectors import bidder_guest_for
    from apps.attendance.services import paddle_ensure

    if not getattr(user, "is_authenticated", False):
        raise PermissionDenied(message="Sign in to bid.")
    guest = bidder_guest_for(user=user, event=event)
    if guest is None:
        raise Conflict("NOT_REGISTERED", "Register for this event to bid.")
    if event.checkin_required_to_bid and guest.checked_in_at is None:
        raise Conflict("CHECKIN_REQUIRED", "Check in at the event to bid.")
    if guest.paddle_id is None:
        paddle_ensure(guest=guest, actor=actor)
    return BidderRef(registration_id=guest.registration_id, guest_id=guest.pk, user=user)


def _bidder_resolve_number(*, number: Any, event: Any) -> BidderRef:
    """A clerk acting for a bidder number (phone/absentee bids, live sales, pledges); 409
    ``BIDDER_NUMBER_UNKNOWN`` for a number not issued in the event."""
    from apps.attendance.selectors import paddle_by_number

    value = _int_parse(number, "bidder_number")
    paddle = paddle_by_number(event=event, number=value)  # type: ignore[arg-type]
    if paddle is None:
        raise Conflict("BIDDER_NUMBER_UNKNOWN", f"Bidder number {value} was not issued for this event.")
    return BidderRef(registration_id=paddle.registration_id, paddle_id=paddle.pk, number=value)


def _bidder_lock(ref: BidderRef, *, event: Any) -> Bidder:
    """Inside the write's transaction, before the item lock: lock the party's registration, the
    guest and the paddle (``apps.attendance.locks``) and re-check that they still may act — a
    registration cancelled meanwhile, or a paddle released, is 409 ``NOT_REGISTERED``; a clerk's
    number released meanwhile is ``BIDDER_NUMBER_UNKNOWN``. A paddle of a cancelled party is never
    eligible, whoever enters the bid, sale or pledge."""
    from apps.attendance.locks import lock_guest, lock_paddle, lock_registration
    from apps.attendance.models import RegistrationStatus
    from apps.attendance.services import paddle_ensure

    if ref.registration_id is None:
        raise Conflict("NOT_REGISTERED", "This bidder number belongs to no registration.")
    registration = lock_registration(ref.registration_id)
    if registration.status != RegistrationStatus.CONFIRMED:
        raise Conflict("NOT_REGISTERED", "This registration is cancelled.")
    if ref.guest_id is not None:
        guest = lock_guest(ref.guest_id)
        if guest.user_id is None or guest.user_id != getattr(ref.user, "pk", None):
            raise Conflict("NOT_REGISTERED", "Register for this event to bid.")
        if event.checkin_required_to_bid and guest.checked_in_at is None:
            raise Conflict("CHECKIN_REQUIRED", "Check in at the event to bid.")
        if guest.paddle_id is None:  # the number was taken away since it was allocated: a new one
            paddle_ensure(guest=guest)
        paddle = lock_paddle(guest.paddle_id)
        if paddle is None:  # pragma: no cover - the guest row (locked) still points at it
            raise Conflict("NOT_REGISTERED", "Your bidder number was released; please retry.")
        return Bidder(paddle=paddle, user=ref.user, notify_user=ref.user)
    paddle = lock_paddle(ref.paddle_id)
    if paddle is None or paddle.registration_id != registration.pk:
        raise Conflict("BIDDER_NUMBER_UNKNOWN", f"Bidder number {ref.number} was not issued for this event.")
    notify_user = registration.user if registration.user_id else None
    return Bidder(paddle=paddle, user=None, notify_user=notify_user)


def _require_clerk(actor: Any, npo_id: Any) -> None:
    if not authz.has_capability(actor, npo_id, Capability.AUCTION_CLERK):
        raise PermissionDenied(message="Only auction clerks may act for a bidder number.")


def _item_context(item: Item) -> dict[str, Any]:
    return {
        "item_id": str(item.pk),
        "item_number": item.number,
        "item_title": item.title,
        "event_id": str(item.event_id),
        "event_name": item.event.name,
        "currency": getattr(item.event.npo, "currency", "USD"),
    }


# --- bidding -----------------------------------------------------------------------------------


@dataclass
class BidResult:
    """What ``POST /items/{id}/bids/`` answers: the caller's own row and the new public state."""

    bid: Bid
    leading: bool
    current_bid: Decimal | None
    min_next_bid: Decimal | None
    item: Item


def bid_place(
    *,
    item: Item,
    user: Any,
    amount: Any,
    max_amount: Any = None,
    bidder_number: Any = None,
    actor: Any = None,
    request: HttpRequest | None = None,
) -> BidResult:
    """Place a silent-auction bid exactly per bidding.md.

    ``user`` is the bidding donor; a clerk entering a phone/absentee bid passes ``bidder_number``
    (and is ``actor``; ``auction.clerk`` needed). Raises 400 for bad amounts, 409 with the rulebook's
    codes. Writes immutable bid rows with per-item ``sequence`` numbers, updates the item's
    denormalised state, extends a soft close when the visible price moves, audits, and queues an
    outbid notification for a displaced leader (sent after commit).
    """
    actor = actor if actor is not None else user
    value = amount_parse(amount, "amount")
    top = amount_parse(max_amount, "max_amount", required=False)
    assert value is not None
    if top is None:
        top = value
    if top < value:
        raise ValidationFailed(
            message="max_amount must be at least amount.", fields={"max_amount": ["Must be at least the amount."]}
        )
    if bidder_number is not None:
        _require_clerk(actor, _npo_id(item))
        _int_parse(bidder_number, "bidder_number")  # a malformed number is 400 before any 409
    try:
        # Cheap gates before any paddle is handed out; repeated under the locks below.
        _check_biddable(item, timezone.now())
        if bidder_number is not None:
            ref = _bidder_resolve_number(number=bidder_number, event=item.event)
        else:
            ref = _bidder_resolve(user=user, event=item.event, actor=actor)
        with transaction.atomic():
            bidder = _bidder_lock(ref, event=item.event)
            result = _bid_apply(
                item_id=item.pk,
                bidder=bidder,
                amount=value,
                max_amount=top,
                actor=actor,
                clerk=bidder_number is not None,
                request=request,
            )
    except Conflict as exc:
        metrics.bid_rejected(exc.code)
        raise
    metrics.bid_accepted()
    return result


def _bid_apply(
    *,
    item_id: Any,
    bidder: Bidder,
    amount: Decimal,
    max_amount: Decimal,
    actor: Any,
    clerk: bool,
    request: HttpRequest | None,
) -> BidResult:
    item = _lock_item(item_id)
    now = timezone.now()  # after the lock: the time that decides (bidding.md "Time and closing")
    _check_biddable(item, now)
    state = AuctionState(
        starting_bid=item.starting_bid,
        increment=item.bid_increment,
        reserve=item.reserve,
        current=item.current_bid,
        leader=item.leader_paddle_id,
        leader_max=item.leader_max,
    )
    outcome = proxy_resolve(state, paddle=bidder.paddle.pk, amount=amount, max_amount=max_amount)

    placement = uuid.uuid4()
    rows = []
    own_row: Bid | None = None
    for offset, row in enumerate(outcome.rows, start=1):
        mine = row.paddle == bidder.paddle.pk and not row.automatic
        bid = Bid(
            item=item,
            paddle_id=row.paddle,
            user=bidder.user if mine else None,
            entered_by=actor if (mine and clerk) else None,
            amount=row.amount,
            max_amount=row.max_amount,
            automatic=row.automatic,
            visible=row.visible,
            sequence=item.last_sequence + offset,
            placement=placement,
        )
        if mine:
            own_row = bid
        rows.append(bid)
    Bid.objects.bulk_create(rows)
    assert own_row is not None
    own_row.paddle = bidder.paddle

    previous_leader_user = item.leader_user
    fields = ["current_bid", "bid_count", "last_sequence", "leader_paddle", "leader_max", "leader_user", "updated_at"]
    item.current_bid = outcome.current
    item.bid_count += len(outcome.visible_rows)
    item.last_sequence += len(rows)
    if outcome.leading:
        item.leader_user = bidder.notify_user
    item.leader_paddle_id = outcome.leader
    item.leader_max = outcome.leader_max
    soft_close = item.event.soft_close_minutes
    if outcome.price_changed and soft_close and item.closes_at is not None:
        extended = now + timedelta(minutes=soft_close)
        if extended > item.closes_at:
            item.closes_at = extended
            fields.append("closes_at")
    item.save(update_fields=fields)
    if outcome.visible_rows:
        live.bid_placed(item=item, paddle=bidder.paddle)
    if "closes_at" in fields:
        live.item_updated(item=item)  # the soft close moved the closing time

    same_person = (
        bidder.notify_user is not None
        and previous_leader_user is not None
        and (previous_leader_user.pk == bidder.notify_user.pk)
    )
    if outcome.outbid is not None and previous_leader_user is not None and not same_person:
        notification_queue(
            kind=NotificationKind.OUTBID,
            user=previous_leader_user,
            item=item,
            context={**_item_context(item), "current_bid": money_str(outcome.current)},
        )
        live.outbid(user=previous_leader_user, item=item)
    audit_record(
        actor=actor,
        action="bid.place_for_bidder" if clerk else "bid.place",
        obj=item,
        npo_id=_npo_id(item),
        request=request,
        details=_bid_audit_details(outcome, own_row, bidder.paddle.number),
    )
    return BidResult(
        bid=own_row,
        leading=outcome.leading,
        current_bid=item.current_bid,
        min_next_bid=item_min_next_bid(item),
        item=item,
    )


def _bid_audit_details(outcome: Any, own_row: Bid, bidder_number: int) -> dict[str, Any]:
    """What the audit log keeps of a bid: only amounts the public history shows (bidding.md rule 6).

    NPO members who may bid themselves read the audit log in the admin. The amount typed is not
    always visible — a leader raising their maximum with a single amount (rule 2) types the new
    private maximum, and a challenger beaten by a proxy (rule 3) typed less than their visible row —
    so the entry carries the bidder's own *visible* row amount, or none for a rule-2 raise."""
    details: dict[str, Any] = {
        "bidder_number": bidder_number,
        "rule": outcome.rule,
        "current_bid": str(outcome.current),
        "sequence": own_row.sequence,
    }
    if own_row.visible:
        details["amount"] = str(own_row.amount)
    return details


def item_min_next_bid(item: Item) -> Decimal | None:
    """The public minimum next bid: silent and live items; None for buy-now-only items."""
    if item.kind == ItemKind.BUY_NOW_ONLY:
        return None
    return min_next_bid(item.current_bid, item.starting_bid, item.bid_increment)


# --- buy now -----------------------------------------------------------------------------------


def _check_buyable(item: Item, now: Any) -> None:
    if item.kind == ItemKind.BUY_NOW_ONLY and item.status == ItemStatus.SOLD:
        raise Conflict("SOLD_OUT", "This item is sold out.", quantity_left=0)
    _check_open_for_bids(item, now)


def buy_now(
    *, item: Item, user: Any, quantity: Any = 1, actor: Any = None, request: HttpRequest | None = None
) -> Purchase:
    """Buy ``quantity`` units at the buy-now price.

    A silent item: one unit, only while the leader's maximum is below the price (else 409
    ``BUY_NOW_UNAVAILABLE``); the purchase ends the auction (``sold``) and the displaced leader is
    notified. A ``buy_now_only`` item: never oversold (409 ``SOLD_OUT``); the last unit closes it.
    """
    actor = actor if actor is not None else user
    units = _int_parse(1 if quantity is None else quantity, "quantity")
    assert units is not None
    try:
        _check_buyable(item, timezone.now())
        ref = _bidder_resolve(user=user, event=item.event, actor=actor)
        with transaction.atomic():
            bidder = _bidder_lock(ref, event=item.event)
            item = _lock_item(item.pk)
            now = timezone.now()
            _check_buyable(item, now)
            price = item.buy_now_price
            if price is None:
                raise Conflict("BUY_NOW_UNAVAILABLE", "This item has no buy-now price.")
            displaced = None
            if item.kind == ItemKind.SILENT:
                if units != 1:
                    raise ValidationFailed(message="A silent item has one unit.", fields={"quantity": ["Must be 1."]})
                if item.leader_max is not None and item.leader_max >= price:
                    raise Conflict("BUY_NOW_UNAVAILABLE", "Bidding has reached the buy-now price.")
                if item.leader_user is not None and item.leader_paddle_id != bidder.paddle.pk:
                    displaced = item.leader_user
            left = item.quantity - item.quantity_sold
            if units > left:
                raise Conflict("SOLD_OUT", "Not enough units left.", quantity_left=left)
            if price * units > max_amount():  # a purchase is a money input too (and must fit its column)
                raise ValidationFailed(
                    message=f"quantity: the total cannot be more than {money(max_amount())}.",
                    fields={"quantity": [f"The total cannot be more than {money(max_amount())}; buy fewer units."]},
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
                live.item_closed(item=item, amount=price, paddle=bidder.paddle if units == item.quantity else None)
            live.totals(event=item.event)
            if displaced is not None:
                notification_queue(
                    kind=NotificationKind.OUTBID,
                    user=displaced,
                    item=item,
                    context={**_item_context(item), "bought_now": True},
                )
                live.outbid(user=displaced, item=item)
            audit_record(
                actor=actor,
                action="item.buy_now",
                obj=item,
                npo_id=_npo_id(item),
                request=request,
                details={"bidder_number": bidder.paddle.number, "quantity": units, "amount": str(purchase.amount)},
            )
    except Conflict as exc:
        metrics.bid_rejected(exc.code)
        raise
    metrics.funds_raised(source="buy_now", amount=purchase.amount, currency=item.event.npo.currency)
    return purchase


# --- live sales --------------------------------------------------------------------------------


@transaction.atomic
def sale_record(
    *,
    item: Item,
    bidder_number: Any,
    amount: Any,
    below_reserve_ok: bool = False,
    actor: Any,
    request: HttpRequest | None = None,
) -> Sale:
    """Record a live-auction sale (hammer price to a bidder number); up to ``quantity`` sales.

    409 ``ITEM_ALREADY_SOLD`` past the quantity, ``BELOW_RESERVE`` under the reserve without
    ``below_reserve_ok``, ``BIDDER_NUMBER_UNKNOWN``, ``NOT_LIVE_ITEM`` for other kinds; the same
    eligibility as a bid: a cancelled party's paddle is ``NOT_REGISTERED``, a closed event
    ``EVENT_CLOSED`` (totals never change after the close).
    """
    value = amount_parse(amount, "amount")
    assert value is not None
    _require_clerk(actor, _npo_id(item))
    ref = _bidder_resolve_number(number=bidder_number, event=item.event)
    bidder = _bidder_lock(ref, event=item.event)
    item = _lock_item(item.pk)
    now = timezone.now()
    if item.event.status == "closed":
        raise Conflict("EVENT_CLOSED", "The event is closed; its totals are final.")
    _check_npo_active(item)
    if item.kind != ItemKind.LIVE:
        raise Conflict("NOT_LIVE_ITEM", "Only live-auction items are sold by the auctioneer.")
    if item.status in (ItemStatus.DRAFT, ItemStatus.WITHDRAWN):
        raise Conflict("ITEM_NOT_OPEN", "Open the item before selling it.")
    if item.status == ItemStatus.SOLD or item.quantity_sold >= item.quantity:
        raise Conflict("ITEM_ALREADY_SOLD", "Every unit of this item is already sold.")
    if item.status != ItemStatus.OPEN:
        raise Conflict("ITEM_CLOSED", "This item is closed.")
    below = item.reserve is not None and value < item.reserve
    if below and not below_reserve_ok:
        raise Conflict(
            "BELOW_RESERVE",
            "The amount is below the reserve; confirm with below_reserve_ok.",
            reserve=money_str(item.reserve),
        )
    sale = Sale.objects.create(item=item, paddle=bidder.paddle, amount=value, below_reserve=below, entered_by=actor)
    item.quantity_sold += 1
    fields = ["quantity_sold", "updated_at"]
    if item.quantity_sold >= item.quantity:
        item.status = ItemStatus.SOLD
        item.closed_at = now
        fields += ["status", "closed_at"]
    item.save(update_fields=fields)
    live.sale(sale=sale, item=item)
    if item.status == ItemStatus.SOLD:
        live.item_closed(item=item, amount=value, paddle=bidder.paddle if item.quantity == 1 else None)
    live.totals(event=item.event)
    audit_record(
        actor=actor,
        action="sale.record",
        obj=sale,
        npo_id=_npo_id(item),
        request=request,
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
def sale_undo(*, sale: Sale, actor: Any, request: HttpRequest | None = None) -> Sale:
    """Undo a live sale (a wrong bidder number, a withdrawn bid): keeps the row, frees the unit and
    reopens a sold-out item unless its event is closed. 409 ``ALREADY_UNDONE`` the second time.
    Takes the paddle lock first (level 4, before the item): an undo changes the paddle's statement,
    so it and a checkout payment on that paddle are decided one after the other."""
    from apps.attendance.locks import lock_paddle

    lock_paddle(sale.paddle_id)
    item = _lock_item(sale.item_id)
    sale = Sale.objects.select_for_update().get(pk=sale.pk)
    if sale.undone_at is not None:
        raise Conflict("ALREADY_UNDONE", "This sale was already undone.")
    sale.undone_at = timezone.now()
    sale.undone_by = actor
    sale.save(update_fields=["undone_at", "undone_by", "updated_at"])
    item.quantity_sold = max(item.quantity_sold - 1, 0)
    fields = ["quantity_sold", "updated_at"]
    if item.status == ItemStatus.SOLD:
        if item.event.status == "closed":
            item.status = ItemStatus.SOLD if item.quantity_sold else ItemStatus.UNSOLD
        else:
            item.status, item.closed_at = ItemStatus.OPEN, None
            fields.append("closed_at")
        fields.append("status")
    item.save(update_fields=fields)
    live.sale(sale=sale, item=item)
    if "status" in fields:
        live.item_updated(item=item)  # reopened (or, after the event closed, unsold)
    live.totals(event=item.event)
    audit_record(
        actor=actor,
        action="sale.undo",
        obj=sale,
        npo_id=_npo_id(item),
        request=request,
        details={"item": str(item.pk), "amount": str(sale.amount)},
    )
    return sale


# --- closing -----------------------------------------------------------------------------------


def item_close(*, item: Item, actor: Any = None, only_if_due: bool = False, request: HttpRequest | None = None) -> Item:
    """Close an item: ``sold`` (a silent item to its leader at the current bid, if the reserve is
    met; a live/buy-now item when any unit sold) or ``unsold``.

    Re-reads the item under its lock, so two closers at once produce one outcome; closing a closed
    item returns it unchanged. ``only_if_due`` (the cron) skips items whose ``closes_at`` moved
    (soft close) since they were selected. The winner is notified after commit.
    """
    with transaction.atomic():
        item = _lock_item(item.pk)
        now = timezone.now()
        if item.status in FINAL_STATUSES:
            return item
        if item.status != ItemStatus.OPEN:
            raise Conflict("INVALID_TRANSITION", f"An item that is {item.status} cannot be closed.")
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
        live.item_closed(item=item)
        live.totals(event=item.event)
        if winner_user is not None:
            notification_queue(
                kind=NotificationKind.WON,
                user=winner_user,
                item=item,
                context={**_item_context(item), "amount": money_str(item.winning_amount)},
            )
            live.won(user=winner_user, item=item, amount=item.winning_amount)
        audit_record(
            actor=actor,
            action="item.close",
            obj=item,
            npo_id=_npo_id(item),
            request=request,
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


def items_close_for_event(*, event: Any, actor: Any = None) -> list[Item]:
    """Close every open item of ``event`` (called by ``event_close`` inside its transaction)."""
    ids = list(Item.objects.filter(event=event, status=ItemStatus.OPEN).order_by("number").values_list("pk", flat=True))
    return [item_close(item=Item(pk=pk), actor=actor) for pk in ids]


# --- item lifecycle ----------------------------------------------------------------------------

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


def _item_validate(item: Item) -> None:
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
def item_create(*, event: Any, actor: Any, request: HttpRequest | None = None, **data: Any) -> Item:
    """Create a draft item with the next free ``number`` of the event (event row locked, so two
    creators never pick the same number; the unique constraint backs it)."""
    from apps.events.models import Event

    Event.objects.select_for_update(no_key=True).filter(pk=event.pk).values_list("pk", flat=True).first()
    last = Item.objects.filter(event=event).order_by("-number").values_list("number", flat=True).first()
    item = Item(event=event, number=(last or 0) + 1, created_by=actor, status=ItemStatus.DRAFT)
    for name in EDITABLE_FIELDS:
        if name in data:
            setattr(item, name, data[name])
    if item.starting_bid is None:
        item.starting_bid = Decimal("0")
    _item_validate(item)
    item.save()
    audit_record(actor=actor, action="item.create", obj=item, npo_id=event.npo_id, request=request)
    return item


@transaction.atomic
def item_update(*, item: Item, actor: Any, request: HttpRequest | None = None, **data: Any) -> Item:
    """Edit an item under its lock (never overwriting the auction state a bid just wrote).

    Once an item has bids or sales, the fields the price rules read are frozen (409 ``ITEM_HAS_BIDS``):
    kind, starting bid, increment and reserve. Rule 5 (the reserve lifts the price) is applied when a
    bid arrives, so a reserve lowered below the leader's maximum would leave the item ``unsold`` at
    close, and one raised after it was met would turn a sale into ``unsold``."""
    item = _lock_item(item.pk)
    changed = [name for name in EDITABLE_FIELDS if name in data and getattr(item, name) != data[name]]
    has_activity = item.last_sequence > 0 or item.quantity_sold > 0
    frozen = set(PRICE_RULE_FIELDS) & set(changed)
    if frozen and has_activity:
        raise Conflict(
            "ITEM_HAS_BIDS",
            f"{', '.join(sorted(frozen))} cannot change once the item has bids or sales.",
            frozen=sorted(frozen),
        )
    if "kind" in changed and item.status != ItemStatus.DRAFT:
        raise Conflict("INVALID_TRANSITION", "The kind of an open item cannot change.")
    if item.status in FINAL_STATUSES and changed:
        raise Conflict("INVALID_TRANSITION", "A closed item cannot be edited.")
    for name in changed:
        setattr(item, name, data[name])
    _item_validate(item)
    if changed:
        item.save(update_fields=[*changed, "updated_at"])
        if "closes_at" in changed and item.status == ItemStatus.OPEN:
            live.item_updated(item=item)
        audit_record(
            actor=actor,
            action="item.update",
            obj=item,
            npo_id=_npo_id(item),
            request=request,
            details={"fields": changed},
        )
    return item


@transaction.atomic
def item_delete(*, item: Item, actor: Any, request: HttpRequest | None = None) -> None:
    """Delete a draft item without activity; anything else is withdrawn instead (409)."""
    item = _lock_item(item.pk)
    if item.status != ItemStatus.DRAFT or item.last_sequence or item.quantity_sold:
        raise Conflict("INVALID_TRANSITION", "Only draft items can be deleted; withdraw it instead.")
    audit_record(actor=actor, action="item.delete", obj=item, npo_id=_npo_id(item), request=request)
    item.delete()


@transaction.atomic
def item_open(*, item: Item, actor: Any, request: HttpRequest | None = None) -> Item:
    """``draft``/``withdrawn`` → ``open``; the event must be published (409 EVENT_NOT_PUBLISHED).
    ``opens_at`` defaults to now."""
    item = _lock_item(item.pk)
    if item.status not in (ItemStatus.DRAFT, ItemStatus.WITHDRAWN):
        raise Conflict("INVALID_TRANSITION", f"An item that is {item.status} cannot be opened.")
    if item.kind == ItemKind.SILENT and item.starting_bid <= 0:
        # Drafts may be incomplete; an open silent item must advertise a minimum a donor can bid
        # (every bid is above zero).
        raise ValidationFailed(
            message="Set a starting bid above zero before opening this item.",
            fields={"starting_bid": ["A silent item needs a starting bid above zero."]},
        )
    if item.event.status != "published":
        raise Conflict("EVENT_NOT_PUBLISHED", "Publish the event before opening items.")
    item.status = ItemStatus.OPEN
    fields = ["status", "updated_at"]
    if item.opens_at is None:
        item.opens_at = timezone.now()
        fields.append("opens_at")
    item.save(update_fields=fields)
    live.item_updated(item=item)
    audit_record(actor=actor, action="item.open", obj=item, npo_id=_npo_id(item), request=request)
    return item


@transaction.atomic
def item_withdraw(*, item: Item, actor: Any, request: HttpRequest | None = None) -> Item:
    """``draft``/``open`` → ``withdrawn`` (hidden from donors, refuses bids; bid rows are kept)."""
    item = _lock_item(item.pk)
    if item.status not in (ItemStatus.DRAFT, ItemStatus.OPEN):
        raise Conflict("INVALID_TRANSITION", f"An item that is {item.status} cannot be withdrawn.")
    if item.quantity_sold:
        raise Conflict("INVALID_TRANSITION", "Undo the sales or purchases first.")
    was_public = item.status == ItemStatus.OPEN
    item.status = ItemStatus.WITHDRAWN
    item.save(update_fields=["status", "updated_at"])
    if was_public:
        live.item_updated(item=item)
    audit_record(actor=actor, action="item.withdraw", obj=item, npo_id=_npo_id(item), request=request)
    return item


@transaction.atomic
def items_set_closing_time(
    *, event: Any, closes_at: Any, actor: Any, category: str | None = None, request: HttpRequest | None = None
) -> int:
    """Set ``closes_at`` for a group of the event's not-yet-closed silent items (all, or one category),
    e.g. "the jewellery table closes at 21:00". Returns how many items changed."""
    qs = Item.objects.filter(event=event, kind=ItemKind.SILENT, status__in=[ItemStatus.DRAFT, ItemStatus.OPEN])
    if category is not None:
        qs = qs.filter(category=category)
    qs = qs.filter(Q(opens_at__isnull=True) | Q(opens_at__lt=closes_at))
    ids = list(qs.select_for_update().values_list("pk", flat=True))
    count = Item.objects.filter(pk__in=ids).update(closes_at=closes_at, updated_at=timezone.now())
    live.items_updated(event=event, item_ids=ids)
    audit_record(
        actor=actor,
        action="item.closing_time",
        npo_id=event.npo_id,
        request=request,
        details={"event": str(event.pk), "category": category, "closes_at": closes_at, "count": count},
    )
    return count


@transaction.atomic
def item_image_add(
    *, item: Item, upload: Any, actor: Any, caption: str = "", request: HttpRequest | None = None
) -> ItemImage:
    """Validate an uploaded picture by content and store it under a server-made name (503 when the
    storage is down; the blob is removed again if the row cannot be written)."""
    from apps.core import uploads
    from apps.core.files import validate_image

    checked = validate_image(upload)
    name = uploads.store(upload, prefix=f"items/{item.pk}", checked=checked)
    try:
        last = item.images.order_by("-display_order").values_list("display_order", flat=True).first()
        image = ItemImage.objects.create(
            item=item,
            file=name,
            content_type=checked.content_type,
            size=checked.size,
            width=checked.width,
            height=checked.height,
            caption=caption[:250],
            display_order=(last or 0) + 1,
        )
    except Exception:
        uploads.discard(name)
        raise
    audit_record(actor=actor, action="item.image_add", obj=item, npo_id=_npo_id(item), request=request)
    return image


@transaction.atomic
def item_image_delete(*, image: ItemImage, actor: Any, request: HttpRequest | None = None) -> None:
    from apps.core import uploads

    item = image.item
    name = image.file.name
    image.delete()
    audit_record(actor=actor, action="item.image_delete", obj=item, npo_id=_npo_id(item), request=request)
    uploads.delete_on_commit(name)


# --- paddle raise ------------------------------------------------------------------------------


def paddle_raise_settings(event: Any) -> PaddleRaiseSettings:
    settings_row, _ = PaddleRaiseSettings.objects.get_or_create(event=event)
    return settings_row


@transaction.atomic
def paddle_raise_configure(
    *,
    event: Any,
    actor: Any,
    levels: list[Any] | None = None,
    is_open: bool | None = None,
    phone_pledges: bool | None = None,
    request: HttpRequest | None = None,
) -> PaddleRaiseSettings:
    """Set the paddle raise's giving levels (replacing the list) and its open/phone flags."""
    settings_row = paddle_raise_settings(event)
    settings_row = PaddleRaiseSettings.objects.select_for_update().get(pk=settings_row.pk)
    if levels is not None:
        if not isinstance(levels, list):
            raise ValidationFailed(
                message="levels: a list of amounts is required.", fields={"levels": ["A list of amounts."]}
            )
        amounts: list[Decimal] = []
        labels: dict[Decimal, str] = {}
        for index, raw in enumerate(levels):
            label = ""
            if isinstance(raw, dict):
                label = str(raw.get("label") or "")[:200]
                raw = raw.get("amount")
            try:
                value = money_parse(raw)
            except ValueError as exc:
                raise ValidationFailed(
                    message=f"levels[{index}]: {exc}", fields={"levels": [f"Item {index}: {exc}"]}
                ) from None
            if value in amounts:
                raise ValidationFailed(
                    message="levels: duplicate amount.", fields={"levels": [f"{value} appears twice."]}
                )
            amounts.append(value)
            labels[value] = label
        PaddleRaiseLevel.objects.filter(event=event).delete()
        PaddleRaiseLevel.objects.bulk_create(
            [PaddleRaiseLevel(event=event, amount=a, label=labels[a]) for a in sorted(amounts, reverse=True)]
        )
    if is_open is not None:
        settings_row.is_open = bool(is_open)
    if phone_pledges is not None:
        settings_row.phone_pledges = bool(phone_pledges)
    settings_row.save()
    audit_record(
        actor=actor,
        action="paddle_raise.configure",
        obj=settings_row,
        npo_id=event.npo_id,
        request=request,
        details={
            "is_open": settings_row.is_open,
            "phone_pledges": settings_row.phone_pledges,
            "levels": [str(a) for a in PaddleRaiseLevel.objects.filter(event=event).values_list("amount", flat=True)],
        },
    )
    return settings_row


def pledge_record(
    *,
    event: Any,
    amount: Any,
    actor: Any,
    bidder_number: Any = None,
    request: HttpRequest | None = None,
) -> Pledge:
    """Record a paddle-raise pledge: by a clerk for ``bidder_number`` (``auction.clerk``), or by the
    signed-in donor from their phone while the raise is open and phone pledges are allowed (409
    ``PADDLE_RAISE_CLOSED``). With levels configured the amount must be one of them.

    The same eligibility as a bid: a cancelled party's paddle is 409 ``NOT_REGISTERED``. Once the
    event is closed its totals are final: 409 ``EVENT_CLOSED``, checked under the event's row lock
    so a pledge racing the close cannot land after it.
    """
    from apps.events.models import Event

    value = amount_parse(amount, "amount")
    assert value is not None
    levels = list(PaddleRaiseLevel.objects.filter(event=event).values_list("amount", flat=True))
    if levels and value not in levels:
        raise ValidationFailed(
            message="amount: choose one of the giving levels.",
            fields={"amount": [f"One of {', '.join(str(v) for v in levels)}."]},
        )
    if bidder_number is not None:
        _int_parse(bidder_number, "bidder_number")  # 400 before any business rule (409)
    if event.npo.status == NPOStatus.SUSPENDED:
        raise Conflict("NPO_SUSPENDED", "This organisation is suspended.")
    if event.status == "closed":
        raise Conflict("EVENT_CLOSED", "The event is closed; its totals are final.")
    if bidder_number is not None:
        _require_clerk(actor, event.npo_id)
        ref = _bidder_resolve_number(number=bidder_number, event=event)
        source = PledgeSource.CLERK
    else:
        settings_row = PaddleRaiseSettings.objects.filter(event=event).first()
        if (
            settings_row is None
            or not settings_row.is_open
            or not settings_row.phone_pledges
            or event.status != "published"
        ):
            raise Conflict("PADDLE_RAISE_CLOSED", "The paddle raise is not taking pledges from phones right now.")
        ref = _bidder_resolve(user=actor, event=event, actor=actor)
        source = PledgeSource.PHONE
    with transaction.atomic():
        locked_event = Event.objects.select_for_update(no_key=True).get(pk=event.pk)  # level 1 of the lock order
        if locked_event.status == "closed":
            raise Conflict("EVENT_CLOSED", "The event is closed; its totals are final.")
        bidder = _bidder_lock(ref, event=locked_event)
        pledge = Pledge.objects.create(
            event=event,
            paddle=bidder.paddle,
            amount=value,
            source=source,
            user=bidder.user,
            entered_by=actor if source == PledgeSource.CLERK else None,
        )
        audit_record(
            actor=actor,
            action="pledge.record",
            obj=pledge,
            npo_id=event.npo_id,
            request=request,
            details={"bidder_number": bidder.paddle.number, "amount": str(value), "source": source},
        )
        live.pledge(pledge=pledge)
        live.totals(event=event)
    metrics.funds_raised(source="paddle_raise", amount=value, currency=event.npo.currency)
    return pledge


@transaction.atomic
def pledge_undo(*, pledge: Pledge, actor: Any, request: HttpRequest | None = None) -> Pledge:
    """Undo a pledge (kept, marked undone); 409 ``ALREADY_UNDONE`` the second time. Locks the
    paddle first, like every change of a statement (checkout)."""
    from apps.attendance.locks import lock_paddle

    lock_paddle(pledge.paddle_id)
    pledge = Pledge.objects.select_for_update().select_related("event").get(pk=pledge.pk)
    if pledge.undone_at is not None:
        raise Conflict("ALREADY_UNDONE", "This pledge was already undone.")
    pledge.undone_at = timezone.now()
    pledge.undone_by = actor
    pledge.save(update_fields=["undone_at", "undone_by", "updated_at"])
    live.pledge(pledge=pledge)
    live.totals(event=pledge.event)
    audit_record(
        actor=actor,
        action="pledge.undo",
        obj=pledge,
        npo_id=pledge.event.npo_id,
        request=request,
        details={"amount": str(pledge.amount)},
    )
    return pledge


# --- totals (read, but money-critical: kept beside the writes that feed it) --------------------


def event_totals(event: Any) -> dict[str, Any]:
    """``{raised, by_source: {silent, live, buy_now, paddle_raise}, goal, percent}`` (api.md).

    ``silent`` counts silent items won by bidding (closed ``sold``), ``live`` the recorded sales,
    ``buy_now`` every purchase, ``paddle_raise`` the pledges; undone sales and pledges do not count.
    """
    zero = Decimal("0")
    silent = (
        Item.objects.filter(event=event, kind=ItemKind.SILENT, status=ItemStatus.SOLD).aggregate(
            s=Sum("winning_amount")
        )["s"]
        or zero
    )
    live = Sale.objects.filter(item__event=event, undone_at__isnull=True).aggregate(s=Sum("amount"))["s"] or zero
    bought = Purchase.objects.filter(item__event=event).aggregate(s=Sum("amount"))["s"] or zero
    pledged = Pledge.objects.filter(event=event, undone_at__isnull=True).aggregate(s=Sum("amount"))["s"] or zero
    raised = silent + live + bought + pledged
    goal = event.goal_amount
    percent = None
    if goal:
        percent = float(round(raised * 100 / goal, 1))
    return {
        "raised": money_str(raised),
        "by_source": {
            "silent": money_str(silent),
            "live": money_str(live),
            "buy_now": money_str(bought),
            "paddle_raise": money_str(pledged),
        },
        "goal": money_str(goal),
        "percent": percent,
    }
