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

from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.fields import BooleanField, DecimalField

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
from apps.core.exceptions import NotFound
from apps.core.money import money_str, money_sum
from apps.core.prepared import PreparedRead, joined_rows
from apps.events.models import EventStatus
from apps.npos import authz


def _uuid(value: Any) -> uuid.UUID:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except (TypeError, ValueError, AttributeError):
        raise NotFound(message="Not found.") from None


def _public_events_q(prefix: str = "event__") -> Q:
    return Q(
        **{f"{prefix}status__in": [EventStatus.PUBLISHED, EventStatus.CLOSED], f"{prefix}deleted_at__isnull": True}
    )


def items_visible_q(user: Any) -> Q:
    """Items ``user`` may see: public statuses of public events, everything of their NPOs."""
    public = _public_events_q() & Q(status__in=PUBLIC_STATUSES)
    return public | (authz.scope_q(user, None, npo_path="event__npo") & Q(event__deleted_at__isnull=True))


def my_paddle_ids(user: Any) -> QuerySet[Any]:
    """The paddles of every guest row linked to ``user`` (a lazy subquery)."""
    from apps.attendance.models import Guest

    return Guest.objects.filter(user=user, paddle__isnull=False).values("paddle_id")


def with_bidder_fields(qs: QuerySet[Item], user: Any) -> QuerySet[Item]:
    """Annotate ``leading`` and ``my_max_bid`` for a signed-in caller (one query, no N+1)."""
    if not getattr(user, "is_authenticated", False):
        return qs.annotate(
            leading=Value(None, output_field=BooleanField(null=True)),
            my_max_bid=Value(None, output_field=DecimalField(max_digits=12, decimal_places=2, null=True)),
        )
    from apps.attendance.models import Guest

    mine = Q(paddle_id__in=my_paddle_ids(user)) | Q(user=user)
    top = (
        Bid.objects.filter(mine, item=OuterRef("pk"), max_amount__isnull=False)
        .order_by("-max_amount")
        .values("max_amount")[:1]
    )
    return qs.annotate(
        leading=Exists(Guest.objects.filter(user=user, paddle_id=OuterRef("leader_paddle_id"))),
        my_max_bid=Subquery(top, output_field=DecimalField(max_digits=12, decimal_places=2)),
    )


def items_for_event(*, user: Any, event: Any, member: bool) -> QuerySet[Item]:
    """The catalogue of one (already visible) event."""
    # No select_related("event"): the caller has the event; the answer only names its id. Images:
    # attach_images on the page (Django's prefetch builds a queryset per item).
    qs = Item.objects.filter(event=event)
    if not member:
        qs = qs.filter(status__in=PUBLIC_STATUSES)
    return with_bidder_fields(qs, user).order_by("display_order", "number")


def with_bidder_overlay(page: dict[str, Any], leaders: dict[str, Any], user: Any) -> dict[str, Any]:
    """The public catalogue ``page`` (as anonymous callers get it) with the signed-in ``user``'s
    ``leading`` and ``my_max_bid`` on each item — what :func:`with_bidder_fields` annotates (the same
    rows: the user's paddles, their bids' and the user's own highest maximum per item), read in one
    precompiled statement instead of two correlated subqueries per row. ``leaders``: item id →
    leading paddle id of the page. A test compares the result with the annotated query."""
    ids = [row["id"] for row in page["results"]]
    paddles: set[uuid.UUID] = set()
    maxima: dict[str, Any] = {}
    for kind, key, top in _overlay_rows(user.pk, ids):
        if kind == "p":
            paddles.add(_as_uuid(key))
        else:
            maxima[str(_as_uuid(key))] = top
    results = []
    for row in page["results"]:
        mine: dict[str, Any] = {}
        for key, value in row.items():
            if key == "created_at":  # the serializer's field order
                leader = leaders.get(row["id"])
                mine["leading"] = leader is not None and _as_uuid(leader) in paddles
                top = maxima.get(row["id"])
                mine["my_max_bid"] = money_str(None if top is None else Decimal(str(top)))
            mine[key] = value
        results.append(mine)
    return {**page, "results": results}


def _as_uuid(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def _overlay_rows(user_id: Any, item_ids: list[str]) -> list[tuple[str, Any, Any]]:
    """``("p", paddle id, None)`` for each paddle of the user's guests, ``("m", item id, maximum)``
    for each item of ``item_ids`` with a maximum of the user (their paddles' bids or their own)."""
    from django.db import connection

    from apps.attendance.models import Guest

    quote = connection.ops.quote_name
    guest, bid = quote(Guest._meta.db_table), quote(Bid._meta.db_table)
    pk_field = Bid._meta.pk
    assert pk_field is not None

    def prep(value: Any) -> Any:  # a UUID as this database stores it (SQLite: hex text)
        return pk_field.get_db_prep_value(_as_uuid(value), connection)

    # Identifiers from the models' _meta, quoted; every value is a parameter.
    mine = f"FROM {guest} WHERE {quote('user_id')} = %s AND {quote('paddle_id')} IS NOT NULL"
    paddles = f"SELECT {quote('paddle_id')} {mine}"
    sql = f"SELECT 'p', {quote('paddle_id')}, NULL {mine}"
    user_id = prep(user_id)
    params: list[Any] = [user_id]
    if item_ids:
        marks = ", ".join(["%s"] * len(item_ids))
        sql += (
            f" UNION ALL SELECT 'm', {quote('item_id')}, MAX({quote('max_amount')}) FROM {bid}"  # noqa: S608
            f" WHERE {quote('item_id')} IN ({marks}) AND {quote('max_amount')} IS NOT NULL"
            f" AND ({quote('user_id')} = %s OR {quote('paddle_id')} IN ({paddles}))"
            f" GROUP BY {quote('item_id')}"
        )
        params += [prep(i) for i in item_ids] + [user_id, user_id]
    # A plain cursor: the IN list's length varies, and PostgreSQL planned it per call anyway.
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


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
#: the bidder's event): every bid reads it, and the whole item, event and NPO rows (long texts
#: included) cost more to build and convert than the query itself.
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
    "event__status",
    "event__checkin_required_to_bid",
    "event__soft_close_minutes",
    "event__npo__id",
    "event__npo__status",
    "event__npo__currency",
)


_ITEM_FOR_BID: dict[bool, tuple[tuple[PreparedRead, ...], str]] = {}


def _item_for_bid(item_id: Any, bidder: Any = None) -> Item | None:
    """:data:`ITEM_FOR_BID` of a live event's item, with its event and NPO, as one precompiled
    statement (the ORM's joined, deferred read cost several times the query; every bid reads it).

    ``bidder``: a signed-in user about to bid — the same statement also reads their guest row for
    the event (``attendance.selectors.bidder_guest_join``), which the bid's ``bidder_resolve``
    would otherwise read next: on a hot item most bids are refused before any lock, after these
    reads, so each round trip saved is a share of every refusal."""
    from apps.attendance.selectors import bidder_guest_join, bidder_guest_join_params, bidder_guest_known
    from apps.events.models import Event
    from apps.npos.models import NPO

    with_guest = bidder is not None and getattr(bidder, "is_authenticated", False)
    if with_guest not in _ITEM_FOR_BID:
        quote = connection.ops.quote_name

        def read_of(model: Any, prefix: str) -> PreparedRead:
            """The columns ITEM_FOR_BID names of ``model`` (``event__name`` → the event's ``name``)."""
            picked = {n.removeprefix(prefix) for n in ITEM_FOR_BID if n.startswith(prefix)}
            fields = model._meta.concrete_fields
            return PreparedRead(model, [f.attname for f in fields if f.name in picked or f.attname in picked])

        reads: tuple[PreparedRead, ...] = (read_of(Item, ""), read_of(Event, "event__"), read_of(NPO, "event__npo__"))
        guest_join = guest_order = ""
        if with_guest:
            guest_read, guest_join, order = bidder_guest_join(f"i.{quote('event_id')}")
            reads, guest_order = (*reads, guest_read), f" ORDER BY {order} LIMIT 1"
        columns = ", ".join(read.select_list(alias) for read, alias in zip(reads, ("i", "e", "n", "bg"), strict=False))
        # Identifiers from the models' _meta, quoted; every value is a parameter.
        _ITEM_FOR_BID[with_guest] = (
            reads,
            f"SELECT {columns} FROM {quote(Item._meta.db_table)} i "  # noqa: S608
            f"JOIN {quote(Event._meta.db_table)} e ON e.{quote('id')} = i.{quote('event_id')} "
            f"JOIN {quote(NPO._meta.db_table)} n ON n.{quote('id')} = e.{quote('npo_id')} {guest_join} "
            f"WHERE i.{quote('id')} = %s AND e.{quote('deleted_at')} IS NULL{guest_order}",
        )
    reads, sql = _ITEM_FOR_BID[with_guest]
    params = bidder_guest_join_params(bidder.pk) if with_guest else []
    rows = joined_rows(reads, sql, [*params, Item._meta.pk.get_db_prep_value(_uuid(item_id), connection)])  # type: ignore[union-attr]
    if not rows:
        return None
    item, event, npo, *guest = rows[0]
    Event.npo.field.set_cached_value(event, npo)
    Item.event.field.set_cached_value(item, event)
    if with_guest:
        bidder_guest_known(event, bidder.pk, guest[0])
    return item  # type: ignore[no-any-return]


def item_get_visible(user: Any, item_id: Any, *, annotate: bool = True, lean: bool = False, bidder: Any = None) -> Item:
    """The item if ``user`` may see it, else 404 (also for another tenant's drafts).

    ``items_visible_q``'s rule, decided on the row: a public item of a public event is visible to
    everyone without a membership query (every bid reads this), anything else only to members of
    the event's NPO (``authz.is_member``: one more query, for drafts and members' reads only).
    ``lean``: only :data:`ITEM_FOR_BID` (a column left out is read on access, one query each), and
    with ``bidder`` (a user about to bid) their guest row for the event in the same statement."""
    if lean:
        item = _item_for_bid(item_id, bidder)
    else:
        qs = Item.objects.filter(pk=_uuid(item_id), event__deleted_at__isnull=True)
        qs = qs.select_related("event", "event__npo")
        if annotate:
            qs = with_bidder_fields(qs.prefetch_related("images"), user)
        item = qs.first()
    if item is None:
        raise NotFound(message="Item not found.")
    public = item.status in PUBLIC_STATUSES and item.event.status in ("published", "closed")
    if not public and not authz.is_member(user, item.event.npo_id):
        raise NotFound(message="Item not found.")
    return item


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


def paddle_raise_totals(event: Any) -> dict[str, Any]:
    """The API's shape of :func:`paddle_raise_summary` (money as strings): ``{totals_by_level:
    [{level, label, count, total}], total, count}`` — what the API and the live display show."""
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
