"""Reads of the live app: which room a socket may join, and the projector display's state.

The display's state is one dictionary, rendered by the page's template on the first load and served
as JSON when the page reconnects (so a bid placed while it was away appears). It reads the auction
through the auctions app's own money of record (``event_totals``, ``paddle_raise_totals``) and shows
only what the public catalogue shows: items of public statuses, bidder numbers, visible bids.
A fixed number of queries whatever the size of the event.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from apps.auctions.models import PUBLIC_STATUSES, Bid, Item, ItemStatus, Sale
from apps.auctions.selectors import event_totals, paddle_raise_totals
from apps.core import uploads
from apps.core.exceptions import NotFound
from apps.core.money import money_str
from apps.events.models import Event
from apps.events.selectors import EVENT_REF, event_for, events_visible_to

#: How many rows each list of the display shows.
LATEST = 8
HOTTEST = 4
CLOSING = 4


def event_visible_id(user: Any, raw_id: Any) -> uuid.UUID | None:
    """The id of the event ``user`` may see (live.md: published or closed for anyone, drafts for the
    NPO's members; ``event_for``), else None — also for a malformed id."""
    try:
        return event_for(user, raw_id, columns=EVENT_REF).event.pk
    except NotFound:
        return None


def display_event(user: Any, slug: str) -> Event | None:
    """The event of a display page: what ``user`` may see (anonymous: published or closed)."""
    return events_visible_to(user).filter(slug=slug).first()


def _branding(event: Event) -> dict[str, Any]:
    npo = event.npo
    colours = {
        field: getattr(event, field) or getattr(npo, field, "") or ""
        for field in ("primary_color", "secondary_color", "accent_color", "background_color")
    }
    logo = event.logo.name or (npo.logo.name if getattr(npo, "logo", None) else "")
    return {**colours, "logo": uploads.file_url(logo) if logo else None}


def _public_items(event: Event) -> QuerySet[Any]:
    return Item.objects.filter(event=event, status__in=PUBLIC_STATUSES)


def display_state(event: Event) -> dict[str, Any]:
    """Everything the projector shows (live.md "The projector display")."""
    now = timezone.now()
    items = list(_public_items(event).order_by("number").values("pk", "number", "title"))
    bids = (
        Bid.objects.filter(item__event=event, visible=True, item__status__in=_public_statuses())
        .select_related("paddle", "item")
        .only("amount", "created_at", "sequence", "paddle__number", "item__number", "item__title", "item_id")
        .order_by("-created_at", "-sequence")[:LATEST]
    )
    sales = (
        Sale.objects.filter(item__event=event, undone_at__isnull=True)
        .select_related("paddle", "item")
        .only("amount", "created_at", "paddle__number", "item__number", "item__title", "item_id")
        .order_by("-created_at")[:LATEST]
    )
    feed: list[dict[str, Any]] = [
        {
            "kind": "bid",
            "item": str(b.item_id),
            "number": b.item.number,
            "title": b.item.title,
            "bidder_number": b.paddle.number,
            "amount": money_str(b.amount),
            "at": b.created_at.isoformat(),
        }
        for b in bids
    ] + [
        {
            "kind": "sale",
            "item": str(s.item_id),
            "number": s.item.number,
            "title": s.item.title,
            "bidder_number": s.paddle.number,
            "amount": money_str(s.amount),
            "at": s.created_at.isoformat(),
        }
        for s in sales
    ]
    feed.sort(key=lambda row: str(row["at"]), reverse=True)
    open_items = _public_items(event).filter(status=ItemStatus.OPEN)
    hot = open_items.filter(bid_count__gt=0).order_by("-bid_count", "-current_bid", "number")[:HOTTEST]
    closing = open_items.filter(closes_at__gt=now).order_by("closes_at", "number")[:CLOSING]
    fields = ("pk", "number", "title", "current_bid", "bid_count", "closes_at", "starting_bid")
    return {
        "event": {
            "id": str(event.pk),
            "name": event.name,
            "slug": event.slug,
            "status": event.status,
            "currency": event.npo.currency,
            "tagline": event.tagline,
        },
        "branding": _branding(event),
        "totals": event_totals(event),
        "latest": feed[:LATEST],
        "hot_items": [_item_row(row) for row in hot.values(*fields)],
        "closing_soon": [_item_row(row) for row in closing.values(*fields)],
        "paddle_raise": paddle_raise_totals(event),
        "items": {str(row["pk"]): {"number": row["number"], "title": row["title"]} for row in items},
        "now": now.isoformat(),
    }


def _public_statuses() -> tuple[str, ...]:
    return tuple(PUBLIC_STATUSES)


def _item_row(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "item": str(row["pk"]),
        "number": row["number"],
        "title": row["title"],
        "current_bid": money_str(row["current_bid"]),
        "starting_bid": money_str(row["starting_bid"]),
        "bid_count": row["bid_count"],
        "closes_at": row["closes_at"].isoformat() if row["closes_at"] else None,
    }
