"""Attendance endpoints (api.md "Registration, check-in, seating"). Thin: parse → service → serialize.

Order of checks everywhere: 401 (authentication) → 404 (the event or registration is not visible to
the caller) → 403 (visible, but the caller lacks the capability / is not the owner) → 400 → 409.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.core.exceptions import ImproperlyConfigured
from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.filters import OrderingFilter
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from apps.attendance import permissions, selectors
from apps.attendance.api import serializers as s
from apps.attendance.api.filters import GuestFilter, RegistrationFilter
from apps.attendance.api.renderers import CSVExportMixin, CSVRenderer
from apps.attendance.models import Guest, Registration, RegistrationStatus, Table
from apps.attendance.services import invitations
from apps.attendance.services.checkin import CheckInResult, guest_check_in, guest_undo_check_in, walk_in_register
from apps.attendance.services.guests import guest_add, guest_list_export_record, guest_remove, guest_update
from apps.attendance.services.paddles import guest_set_bidder_number
from apps.attendance.services.registrations import registration_cancel, registration_create, registration_update
from apps.attendance.services.seating import (
    guest_assign_table,
    table_create,
    table_delete,
    table_update,
    tables_auto_assign,
)
from apps.core.api.base import GenericAPIView, ListAPIView
from apps.core.api.filters import FilterBackend
from apps.core.api.pagination import WindowCountPagination
from apps.core.csv_export import csv_response
from apps.core.exceptions import NotFound, PermissionDenied, ValidationFailed
from apps.core.idempotency import idempotent
from apps.core.net import client_ip
from apps.events.models import Event
from apps.events.selectors import EventAccess, event_for
from apps.npos.tenancy.api import DeclaredCapabilities

CSV_PARAM = OpenApiParameter("format", OpenApiTypes.STR, enum=["json", "csv"], description="`csv`: every row")
SEARCH_PARAM = OpenApiParameter(
    "search", OpenApiTypes.STR, description="Name, e-mail, phone, registration code or exact bidder number"
)


class EventScopedMixin(DeclaredCapabilities):
    """Resolves ``event_id`` from the URL to a visible event (404) and checks on it (403) the capability
    the view declares for the HTTP method (``capabilities = {"get": ..., "post": ...}``)."""

    request: Any
    kwargs: dict[str, Any]
    _access: EventAccess | None = None
    #: The event columns a view reads (``None``: the whole event and its NPO).
    event_columns: ClassVar[tuple[str, ...] | None] = None

    def event_access(self) -> EventAccess:
        """The event and the caller's role there, read once per request (``event_for``: 404 first)."""
        if self._access is None:
            self._access = event_for(self.request.user, self.kwargs["event_id"], columns=self.event_columns)
        return self._access

    def get_event(self) -> Event:
        return self.event_access().event

    def check_event_capability(self) -> Event:
        """The capability declared for this request, checked on the role read with the event (401,
        403; an undeclared key is a loud error)."""
        requirement = self.declared_capability()
        if requirement is None:
            raise ImproperlyConfigured(f"{type(self).__name__} declares no capability for {self.capability_key()!r}.")
        return self.event_access().require(requirement)


def _is_owner(user: Any, registration: Registration) -> bool:
    return registration.user_id is not None and registration.user_id == user.pk


# --- registrations ----------------------------------------------------------------------------------------


class EventRegistrationsView(EventScopedMixin, GenericAPIView):
    """``GET``: the event's registrations (``attendance.view``); ``POST``: register (verified user)."""

    capabilities = permissions.EVENT_REGISTRATIONS

    serializer_class = s.RegistrationSerializer
    filter_backends = [FilterBackend]
    filterset_class = RegistrationFilter
    queryset = Registration.objects.none()

    def get_queryset(self) -> QuerySet[Registration]:
        if getattr(self, "swagger_fake_view", False):
            return Registration.objects.none()
        return selectors.registrations_of_event(self.get_event())

    @extend_schema(operation_id="events_registrations_list", responses=s.RegistrationSerializer(many=True))
    def get(self, request: Request, event_id: Any) -> Response:
        self.check_event_capability()
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(s.RegistrationSerializer(page, many=True).data)

    @extend_schema(
        request=s.RegistrationCreateSerializer,
        responses={201: s.RegistrationSerializer},
        description="409 `ALREADY_REGISTERED`, `EVENT_FULL`, `REGISTRATION_CLOSED`.",
    )
    def post(self, request: Request, event_id: Any) -> Response:
        event = self.get_event()
        if not getattr(request.user, "email_verified_at", None):
            raise PermissionDenied(message="Verify your e-mail address first.")
        body = s.RegistrationCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        registration = registration_create(
            event=event,
            user=request.user,
            guests=body.validated_data.get("guests", []),
            food_option=body.validated_data.get("food_option"),
            notes=body.validated_data.get("notes", ""),
            ip=client_ip(request),
        )
        registration = selectors.registrations_visible_to(request.user).get(pk=registration.pk)
        return Response(s.RegistrationSerializer(registration).data, status=status.HTTP_201_CREATED)


class RegistrationListView(ListAPIView):
    """The caller's own registrations (every status; filter ``?status=``)."""

    serializer_class = s.RegistrationSerializer
    filter_backends = [FilterBackend]
    filterset_class = RegistrationFilter

    queryset = Registration.objects.none()

    def get_queryset(self) -> QuerySet[Registration]:
        if getattr(self, "swagger_fake_view", False):
            return Registration.objects.none()
        return selectors.registrations_of_user(self.request.user)


class RegistrationAccessMixin(DeclaredCapabilities):
    """A registration visible to the caller (owner or ``attendance.view``; else 404) and the change
    check (owner or ``attendance.manage``; else 403)."""

    capabilities = permissions.REGISTRATION  # besides the registration's owner

    request: Any
    kwargs: dict[str, Any]

    def get_registration(self) -> Registration:
        registration = selectors.registrations_visible_to(self.request.user).filter(pk=self.kwargs["pk"]).first()
        if registration is None:
            raise NotFound(message="Registration not found.")
        return registration

    def check_change(self, registration: Registration) -> None:
        if _is_owner(self.request.user, registration):
            return
        self.check_capability(registration.event.npo_id, "change")


class RegistrationDetailView(RegistrationAccessMixin, GenericAPIView):
    """Read (owner or ``attendance.view``), change and cancel (owner or ``attendance.manage``)."""

    serializer_class = s.RegistrationSerializer

    def get(self, request: Request, pk: Any) -> Response:
        return Response(s.RegistrationSerializer(self.get_registration()).data)

    @extend_schema(request=s.RegistrationUpdateSerializer, responses=s.RegistrationSerializer)
    def patch(self, request: Request, pk: Any) -> Response:
        registration = self.get_registration()
        self.check_change(registration)
        body = s.RegistrationUpdateSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        registration_update(
            registration=registration, actor=request.user, data=body.validated_data, ip=client_ip(request)
        )
        return Response(s.RegistrationSerializer(self.get_registration()).data)

    @extend_schema(responses={204: None}, description="Cancels (status `cancelled`); 409 when already cancelled.")
    def delete(self, request: Request, pk: Any) -> Response:
        registration = self.get_registration()
        self.check_change(registration)
        registration_cancel(registration=registration, actor=request.user, ip=client_ip(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class RegistrationGuestsView(RegistrationAccessMixin, GenericAPIView):
    """A registration's guests (plain array, registrant first); ``POST`` adds one."""

    serializer_class = s.GuestSerializer
    pagination_class = None
    queryset = Guest.objects.none()

    @extend_schema(operation_id="registrations_guests_list", responses=s.GuestSerializer(many=True))
    def get(self, request: Request, pk: Any) -> Response:
        registration = self.get_registration()
        return Response(s.RegistrationSerializer(registration).data["guests"])

    @extend_schema(request=s.GuestInputSerializer, responses={201: s.GuestSerializer})
    def post(self, request: Request, pk: Any) -> Response:
        registration = self.get_registration()
        self.check_change(registration)
        body = s.GuestInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        guest = guest_add(
            registration=registration, actor=request.user, data=body.validated_data, ip=client_ip(request)
        )
        return Response(s.GuestSerializer(selectors.guest_reload(guest.pk)).data, status=status.HTTP_201_CREATED)


class RegistrationGuestMixin(RegistrationAccessMixin):
    """One guest of a visible registration; a guest id of another registration is 404."""

    def get_guest(self) -> tuple[Registration, Guest]:
        registration = self.get_registration()
        guest = next((g for g in registration.guests.all() if g.pk == self.kwargs["guest_id"]), None)
        if guest is None:
            raise NotFound(message="Guest not found.")
        guest.registration = registration
        return registration, guest


class RegistrationGuestDetailView(RegistrationGuestMixin, GenericAPIView):
    """One guest of a registration; a guest id of another registration is 404."""

    serializer_class = s.GuestSerializer

    def get(self, request: Request, pk: Any, guest_id: Any) -> Response:
        return Response(s.GuestSerializer(self.get_guest()[1]).data)

    @extend_schema(request=s.GuestInputSerializer, responses=s.GuestSerializer)
    def patch(self, request: Request, pk: Any, guest_id: Any) -> Response:
        registration, guest = self.get_guest()
        self.check_change(registration)
        body = s.GuestInputSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        guest_update(guest=guest, actor=request.user, data=body.validated_data, ip=client_ip(request))
        return Response(s.GuestSerializer(selectors.guest_reload(guest.pk)).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: Any, guest_id: Any) -> Response:
        registration, guest = self.get_guest()
        self.check_change(registration)
        guest_remove(guest=guest, actor=request.user, ip=client_ip(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class RegistrationGuestInviteView(RegistrationGuestMixin, GenericAPIView):
    """Send the guest a new invitation e-mail (owner or ``attendance.manage``); the previous link
    stops working. At most 3 a day per guest and 20 per registration (429 ``THROTTLED``)."""

    serializer_class = s.GuestSerializer

    @extend_schema(
        request=None,
        responses={
            200: s.GuestSerializer,
            409: OpenApiResponse(description="INVALID_TRANSITION: the registrant, or a guest who already joined"),
            429: OpenApiResponse(description="THROTTLED: daily invitation limit; see Retry-After"),
        },
    )
    def post(self, request: Request, pk: Any, guest_id: Any) -> Response:
        registration, guest = self.get_guest()
        self.check_change(registration)
        invitations.guest_invitation_resend(guest=guest, actor=request.user, ip=client_ip(request))
        return Response(s.GuestSerializer(selectors.guest_reload(guest.pk)).data)


class GuestInvitationAcceptView(GenericAPIView):
    """Accept a guest invitation as the signed-in user: links your account to the invited guest, so
    you see the party's registration and bid under it. Your verified e-mail must be the invited
    address (403); a used, replaced or expired invitation is 410 ``GONE``."""

    serializer_class = s.GuestInvitationAcceptSerializer

    @extend_schema(
        request=s.GuestInvitationAcceptSerializer,
        responses={
            200: s.GuestInvitationAcceptedSerializer,
            403: OpenApiResponse(description="PERMISSION_DENIED: unverified, or another e-mail address"),
            404: OpenApiResponse(description="NOT_FOUND: unknown token"),
            409: OpenApiResponse(description="ALREADY_REGISTERED: you already attend this event"),
            410: OpenApiResponse(description="GONE: used, replaced, expired, or the registration was cancelled"),
        },
        summary="Accept a guest invitation",
    )
    def post(self, request: Request) -> Response:
        body = s.GuestInvitationAcceptSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        guest = invitations.guest_invitation_accept(
            token=body.validated_data["token"], user=request.user, ip=client_ip(request)
        )
        registration = selectors.registration_with_guests(guest)
        return Response(
            {
                "guest": s.GuestSerializer(selectors.guest_reload(guest.pk)).data,
                "registration": s.RegistrationSerializer(registration).data,
            }
        )


# --- the event's guest list, check-in, walk-ins -----------------------------------------------------------

GUEST_CSV_HEADER = ["guest", "registrant", "email", "phone", "meal", "table", "bidder number", "checked in"]


class EventGuestListView(CSVExportMixin, EventScopedMixin, GenericAPIView):
    """Every guest of the event's confirmed registrations, for the check-in desk and the seating plan
    (``attendance.view`` or ``checkin.perform``). ``?format=csv`` exports every matching row."""

    capabilities = permissions.GUESTS

    serializer_class = s.GuestSerializer
    filter_backends = [FilterBackend, OrderingFilter]
    event_columns = ("id", "npo_id", "status", "slug")  # the desk's search runs per keystroke
    pagination_class = WindowCountPagination  # the search's count on the page's own scan
    filterset_class = GuestFilter
    ordering_fields = ["last_name", "first_name", "checked_in_at", "created_at"]
    ordering = None  # default order comes from selectors.guests_search (an expression DRF cannot name)
    renderer_classes = [JSONRenderer, BrowsableAPIRenderer, CSVRenderer]

    queryset = Guest.objects.none()
    #: A request with only these parameters is the desk's search, read in one statement.
    DESK_PARAMETERS = frozenset({"search", "page", "page_size"})

    def get_queryset(self) -> QuerySet[Guest]:
        if getattr(self, "swagger_fake_view", False):
            return Guest.objects.none()
        return selectors.guests_search(self.get_event(), self.request.query_params.get("search", ""))

    @extend_schema(
        operation_id="events_guests_list", parameters=[SEARCH_PARAM, CSV_PARAM], responses=s.GuestSerializer(many=True)
    )
    def get(self, request: Request, event_id: Any) -> Any:
        event = self.check_event_capability()
        if request.query_params.keys() <= self.DESK_PARAMETERS:
            return self._desk_page(event)
        qs = self.filter_queryset(self.get_queryset())
        if request.query_params.get("format") == "csv":
            return self._export(event, qs)
        # Page over ids (the search and its count on the guest table alone), then read the page's
        # rows with the columns the list shows (GuestSerializer) and their four related tables.
        page = self.paginate_queryset(qs.values("pk"))
        rows = selectors.guest_rows([row["pk"] for row in page or ()], fields=selectors.GUEST_ROW_VALUES)
        return self.get_paginated_response(s.GuestSerializer().represent_rows(rows))

    def _desk_page(self, event: Event) -> Response:
        """The desk's search (``?search=`` and paging only): one statement (``guest_desk_page``)."""
        term = self.request.query_params.get("search", "")
        paginator: WindowCountPagination = self.paginator  # type: ignore[assignment]
        rows = paginator.paginate_fetched(
            self.request, lambda offset, limit: selectors.guest_desk_page(event, term, offset=offset, limit=limit)
        )
        return self.get_paginated_response(s.GuestSerializer().represent_rows(rows))

    def _export(self, event: Event, qs: QuerySet[Guest]) -> Any:
        qs = qs.select_related("registration__user")
        guest_list_export_record(event=event, actor=self.request.user, rows=qs.count(), ip=client_ip(self.request))

        def rows() -> Any:
            for g in qs.iterator(chunk_size=2000):
                owner = g.registration.user
                registrant = f"{owner.first_name} {owner.last_name}".strip() or owner.email if owner else g.full_name
                yield [
                    g.full_name,
                    registrant,
                    g.email,
                    g.phone,
                    g.food_option.name if g.food_option else "",
                    g.table.number if g.table else "",
                    g.paddle.number if g.paddle else "",
                    "yes" if g.checked_in_at else "no",
                ]

        return csv_response(f"guests-{event.slug}.csv", GUEST_CSV_HEADER, rows())


class EventGuestMixin(EventScopedMixin):
    def get_guest(self, *, include_cancelled: bool = True) -> Guest:
        guest = (
            selectors.guests_of_event(self.get_event(), include_cancelled=include_cancelled)
            .filter(pk=self.kwargs["guest_id"])
            .first()
        )
        if guest is None:
            raise NotFound(message="Guest not found.")
        return guest


class EventGuestDetailView(EventGuestMixin, GenericAPIView):
    """Read a guest; ``PATCH`` sets ``bidder_number`` (``checkin.perform`` or ``attendance.manage``;
    409 ``BIDDER_NUMBER_TAKEN``) and ``table`` (``attendance.manage``; 409 ``TABLE_FULL``)."""

    capabilities = permissions.GUEST  # what a PATCH body changes decides the rest

    serializer_class = s.GuestSerializer

    def get(self, request: Request, event_id: Any, guest_id: Any) -> Response:
        self.check_event_capability()
        return Response(s.GuestSerializer(self.get_guest()).data)

    @extend_schema(request=s.EventGuestUpdateSerializer, responses=s.GuestSerializer)
    def patch(self, request: Request, event_id: Any, guest_id: Any) -> Response:
        event = self.check_event_capability()
        guest = self.get_guest()
        data = request.data if isinstance(request.data, dict) else {}
        if "bidder_number" in data:
            self.check_capability(event.npo_id, "patch:bidder_number")
        if "table" in data:
            self.check_capability(event.npo_id, "patch:table")
        if not {"bidder_number", "table"} & set(data):
            self.check_capability(event.npo_id, "patch:other")
        body = s.EventGuestUpdateSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        values = body.validated_data
        table = None
        if values.get("table") is not None:
            table = Table.objects.filter(event=event, pk=values["table"]).first()
            if table is None:
                raise ValidationFailed(message="Not a table of this event.", fields={"table": ["Unknown table."]})
        if "bidder_number" in values:
            guest_set_bidder_number(
                guest=guest, actor=request.user, number=values["bidder_number"], ip=client_ip(request)
            )
        if "table" in values:
            guest_assign_table(guest=guest, actor=request.user, table=table, ip=client_ip(request))
        return Response(s.GuestSerializer(selectors.guest_reload(guest.pk)).data)


def _check_in_body(result: CheckInResult) -> dict[str, Any]:
    data = dict(s.GuestSerializer(result.guest).data)
    data["already_checked_in"] = result.already_checked_in
    return data


class GuestCheckInView(EventGuestMixin, GenericAPIView):
    """Check a guest in (``checkin.perform``): idempotent, ``Idempotency-Key`` supported. The answer
    carries ``checked_in_at``, ``bidder_number`` (integer) and ``already_checked_in``."""

    capabilities = permissions.CHECK_IN

    serializer_class = s.CheckInResultSerializer

    @extend_schema(
        request=s.CheckInSerializer,
        responses=s.CheckInResultSerializer,
        parameters=[OpenApiParameter("Idempotency-Key", OpenApiTypes.STR, OpenApiParameter.HEADER, required=False)],
    )
    def post(self, request: Request, event_id: Any, guest_id: Any) -> Response:
        self.check_event_capability()
        guest = self.get_guest()

        def handler() -> Response:
            body = s.CheckInSerializer(data=request.data or {})
            body.is_valid(raise_exception=True)
            result = guest_check_in(
                guest=guest,
                actor=request.user,
                bidder_number=body.validated_data.get("bidder_number"),
                ip=client_ip(request),
            )
            return Response(_check_in_body(result))

        return idempotent(request, handler)


class GuestUndoCheckInView(EventGuestMixin, GenericAPIView):
    """Undo a check-in (``checkin.perform``; audited); 409 ``NOT_CHECKED_IN``."""

    capabilities = permissions.CHECK_IN

    serializer_class = s.GuestSerializer

    @extend_schema(request=None, responses=s.GuestSerializer)
    def post(self, request: Request, event_id: Any, guest_id: Any) -> Response:
        self.check_event_capability()
        guest = self.get_guest()

        def handler() -> Response:
            return Response(
                s.GuestSerializer(guest_undo_check_in(guest=guest, actor=request.user, ip=client_ip(request))).data
            )

        return idempotent(request, handler)


class WalkInView(EventScopedMixin, GenericAPIView):
    """Register and check in at the door (``checkin.perform``); 201 with the new guest, or 200 when the
    e-mail *and the name* are those of someone already registered (their guest is checked in
    instead). The same e-mail with another name is a new, unlinked walk-in with a ``NAME_MISMATCH``
    warning; an address never links an account (``checkin.walk_in_register`` has the cases)."""

    capabilities = permissions.CHECK_IN

    serializer_class = s.WalkInResultSerializer

    @extend_schema(
        request=s.WalkInSerializer,
        responses={201: s.WalkInResultSerializer, 200: s.WalkInResultSerializer},
        parameters=[OpenApiParameter("Idempotency-Key", OpenApiTypes.STR, OpenApiParameter.HEADER, required=False)],
    )
    def post(self, request: Request, event_id: Any) -> Response:
        event = self.check_event_capability()

        def handler() -> Response:
            body = s.WalkInSerializer(data=request.data)
            body.is_valid(raise_exception=True)
            result = walk_in_register(event=event, actor=request.user, ip=client_ip(request), **body.validated_data)
            data = _check_in_body(CheckInResult(result.guest, result.already_checked_in))
            data["invitation_sent"] = result.invitation_sent
            data["warnings"] = result.warnings
            return Response(data, status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK)

        return idempotent(request, handler)


# --- tables ---------------------------------------------------------------------------------------------


class TableMixin(EventScopedMixin):
    def get_table(self) -> Table:
        table = selectors.tables_of_event(self.get_event()).filter(pk=self.kwargs["table_id"]).first()
        if table is None:
            raise NotFound(message="Table not found.")
        return table

    def captain_of(self, event: Event, captain_id: Any) -> Guest | None:
        if captain_id is None:
            return None
        guest = Guest.objects.filter(
            event=event, pk=captain_id, registration__status=RegistrationStatus.CONFIRMED
        ).first()
        if guest is None:
            raise ValidationFailed(message="Unknown guest.", fields={"captain": ["Not a guest of this event."]})
        return guest


class TableListView(TableMixin, GenericAPIView):
    """Tables of the event with occupancy (read: ``attendance.view``; create: ``attendance.manage``)."""

    capabilities = permissions.TABLES

    serializer_class = s.TableSerializer

    queryset = Table.objects.none()

    def get_queryset(self) -> QuerySet[Table]:
        if getattr(self, "swagger_fake_view", False):
            return Table.objects.none()
        return selectors.tables_of_event(self.get_event())

    @extend_schema(operation_id="events_tables_list", responses=s.TableSerializer(many=True))
    def get(self, request: Request, event_id: Any) -> Response:
        self.check_event_capability()
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(s.TableSerializer(page, many=True).data)

    @extend_schema(request=s.TableInputSerializer, responses={201: s.TableSerializer})
    def post(self, request: Request, event_id: Any) -> Response:
        event = self.check_event_capability()
        body = s.TableInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        values = body.validated_data
        table = table_create(
            event=event,
            actor=request.user,
            number=values["number"],
            capacity=values["capacity"],
            name=values.get("name", ""),
            captain=self.captain_of(event, values.get("captain")),
            ip=client_ip(request),
        )
        self.kwargs["table_id"] = table.pk
        return Response(s.TableSerializer(self.get_table()).data, status=status.HTTP_201_CREATED)


class TableDetailView(TableMixin, GenericAPIView):
    """One table; ``PATCH`` below occupancy → 409 ``CAPACITY_BELOW_OCCUPANCY``; ``DELETE`` unseats."""

    capabilities = permissions.TABLES

    serializer_class = s.TableSerializer

    def get(self, request: Request, event_id: Any, table_id: Any) -> Response:
        self.check_event_capability()
        return Response(s.TableSerializer(self.get_table()).data)

    @extend_schema(request=s.TableInputSerializer(partial=True), responses=s.TableSerializer)
    def patch(self, request: Request, event_id: Any, table_id: Any) -> Response:
        event = self.check_event_capability()
        table = self.get_table()
        body = s.TableInputSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        values = dict(body.validated_data)
        if "captain" in values:
            values["captain"] = self.captain_of(event, values["captain"])
        table_update(table=table, actor=request.user, data=values, ip=client_ip(request))
        return Response(s.TableSerializer(self.get_table()).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, event_id: Any, table_id: Any) -> Response:
        self.check_event_capability()
        table_delete(table=self.get_table(), actor=request.user, ip=client_ip(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class TableAutoAssignView(EventScopedMixin, GenericAPIView):
    """Seat every unseated guest, parties together, largest first (``attendance.manage``)."""

    capabilities = permissions.TABLES_AUTO_ASSIGN

    serializer_class = s.AutoAssignResultSerializer

    @extend_schema(request=None, responses=s.AutoAssignResultSerializer)
    def post(self, request: Request, event_id: Any) -> Response:
        event = self.check_event_capability()
        result = tables_auto_assign(event=event, actor=request.user, ip=client_ip(request))
        return Response({"assigned": result.assigned, "unassigned": result.unassigned, "warnings": result.warnings})


# --- the donor's view, meal counts ----------------------------------------------------------------------


class MyRegistrationView(EventScopedMixin, GenericAPIView):
    """The caller's registration for the event (owned, else the one they are a linked guest of) with
    guests and their bidder numbers, the caller's table and tablemates' names; 404 when none."""

    serializer_class = s.MyRegistrationSerializer

    def get(self, request: Request, event_id: Any) -> Response:
        event = self.get_event()
        registration = selectors.registration_of_user_for_event(user=request.user, event=event)
        if registration is None:
            raise NotFound(message="You are not registered for this event.")
        guests = list(registration.guests.all())
        own = next((g for g in guests if g.user_id == request.user.pk), None) or next(
            (g for g in guests if g.is_registrant), None
        )
        table_ids = {g.table_id for g in guests if g.table_id}
        seated: dict[Any, list[Guest]] = {}
        for g in (
            Guest.objects.filter(table_id__in=table_ids, registration__status=RegistrationStatus.CONFIRMED)
            .select_related("table")
            .order_by("last_name", "first_name")
        ):
            seated.setdefault(g.table_id, []).append(g)
        tables = []
        for at in sorted(seated.values(), key=lambda rows: rows[0].table.number if rows[0].table else 0):
            table = at[0].table
            if table is not None:
                tables.append(
                    {"id": table.pk, "number": table.number, "name": table.name, "guests": [g.full_name for g in at]}
                )
        own_table = own.table if own and own.table_id else None
        tablemates = (
            [g.full_name for g in seated.get(own_table.pk, []) if g.pk != own.pk and g.full_name]
            if own_table and own
            else []
        )
        context = {"request": request, "own_table": own_table, "tablemates": tablemates, "tables": tables}
        return Response(s.MyRegistrationSerializer(registration, context=context).data)


class MealCountsView(CSVExportMixin, EventScopedMixin, GenericAPIView):
    """Guests per meal option (confirmed registrations; ``attendance.view``); ``?format=csv``."""

    capabilities = permissions.MEAL_COUNTS

    serializer_class = s.MealCountsSerializer
    renderer_classes = [JSONRenderer, BrowsableAPIRenderer, CSVRenderer]

    @extend_schema(parameters=[CSV_PARAM], responses=s.MealCountsSerializer)
    def get(self, request: Request, event_id: Any) -> Any:
        event = self.check_event_capability()
        rows = selectors.meal_counts(event)
        if request.query_params.get("format") == "csv":
            return csv_response(f"meals-{event.slug}.csv", ["meal", "guests"], [[r["name"], r["count"]] for r in rows])
        return Response({"results": rows, "total": sum(r["count"] for r in rows)})
