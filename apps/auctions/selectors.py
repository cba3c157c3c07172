"""Reads of the auction, already scoped to the caller (permissions.md "Public reads").

Items of published/closed events are public unless ``draft``/``withdrawn``; members of the event's
NPO see all of them. The catalogue annotates ``leading`` and ``my_max_bid`` in the same single query
(the auction state itself is denormalised on the item row), so a page costs the same number of
queries at any size.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.fields import BooleanField, DecimalField

from apps.attendance.models import Guest
from apps.attendance.selectors import bidder_guest_annotations, bidder_guest_of
from apps.auctions.models import (
    PUBLIC_STATUSES,
    Bid,
    Item,
    ItemImage,
    ItemKind,
    ItemStatus,
    PaddleRaiseLevel,
    PaddleRaiseSettings,
    Pledge,
    Purchase,
    Sale,
)
from apps.auctions.rules import min_next_bid
from apps.core.compiled import CompiledQuery
from apps.core.exceptions import NotFound
from apps.core.money import money_str, money_sum
from apps.events.models import Event, EventStatus
from apps.npos import authz
from apps.npos.models import NPO

_MONEY: DecimalField[Decimal, Decimal] = DecimalField(max_digits=12, decimal_places=2)
_NOBODY = uuid.UUID(int=0)


def my_paddle_ids(user: Any) -> QuerySet[Any]:
    """The paddles of every guest row linked to ``user`` (a lazy subquery)."""
    return Guest.objects.filter(user=user, paddle__isnull=False).values("paddle_id")


def bidder_annotations(user_id: Any) -> dict[str, Any]:
    """``leading`` and ``my_max_bid`` of an item for the account ``user_id`` — the one definition,
    for the member catalogue, the item page and the overlay on the public catalogue. "Mine": bids of
    the paddles of the user's guest rows, or bids the user placed."""
    mine = Q(paddle_id__in=Guest.objects.filter(user_id=user_id, paddle__isnull=False).values("paddle_id"))
    top = (
        Bid.objects.filter(mine | Q(user_id=user_id), item=OuterRef("pk"), max_amount__isnull=False)
        .order_by("-max_amount")
        .values("max_amount")[:1]
    )
    return {
        "leading": Exists(Guest.objects.filter(user_id=user_id, paddle_id=OuterRef("leader_paddle_id"))),
        "my_max_bid": Subquery(top, output_field=_MONEY),
    }


_NO_BIDDER = {
    "leading": Value(None, output_field=BooleanField(null=True)),
    "my_max_bid": Value(None, output_field=DecimalField(max_digits=12, decimal_places=2, null=True)),
}


def with_bidder_fields(qs: QuerySet[Item], user: Any) -> QuerySet[Item]:
    """Annotate ``leading`` and ``my_max_bid`` for a signed-in caller (one query, no N+1)."""
    if not getattr(user, "is_authenticated", False):
        return qs.annotate(**_NO_BIDDER)
    return qs.annotate(**bidder_annotations(user.pk))


def items_for_event(*, user: Any, event: Any, member: bool) -> QuerySet[Item]:
    """The catalogue of one (already visible) event."""
    # No select_related("event"): the caller has the event; the answer only names its id. Images:
    # attach_images on the page (Django's prefetch builds a queryset per item).
    qs = Item.objects.filter(event=event)
    if not member:
        qs = qs.filter(status__in=PUBLIC_STATUSES)
    return with_bidder_fields(qs, user).order_by("display_order", "number")


_OVERLAY: CompiledQuery[tuple[Any, Any, Any]] = CompiledQuery(
    "auctions.bidder_overlay",
    lambda p: Item.objects.filter(pk__in=p.items)
    .annotate(**bidder_annotations(p.user))
    .values_list("pk", "leading", "my_max_bid"),  # type: ignore[misc]  # annotations the plugin cannot see
    user=uuid.UUID,
    items=[uuid.UUID],
)


def with_bidder_overlay(page: dict[str, Any], user: Any) -> dict[str, Any]:
    """The public catalogue ``page`` (as anonymous callers get it, from the public cache) with the
    signed-in ``user``'s ``leading`` and ``my_max_bid`` on each item: :func:`bidder_annotations`
    for the page's items, in one compiled statement."""
    ids = [row["id"] for row in page["results"]]
    mine = {str(pk): (leading, top) for pk, leading, top in _OVERLAY.all(user=user.pk, items=ids)} if ids else {}
    results = []
    for row in page["results"]:
        leading, top = mine.get(row["id"], (False, None))
        results.append({**row, "leading": bool(leading), "my_max_bid": money_str(top)})
    return {**page, "results": results}


def attach_images(items: list[Item]) -> list[Item]:
    """Each item's images (``item.image_rows``, in their display order) in one query — what
    ``prefetch_related("images")`` does, without its per-item queryset and filter building."""
    by_item: dict[Any, list[ItemImage]] = {item.pk: [] for item in items}
    if by_item:
        for image in ItemImage.objects.filter(item_id__in=list(by_item)).order_by("display_order", "created_at"):
            by_item[image.item_id].append(image)
    for item in items:
        item.image_rows = by_item[item.pk]  # type: ignore[attr-defined]
    return items


#: What a bid reads of its item before the locks (visibility, the cheap gates of ``check_biddable``,
#: the minimum) and of its event and NPO; the long texts are never read on this path.
ITEM_FOR_BID = (
    "id",
    "event_id",
    "number",
    "title",
    "kind",
    "status",
    "opens_at",
    "closes_at",
    "starting_bid",
    "bid_increment",
    "current_bid",
    "event__id",
    "event__npo_id",
    "event__name",
    "event__slug",
    "event__status",
    "event__checkin_required_to_bid",
    "event__soft_close_minutes",
    "event__npo__id",
    "event__npo__status",
    "event__npo__currency",
)


def _item_read(p: Any, columns: tuple[str, ...] | None, bidder: bool, guest: bool = False) -> QuerySet[Item]:
    """An item of a live event with its event and NPO; with ``bidder``, the caller's
    ``leading``/``my_max_bid``; with ``guest``, the caller's guest row for the event
    (``attendance.selectors.bidder_guest_annotations``)."""
    qs = Item.objects.filter(pk=p.item, event__deleted_at__isnull=True).select_related("event__npo")
    if columns is not None:
        qs = qs.only(*columns)
    if bidder:
        qs = qs.annotate(**bidder_annotations(p.user))
    if guest:
        qs = qs.annotate(**bidder_guest_annotations(OuterRef("event_id"), p.user))
    return qs


_ITEM: CompiledQuery[Item] = CompiledQuery("auctions.item_for", _item_read, item=uuid.UUID, user=uuid.UUID)


def _visible_item(
    user: Any, item_id: Any, *, columns: tuple[str, ...] | None, bidder: bool, guest: bool = False
) -> Item:
    """The item if ``user`` may see it, else 404 (also for another tenant's drafts): a public item
    of a public event is visible to everyone without asking for a membership (every bid reads it);
    anything else only to members of the event's NPO (one more compiled query, for drafts and
    members' reads only)."""
    signed_in = bool(getattr(user, "is_authenticated", False))
    item_id = getattr(item_id, "pk", item_id)  # an Item, or its id (a UUID: the URL's <uuid:> converter)
    if signed_in:
        item = _ITEM.first(columns, bidder, guest, item=item_id, user=user.pk)
    else:
        item = _ITEM.first(columns, False, item=item_id)
        if item is not None and bidder:
            item.leading = item.my_max_bid = None  # type: ignore[attr-defined]
    if item is None:
        raise NotFound(message="Item not found.")
    public = item.status in PUBLIC_STATUSES and item.event.status in (EventStatus.PUBLISHED, EventStatus.CLOSED)
    if not public and not authz.is_member(user, item.event.npo_id):
        raise NotFound(message="Item not found.")
    return item


def item_for(user: Any, item_id: Any) -> Item:
    """The item ``user`` may see (404 otherwise), with its event and NPO: what an action on the item
    starts from."""
    return _visible_item(user, item_id, columns=None, bidder=False)


def item_detail(user: Any, item_id: Any) -> Item:
    """:func:`item_for` as the item's answer shows it: with the caller's ``leading``/``my_max_bid``
    and the images."""
    item = _visible_item(user, item_id, columns=None, bidder=True)
    attach_images([item])
    return item


@dataclass(frozen=True)
class BidContext:
    """What a bid reads before its locks — read once (:func:`bid_context`) and handed from the view
    to the bid services: the item (the columns of :data:`ITEM_FOR_BID`), its event and NPO, who acts,
    and the signed-in caller's guest row for the event (``None``: not registered)."""

    item: Item
    event: Event
    npo: NPO
    user: Any
    bidder: Guest | None


def bid_context(user: Any, item_id: Any) -> BidContext:
    """The :class:`BidContext` of ``user`` bidding on ``item_id`` (404 for an item they cannot see):
    one compiled statement reads the item with its event and NPO and the caller's guest row
    (``attendance.selectors.bidder_guests``' first)."""
    signed_in = bool(getattr(user, "is_authenticated", False))
    item = _visible_item(user, item_id, columns=ITEM_FOR_BID, bidder=False, guest=signed_in)
    event = item.event
    guest = bidder_guest_of(item, event_id=event.pk, user_id=user.pk) if signed_in else None
    return BidContext(item=item, event=event, npo=event.npo, user=user, bidder=guest)


def bids_history(item: Item) -> QuerySet[Bid]:
    """The public history: visible rows, newest (highest sequence) first. Maximums are not read."""
    return (
        Bid.objects.filter(item=item, visible=True)
        .select_related("paddle")
        .only("id", "amount", "automatic", "sequence", "created_at", "paddle__number", "item_id")
        .order_by("-sequence")
    )


def sales_of_item(item: Item) -> QuerySet[Sale]:
    return Sale.objects.filter(item=item).select_related("paddle").order_by("-created_at")


def pledges_of_event(event: Any) -> QuerySet[Pledge]:
    return Pledge.objects.filter(event=event).select_related("paddle").order_by("-created_at")


def my_bid_items(*, user: Any, event: Any) -> QuerySet[Item]:
    """Items of ``event`` the caller's paddle (or the caller) has bid on, with ``my_max_bid``."""
    mine = Q(paddle_id__in=my_paddle_ids(user)) | Q(user=user)
    has_bid = Exists(Bid.objects.filter(mine, item=OuterRef("pk")))
    qs = Item.objects.filter(has_bid, event=event).exclude(status=ItemStatus.DRAFT)
    return with_bidder_fields(qs, user).order_by("number")


def my_bid_state(item: Item, paddles: set[Any]) -> str:
    """``leading`` / ``outbid`` while open; ``won`` / ``lost`` once closed (or withdrawn)."""
    if item.status == ItemStatus.OPEN:
        return "leading" if item.leader_paddle_id in paddles else "outbid"
    if item.status == ItemStatus.SOLD and item.winner_paddle_id in paddles:
        return "won"
    return "lost"


def item_min_next_bid(item: Item) -> Decimal | None:
    """The public minimum next bid: silent and live items; None for buy-now-only items."""
    if item.kind == ItemKind.BUY_NOW_ONLY:
        return None
    return min_next_bid(item.current_bid, item.starting_bid, item.bid_increment)


def event_totals(event: Any) -> dict[str, Any]:
    """``{raised, by_source: {silent, live, buy_now, paddle_raise}, goal, percent}`` (api.md).

    ``silent`` counts silent items won by bidding (closed ``sold``), ``live`` the recorded sales,
    ``buy_now`` every purchase, ``paddle_raise`` the pledges; undone sales and pledges do not count.
    """
    silent = Item.objects.filter(event=event, kind=ItemKind.SILENT, status=ItemStatus.SOLD).aggregate(
        s=money_sum("winning_amount")
    )["s"]
    live = Sale.objects.filter(item__event=event, undone_at__isnull=True).aggregate(s=money_sum("amount"))["s"]
    bought = Purchase.objects.filter(item__event=event).aggregate(s=money_sum("amount"))["s"]
    pledged = Pledge.objects.filter(event=event, undone_at__isnull=True).aggregate(s=money_sum("amount"))["s"]
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


@dataclass(frozen=True)
class LevelTotal:
    amount: Decimal | None  # None: pledges at amounts that are not (or no longer) a level
    label: str
    count: int
    total: Decimal


@dataclass(frozen=True)
class PaddleRaiseSummary:
    """The paddle raise as the API and the admin's clerk page show it (undone pledges excluded)."""

    is_open: bool
    phone_pledges: bool
    levels: list[LevelTotal]  # the giving levels, highest first
    other: LevelTotal | None  # pledges at other amounts, when there are any
    total: Decimal
    count: int


def paddle_raise_summary(event_id: Any) -> PaddleRaiseSummary:
    """Three queries whatever the number of levels or pledges: the settings, the levels, and one
    GROUP BY amount over the live pledges."""
    settings_row = PaddleRaiseSettings.objects.filter(event_id=event_id).first()
    by_amount = {
        row["amount"]: (row["count"], row["total"])
        for row in Pledge.objects.filter(event_id=event_id, undone_at__isnull=True)
        .values("amount")
        .annotate(count=Count("id"), total=money_sum("amount"))
    }
    total = sum((t for _, t in by_amount.values()), start=Decimal("0"))
    count = sum(c for c, _ in by_amount.values())
    levels = []
    for level in PaddleRaiseLevel.objects.filter(event_id=event_id).order_by("-amount"):
        n, subtotal = by_amount.pop(level.amount, (0, Decimal("0")))
        levels.append(LevelTotal(amount=level.amount, label=level.label, count=n, total=subtotal))
    other = None
    if by_amount:
        other = LevelTotal(
            amount=None,
            label="Other amounts",
            count=sum(c for c, _ in by_amount.values()),
            total=sum((t for _, t in by_amount.values()), start=Decimal("0")),
        )
    return PaddleRaiseSummary(
        is_open=bool(settings_row and settings_row.is_open),
        phone_pledges=bool(settings_row and settings_row.phone_pledges),
        levels=levels,
        other=other,
        total=total,
        count=count,
    )


def paddle_raise_totals(event: Any, summary: PaddleRaiseSummary | None = None) -> dict[str, Any]:
    """The API's shape of :func:`paddle_raise_summary` (money as strings): ``{totals_by_level:
    [{level, label, count, total}], total, count}`` — what the API and the live display show. Pass
    the ``summary`` already read to read it once."""
    if summary is None:
        summary = paddle_raise_summary(event.pk)
    rows = [*summary.levels, *([summary.other] if summary.other else [])]
    return {
        "totals_by_level": [
            {
                "level": money_str(row.amount) if row.amount is not None else None,
                "label": row.label,
                "count": row.count,
                "total": money_str(row.total),
            }
            for row in rows
        ],
        "total": money_str(summary.total),
        "count": summary.count,
    }
