"""Demo auction for the demo gala: silent items with bids (one with a proxy battle), a buy-now-only
item with purchases, a live item already sold, the paddle raise with levels and pledges — an
auction in progress. Idempotent: items are found by (event, title) and only bid on when they have
no bids yet; pledges only when the event has none. Skipped when there is no demo gala."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from apps.attendance.demo import demo_gala
from apps.attendance.selectors import bidder_guest_for
from apps.attendance.services.paddles import paddle_ensure
from apps.auctions import selectors as auction_selectors
from apps.auctions.models import Item, ItemKind, ItemStatus, Pledge
from apps.auctions.selectors import bid_context
from apps.auctions.services.bidding import bid_place
from apps.auctions.services.buy_now import buy_now
from apps.auctions.services.items import item_create, item_open
from apps.auctions.services.live import sale_record
from apps.auctions.services.paddle_raise import paddle_raise_configure, pledge_record
from apps.core.money import money_format
from apps.npos.models import Membership, MembershipStatus
from apps.users.demo import DEMO_PASSWORD, demo_user

ITEMS: list[tuple[str, str, str, str, str, dict[str, Any]]] = [
    # title, category, kind, starting bid, fair market value, extra fields
    ("Weekend at the lake cabin", "Travel", ItemKind.SILENT, "300", "900", {"reserve": "500", "buy_now_price": "1500"}),
    ("Chef's table for six", "Dining", ItemKind.SILENT, "250", "600", {}),
    ("Signed jersey", "Sports", ItemKind.SILENT, "100", "250", {"bid_increment": "10"}),
    ("Pearl necklace", "Jewelry", ItemKind.SILENT, "400", "1200", {}),
    ("Wine tasting for two", "Dining", ItemKind.BUY_NOW_ONLY, "0", "120", {"buy_now_price": "100", "quantity": 10}),
    ("Trip to Tuscany", "Travel", ItemKind.LIVE, "2000", "5000", {"reserve": "3000"}),
    ("Puppy training package", "Pets", ItemKind.LIVE, "300", "600", {"quantity": 2}),
]
BIDDERS = [
    ("donor@augeo.local", "Dana", "Donor"),
    ("ava.martin@augeo.local", "Ava", "Martin"),
    ("noah.kim@augeo.local", "Noah", "Kim"),
    ("olivia.garcia@augeo.local", "Olivia", "Garcia"),
]


def seed(out: Any) -> list[tuple[str, str, str]]:
    event = demo_gala()
    if event is None:
        out.write("auctions demo skipped: no published demo gala (run the events and attendance demos first)")
        return []

    clerk = demo_user("auctioneer@augeo.local", first_name="Alex", last_name="Auctioneer")
    _ensure_clerk(event, clerk)
    closes = timezone.now() + timedelta(days=1)
    items: dict[str, Item] = {}
    for title, category, kind, start, fmv, extra in ITEMS:
        item = Item.objects.filter(event=event, title=title).first()
        if item is None:
            values = {
                "starting_bid": Decimal(start),
                "fair_market_value": Decimal(fmv),
                "category": category,
                "kind": kind,
                "donated_by": "A generous friend",
            }
            values.update({k: (Decimal(v) if isinstance(v, str) else v) for k, v in extra.items()})
            if kind == ItemKind.SILENT:
                values["closes_at"] = closes
            item = item_create(event=event, actor=clerk, title=title, **values)  # type: ignore[arg-type]
            item_open(item=item, actor=clerk)
        items[title] = Item.objects.get(pk=item.pk)

    bidders = [demo_user(email, first_name=f, last_name=last) for email, f, last in BIDDERS]
    bidders = [user for user in bidders if bidder_guest_for(user=user, event=event) is not None]
    if len(bidders) < 2:
        out.write("auctions demo: fewer than two registered demo bidders; items created without bids")
        return [("auctioneer (auction.clerk)", clerk.email, DEMO_PASSWORD)]
    a, b = bidders[0], bidders[1]
    c = bidders[2] if len(bidders) > 2 else b

    def bid_once(title: str, *bids: tuple[Any, str, str | None]) -> None:
        item = items[title]
        if item.last_sequence or item.status != ItemStatus.OPEN:
            return
        for user, amount, top in bids:
            bid_place(context=bid_context(user, Item.objects.get(pk=item.pk)), amount=amount, max_amount=top)

    bid_once("Weekend at the lake cabin", (a, "300", "450"), (b, "325", None), (c, "500", "700"))
    bid_once("Chef's table for six", (b, "250", None), (a, "275", "400"))
    bid_once("Signed jersey", (c, "100", "150"), (a, "110", None))
    wine = items["Wine tasting for two"]
    if wine.quantity_sold == 0:
        buy_now(item=wine, user=a, quantity=2)
        buy_now(item=Item.objects.get(pk=wine.pk), user=b)
    live = items["Trip to Tuscany"]
    if live.quantity_sold == 0 and live.status == ItemStatus.OPEN:
        number = _number(c, event)
        sale_record(item=live, bidder_number=number, amount="3500", actor=clerk)
    if not Pledge.objects.filter(event=event).exists():
        paddle_raise_configure(
            event=event,
            actor=clerk,
            levels=["5000", "2500", "1000", "500", "250", "100"],
            is_open=True,
            phone_pledges=True,
        )
        for user, amount in ((a, "1000"), (b, "500"), (c, "250"), (a, "100")):
            number = _number(user, event)
            pledge_record(event=event, amount=amount, bidder_number=number, actor=clerk)
    totals = auction_selectors.event_totals(event)
    raised = money_format(totals["raised"], event.npo.currency)
    out.write(f"auctions demo: {len(items)} items on {event.name}; raised so far {raised}")
    return [("auctioneer (auction.clerk)", clerk.email, DEMO_PASSWORD)]


def _ensure_clerk(event: Any, user: Any) -> None:
    Membership.objects.get_or_create(
        npo=event.npo, user=user, defaults={"role": "auctioneer", "status": MembershipStatus.ACTIVE}
    )


def _number(user: Any, event: Any) -> int:
    """The user's bidder number, handing one out if they have none yet."""
    guest = bidder_guest_for(user=user, event=event)
    assert guest is not None
    return (guest.paddle or paddle_ensure(guest=guest)).number
