"""The compiled representations (``apps.core.api.fast``) answer exactly what DRF's generic
serialisation answers.

Each hot serializer (items and their images, bid rows, ``users/me``, guests and the guest list's
values rows) runs a plan compiled from its declaration; these tests put varied rows through the plan
and through DRF's generic ``Serializer.to_representation`` (every plan switched off) and compare the
rendered JSON as dicts (key order aside). A synthetic serializer covers every kind of field the
plans know, and the fallbacks to DRF's own field; a field added to ``Meta.fields`` appears without
another change.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any
from unittest import mock

import pytest
from django.utils import timezone
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer
from rest_framework.test import APIRequestFactory

from apps.attendance.api.serializers import CheckInResultSerializer, GuestSerializer, WalkInResultSerializer
from apps.attendance.selectors import GUEST_ROW_VALUES, guest_desk_page, guest_rows, guests_search
from apps.attendance.tests.factories import GuestFactory, PaddleFactory, RegistrationFactory, TableFactory
from apps.auctions import selectors as auction_selectors
from apps.auctions.api.serializers import BidRowSerializer, ItemImageSerializer, ItemSerializer, OwnBidSerializer
from apps.auctions.models import Bid, Item, ItemImage, ItemKind, ItemStatus
from apps.auctions.tests.factories import ItemFactory, bidder
from apps.core.api.fast import CompiledRepresentation, day, instant, money, plan_for, uid, values_names
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


def drf(make: Callable[[], Any]) -> Any:
    """DRF's generic answer of the serializer ``make()`` builds: every plan switched off (nested
    serializers included), whatever the serializer adds around it (``ItemSerializer``'s reserve) kept."""
    with mock.patch.object(CompiledRepresentation, "to_representation", serializers.Serializer.to_representation):
        return rendered(make().data)


def planned(serializer: Any, instance: Any) -> Any:
    """The plan's own answer: no fallback to DRF's path (a row missing an attribute fails here)."""
    return rendered(plan_for(type(serializer))(serializer, instance))


def assert_as_drf(cls: type, instance: Any, **kwargs: Any) -> dict[str, Any]:
    """``cls(instance).data`` equals DRF's generic answer, and its plan answered it itself."""
    serializer = cls(instance, **kwargs)
    fast = rendered(serializer.data)
    assert fast == drf(lambda: cls(instance, **kwargs))
    if type(serializer).to_representation is CompiledRepresentation.to_representation:
        assert planned(cls(instance, **kwargs), instance) == fast
    return fast  # type: ignore[no-any-return]


def drf_request(user: Any = None) -> Any:
    from django.contrib.auth.models import AnonymousUser
    from rest_framework.request import Request

    request = Request(APIRequestFactory().get("/api/v1/x/"))
    request.user = user or AnonymousUser()
    return request


def test_helpers_format_as_drf_fields() -> None:
    money_field = serializers.DecimalField(max_digits=12, decimal_places=2)
    for value in (Decimal("10"), Decimal("1234.5"), Decimal("0.01"), Decimal("999999.99"), Decimal("0.005")):
        assert money(value) == money_field.to_representation(value)
    assert money(None) is None
    assert money("7.5") == "7.50"
    moment = timezone.now()
    naive = datetime.datetime(2026, 5, 1, 12, 30)  # DRF makes it aware in the current zone
    for zone in ("UTC", "America/Chicago"):
        with timezone.override(zone):
            for value in (moment, naive):
                assert instant(value) == serializers.DateTimeField().to_representation(value)
    assert instant(None) is None
    assert day(moment.date()) == serializers.DateField().to_representation(moment.date())
    assert day(None) is None
    assert uid(None) is None


def test_items_match_drf_for_every_caller() -> None:
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
        qs = auction_selectors.items_for_event(user=request.user, event=event, member=member)
        items = auction_selectors.attach_images(list(qs))
        assert len(items) == 4
        for item in items:
            fast = assert_as_drf(ItemSerializer, item, context=context)
            assert ("reserve" in fast) is member and ("leading" in fast) is (user is not None)
        page = rendered(ItemSerializer(items, many=True, context=context).data)
        assert page == drf(lambda: ItemSerializer(items, many=True, context=context))  # noqa: B023
        mine = next(row for row in page if row["id"] == str(rich.pk))
        assert [image["caption"] for image in mine["images"]] == ["Front", ""]
        if user is donor:
            assert (mine["my_max_bid"], mine["leading"]) == ("180.00", True)


def test_item_images_match_drf() -> None:
    item = ItemFactory()
    image = ItemImage.objects.create(item=item, file="items/c.png", width=1, height=2, caption="x")
    fast = assert_as_drf(ItemImageSerializer, image)
    assert fast["url"].endswith("items/c.png")


def test_bid_rows_match_drf() -> None:
    item = ItemFactory()
    user = bidder(item.event, 103)
    client_for(user).post(f"/api/v1/items/{item.pk}/bids/", {"amount": "100", "max_amount": "150"}, format="json")
    client_for(bidder(item.event, 104)).post(f"/api/v1/items/{item.pk}/bids/", {"amount": "110"}, format="json")
    bids = list(Bid.objects.filter(item=item).select_related("paddle"))
    assert any(b.automatic for b in bids) and any(b.max_amount is None for b in bids)
    for bid in bids:
        assert set(assert_as_drf(OwnBidSerializer, bid)) >= {"max_amount", "bidder_number"}
        assert "max_amount" not in assert_as_drf(BidRowSerializer, bid)
    bids[0].sequence = None  # a leader raising their own maximum: no place in the history
    assert assert_as_drf(OwnBidSerializer, bids[0])["sequence"] is None


def test_users_me_matches_drf() -> None:
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
            fast = assert_as_drf(UserSerializer, user, context=context)
    assert [m["role"] for m in fast["memberships"]] == ["admin", "staff"]
    assert fast["profile_picture"].endswith("users/p.jpg")


def _guests() -> list[Any]:
    registration = RegistrationFactory(event=PublishedEventFactory())
    event = registration.event
    table = TableFactory(event=event)
    paddle = PaddleFactory(event=event, registration=registration)
    meal = FoodOptionFactory(event=event)
    GuestFactory(registration=registration, paddle=paddle, table=table, food_option=meal, checked_in_at=timezone.now())
    GuestFactory(registration=registration, first_name="", last_name="", email="")
    guests = list(guests_search(event))
    assert len(guests) >= 3
    return guests


def test_guests_match_drf() -> None:
    guests = _guests()
    for guest in guests:
        fast = assert_as_drf(GuestSerializer, guest)
        assert set(fast) == set(GuestSerializer.Meta.fields)
    # The check-in answers' subclasses have plans of their own (their extra fields included).
    guest = guests[0]
    guest.already_checked_in, guest.invitation_sent = True, False
    guest.warnings = [{"code": "NAME_MISMATCH", "message": "Another name"}]
    assert assert_as_drf(CheckInResultSerializer, guest)["already_checked_in"] is True
    assert assert_as_drf(WalkInResultSerializer, guest)["warnings"] == guest.warnings


def test_guest_list_values_rows_answer_as_the_serializer() -> None:
    """The guest list reads its page as values rows: the same answer, from the same plan; and the
    selector's columns cover every name the plan reads."""
    guests = _guests()
    assert values_names(GuestSerializer) <= set(GUEST_ROW_VALUES)
    expected = [drf(lambda: GuestSerializer(g)) for g in guests]  # noqa: B023
    rows = guest_rows([g.pk for g in guests], fields=GUEST_ROW_VALUES)
    assert rendered(GuestSerializer().represent_rows(rows)) == expected
    count, page = guest_desk_page(guests[0].event, "", offset=0, limit=50)
    assert count == len(guests)
    assert rendered(GuestSerializer().represent_rows(page)) == expected
    # A column missing from the rows is an error, not a silently different answer.
    with pytest.raises(AttributeError):
        GuestSerializer().represent_rows([{k: v for k, v in rows[0].items() if k != "paddle__number"}])


def test_values_rows_refuse_what_a_row_cannot_hold() -> None:
    with pytest.raises(TypeError, match="post-processes"):
        ItemSerializer().represent_rows([])
    with pytest.raises(TypeError, match="not readable from values rows"):
        UserSerializer().represent_rows([])  # its profile picture is a file: a row has only the name


# --- every kind of field ------------------------------------------------------------------------------


class SponsorRef(CompiledRepresentation, serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()


class SponsorRefGeneric(serializers.Serializer):
    name = serializers.CharField()


class ContextField(serializers.CharField):
    """A field of the project's own: its output depends on the context, so the plan defers to it."""

    def to_representation(self, value: Any) -> str:
        return f"{value}@{self.context.get('tag', '-')}"


class Everything(CompiledRepresentation, serializers.ModelSerializer):
    """Every kind of field: those the plan formats itself and those it leaves to DRF's field."""

    money3 = serializers.DecimalField(max_digits=12, decimal_places=3, source="starting_bid", read_only=True)
    money_raw = serializers.DecimalField(
        max_digits=12, decimal_places=2, coerce_to_string=False, source="starting_bid", read_only=True
    )
    ratio = serializers.FloatField(source="bid_count", read_only=True)
    opened = serializers.DateTimeField(format="%Y-%m-%d %H:%M", source="opens_at", read_only=True)
    today = serializers.DateField(read_only=True)
    tags = serializers.ListField(child=serializers.CharField(), read_only=True)
    links = serializers.DictField(child=serializers.URLField(), read_only=True)
    blob = serializers.JSONField(read_only=True)
    anything = serializers.ReadOnlyField(source="title")
    left = serializers.IntegerField(source="quantity_left", read_only=True)  # a model property
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)  # a model method
    sponsor_name = serializers.CharField(source="sponsor.name", read_only=True, allow_null=True)
    sponsor_ref = SponsorRef(source="sponsor", read_only=True, allow_null=True)
    sponsor_generic = SponsorRefGeneric(source="sponsor", read_only=True, allow_null=True)
    sponsor_logo = serializers.FileField(source="sponsor.logo", read_only=True, allow_null=True)
    images = ItemImageSerializer(many=True, read_only=True, source="image_rows")
    image_count = serializers.SerializerMethodField()
    tagged = ContextField(source="title", read_only=True)
    verified = serializers.BooleanField(source="flag", read_only=True)
    absent = serializers.CharField(source="not_there", read_only=True)  # DRF leaves the key out

    class Meta:
        model = Item
        fields = [
            "id",
            "event",
            "sponsor",
            "number",
            "title",
            "kind",
            "status",
            "starting_bid",
            "bid_increment",
            "current_bid",
            "opens_at",
            "closes_at",
            "money3",
            "money_raw",
            "ratio",
            "opened",
            "today",
            "tags",
            "links",
            "blob",
            "anything",
            "left",
            "kind_label",
            "sponsor_name",
            "sponsor_ref",
            "sponsor_generic",
            "sponsor_logo",
            "images",
            "image_count",
            "tagged",
            "verified",
            "absent",
        ]
        read_only_fields = fields

    def get_image_count(self, obj: Item) -> int:
        return len(obj.image_rows)


def test_every_kind_of_field_matches_drf() -> None:
    event = PublishedEventFactory()
    items = [
        ItemFactory(event=event),
        ItemFactory(
            event=event,
            sponsor=SponsorFactory(event=event, name="Acme", logo="sponsors/acme.png"),
            bid_increment=Decimal("7.5"),
            opens_at=timezone.now(),
            closes_at=timezone.now() + timezone.timedelta(days=1),
        ),
    ]
    ItemImage.objects.create(item=items[1], file="items/e.png", width=3, height=4)
    auction_selectors.attach_images(items)
    for n, item in enumerate(items):
        item.today = datetime.date(2026, 5, n + 1)
        item.tags = ["a", None, "c"][: n + 2]
        item.links = {"site": "https://example.org", "none": None}
        item.blob = {"n": n, "list": [1, 2]}
        item.flag = bool(n)
        item.not_there = "here"
    for zone in ("UTC", "America/Chicago"):
        with timezone.override(zone):
            for item in items:
                for context in ({}, {"tag": "t", "request": drf_request()}):
                    fast = assert_as_drf(Everything, item, context=context)
                    assert (
                        fast["kind_label"] == "Silent auction"
                        and fast["tagged"] == f"{item.title}@{context.get('tag', '-')}"
                    )
    assert len(fast) == len(Everything.Meta.fields)
    # An attribute missing: the plan cannot answer, DRF's path does (here: without the key).
    del items[1].not_there
    fast = rendered(Everything(items[1], context={}).data)
    assert fast == drf(lambda: Everything(items[1], context={})) and "absent" not in fast
    with pytest.raises(AttributeError):
        planned(Everything(items[1], context={}), items[1])


def test_a_field_added_to_meta_fields_is_in_the_output() -> None:
    """One declaration: a new field in ``Meta.fields`` is in the answer, formatted as DRF formats
    it, with nothing else to change — for instances and for values rows."""

    class ItemWithMore(ItemSerializer):
        class Meta(ItemSerializer.Meta):
            fields = [*ItemSerializer.Meta.fields, "quantity_sold", "leader_max", "closed_at", "leader_paddle"]
            read_only_fields = fields

    item = ItemFactory(closes_at=timezone.now())
    item.leader_max, item.closed_at = Decimal("12.5"), timezone.now()
    auction_selectors.attach_images([item])
    fast = assert_as_drf(ItemWithMore, item, context={})
    assert fast["leader_max"] == "12.50" and fast["quantity_sold"] == 0 and fast["leader_paddle"] is None

    class GuestWithMore(GuestSerializer):
        class Meta(GuestSerializer.Meta):
            fields = [*GuestSerializer.Meta.fields, "invited_at", "event"]
            read_only_fields = fields

    guests = _guests()
    guests[0].invited_at = timezone.now()
    guests[0].save(update_fields=["invited_at"])
    assert values_names(GuestWithMore) - values_names(GuestSerializer) == {"invited_at", "event_id"}
    rows = guest_rows([g.pk for g in guests], fields=(*GUEST_ROW_VALUES, "invited_at", "event_id"))
    expected = [drf(lambda: GuestWithMore(g)) for g in guest_rows_as_instances(guests)]  # noqa: B023
    assert rendered(GuestWithMore().represent_rows(rows)) == expected
    assert expected[0]["invited_at"] is not None and expected[0]["event"] == str(guests[0].event_id)


def guest_rows_as_instances(guests: list[Any]) -> list[Any]:
    from apps.attendance.selectors import guest_reload

    return [guest_reload(g.pk) for g in guests]


def test_serializers_with_fields_per_instance_have_no_plan() -> None:
    class Dynamic(CompiledRepresentation, serializers.Serializer):
        def get_fields(self) -> dict[str, Any]:
            return {"x": serializers.CharField()}

    with pytest.raises(TypeError, match="per instance"):
        Dynamic({"x": "1"}).data  # noqa: B018


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
