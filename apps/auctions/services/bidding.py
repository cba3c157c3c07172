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

from apps.auctions import metrics
from apps.auctions.models import (
    Bid,
    Item,
    NotificationKind,
)
from apps.auctions.notifications import notification_queue
from apps.auctions.rules import AuctionState, proxy_resolve
from apps.auctions.selectors import item_min_next_bid
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
from apps.core.exceptions import Conflict, ValidationFailed
from apps.core.money import money_format, money_str
from apps.core.prepared import PreparedInsert
from apps.core.services import audit_record
from apps.live import publisher as live

#: A placement's rows (the bid, and the proxy's automatic answer), written in one statement.
_BID_ROWS = PreparedInsert(Bid)


@dataclass
class BidResult:
    """What ``POST /items/{id}/bids/`` answers: the caller's own row and the new public state."""

    bid: Bid
    leading: bool
    current_bid: Decimal | None
    min_next_bid: Decimal | None
    item: Item


def bid_place(*, item: Item, user: Any, amount: Any, max_amount: Any = None, ip: str | None = None) -> BidResult:
    """A donor's own silent-auction bid, exactly per bidding.md (the donor is the actor).

    Raises 400 for bad amounts, 409 with the rulebook's codes. Writes immutable bid rows with per-item
    ``sequence`` numbers, updates the item's denormalised state, extends a soft close when the visible
    price moves, audits, and queues an outbid notification for a displaced leader (sent after commit).
    """
    value, top = _amounts(amount, max_amount)
    return _bid_engine(
        item=item,
        resolve=lambda: bidder_resolve(user=user, event=item.event, actor=user),
        amount=value,
        max_amount=top,
        actor=user,
        clerk=False,
        ip=ip,
    )


def bid_place_for_bidder(
    *, item: Item, bidder_number: Any, amount: Any, actor: Any, max_amount: Any = None, ip: str | None = None
) -> BidResult:
    """A clerk's phone/absentee bid for the holder of ``bidder_number`` (``auction.clerk`` needed,
    checked here whoever calls): the same engine and rules as :func:`bid_place`, recorded as entered
    by ``actor``."""
    value, top = _amounts(amount, max_amount)
    check_clerk(actor, item_npo_id(item))
    int_input(bidder_number, "bidder_number")  # a malformed number is 400 before any 409
    return _bid_engine(
        item=item,
        resolve=lambda: bidder_resolve_number(number=bidder_number, event=item.event),
        amount=value,
        max_amount=top,
        actor=actor,
        clerk=True,
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
    item: Item,
    resolve: Callable[[], Any],
    amount: Decimal,
    max_amount: Decimal,
    actor: Any,
    clerk: bool,
    ip: str | None,
) -> BidResult:
    """The one engine behind both entry points: cheap gates, the bidder (a paddle handed out on first
    need, in its own short transaction), then the locked apply."""
    try:
        # Cheap gates before any paddle is handed out; repeated under the locks below.
        check_biddable(item, timezone.now())
        ref = resolve()
        _refuse_below_minimum(item, amount)
        with transaction.atomic():
            bidder = bidder_lock(ref, event=item.event)
            result = _bid_apply(
                item=item, bidder=bidder, amount=amount, max_amount=max_amount, actor=actor, clerk=clerk, ip=ip
            )
    except Conflict as exc:
        metrics.bid_rejected(exc.code)
        raise
    metrics.bid_accepted()
    return result


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
        raise Conflict("BID_TOO_LOW", f"The minimum bid is {money_format(minimum)}.", min_bid=money_str(minimum))


def _bid_apply(
    *,
    item: Item,
    bidder: Bidder,
    amount: Decimal,
    max_amount: Decimal,
    actor: Any,
    clerk: bool,
    ip: str | None,
) -> BidResult:
    item = lock_item_for_bid(item)
    now = timezone.now()  # after the lock: the time that decides (bidding.md "Time and closing")
    check_biddable(item, now)
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
    _BID_ROWS.insert(rows)
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
            context={**item_mail_context(item), "current_bid": money_str(outcome.current)},
        )
        live.outbid(user=previous_leader_user, item=item)
    audit_record(
        actor=actor,
        action="bid.place_for_bidder" if clerk else "bid.place",
        obj=item,
        npo_id=item_npo_id(item),
        ip=ip,
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
