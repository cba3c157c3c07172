"""Factories for auction tests: items, and registered bidders with paddles."""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Any

import factory
from django.utils import timezone

from apps.attendance.models import Guest, Paddle, Registration
from apps.auctions.models import Item, ItemKind, ItemStatus
from apps.events.tests.factories import PublishedEventFactory
from apps.users.tests.factories import UserFactory

_codes = itertools.count(1)
_numbers = itertools.count(1)


class ItemFactory(factory.django.DjangoModelFactory):
    """An open silent item of a published event (start 100, tiered increments)."""

    class Meta:
        model = Item

    event = factory.SubFactory(PublishedEventFactory)
    number = factory.LazyFunction(lambda: next(_numbers))
    title = factory.Sequence(lambda n: f"Item {n}")
    kind = ItemKind.SILENT
    status = ItemStatus.OPEN
    starting_bid = Decimal("100.00")
    opens_at = factory.LazyFunction(lambda: timezone.now() - timezone.timedelta(hours=1))


def register(event: Any, user: Any = None, *, paddle_number: int | None = None, checked_in: bool = False) -> Guest:
    """A confirmed registration for ``user`` (a new one if None); its registrant guest, with a paddle
    when ``paddle_number`` is given."""
    user = user or UserFactory()
    registration = Registration.objects.create(event=event, user=user, code=f"T{next(_codes):06d}"[-8:])
    paddle = None
    if paddle_number is not None:
        paddle = Paddle.objects.create(event=event, number=paddle_number, registration=registration)
    return Guest.objects.create(
        registration=registration,
        event=event,
        user=user,
        first_name=user.first_name,
        last_name=user.last_name,
        email=user.email,
        is_registrant=True,
        paddle=paddle,
        checked_in_at=timezone.now() if checked_in else None,
    )


def bidder(event: Any, number: int, **kwargs: Any) -> Any:
    """A registered user holding paddle ``number``; returns the user (``.guest`` attached)."""
    guest = register(event, paddle_number=number, **kwargs)
    user = guest.user
    user.guest = guest
    return user


def context_of(user, item):  # type: ignore[no-untyped-def]
    """The ``BidContext`` of ``user`` on ``item`` as ``bid_context`` reads it, without its 404 for an
    item the user cannot see: service tests reach the services' own refusals (ITEM_NOT_OPEN on a
    draft) that the API answers with 404 before."""
    from apps.attendance.selectors import bidder_guest_for
    from apps.auctions.selectors import BidContext

    item = Item.objects.select_related("event__npo").get(pk=item.pk)
    return BidContext(
        item=item, event=item.event, npo=item.event.npo, user=user, bidder=bidder_guest_for(user=user, event=item.event)
    )
