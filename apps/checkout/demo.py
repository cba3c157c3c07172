"""Demo checkout: a finished event of the demo NPO ("Hope Autumn Gala (demo)") whose auction has
ended, with a real checkout queue — paid, part-paid, declined (the embedded provider declines
amounts ending in .13), charged to a card on file, and unpaid statements — receipts, and numbers on
the dashboard. Everything goes through the services. Idempotent: skipped once the event has
payments. Ends with ``reconcile``."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.core.management import call_command
from django.utils import timezone

from apps.attendance.selectors import bidder_guest_for
from apps.attendance.services.paddles import paddle_ensure
from apps.attendance.services.registrations import registration_create
from apps.auctions.models import Item, ItemKind
from apps.auctions.selectors import bid_context
from apps.auctions.services.bidding import bid_place
from apps.auctions.services.buy_now import buy_now
from apps.auctions.services.items import item_create, item_open
from apps.auctions.services.live import sale_record
from apps.auctions.services.paddle_raise import paddle_raise_configure, pledge_record
from apps.checkout import selectors
from apps.checkout.models import Payment
from apps.checkout.services import cards, charging, donations, payments, refunds
from apps.events.models import Event, EventStatus
from apps.events.services.events import event_close, event_create, event_publish
from apps.npos.models import NPO, Membership, MembershipStatus
from apps.users.demo import DEMO_PASSWORD, demo_user

SLUG = "hope-autumn-gala-demo"
BIDDERS = [
    ("donor@augeo.local", "Dana", "Donor"),
    ("ava.martin@augeo.local", "Ava", "Martin"),
    ("noah.kim@augeo.local", "Noah", "Kim"),
    ("olivia.garcia@augeo.local", "Olivia", "Garcia"),
    ("liam.chen@augeo.local", "Liam", "Chen"),
    ("emma.brown@augeo.local", "Emma", "Brown"),
]
SILENT = [
    # title, starting bid, FMV (None = not known)
    ("Hot-air balloon ride for two", "200", "450"),
    ("Cooking class with Chef Rosa", "100", "180"),
    ("Signed first edition", "50", None),
    ("Spa day", "150", "300"),
    ("Golf foursome", "250", "600"),
]


def _npo_details(npo: Any) -> None:
    """Receipt details the demo NPO may lack (its admin edits them in the NPO page)."""
    updates = {
        "legal_name": npo.legal_name or "Hope Foundation, Inc.",
        "tax_id": npo.tax_id or "12-3456789",
        "address_line1": npo.address_line1 or "100 Hope Street",
        "city": npo.city or "Springfield",
        "state": npo.state or "IL",
        "postal_code": npo.postal_code or "62701",
        "country": npo.country or "US",
    }
    NPO.all_objects.filter(pk=npo.pk).update(**updates)


def seed(out: Any) -> list[tuple[str, str, str]]:
    npo = NPO.objects.filter(name="Hope Foundation").first()
    if npo is None:
        out.write("checkout demo skipped: no demo NPO")
        return []
    _npo_details(npo)
    admin_row = npo.memberships.filter(role="admin", status=MembershipStatus.ACTIVE).select_related("user").first()
    admin = admin_row.user if admin_row else None
    cashier = demo_user("cashier@augeo.local", first_name="Cory", last_name="Cashier")
    Membership.objects.get_or_create(
        npo=npo, user=cashier, defaults={"role": "cashier", "status": MembershipStatus.ACTIVE}
    )
    credentials = [("cashier (checkout.manage, reports.view)", cashier.email, DEMO_PASSWORD)]
    event = Event.all_objects.filter(slug=SLUG).first()
    if event is not None and Payment.objects.filter(event=event).exists():
        out.write(f"checkout demo: {event.name} already has its checkout")
        return credentials
    if event is None:
        starts = (timezone.now() - timedelta(hours=5)).replace(minute=0, second=0, microsecond=0)
        event = event_create(
            actor=admin,
            npo=npo,
            data={
                "name": "Hope Autumn Gala (demo)",
                "slug": SLUG,
                "tagline": "The auction has ended: time for checkout",
                "starts_at": starts,
                "ends_at": starts + timedelta(hours=4),
                "timezone": "America/Chicago",
                "venue_name": "Springfield Art Museum",
                "goal_amount": Decimal("12000.00"),
            },
        )
    if event.status == EventStatus.DRAFT:
        event = event_publish(event=event, actor=admin)
    users = [demo_user(email, first_name=f, last_name=last) for email, f, last in BIDDERS]
    numbers: dict[str, int] = {}
    for user in users:
        guest = bidder_guest_for(user=user, event=event)
        if guest is None:
            registration_create(event=event, user=user)
            guest = bidder_guest_for(user=user, event=event)
        assert guest is not None
        numbers[user.email] = (guest.paddle or paddle_ensure(guest=guest)).number
    clerk = admin
    if event.status == EventStatus.PUBLISHED:
        items = []
        for title, start, fmv in SILENT:
            lot = Item.objects.filter(event=event, title=title).first() or item_create(
                event=event,
                actor=clerk,
                title=title,
                starting_bid=Decimal(start),
                fair_market_value=Decimal(fmv) if fmv else None,
                category="Experiences",
            )
            if lot.status == "draft":
                item_open(item=lot, actor=clerk)
            items.append(Item.objects.get(pk=lot.pk))
        a, b, c, d, e, g = users
        plan: list[tuple[Any, list[tuple[Any, str, str | None]]]] = [
            (items[0], [(a, "200", "400"), (b, "300", None)]),  # the proxies decide the winners
            (items[1], [(c, "100", None), (d, "150", "220")]),
            (items[2], [(e, "50", "90")]),
            (items[3], [(b, "150", None), (g, "200", "260")]),
            (items[4], [(d, "250", "500"), (a, "300", None)]),
        ]
        for lot, bids in plan:
            if lot.last_sequence == 0:
                for user, amount, top in bids:
                    bid_place(context=bid_context(user, Item.objects.get(pk=lot.pk)), amount=amount, max_amount=top)
        wine = Item.objects.filter(event=event, title="Wine cellar tour").first() or item_create(
            event=event,
            actor=clerk,
            title="Wine cellar tour",
            kind=ItemKind.BUY_NOW_ONLY,
            starting_bid=Decimal("0"),
            buy_now_price=Decimal("75"),
            quantity=8,
            fair_market_value=Decimal("40"),
        )
        if wine.status == "draft":
            item_open(item=wine, actor=clerk)
            buy_now(item=Item.objects.get(pk=wine.pk), user=c, quantity=2)
            buy_now(item=Item.objects.get(pk=wine.pk), user=e)
        trip = Item.objects.filter(event=event, title="Week in Lisbon").first() or item_create(
            event=event,
            actor=clerk,
            title="Week in Lisbon",
            kind=ItemKind.LIVE,
            starting_bid=Decimal("1500"),
            fair_market_value=Decimal("2800"),
        )
        if trip.status == "draft":
            item_open(item=trip, actor=clerk)
            sale_record(item=Item.objects.get(pk=trip.pk), bidder_number=numbers[g.email], amount="4200", actor=clerk)
        paddle_raise_configure(event=event, actor=clerk, levels=["1000", "500", "250", "100"], is_open=True)
        for user, amount in ((a, "1000"), (b, "500"), (c, "250"), (d, "100"), (e, "250")):
            pledge_record(event=event, amount=amount, bidder_number=numbers[user.email], actor=clerk)
        event = event_close(event=event, actor=admin)  # ends the auction: every open item closes
    a, b, c, d, e, g = users
    paddles: dict[str, Any] = {}
    for user in users:
        guest = bidder_guest_for(user=user, event=event)
        assert guest is not None and guest.paddle is not None
        paddles[user.email] = guest.paddle

    def due(user: Any) -> Decimal:
        return selectors.statement_for_paddle(paddles[user.email]).balance_due

    # Dana: paid in full in cash (receipt issued and e-mailed).
    if due(a) > 0:
        payments.payment_take(paddle=paddles[a.email], amount=due(a), method="cash", actor=cashier)
    # Ava: part-paid by check.
    if due(b) > 0:
        payments.payment_take(
            paddle=paddles[b.email],
            amount=(due(b) / 2).quantize(Decimal("0.01")),
            method="check",
            reference="1042",
            actor=cashier,
        )
    # Noah: a card on file that is declined (he covered the fees: the balance ends in .13).
    # Olivia: a card on file charged by express checkout.
    for user in (c, d):
        registration = paddles[user.email].registration
        if not registration.cards.filter(status="active").exists():
            cards.card_setup(registration=registration, actor=user)
    if due(c) > 0 and due(c) % 1 != Decimal("0.13"):
        donations.donation_add(paddle=paddles[c.email], amount=Decimal("25.13") - (due(c) % 1), actor=c, source="donor")
    report = charging.balances_charge(event=event, actor=cashier)
    # Emma: a terminal payment keyed on her paddle by mistake, corrected by a refund (never an edit).
    if due(g) > 0:
        slip = payments.payment_take(
            paddle=paddles[g.email], amount="100.00", method="card_terminal", reference="A1B2C3", actor=cashier
        )
        refunds.refund_take(payment=slip, amount="100.00", reason="keyed on the wrong paddle", actor=cashier)
    # Liam and Emma: nothing (net) paid yet — they wait in the queue.
    call_command("reconcile", event.slug, stdout=out)
    out.write(
        f"checkout demo: {event.name} closed; charged {len(report.charged)} card(s), {len(report.declined)} declined; "
        f"queue at /admin/checkout/payment/queue/?event={event.pk}"
    )
    return credentials
