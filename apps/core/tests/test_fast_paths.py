"""The hand-written read paths answer exactly what DRF's generic serialisation answers.

Each hot serializer (items and their images, bid rows, ``users/me``, guest rows) builds its dict by
hand; these tests put varied rows through both paths and compare the rendered JSON, so a field added
to a serializer's ``Meta.fields`` but not to its fast path — or formatted differently — fails here.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer
from rest_framework.test import APIRequestFactory

from apps.attendance.api.serializers import CheckInResultSerializer, GuestSerializer
from apps.attendance.selectors import guests_search
from apps.attendance.tests.factories import GuestFactory, PaddleFactory, RegistrationFactory, TableFactory
from apps.auctions import selectors as auction_selectors
from apps.auctions.api.serializers import ItemImageSerializer, ItemSerializer, OwnBidSerializer
from apps.auctions.models import Bid, ItemImage, ItemKind, ItemStatus
from apps.auctions.tests.factories import ItemFactory, bidder
from apps.core.api.fast import day, instant, money, uid
from apps.events.tests.factories import FoodOptionFactory, PublishedEventFactory, SponsorFactory
from apps.npos.tests.factories import MembershipFactory, NPOFactory
from apps.users.api.serializers import UserSerializer
from apps.users.tests.factories import UserFactory
from conftest import client_for

pytestmark = pytest.mark.django_db


def rendered(data: Any) -> Any:
    """JSON as the client gets it; Azure's signed URLs (an expiry to the second) without their query."""

    def strip(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items()}
        if isinstance(value, list):
            return [strip(v) for v in value]
        if isinstance(value, str) and value.startswith("http") and "?" in value:
            return value.split("?")[0]
        return value

    return strip(json.loads(JSONRenderer().render(data)))


def drf_request(user: Any = None) -> Any:
    from django.contrib.auth.models import AnonymousUser
    from rest_framework.request import Request

    request = Request(APIRequestFactory().get("/api/v1/x/"))
    request.user = user or AnonymousUser()
    return request


def test_helpers_format_as_drf_fields() -> None:
    money_field = serializers.DecimalField(max_digits=12, decimal_places=2)
    for value in (Decimal("10"), Decimal("1234.5"), Decimal("0.01"), Decimal("999999.99")):
        assert money(value) == money_field.to_representation(value)
    assert money(None) is None
    assert money("7.5") == "7.50"
    moment = timezone.now()
    assert instant(moment) == serializers.DateTimeField().to_representation(moment)
    assert instant(None) is None
    assert day(moment.date()) == serializers.DateField().to_representation(moment.date())
    assert day(None) is None
    assert uid(None) is None


def test_items_fast_path_matches_drf_for_every_caller() -> None:
    event = PublishedEventFactory()
    sponsor = SponsorFactory(event=event)
    plain = ItemFactory(event=event)
    rich = ItemFactory(
        event=event,
        description="**Sea** view",
        category="Travel",
        donated_by="A friend",
        sponsor=sponsor,
        reserve=Decimal("300"),
        buy_now_price=Decimal("900"),
        fair_market_value=Decimal("250.5"),
        bid_increment=Decimal("15"),
        closes_at=timezone.now() + timezone.timedelta(hours=2),
    )
    ItemFactory(event=event, kind=ItemKind.BUY_NOW_ONLY, buy_now_price=Decimal("50"), quantity=5)
    ItemFactory(event=event, status=ItemStatus.SOLD)
    ItemImage.objects.create(item=rich, file="items/a.png", width=40, height=30, caption="Front", display_order=1)
    ItemImage.objects.create(item=rich, file="items/b.png", display_order=2)
    donor = bidder(event, 101)
    client_for(donor).post(f"/api/v1/items/{rich.pk}/bids/", {"amount": "100", "max_amount": "180"}, format="json")
    client_for(bidder(event, 102)).post(f"/api/v1/items/{plain.pk}/bids/", {"amount": "100"}, format="json")
    staff = UserFactory()
    MembershipFactory(npo=event.npo, user=staff, role="staff")

    for user, member in ((None, False), (donor, False), (staff, True)):
        request = drf_request(user)
        context = {"request": request, "show_reserve": member}
        items = list(auction_selectors.items_for_event(user=request.user, event=event, member=member))
        assert len(items) == 4
        for item in items:
            serializer = ItemSerializer(item, context=context)
            fast = rendered(serializer.to_representation(item))
            assert fast == rendered(serializer.generic_representation(item))
        if user is donor:
            mine = next(i for i in items if i.pk == rich.pk)
            assert fast_item(mine, context)["my_max_bid"] == "180.00"
            assert fast_item(mine, context)["leading"] is True


def fast_item(item: Any, context: dict[str, Any]) -> dict[str, Any]:
    return rendered(ItemSerializer(item, context=context).data)


def test_item_images_fast_path_matches_drf() -> None:
    item = ItemFactory()
    image = ItemImage.objects.create(item=item, file="items/c.png", width=1, height=2, caption="x")
    serializer = ItemImageSerializer(image)
    assert rendered(serializer.data) == rendered(serializers.ModelSerializer.to_representation(serializer, image))


def test_bid_rows_fast_path_matches_drf() -> None:
    item = ItemFactory()
    user = bidder(item.event, 103)
    client_for(user).post(f"/api/v1/items/{item.pk}/bids/", {"amount": "100", "max_amount": "150"}, format="json")
    client_for(bidder(item.event, 104)).post(f"/api/v1/items/{item.pk}/bids/", {"amount": "110"}, format="json")
    bids = list(Bid.objects.filter(item=item).select_related("paddle"))
    assert any(b.automatic for b in bids) and any(b.max_amount is None for b in bids)
    for bid in bids:
        serializer = OwnBidSerializer(bid)
        assert rendered(serializer.data) == rendered(serializers.Serializer.to_representation(serializer, bid))
        assert set(serializer.data) >= {"max_amount", "bidder_number"}


def test_users_me_fast_path_matches_drf() -> None:
    user = UserFactory(
        phone="+14155550123",
        city="Oakland",
        country="US",
        social_links={"linkedin": "https://example.org/me"},
        email_verified_at=timezone.now(),
    )
    MembershipFactory(user=user, npo=NPOFactory(name="B charity"), role="staff")
    MembershipFactory(user=user, npo=NPOFactory(name="A charity"), role="admin")
    MembershipFactory(user=user, npo=NPOFactory(name="C charity", deleted_at=timezone.now()))
    MembershipFactory(user=user, npo=NPOFactory(name="D charity"), status="removed")
    request = drf_request(user)
    for with_picture in (False, True):
        if with_picture:
            user.profile_picture = "users/p.jpg"
        for context in ({"request": request}, {}):
            serializer = UserSerializer(user, context=context)
            fast = rendered(serializer.data)
            assert fast == rendered(serializer.generic_representation(user))
    assert [m["role"] for m in fast["memberships"]] == ["admin", "staff"]
    assert fast["profile_picture"].endswith("users/p.jpg")


def test_guest_rows_fast_path_matches_drf() -> None:
    registration = RegistrationFactory(event=PublishedEventFactory())
    event = registration.event
    table = TableFactory(event=event)
    paddle = PaddleFactory(event=event, registration=registration)
    meal = FoodOptionFactory(event=event)
    GuestFactory(registration=registration, paddle=paddle, table=table, food_option=meal, checked_in_at=timezone.now())
    GuestFactory(registration=registration, first_name="", last_name="", email="")
    guests = list(guests_search(event))
    assert len(guests) >= 2
    for guest in guests:
        serializer = GuestSerializer(guest)
        assert rendered(serializer.data) == rendered(serializers.ModelSerializer.to_representation(serializer, guest))
    # The guest list reads its page as values rows: the same answer as the serializer's.
    from apps.attendance.api.serializers import guest_row_data
    from apps.attendance.selectors import GUEST_ROW_VALUES, guest_rows

    rows = guest_rows([g.pk for g in guests], fields=GUEST_ROW_VALUES)
    assert [rendered(guest_row_data(r)) for r in rows] == [rendered(GuestSerializer(g).data) for g in guests]
    # Subclasses with more fields take DRF's path.
    guests[0].already_checked_in = True
    assert CheckInResultSerializer(guests[0]).data["already_checked_in"] is True


def test_user_by_pk_reads_the_row_as_the_orm_does() -> None:
    import uuid

    from django.forms.models import model_to_dict

    from apps.users.authentication import user_by_pk
    from apps.users.models import User

    user = UserFactory(social_links={"site": "https://example.org"}, email_verified_at=timezone.now())
    loaded = user_by_pk(str(user.pk))
    assert model_to_dict(loaded) == model_to_dict(User.objects.get(pk=user.pk))
    assert loaded.social_links == {"site": "https://example.org"} and not loaded._state.adding
    assert user_by_pk(uuid.uuid4()) is None
    assert user_by_pk("not-a-uuid") is None


def test_deleted_or_inactive_users_tokens_are_refused() -> None:
    from rest_framework_simplejwt.tokens import AccessToken

    from apps.users.models import User

    user = UserFactory()
    token = str(AccessToken.for_user(user))
    api = client_for(None)
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert api.get("/api/v1/users/me/").status_code == 200
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert api.get("/api/v1/users/me/").status_code == 401
    User.objects.filter(pk=user.pk).delete()
    assert api.get("/api/v1/users/me/").status_code == 401
