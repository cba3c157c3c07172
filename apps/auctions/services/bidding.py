"""Silent-auction bids (bidding.md): validate, resolve and lock the bidder, lock the item, read the
clock after the lock, apply the proxy rules (``rules.py``), write immutable rows and the item's
denormalised state, audit, and queue the outbid e-mail in the outbox — one transaction."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from apps.auctions import metrics, signals
from apps.auctions.models import (
    Bid,
    Item,
    NotificationKind,
)
from apps.auctions.notifications import notification_queue
from apps.auctions.rules import AuctionState, proxy_resolve
from apps.auctions.selectors import BidContext, item_min_next_bid
from apps.auctions.services.bidders import Bidder, bidder_lock, bidder_resolve, bidder_resolve_number
from apps.auctions.services.common import (
    amount_parse,
    check_biddable,
    check_clerk,
    int_input,
    item_mail_context,
    item_npo_id,
    lock_item_for_bid,
)
from apps.core.errors import ErrorCode
from apps.core.exceptions import Conflict, ValidationFailed
from apps.core.money import money_format, money_str
from apps.core.services import audit_record


@dataclass
class BidResult:
    """What ``POST /items/{id}/bids/`` answers: the caller's own row and the new public state."""

    bid: Bid
    leading: bool
    current_bid: Decimal | None
    min_next_bid: Decimal | None
    item: Item


def bid_place(*, context: BidContext, amount: Any, max_amount: Any = None, ip: str | None = None) -> BidResult:
    """A donor's own silent-auction bid, exactly per bidding.md (``context.user``, the donor, is the
    actor; ``context.bidder`` their guest row, read with the item before any lock).

    Raises 400 for bad amounts, 409 with the rulebook's codes. Writes immutable bid rows with per-item
    ``position`` and (visible rows only) public ``sequence`` numbers, updates the item's denormalised
    state, extends a soft close when the visible price moves, audits, and queues an outbid notification
    for a displaced leader (sent after commit).
    """
    value, top = _amounts(amount, max_amount)
    user = context.user
    return _bid_engine(
        context=context,
        resolve=lambda: bidder_resolve(user=user, event=context.event, guest=context.bidder, actor=user),
        amount=value,
        max_amount=top,
        clerk_for=None,
        ip=ip,
    )


def bid_place_for_bidder(
    *, context: BidContext, bidder_number: Any, amount: Any, max_amount: Any = None, ip: str | None = None
) -> BidResult:
    """A clerk's phone/absentee bid for the holder of ``bidder_number`` (``auction.clerk`` needed,
    checked here whoever calls): the same engine and rules as :func:`bid_place`, recorded as entered
    by ``context.user`` — with one difference, so that a clerk never learns a maximum (bidding.md rule 6):

    **A clerk's bid for the paddle that leads is always refused**, 409 ``ALREADY_LEADING`` with one
    message, whatever its amounts (checked under the item lock, before the minimum). Under rule 2 a
    leader's bid is refused when its maximum is at or below the leader's own and accepted above it,
    so entering bids for the leader would let an auctioneer binary-search the leader's maximum. A
    leader loses nothing: their maximum keeps bidding for them, the clerk can enter a new bid once
    they are outbid, and the donor raises their own maximum from their account (rule 2 unchanged).

    Every refused clerk bid (any 409) is audited — the clerk as actor, the item, the bidder number
    and the refusal code; never an amount, neither the one typed nor a maximum compared."""
    value, top = _amounts(amount, max_amount)
    check_clerk(context.user, context.npo.pk)
    number = int_input(bidder_number, "bidder_number")  # a malformed number is 400 before any 409
    assert number is not None
    return _bid_engine(
        context=context,
        resolve=lambda: bidder_resolve_number(number=number, event=context.event),
        amount=value,
        max_amount=top,
        clerk_for=number,
        ip=ip,
    )


def _amounts(amount: Any, max_amount: Any) -> tuple[Decimal, Decimal]:
    value = amount_parse(amount, "amount")
    top = amount_parse(max_amount, "max_amount", required=False)
    assert value is not None
    if top is None:
        top = value
    if top < value:
        raise ValidationFailed(
            message="max_amount must be at least amount.", fields={"max_amount": ["Must be at least the amount."]}
        )
    return value, top


def _bid_engine(
    *,
    context: BidContext,
    resolve: Callable[[], Any],
    amount: Decimal,
    max_amount: Decimal,
    clerk_for: int | None,
    ip: str | None,
) -> BidResult:
    """The one engine behind both entry points: cheap gates, the bidder (a paddle handed out on first
    need, in its own short transaction), then the locked apply. ``clerk_for`` is the bidder number a
    clerk entered the bid for (``None``: the donor's own bid)."""
    item, actor = context.item, context.user
    try:
        # Cheap gates before any paddle is handed out; repeated under the locks below.
        check_biddable(item, timezone.now())
        ref = resolve()
        if clerk_for is None:  # a clerk's bid for the leader is refused before the minimum, under the lock
            _refuse_below_minimum(item, amount)
        with transaction.atomic():
            bidder = bidder_lock(ref, event=context.event)
            result = _bid_apply(
                context=context,
                bidder=bidder,
                amount=amount,
                max_amount=max_amount,
                clerk=clerk_for is not None,
                ip=ip,
            )
    except Conflict as exc:
        metrics.bid_rejected(exc.code)
        if clerk_for is not None:
            _audit_refused_clerk_bid(item=item, actor=actor, bidder_number=clerk_for, code=exc.code, ip=ip)
        raise
    metrics.bid_accepted()
    return result


def _audit_refused_clerk_bid(*, item: Item, actor: Any, bidder_number: int, code: str, ip: str | None) -> None:
    """A clerk's refused bid leaves a trace (its own transaction: the bid's rolled back): who tried,
    for which paddle, on which item, and why — no amount (the one typed is the bidder's intended
    maximum; the one compared is the leader's)."""
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="bid.place_for_bidder_refused",
            obj=item,
            npo_id=item_npo_id(item),
            ip=ip,
            details={"bidder_number": bidder_number, "code": code},
        )


def _refuse_below_minimum(item: Item, amount: Decimal) -> None:
    """409 ``BID_TOO_LOW`` on the item as read before any lock, when the amount is below its minimum
    next bid there (bidding.md rule 1's first check; the rules repeat it under the lock).

    On a hot item most bids are too low by the time they arrive (everyone bids the minimum the last
    answer named); refusing those without taking the bidder's three row locks and queueing for the
    item's keeps the lock for bids that can win. It is the same decision on an earlier consistent
    read of the row: the bid is ordered at that read, as if it had come a moment sooner. The price
    only rises while an item is open (a bid cancelled by staff lowers it, and a bid racing that
    cancellation may be refused on the higher price — the answer names the minimum to retry with).
    """
    minimum = item_min_next_bid(item)
    if minimum is not None and minimum > amount:
        raise Conflict(
            ErrorCode.BID_TOO_LOW, f"The minimum bid is {money_format(minimum)}.", min_bid=money_str(minimum)
        )


def _bid_apply(
    *,
    context: BidContext,
    bidder: Bidder,
    amount: Decimal,
    max_amount: Decimal,
    clerk: bool,
    ip: str | None,
) -> BidResult:
    actor = context.user
    item = lock_item_for_bid(context)
    now = timezone.now()  # after the lock: the time that decides (bidding.md "Time and closing")
    check_biddable(item, now)
    if clerk and item.leader_paddle_id == bidder.paddle.pk:
        # The same answer whatever the amounts (bid_place_for_bidder says why).
        raise Conflict(
            ErrorCode.ALREADY_LEADING,
            f"Bidder {bidder.paddle.number} is already the highest bidder. A clerk cannot raise a "
            "leader's maximum; enter a new bid once they are outbid.",
        )
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
    for row in outcome.rows:
        mine = row.paddle == bidder.paddle.pk and not row.automatic
        item.last_position += 1
        if row.visible:
            item.last_sequence += 1
        bid = Bid(
            item=item,
            paddle_id=row.paddle,
            user=bidder.user if mine else None,
            entered_by=actor if (mine and clerk) else None,
            amount=row.amount,
            max_amount=row.max_amount,
            automatic=row.automatic,
            visible=row.visible,
            position=item.last_position,
            sequence=item.last_sequence if row.visible else None,  # public numbers stay gapless
            placement=placement,
        )
        if mine:
            own_row = bid
        rows.append(bid)
    Bid.objects.bulk_create(rows)
    assert own_row is not None
    own_row.paddle = bidder.paddle

    previous_leader_user = item.leader_user
    fields = ["current_bid", "bid_count", "last_sequence", "last_position", "leader_paddle", "leader_max"]
    fields.append("leader_user")
    if outcome.visible_rows:
        # A raise of the leader's own maximum alone changes nothing anyone else can see: the item's
        # public ``updated_at`` stays (rule 6), as do its sequence, price and live messages.
        fields.append("updated_at")
    item.current_bid = outcome.current
    item.bid_count += len(outcome.visible_rows)
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
        signals.bid_placed.send(sender=Item, item=item, paddle=bidder.paddle)
    if "closes_at" in fields:
        signals.item_updated.send(sender=Item, item=item)  # the soft close moved the closing time

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
            context={**item_mail_context(item), "current_bid": money_str(outcome.current)},
        )
        signals.outbid.send(sender=Item, user=previous_leader_user, item=item)
    audit_record(
        actor=actor,
        action="bid.place_for_bidder" if clerk else "bid.place",
        obj=item,
        npo_id=item_npo_id(item),
        ip=ip,
        details=_bid_audit_details(bidder.paddle.number),
    )
    return BidResult(
        bid=own_row,
        leading=outcome.leading,
        current_bid=item.current_bid,
        min_next_bid=item_min_next_bid(item),
        item=item,
    )


def _bid_audit_details(bidder_number: int) -> dict[str, Any]:
    """What the audit log keeps of an accepted bid: the paddle, and nothing else (bidding.md rule 6).

    NPO members who may bid themselves (cashiers, coordinators) read the audit log in the admin. An
    amount, the price after the bid, the rule that decided or the row's sequence would each tell a
    leader's private raise (rule 2: no visible row, the price unchanged) from a bid, and the amount
    typed for a raise *is* the new maximum. Who acted, when, from where and for which paddle is the
    audit trail; the amounts are in the immutable bid rows, and the public ones in the history."""
    return {"bidder_number": bidder_number}
