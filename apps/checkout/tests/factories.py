"""Checkout test helpers: a gala with an NPO that has receipt details, paddles with statement lines,
members by role."""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Any

from django.utils import timezone

from apps.attendance.models import Paddle
from apps.auctions.models import Item, ItemKind, ItemStatus, Pledge, Purchase, Sale
from apps.auctions.tests.factories import register
from apps.checkout.models import CardStatus, SavedCard
from apps.events.models import Event, EventStatus
from apps.npos.models import NPOStatus
from apps.npos.tests.factories import MembershipFactory, NPOFactory
from apps.users.tests.factories import UserFactory

_items = itertools.count(1000)
_slugs = itertools.count(1)


def npo_with_receipt_details(**kwargs: Any) -> Any:
    defaults = {
        "name": f"Checkout Hope {next(_slugs)}",
        "status": NPOStatus.APPROVED,
        "legal_name": "Hope Foundation Inc.",
        "tax_id": "12-3456789",
        "address_line1": "1 Charity Way",
        "city": "Springfield",
        "state": "IL",
        "postal_code": "62701",
        "country": "US",
    }
    defaults.update(kwargs)
    return NPOFactory(**defaults)


def gala(npo: Any = None, **kwargs: Any) -> Event:
    npo = npo or npo_with_receipt_details()
    start = timezone.now() - timezone.timedelta(hours=3)
    values = {
        "npo": npo,
        "name": "Checkout Gala",
        "slug": f"checkout-gala-{next(_slugs)}",
        "status": EventStatus.PUBLISHED,
        "starts_at": start,
        "ends_at": start + timezone.timedelta(hours=5),
        "goal_amount": Decimal("10000.00"),
    }
    values.update(kwargs)
    return Event.objects.create(**values)


def member(npo: Any, role: str) -> Any:
    user = UserFactory(is_staff=True)
    MembershipFactory(npo=npo, user=user, role=role)
    return user


def donor_paddle(event: Event, number: int, user: Any = None) -> tuple[Any, Paddle]:
    guest = register(event, user, paddle_number=number)
    assert guest.paddle is not None
    return guest.user, guest.paddle


def item(event: Event, *, kind: str = ItemKind.SILENT, fmv: Any = None, quantity: int = 1, **kwargs: Any) -> Item:
    return Item.objects.create(
        event=event,
        number=next(_items),
        title=kwargs.pop("title", f"Lot {next(_slugs)}"),
        kind=kind,
        status=kwargs.pop("status", ItemStatus.OPEN),
        starting_bid=kwargs.pop("starting_bid", Decimal("50.00")),
        fair_market_value=Decimal(str(fmv)) if fmv is not None else None,
        quantity=quantity,
        buy_now_price=kwargs.pop("buy_now_price", Decimal("100.00") if kind == ItemKind.BUY_NOW_ONLY else None),
        **kwargs,
    )


def won_silent(paddle: Paddle, amount: Any, fmv: Any = None) -> Item:
    """A silent item closed ``sold`` to ``paddle`` at ``amount``."""
    lot = item(paddle.event, fmv=fmv)
    Item.objects.filter(pk=lot.pk).update(
        status=ItemStatus.SOLD,
        winner_paddle=paddle,
        winning_amount=Decimal(str(amount)),
        current_bid=Decimal(str(amount)),
        quantity_sold=1,
        closed_at=timezone.now(),
    )
    lot.refresh_from_db()
    return lot


def live_sale(paddle: Paddle, amount: Any, fmv: Any = None) -> Sale:
    lot = item(paddle.event, kind=ItemKind.LIVE, fmv=fmv, quantity=5)
    return Sale.objects.create(item=lot, paddle=paddle, amount=Decimal(str(amount)))


def purchase(paddle: Paddle, unit_price: Any, quantity: int = 1, fmv: Any = None) -> Purchase:
    lot = item(paddle.event, kind=ItemKind.BUY_NOW_ONLY, fmv=fmv, quantity=20, buy_now_price=Decimal(str(unit_price)))
    return Purchase.objects.create(
        item=lot,
        paddle=paddle,
        quantity=quantity,
        unit_price=Decimal(str(unit_price)),
        amount=Decimal(str(unit_price)) * quantity,
    )


def pledge(paddle: Paddle, amount: Any) -> Pledge:
    return Pledge.objects.create(event=paddle.event, paddle=paddle, amount=Decimal(str(amount)), source="clerk")


def saved_card(paddle: Paddle, provider: str = "embedded", **kwargs: Any) -> SavedCard:
    assert paddle.registration_id is not None
    return SavedCard.objects.create(
        registration_id=paddle.registration_id,
        provider=provider,
        status=CardStatus.ACTIVE,
        customer_id=kwargs.pop("customer_id", "cus_test"),
        payment_method_id=kwargs.pop("payment_method_id", "pm_test"),
        brand=kwargs.pop("brand", "visa"),
        last4=kwargs.pop("last4", "4242"),
        **kwargs,
    )
