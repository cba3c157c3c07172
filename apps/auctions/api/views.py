"""Auction endpoints (api.md "Auction"): thin — resolve what the caller may see (404), check the
capability (403), then hand the raw input to one service, which validates (400) and applies the
rules (409).

Reads of public items, histories and totals are open to anonymous callers; every write needs a
signed-in user (401 first). Money writes accept ``Idempotency-Key``.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponse, QueryDict
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import NotAuthenticated
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from apps.auctions import permissions, selectors
from apps.auctions.api import serializers as s
from apps.auctions.api.filters import ItemFilter
from apps.auctions.models import Item, ItemImage, Pledge, Sale
from apps.auctions.services.bidding import bid_place, bid_place_for_bidder
from apps.auctions.services.buy_now import buy_now
from apps.auctions.services.closing import item_close
from apps.auctions.services.images import item_image_add, item_image_delete
from apps.auctions.services.items import (
    item_create,
    item_delete,
    item_open,
    item_update,
    item_withdraw,
    items_set_closing_time,
)
from apps.auctions.services.live import sale_record, sale_undo
from apps.auctions.services.paddle_raise import paddle_raise_configure, pledge_record, pledge_undo
from apps.core import public_cache
from apps.core.api.base import GenericViewSet
from apps.core.api.fields import strict_bool
from apps.core.api.pagination import WindowCountPagination
from apps.core.api.parsers import JSONParser, MultiPartParser
from apps.core.api.permissions import ReadOnly
from apps.core.exceptions import NotFound, ValidationFailed
from apps.core.idempotency import idempotent
from apps.core.money import money_str
from apps.core.net import client_ip
from apps.core.throttling import BidRateThrottle, CombinedThrottlesMixin
from apps.events.selectors import EVENT_REF, event_for
from apps.npos import authz
from apps.npos.tenancy.api import DeclaredCapabilities
from apps.npos.tenancy.private import PRIVATE_FIELDS

TAG = ["auction"]
ERRORS = {
    400: OpenApiResponse(description="VALIDATION_ERROR"),
    401: OpenApiResponse(description="NOT_AUTHENTICATED"),
    403: OpenApiResponse(description="PERMISSION_DENIED"),
    404: OpenApiResponse(description="NOT_FOUND"),
    409: OpenApiResponse(description="A business-rule code of bidding.md"),
}


def _signed_in(request: Request) -> None:
    """401 for anonymous callers of a read that is not public (before any 404)."""
    if not getattr(request.user, "is_authenticated", False):
        raise NotAuthenticated()


def _shows_reserve(request: Request, npo_id: Any) -> bool:
    """The reserve is private: who may read it is declared once, in
    :data:`~apps.npos.tenancy.private.PRIVATE_FIELDS`, which the admin reads too."""
    return authz.has_capability(request.user, npo_id, PRIVATE_FIELDS["auctions.Item"]["reserve"])


def _event(request: Request, event_id: Any) -> Any:
    return event_for(request.user, event_id).event


def _data(request: Request) -> dict[str, Any]:
    data = request.data
    if hasattr(data, "dict"):
        data = data.dict()
    if not isinstance(data, dict):
        raise ValidationFailed(
            message="A JSON object is required.", fields={"non_field_errors": ["Expected an object."]}
        )
    return data


def _write_values(request: Request, event: Any, *, partial: bool) -> dict[str, Any]:
    serializer = s.ItemWriteSerializer(data=_data(request), partial=partial, context={"event": event})
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class AuctionViewSet(DeclaredCapabilities, GenericViewSet):
    permission_classes = [IsAuthenticated | ReadOnly]  # type: ignore[operator]
    parser_classes = [JSONParser, MultiPartParser]  # item images are multipart; everything else JSON
    queryset = Item.objects.none()


class EventItemsViewSet(AuctionViewSet):
    """``/events/{id}/items/``: the catalogue (everyone for a visible event) and item creation."""

    serializer_class = s.ItemSerializer
    filterset_class = ItemFilter
    capabilities = permissions.EVENT_ITEMS

    pagination_class = WindowCountPagination

    @extend_schema(tags=TAG, responses={200: s.ItemSerializer(many=True)}, summary="An event's items")
    def list(self, request: Request, event_id: Any) -> Response | HttpResponse:
        """The catalogue. Members (drafts, reserves) get it built for them. Everyone else sees the
        public page — the same for every caller, so it comes from the short-lived public cache
        (apps.core.public_cache: at most 1 s, invalidated by every committed bid, sale or item
        change) — and a signed-in bidder gets ``leading``/``my_max_bid`` added from two small
        queries of their own. Only answers are cached: a 404 or 400 is raised every time."""
        user = request.user
        if not user.is_authenticated:
            if type(request.accepted_renderer) is JSONRenderer and "indent" not in request.accepted_media_type:
                # The room's phones: the page's JSON itself is cached, not re-rendered per poll.
                name = f"items.json:{request.build_absolute_uri()}"
                body = public_cache.read(event_id, name, lambda: self._public_json(request, event_id))
                return HttpResponse(body, content_type=JSONRenderer.media_type)
            return Response(self._public_page(request, event_id))
        access = event_for(user, event_id, columns=EVENT_REF)  # visibility and role in one statement
        if access.is_member:
            shows = access.can(PRIVATE_FIELDS["auctions.Item"]["reserve"])
            return Response(self._page(request, access.event, user=user, member=True, show_reserve=shows))
        return Response(selectors.with_bidder_overlay(self._public_page(request, event_id), user))

    def _public_json(self, request: Request, event_id: Any) -> bytes:
        """The anonymous page rendered as DRF's JSON renderer renders it (byte for byte)."""
        return JSONRenderer().render(self._public_page(request, event_id))

    def _public_page(self, request: Request, event_id: Any) -> dict[str, Any]:
        url = request.build_absolute_uri()
        return public_cache.read(event_id, f"items:{url}", lambda: self._public_build(request, event_id))

    def _public_build(self, request: Request, event_id: Any) -> dict[str, Any]:
        """The page as an anonymous caller sees it."""
        anonymous = AnonymousUser()
        event = event_for(anonymous, event_id, columns=EVENT_REF).event
        return self._page(request, event, user=anonymous, member=False, show_reserve=False)

    def _page(
        self,
        request: Request,
        event: Any,
        *,
        user: Any,
        member: bool,
        show_reserve: bool,
    ) -> Any:
        qs = self.filter_queryset(selectors.items_for_event(user=user, event=event, member=member))
        page = selectors.attach_images(list(self.paginate_queryset(qs) or []))
        context = {"request": request if user.is_authenticated else None, "show_reserve": show_reserve}
        return self.get_paginated_response(s.ItemSerializer(page, many=True, context=context).data).data

    @extend_schema(
        tags=TAG,
        request=s.ItemWriteSerializer,
        responses={201: s.ItemSerializer, **ERRORS},
        summary="Create a draft item (events.manage)",
    )
    def create(self, request: Request, event_id: Any) -> Response:
        event = _event(request, event_id)
        self.check_capability(event.npo_id)
        values = _write_values(request, event, partial=False)
        item = item_create(event=event, actor=request.user, ip=client_ip(request), **values)
        item = selectors.item_detail(request.user, item.pk)
        return Response(s.ItemSerializer(item, context={"request": request, "show_reserve": True}).data, status=201)

    @extend_schema(
        tags=TAG,
        request=s.ClosingTimeSerializer,
        responses={200: OpenApiResponse(description="{updated}"), **ERRORS},
        summary="Set the closing time of a group of silent items (all, or one category)",
    )
    @action(detail=False, methods=["post"], url_path="closing-time")
    def closing_time(self, request: Request, event_id: Any) -> Response:
        event = _event(request, event_id)
        self.check_capability(event.npo_id)
        serializer = s.ClosingTimeSerializer(data=_data(request))
        serializer.is_valid(raise_exception=True)
        count = items_set_closing_time(
            event=event,
            closes_at=serializer.validated_data["closes_at"],
            actor=request.user,
            category=serializer.validated_data.get("category"),
            ip=client_ip(request),
        )
        return Response({"updated": count})


class ItemViewSet(CombinedThrottlesMixin, AuctionViewSet):
    """``/items/{id}/…``: one item, its lifecycle, bids, buy-now, live sales and images."""

    serializer_class = s.ItemSerializer
    capabilities = permissions.ITEM  # read by the admin too (its open/close/withdraw actions)

    def get_throttles(self) -> list[Any]:
        throttles = list(super().get_throttles())
        if self.request.method == "POST" and self.action in ("bids", "buy_now"):
            # Per account, on top of the general user rate: a runaway client cannot flood one item.
            throttles.append(BidRateThrottle())
        return throttles

    def _item(self) -> Item:
        return selectors.item_for(self.request.user, self.kwargs["pk"])

    def _answer(self, item: Item, code: int = 200) -> Response:
        request = self.request
        fresh = selectors.item_detail(request.user, item.pk)
        show = _shows_reserve(request, fresh.event.npo_id)
        return Response(s.ItemSerializer(fresh, context={"request": request, "show_reserve": show}).data, status=code)

    @extend_schema(tags=TAG, responses={200: s.ItemSerializer, 404: ERRORS[404]}, summary="One item")
    def retrieve(self, request: Request, pk: Any) -> Response:
        item = selectors.item_detail(request.user, pk)
        show = _shows_reserve(request, item.event.npo_id)
        return Response(s.ItemSerializer(item, context={"request": request, "show_reserve": show}).data)

    @extend_schema(
        tags=TAG,
        request=s.ItemWriteSerializer,
        responses={200: s.ItemSerializer, **ERRORS},
        summary="Edit an item (events.manage)",
    )
    def partial_update(self, request: Request, pk: Any) -> Response:
        item = self._item()
        self.check_capability(item.event.npo_id)
        values = _write_values(request, item.event, partial=True)
        item_update(item=item, actor=request.user, ip=client_ip(request), **values)
        return self._answer(item)

    @extend_schema(tags=TAG, responses={204: None, **ERRORS}, summary="Delete a draft item (events.manage)")
    def destroy(self, request: Request, pk: Any) -> Response:
        item = self._item()
        self.check_capability(item.event.npo_id)
        item_delete(item=item, actor=request.user, ip=client_ip(request))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        tags=TAG,
        request=None,
        responses={200: s.ItemSerializer, **ERRORS},
        summary="Open an item (events.manage or auction.clerk; needs a published event)",
    )
    @action(detail=True, methods=["post"])
    def open(self, request: Request, pk: Any) -> Response:
        item = self._item()
        self.check_capability(item.event.npo_id)
        return self._answer(item_open(item=item, actor=request.user, ip=client_ip(request)))

    @extend_schema(
        tags=TAG,
        request=None,
        responses={200: s.ItemSerializer, **ERRORS},
        summary="Close an item now: sold to the leader if the reserve is met, else unsold",
    )
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: Any) -> Response:
        item = self._item()
        self.check_capability(item.event.npo_id)
        return self._answer(item_close(item=item, actor=request.user, ip=client_ip(request)))

    @extend_schema(
        tags=TAG, request=None, responses={200: s.ItemSerializer, **ERRORS}, summary="Withdraw an item (events.manage)"
    )
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: Any) -> Response:
        item = self._item()
        self.check_capability(item.event.npo_id)
        return self._answer(item_withdraw(item=item, actor=request.user, ip=client_ip(request)))

    @extend_schema(
        tags=TAG,
        request=s.BidCreateSerializer,
        responses={200: s.BidRowSerializer(many=True), 201: s.BidResultSerializer, **ERRORS},
        summary="Bid history (visible rows, newest first) / place a bid (bidding.md)",
    )
    @action(detail=True, methods=["get", "post"])
    def bids(self, request: Request, pk: Any) -> Response:
        if request.method == "GET":
            page = self.paginate_queryset(selectors.bids_history(self._item()))
            return self.get_paginated_response(s.BidRowSerializer(page, many=True).data)
        context = selectors.bid_context(request.user, pk)  # one read: item, event, NPO, the bidder's guest
        data = _data(request)
        bidder_number = data.get("bidder_number")
        if bidder_number is not None:
            self.check_capability(context.npo.pk, "bids:clerk")

        def place() -> Response:
            if bidder_number is not None:
                result = bid_place_for_bidder(
                    context=context,
                    bidder_number=bidder_number,
                    amount=data.get("amount"),
                    max_amount=data.get("max_amount"),
                    ip=client_ip(request),
                )
            else:
                result = bid_place(
                    context=context,
                    amount=data.get("amount"),
                    max_amount=data.get("max_amount"),
                    ip=client_ip(request),
                )
            body = {
                "bid": s.OwnBidSerializer(result.bid).data,
                "leading": result.leading,
                "current_bid": money_str(result.current_bid),
                "min_next_bid": money_str(result.min_next_bid),
            }
            return Response(body, status=201)

        return idempotent(request, place)

    @extend_schema(
        tags=TAG,
        request=s.BuyNowSerializer,
        responses={201: s.PurchaseSerializer, **ERRORS},
        summary="Buy now (silent items end; buy-now-only items never oversell)",
    )
    @action(detail=True, methods=["post"], url_path="buy-now")
    def buy_now(self, request: Request, pk: Any) -> Response:
        item = self._item()
        data = _data(request)

        def buy() -> Response:
            purchase = buy_now(item=item, user=request.user, quantity=data.get("quantity"), ip=client_ip(request))
            return Response(s.PurchaseSerializer(purchase).data, status=201)

        return idempotent(request, buy)

    @extend_schema(
        tags=TAG,
        request=s.SaleCreateSerializer,
        responses={200: s.SaleSerializer(many=True), 201: s.SaleSerializer, **ERRORS},
        summary="Live sales of the item (auction.clerk): list / record a hammer price",
    )
    @action(detail=True, methods=["get", "post"])
    def sales(self, request: Request, pk: Any) -> Response:
        _signed_in(request)  # 401 before 404, also for the (otherwise public-method) GET
        item = self._item()
        self.check_capability(item.event.npo_id)
        if request.method == "GET":
            page = self.paginate_queryset(selectors.sales_of_item(item))
            return self.get_paginated_response(s.SaleSerializer(page, many=True).data)
        data = _data(request)

        def sell() -> Response:
            sale = sale_record(
                item=item,
                bidder_number=data.get("bidder_number"),
                amount=data.get("amount"),
                below_reserve_ok=strict_bool(
                    data.get("below_reserve_ok"), "below_reserve_ok", form=isinstance(request.data, QueryDict)
                ),
                actor=request.user,
                ip=client_ip(request),
            )
            return Response(s.SaleSerializer(sale).data, status=201)

        return idempotent(request, sell)

    @extend_schema(
        tags=TAG,
        request=None,
        responses={200: s.SaleSerializer, **ERRORS},
        summary="Undo a live sale (auction.clerk; audited)",
    )
    @action(detail=True, methods=["post"], url_path="sales/<uuid:sale_id>/undo")
    def sale_undo(self, request: Request, pk: Any, sale_id: Any) -> Response:
        item = self._item()
        sale = Sale.objects.filter(item=item, pk=sale_id).select_related("paddle").first()
        if sale is None:
            raise NotFound(message="Sale not found.")
        self.check_capability(item.event.npo_id)
        sale = sale_undo(sale=sale, actor=request.user, ip=client_ip(request))
        return Response(s.SaleSerializer(sale).data)

    @extend_schema(
        tags=TAG,
        request={"multipart/form-data": s.ImageUploadSerializer},
        responses={200: s.ItemImageSerializer(many=True), 201: s.ItemImageSerializer, **ERRORS},
        summary="Item images: list / upload (events.manage)",
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None)  # a plain array (api.md)
    def images(self, request: Request, pk: Any) -> Response:
        item = self._item()
        if request.method == "GET":
            return Response(s.ItemImageSerializer(item.images.all(), many=True).data)
        self.check_capability(item.event.npo_id)
        upload = request.FILES.get("file")
        if upload is None:
            raise ValidationFailed(message="file: this field is required.", fields={"file": ["No file was sent."]})
        image = item_image_add(
            item=item,
            upload=upload,
            actor=request.user,
            caption=str(request.data.get("caption") or ""),
            ip=client_ip(request),
        )
        return Response(s.ItemImageSerializer(image).data, status=201)

    @extend_schema(tags=TAG, responses={204: None, **ERRORS}, summary="Delete an item image (events.manage)")
    @action(detail=True, methods=["delete"], url_path="images/<uuid:image_id>")
    def image_delete(self, request: Request, pk: Any, image_id: Any) -> Response:
        item = self._item()
        image = ItemImage.objects.filter(item=item, pk=image_id).select_related("item__event").first()
        if image is None:
            raise NotFound(message="Image not found.")
        self.check_capability(item.event.npo_id)
        item_image_delete(image=image, actor=request.user, ip=client_ip(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class EventAuctionViewSet(AuctionViewSet):
    """Per-event auction endpoints: my bids, paddle raise, pledges, totals."""

    capabilities = permissions.EVENT_AUCTION

    @extend_schema(
        tags=TAG,
        responses={200: s.MyBidSerializer(many=True), 401: ERRORS[401], 404: ERRORS[404]},
        summary="The caller's items in the event: leading / outbid / won / lost",
    )
    @action(detail=False, methods=["get"], url_path="my-bids")
    def my_bids(self, request: Request, event_id: Any) -> Response:
        _signed_in(request)
        event = _event(request, event_id)
        paddles = set(selectors.my_paddle_ids(request.user).filter(event=event).values_list("paddle_id", flat=True))
        page = self.paginate_queryset(selectors.my_bid_items(user=request.user, event=event))
        rows = [
            {
                "item": {"id": item.pk, "title": item.title, "number": item.number},
                "state": selectors.my_bid_state(item, paddles),
                "my_max_bid": item.my_max_bid,  # type: ignore[attr-defined]
                "current_bid": item.current_bid,
            }
            for item in page or []
        ]
        return self.get_paginated_response(s.MyBidSerializer(rows, many=True).data)

    @extend_schema(
        tags=TAG,
        request=s.PaddleRaiseWriteSerializer,
        responses={200: s.PaddleRaiseSerializer, **ERRORS},
        summary="Paddle raise: levels, flags and running totals / configure (events.manage)",
    )
    @action(detail=False, methods=["get", "post"], url_path="paddle-raise")
    def paddle_raise(self, request: Request, event_id: Any) -> Response:
        event = _event(request, event_id)
        if request.method == "POST":
            self.check_capability(event.npo_id)
            serializer = s.PaddleRaiseWriteSerializer(data=_data(request))
            serializer.is_valid(raise_exception=True)
            data = serializer.validated_data
            paddle_raise_configure(
                event=event,
                actor=request.user,
                levels=data.get("levels"),
                is_open=data.get("open"),
                phone_pledges=data.get("phone_pledges"),
                ip=client_ip(request),
            )
        return Response(_paddle_raise_body(event))

    @extend_schema(
        tags=TAG,
        request=s.PledgeCreateSerializer,
        responses={200: s.PledgeSerializer(many=True), 201: s.PledgeSerializer, **ERRORS},
        summary="Pledges: list (auction.clerk or reports.view) / record (clerk by number, donor by phone)",
    )
    @action(detail=False, methods=["get", "post"])
    def pledges(self, request: Request, event_id: Any) -> Response:
        _signed_in(request)  # 401 before 404, also for the (otherwise public-method) GET
        event = _event(request, event_id)
        if request.method == "GET":
            self.check_capability(event.npo_id)
            page = self.paginate_queryset(selectors.pledges_of_event(event))
            return self.get_paginated_response(s.PledgeSerializer(page, many=True).data)
        data = _data(request)
        if data.get("bidder_number") is not None:
            self.check_capability(event.npo_id, "pledges:clerk")

        def pledge() -> Response:
            row = pledge_record(
                event=event,
                amount=data.get("amount"),
                actor=request.user,
                bidder_number=data.get("bidder_number"),
                ip=client_ip(request),
            )
            return Response(s.PledgeSerializer(row).data, status=201)

        return idempotent(request, pledge)

    @extend_schema(
        tags=TAG,
        request=None,
        responses={200: s.PledgeSerializer, **ERRORS},
        summary="Undo a pledge (auction.clerk; audited)",
    )
    @action(detail=False, methods=["post"], url_path="pledges/<uuid:pledge_id>/undo")
    def pledge_undo(self, request: Request, event_id: Any, pledge_id: Any) -> Response:
        event = _event(request, event_id)
        pledge = Pledge.objects.filter(event=event, pk=pledge_id).select_related("paddle").first()
        if pledge is None:
            raise NotFound(message="Pledge not found.")
        self.check_capability(event.npo_id)
        return Response(s.PledgeSerializer(pledge_undo(pledge=pledge, actor=request.user, ip=client_ip(request))).data)

    @extend_schema(
        tags=TAG,
        responses={200: s.TotalsSerializer, 404: ERRORS[404]},
        summary="Money raised so far, by source, against the goal",
    )
    @action(detail=False, methods=["get"])
    def totals(self, request: Request, event_id: Any) -> Response:
        event = _event(request, event_id)  # visibility is checked on every read; the sums are shared
        return Response(public_cache.read(event.pk, "totals", lambda: selectors.event_totals(event)))


def _paddle_raise_body(event: Any) -> dict[str, Any]:
    """``{levels, open, phone_pledges, totals_by_level, total, count}`` from the one summary selector."""
    summary = selectors.paddle_raise_summary(event.pk)
    return {
        "levels": [money_str(level.amount) for level in summary.levels],
        "open": summary.is_open,
        "phone_pledges": summary.phone_pledges,
        **selectors.paddle_raise_totals(event, summary),  # the same read: three queries, not six
    }
