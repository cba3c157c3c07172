"""Events endpoints (api.md "Events"): thin — check visibility and capability, parse, call the
service, serialize.

Order of checks (api.md): 401 (writes need a signed-in user) → 404 (the event or child is not
visible) → 403 (no ``events.manage`` in the event's NPO) → 400 (input) → 409 (business rules).
Reads of published and closed events and their children are open to anonymous callers.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.permissions import SAFE_METHODS, AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from apps.core.api.base import GenericViewSet
from apps.core.api.parsers import JSONParser, MultiPartParser
from apps.core.api.permissions import ReadOnly
from apps.core.exceptions import ValidationFailed
from apps.core.net import client_ip
from apps.events import permissions, selectors
from apps.events.api import serializers as s
from apps.events.api.filters import EventFilter
from apps.events.models import Event, EventLink, EventMedia, FoodOption, Sponsor
from apps.events.services.children import (
    food_option_create,
    food_option_delete,
    food_option_update,
    link_create,
    link_delete,
    link_update,
    sponsor_create,
    sponsor_delete,
    sponsor_reorder,
    sponsor_update,
)
from apps.events.services.common import UNSET
from apps.events.services.events import (
    event_close,
    event_create,
    event_delete,
    event_publish,
    event_unpublish,
    event_update,
)
from apps.events.services.media import media_create, media_delete, media_update
from apps.events.services.uploads import media_confirm, media_upload_url_create
from apps.npos.models import NPO
from apps.npos.tenancy.api import HasObjectCapability, TenantMixin, TenantModelViewSet

TAG = ["events"]
PARSERS = [JSONParser, MultiPartParser]  # uploads are multipart; everything else JSON


def _valid(serializer_class: type, request: Request, **kwargs: Any) -> dict[str, Any]:
    serializer = serializer_class(data=request.data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _file_arg(data: dict[str, Any], field: str) -> Any:
    """``UNSET`` when the field was not sent, ``None`` to remove, else the upload."""
    return data.pop(field) if field in data else UNSET


@extend_schema_view(
    list=extend_schema(tags=TAG, summary="Events: published and closed ones, plus all of the caller's NPOs"),
    retrieve=extend_schema(tags=TAG, summary="One event (drafts only for members of its NPO)"),
)
class EventViewSet(TenantModelViewSet):
    """Events. Visibility is :func:`selectors.events_visible_to`; writes need ``events.manage``."""

    queryset = Event.objects.none()
    serializer_class = s.EventSerializer
    permission_classes = [(IsAuthenticated | ReadOnly) & HasObjectCapability]  # type: ignore[operator]
    parser_classes = PARSERS
    filterset_class = EventFilter
    search_fields = ["name", "tagline", "venue_city"]
    ordering_fields = ["starts_at", "ends_at", "name", "created_at"]
    ordering = ["starts_at", "name"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    capabilities = permissions.EVENT
    lookup_value_converter = "uuid"

    def get_queryset(self) -> QuerySet[Event]:
        return selectors.events_visible_to(self.request.user)

    @extend_schema(
        tags=TAG,
        request={"application/json": s.EventCreateSerializer, "multipart/form-data": s.EventCreateSerializer},
        responses={201: s.EventSerializer},
        summary="Create a draft event (events.manage in the body's npo, else 403)",
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        raw = request.data.get("npo") if hasattr(request.data, "get") else None
        if not raw:
            raise ValidationFailed(message="npo: This field is required.", fields={"npo": ["This field is required."]})
        try:
            npo_id = uuid.UUID(str(raw))
        except ValueError as exc:
            raise ValidationFailed(
                message="npo: Must be a valid UUID.", fields={"npo": ["Must be a valid UUID."]}
            ) from exc
        self.check_capability(npo_id)
        npo = NPO.objects.filter(pk=npo_id).first()
        if npo is None:
            raise ValidationFailed(message="npo: Unknown NPO.", fields={"npo": ["Unknown NPO."]})
        data = _valid(s.EventCreateSerializer, request)
        data.pop("npo")
        logo = _file_arg(data, "logo")
        event = event_create(actor=request.user, npo=npo, data=data, logo=logo, ip=client_ip(request))
        return Response(self.get_serializer(event).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        tags=TAG,
        request={"application/json": s.EventUpdateSerializer, "multipart/form-data": s.EventUpdateSerializer},
        responses={200: s.EventSerializer},
        summary="Edit an event (stale version → 409 VERSION_CONFLICT; slug only while draft)",
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        event = self.get_object()
        data = _valid(s.EventUpdateSerializer, request)
        version = data.pop("version", None)
        logo = _file_arg(data, "logo")
        event = event_update(
            event=event, actor=request.user, data=data, version=version, logo=logo, ip=client_ip(request)
        )
        return Response(self.get_serializer(event).data)

    @extend_schema(tags=TAG, responses={204: None}, summary="Delete a draft event (else 409 INVALID_TRANSITION)")
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        event_delete(event=self.get_object(), actor=request.user, ip=client_ip(request))
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _transition(self, request: Request, service: Any) -> Response:
        event = self.get_object()
        version = _valid(s.VersionSerializer, request).get("version")
        event = service(event=event, actor=request.user, version=version, ip=client_ip(request))
        return Response(self.get_serializer(event).data)

    @extend_schema(
        tags=TAG, request=s.VersionSerializer, responses={200: s.EventSerializer}, summary="draft → published"
    )
    @action(detail=True, methods=["post"])
    def publish(self, request: Request, pk: Any = None) -> Response:
        return self._transition(request, event_publish)

    @extend_schema(
        tags=TAG,
        request=s.VersionSerializer,
        responses={200: s.EventSerializer},
        summary="published → draft (only while nobody registered or bid)",
    )
    @action(detail=True, methods=["post"])
    def unpublish(self, request: Request, pk: Any = None) -> Response:
        return self._transition(request, event_unpublish)

    @extend_schema(
        tags=TAG,
        request=s.VersionSerializer,
        responses={200: s.EventSerializer},
        summary="published → closed (closes the event's auction items)",
    )
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: Any = None) -> Response:
        return self._transition(request, event_close)


class EventChildViewSet(TenantMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, GenericViewSet):
    """Base of ``/events/{event_id}/<children>/``: readable as the event, writable with
    ``events.manage`` in its NPO."""

    permission_classes = [IsAuthenticated | ReadOnly]  # type: ignore[operator]
    npo_path = "event__npo"
    lookup_value_converter = "uuid"
    model: type[Any]
    filter_backends: list[Any] = []
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    capabilities = permissions.EVENT_CHILD

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # 401 first
        self.event  # then 404 for an event the caller may not see  # noqa: B018

    @property
    def event(self) -> Event:
        if not hasattr(self, "_event"):
            self._event = selectors.event_for(self.request.user, self.kwargs.get("event_id")).event
        return self._event

    def base_queryset(self) -> QuerySet[Any]:
        return self.model.objects.all()

    def get_queryset(self) -> QuerySet[Any]:
        if getattr(self, "swagger_fake_view", False):
            return self.model.objects.none()
        return self.base_queryset().filter(event=self.event).select_related("event")

    def check_manage(self) -> None:
        if self.request.method not in SAFE_METHODS:
            self.check_capability(self.event.npo_id)

    def can_manage(self) -> bool:
        return self.holds_capability(self.event.npo_id, "private")

    def managed_object(self) -> Any:
        obj = self.get_object()  # 404
        self.check_manage()  # 403
        return obj


def _child_schema(name: str, serializer: Any) -> Any:
    return extend_schema_view(
        list=extend_schema(tags=TAG, summary=f"The event's {name} (readable as the event)"),
        retrieve=extend_schema(tags=TAG, summary=f"One of the event's {name}"),
    )


@_child_schema("media gallery", s.EventMediaSerializer)
class EventMediaViewSet(EventChildViewSet):
    """The gallery. Multipart uploads (``file``), or the direct-to-blob flow on Azure:
    ``upload-url`` then ``confirm``. Pending direct uploads are never listed."""

    capabilities = permissions.MEDIA

    model = EventMedia
    serializer_class = s.EventMediaSerializer
    parser_classes = PARSERS

    def base_queryset(self) -> QuerySet[Any]:
        if self.action in ("list", "retrieve"):
            return selectors.ready_media()
        return EventMedia.objects.all()

    @extend_schema(
        tags=TAG,
        request={"multipart/form-data": s.MediaUploadSerializer},
        responses={201: s.EventMediaSerializer, 413: OpenApiResponse(description="FILE_TOO_LARGE")},
        summary="Upload an image, video or PDF (checked by content; per-file and per-event caps)",
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        self.check_manage()
        data = _valid(s.MediaUploadSerializer, request)
        media = media_create(
            event=self.event,
            actor=request.user,
            upload=data["file"],
            caption=data.get("caption", ""),
            display_order=data.get("display_order"),
            ip=client_ip(request),
        )
        return Response(self.get_serializer(media).data, status=status.HTTP_201_CREATED)

    @extend_schema(tags=TAG, request=s.MediaUpdateSerializer, responses={200: s.EventMediaSerializer})
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        media = self.managed_object()
        data = _valid(s.MediaUpdateSerializer, request)
        return Response(
            self.get_serializer(media_update(media=media, actor=request.user, data=data, ip=client_ip(request))).data
        )

    @extend_schema(tags=TAG, responses={204: None}, summary="Delete a media file (row and blob)")
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        media_delete(media=self.managed_object(), actor=request.user, ip=client_ip(request))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        tags=TAG,
        request=s.UploadUrlRequestSerializer,
        responses={
            201: s.UploadUrlResponseSerializer,
            409: OpenApiResponse(description="DIRECT_UPLOAD_UNAVAILABLE: the Azure backend is not configured"),
            413: OpenApiResponse(description="FILE_TOO_LARGE"),
        },
        summary="Direct-to-blob upload: a write-only SAS URL (≤ 15 min) and a pending media row",
    )
    @action(detail=False, methods=["post"], url_path="upload-url")
    def upload_url(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        self.check_manage()
        data = _valid(s.UploadUrlRequestSerializer, request)
        upload = media_upload_url_create(event=self.event, actor=request.user, **data, ip=client_ip(request))
        body = {
            "media": upload.media,
            "upload_url": upload.upload_url,
            "method": "PUT",
            "headers": upload.headers,
            "expires_at": upload.expires_at,
            "max_bytes": settings.AUGEO_MAX_MEDIA_BYTES,
        }
        data = s.UploadUrlResponseSerializer(body, context=self.get_serializer_context()).data
        return Response(data, status=status.HTTP_201_CREATED)

    @extend_schema(
        tags=TAG,
        request=None,
        responses={
            200: s.EventMediaSerializer,
            400: OpenApiResponse(description="VALIDATION_ERROR: the uploaded blob is not an accepted file (deleted)"),
            409: OpenApiResponse(description="DIRECT_UPLOAD_UNAVAILABLE"),
            413: OpenApiResponse(description="FILE_TOO_LARGE (deleted)"),
        },
        summary="Confirm a direct upload: the blob is validated by content, then listed (or deleted)",
    )
    @action(detail=True, methods=["post"])
    def confirm(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        media = self.managed_object()
        media = media_confirm(media=media, actor=request.user, ip=client_ip(request))
        return Response(self.get_serializer(media).data)


@_child_schema("links", s.EventLinkSerializer)
class EventLinkViewSet(EventChildViewSet):
    """External links: website, video (YouTube/Vimeo only), social."""

    model = EventLink
    serializer_class = s.EventLinkSerializer

    @extend_schema(tags=TAG, request=s.EventLinkSerializer, responses={201: s.EventLinkSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        self.check_manage()
        data = _valid(s.EventLinkSerializer, request)
        link = link_create(event=self.event, actor=request.user, data=data, ip=client_ip(request))
        return Response(self.get_serializer(link).data, status=status.HTTP_201_CREATED)

    @extend_schema(tags=TAG, request=s.EventLinkSerializer, responses={200: s.EventLinkSerializer})
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        link = self.managed_object()
        data = _valid(s.EventLinkSerializer, request, partial=True)
        return Response(
            self.get_serializer(link_update(link=link, actor=request.user, data=data, ip=client_ip(request))).data
        )

    @extend_schema(tags=TAG, responses={204: None})
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        link_delete(link=self.managed_object(), actor=request.user, ip=client_ip(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


@_child_schema("meal options", s.FoodOptionSerializer)
class FoodOptionViewSet(EventChildViewSet):
    """Meal options (unique name per event; deleting one a guest chose is 409 OPTION_IN_USE)."""

    model = FoodOption
    serializer_class = s.FoodOptionSerializer

    @extend_schema(tags=TAG, request=s.FoodOptionSerializer, responses={201: s.FoodOptionSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        self.check_manage()
        data = _valid(s.FoodOptionSerializer, request)
        option = food_option_create(event=self.event, actor=request.user, data=data, ip=client_ip(request))
        return Response(self.get_serializer(option).data, status=status.HTTP_201_CREATED)

    @extend_schema(tags=TAG, request=s.FoodOptionSerializer, responses={200: s.FoodOptionSerializer})
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        option = self.managed_object()
        data = _valid(s.FoodOptionSerializer, request, partial=True)
        option = food_option_update(option=option, actor=request.user, data=data, ip=client_ip(request))
        return Response(self.get_serializer(option).data)

    @extend_schema(tags=TAG, responses={204: None, 409: OpenApiResponse(description="OPTION_IN_USE: a guest chose it")})
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        food_option_delete(option=self.managed_object(), actor=request.user, ip=client_ip(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


@_child_schema("sponsors", s.SponsorSerializer)
class SponsorViewSet(EventChildViewSet):
    """Sponsors with logo and generated thumbnail; contact and donation shown to managers only."""

    capabilities = permissions.SPONSORS

    model = Sponsor
    serializer_class = s.SponsorSerializer
    parser_classes = PARSERS

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        if getattr(self, "swagger_fake_view", False):
            return context
        context["private"] = self.can_manage()
        return context

    @extend_schema(
        tags=TAG, request={"multipart/form-data": s.SponsorInputSerializer}, responses={201: s.SponsorSerializer}
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        self.check_manage()
        data = _valid(s.SponsorInputSerializer, request)
        logo = data.pop("logo")
        sponsor = sponsor_create(event=self.event, actor=request.user, data=data, logo=logo, ip=client_ip(request))
        return Response(self.get_serializer(sponsor).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        tags=TAG,
        request={"multipart/form-data": s.SponsorUpdateSerializer, "application/json": s.SponsorUpdateSerializer},
        responses={200: s.SponsorSerializer},
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        sponsor = self.managed_object()
        data = _valid(s.SponsorUpdateSerializer, request)
        logo = _file_arg(data, "logo")
        sponsor = sponsor_update(sponsor=sponsor, actor=request.user, data=data, logo=logo, ip=client_ip(request))
        return Response(self.get_serializer(sponsor).data)

    @extend_schema(tags=TAG, responses={204: None})
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        sponsor_delete(sponsor=self.managed_object(), actor=request.user, ip=client_ip(request))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        tags=TAG,
        request=s.SponsorReorderSerializer,
        responses={200: s.SponsorSerializer(many=True)},
        summary="Reorder sponsors: `order` lists every sponsor id once",
    )
    @action(detail=False, methods=["post"])
    def reorder(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        self.check_manage()
        data = _valid(s.SponsorReorderSerializer, request)
        sponsors = sponsor_reorder(event=self.event, actor=request.user, order=data["order"], ip=client_ip(request))
        return Response(self.get_serializer(sponsors, many=True).data)


@extend_schema_view(
    list=extend_schema(tags=["public"], summary="Published and closed events (anyone)"),
    retrieve=extend_schema(
        tags=["public"], summary="A public event page by slug, with media, links, meal options and sponsors"
    ),
)
class PublicEventViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, GenericViewSet):
    """Public event pages (product.md §8): published and closed events only, for anyone."""

    permission_classes = [AllowAny]
    lookup_field = "slug"
    filterset_class = EventFilter
    search_fields = ["name", "tagline", "venue_city"]
    ordering_fields = ["starts_at", "ends_at", "name"]
    ordering = ["starts_at", "name"]

    def get_queryset(self) -> QuerySet[Event]:
        return selectors.public_events()

    def get_serializer_class(self) -> Any:
        return s.PublicEventSerializer if self.action == "retrieve" else s.EventSerializer

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        event = selectors.public_event_detail(str(kwargs.get("slug", "")))
        return Response(self.get_serializer(event).data)
