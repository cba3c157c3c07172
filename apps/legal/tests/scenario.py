"""A donor with a history on the platform, next to another person with their own (the privacy
export and deletion tests): a registration with guests, bids with maximums, a buy-now purchase, a
live sale, a pledge, consents and cookie choices."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from apps.attendance.models import Guest
from apps.attendance.services.registrations import registration_create
from apps.auctions.models import Item, ItemKind
from apps.auctions.selectors import bid_context
from apps.auctions.services.bidding import bid_place
from apps.auctions.services.buy_now import buy_now
from apps.auctions.services.live import sale_record
from apps.auctions.services.paddle_raise import paddle_raise_configure, pledge_record
from apps.auctions.tests.factories import ItemFactory
from apps.events.tests.factories import PublishedEventFactory
from apps.legal.services.cookies import cookie_consent_set
from apps.legal.tests.factories import accept, publish_both
from apps.npos.tests.factories import MembershipFactory
from apps.users.tests.factories import UserFactory

#: Values only the other person's rows carry; none may appear in the donor's export.
OTHER_SECRETS = ("888.88", "111.10", "2345.00", "444.44", "Oscar", "oscar@example.org", "Olga", "olga@example.org")
#: Values of the donor's own rows; each must appear in their export.
DONOR_VALUES = ("777.77", "55.55", "1234.00", "500.00", "Gina", "gina@example.org", "Wheelchair access")


@dataclass
class History:
    event: Any
    clerk: Any
    donor_number: int
    other_number: int


def _number(user: Any, event: Any) -> int:
    return Guest.objects.get(user=user, event=event, is_registrant=True).paddle.number


def build_history(donor: Any, other: Any) -> History:
    publish_both()
    accept(donor)
    accept(other)
    event = PublishedEventFactory()
    clerk = UserFactory(email="clerk@example.org")
    MembershipFactory(npo=event.npo, user=clerk, role="admin")
    registration_create(
        event=event,
        user=donor,
        guests=[{"first_name": "Gina", "last_name": "Guest", "email": "gina@example.org"}, {"first_name": "Paul"}],
        notes="Wheelchair access",
    )
    registration_create(event=event, user=other, guests=[{"first_name": "Olga", "email": "olga@example.org"}])

    silent = ItemFactory(event=event, title="Weekend in Napa")
    bid_place(context=bid_context(donor, silent), amount="100", max_amount="777.77")
    bid_place(context=bid_context(other, Item.objects.get(pk=silent.pk)), amount="150", max_amount="888.88")
    wine = ItemFactory(event=event, kind=ItemKind.BUY_NOW_ONLY, buy_now_price=Decimal("55.55"), quantity=5)
    buy_now(item=wine, user=donor)
    buy_now(item=Item.objects.get(pk=wine.pk), user=other, quantity=2)
    donor_number, other_number = _number(donor, event), _number(other, event)
    for number, amount in ((donor_number, "1234.00"), (other_number, "2345.00")):
        live = ItemFactory(event=event, kind=ItemKind.LIVE, starting_bid=Decimal("0"))
        sale_record(item=live, bidder_number=number, amount=amount, actor=clerk)
    paddle_raise_configure(event=event, actor=clerk, levels=["500", "444.44"], is_open=True)
    pledge_record(event=event, amount="500", bidder_number=donor_number, actor=clerk)
    pledge_record(event=event, amount="444.44", bidder_number=other_number, actor=clerk)
    cookie_consent_set(user=donor, visitor_id=None, analytics=True, marketing=False)
    cookie_consent_set(user=other, visitor_id=None, analytics=False, marketing=True)
    return History(event=event, clerk=clerk, donor_number=donor_number, other_number=other_number)
