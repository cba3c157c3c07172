"""Back-office for attendance, tenant-scoped (``apps.npos.tenancy.admin``) and calling the same services as the API.

The guest changelist is built for the check-in desk: search by name, e-mail, phone, registration code,
or an exact bidder number; filters ``checked in`` and table; actions check in, assign bidder numbers
and auto-assign tables. Check-in state, bidder numbers and seats are read-only in forms: they change
only through the actions and the API, which lock, validate and audit.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest

from apps.attendance import permissions
from apps.attendance.models import Guest, Paddle, Registration, RegistrationStatus, Table
from apps.attendance.selectors import guest_match_q, search_words
from apps.attendance.services.checkin import guest_check_in
from apps.attendance.services.guests import guest_update
from apps.attendance.services.paddles import paddle_ensure
from apps.attendance.services.registrations import registration_cancel, registration_update
from apps.attendance.services.seating import table_create, table_update, tables_auto_assign
from apps.core.exceptions import DomainError
from apps.core.net import client_ip
from apps.events.models import Event
from apps.npos.capabilities import Capability as C
from apps.npos.tenancy.admin import TenantScopedAdmin, TenantScopedTabularInline, tenant_action


class CheckedInFilter(admin.SimpleListFilter):
    title = "checked in"
    parameter_name = "checked_in"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "Yes"), ("no", "No")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Guest]) -> QuerySet[Guest]:
        if self.value() == "yes":
            return queryset.filter(checked_in_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(checked_in_at__isnull=True)
        return queryset


INLINE_COLUMNS: list[str] = [
    "first_name",
    "last_name",
    "email",
    "phone",
    "food_option",
    "is_registrant",
    "bidder",
    "table",
    "checked_in_at",
]


class GuestInline(TenantScopedTabularInline):
    model = Guest
    npo_path = "event__npo"
    view_capability = C.ATTENDANCE_VIEW
    change_capability = None  # guests are edited on their own page (services), not inline
    fields = tuple(INLINE_COLUMNS)
    readonly_fields = INLINE_COLUMNS
    extra = 0
    can_delete = False
    show_change_link = True

    @admin.display(description="bidder number")
    def bidder(self, obj: Guest) -> Any:
        return obj.paddle.number if obj.paddle is not None else "—"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Guest]:
        return super().get_queryset(request).select_related("paddle", "table", "food_option")


@admin.register(Registration)
class RegistrationAdmin(TenantScopedAdmin):
    npo_path = "event__npo"
    view_capability = C.ATTENDANCE_VIEW
    change_capability = permissions.REGISTRATION["change"]
    add_capability = None  # registrations come from the API, walk-ins and imports
    delete_capability = None  # never hard-deleted: cancel instead
    list_display = ["code", "event", "user", "status", "source", "guest_count", "created_at"]
    list_filter = ["status", "source", "event"]
    search_fields = ["code", "user__email", "user__last_name", "guests__last_name"]
    list_select_related = ["event", "user"]
    readonly_fields = ["event", "user", "code", "status", "source", "cancelled_at", "created_at"]
    fields = [*readonly_fields, "notes"]
    inlines = [GuestInline]
    actions = ["cancel_registrations"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Registration]:
        return super().get_queryset(request).annotate(n_guests=Count("guests", distinct=True))

    @admin.display(description="guests", ordering="n_guests")
    def guest_count(self, obj: Registration) -> int:
        return getattr(obj, "n_guests", 0)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Registration, form: Any, change: bool) -> None:
        registration_update(registration=obj, actor=request.user, data={"notes": obj.notes}, ip=client_ip(request))

    @tenant_action(capability=permissions.REGISTRATION["change"], description="Cancel selected registrations")
    def cancel_registrations(self, request: HttpRequest, queryset: QuerySet[Registration]) -> None:
        done = 0
        for registration in queryset.filter(status=RegistrationStatus.CONFIRMED).select_related("event"):
            try:
                registration_cancel(registration=registration, actor=request.user, ip=client_ip(request))
                done += 1
            except DomainError as exc:
                self.message_user(request, f"{registration.code}: {exc.message}", messages.ERROR)
        self.message_user(request, f"{done} registration(s) cancelled.")


@admin.register(Guest)
class GuestAdmin(TenantScopedAdmin):
    """The check-in desk's list."""

    npo_path = "event__npo"
    view_capability = C.ATTENDANCE_VIEW
    change_capability = C.ATTENDANCE_MANAGE
    add_capability = None
    delete_capability = None
    list_display = ["__str__", "email", "phone", "registration", "bidder", "table", "food_option", "checked_in_at"]
    list_filter = [CheckedInFilter, "event", "table"]
    search_fields = ["first_name", "last_name", "email", "phone", "registration__code"]
    list_select_related = ["registration", "paddle", "table", "food_option"]
    ordering = ["last_name", "first_name"]
    fields = [
        "event",
        "registration",
        "user",
        "is_registrant",
        "first_name",
        "last_name",
        "email",
        "phone",
        "food_option",
        "bidder",
        "table",
        "checked_in_at",
        "checked_in_by",
    ]
    readonly_fields = [
        "event",
        "registration",
        "user",
        "is_registrant",
        "bidder",
        "table",
        "checked_in_at",
        "checked_in_by",
    ]
    actions = ["check_in", "assign_bidder_numbers", "auto_assign_tables"]

    @admin.display(description="bidder number", ordering="paddle__number")
    def bidder(self, obj: Guest) -> Any:
        return obj.paddle.number if obj.paddle is not None else "—"

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_search_results(self, request: HttpRequest, queryset: QuerySet[Guest], search_term: str) -> Any:
        term = search_term.strip().lstrip("#")
        if term.isascii() and term.isdigit() and len(term) <= 9:  # "²".isdigit() is True
            # An exact bidder number, as read off a paddle.
            return queryset.filter(paddle__number=int(term)), False
        if not term:
            return queryset, False
        # The check-in search's word match (one LIKE on Guest.search_text, trigram-indexed), or the
        # whole term as a registration code; the declared search_fields name what it covers.
        code = term.replace(" ", "").replace("-", "").upper()
        return queryset.filter(guest_match_q(search_words(term), [], []) | Q(registration__code=code)), False

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "food_option" and formfield is not None:
            object_id = request.resolver_match.kwargs.get("object_id") if request.resolver_match else None
            event_id = (
                Guest.objects.filter(pk=object_id).values_list("event_id", flat=True).first() if object_id else None
            )
            formfield.queryset = formfield.queryset.filter(event_id=event_id)
        return formfield

    def save_model(self, request: HttpRequest, obj: Guest, form: Any, change: bool) -> None:
        data = {name: form.cleaned_data[name] for name in form.changed_data}
        try:
            guest_update(guest=obj, actor=request.user, data=data, ip=client_ip(request))
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)

    def _each(self, request: HttpRequest, queryset: QuerySet[Guest], func: Any, verb: str) -> None:
        done = 0
        for guest in queryset.select_related("registration"):
            try:
                func(guest)
                done += 1
            except DomainError as exc:
                self.message_user(request, f"{guest}: {exc.message}", messages.ERROR)
        self.message_user(request, f"{done} guest(s) {verb}.")

    @tenant_action(capability=permissions.CHECK_IN["post"], description="Check in selected guests")
    def check_in(self, request: HttpRequest, queryset: QuerySet[Guest]) -> None:
        self._each(
            request,
            queryset,
            lambda g: guest_check_in(guest=g, actor=request.user, ip=client_ip(request)),
            "checked in",
        )

    @tenant_action(capability=permissions.CHECK_IN["post"], description="Assign bidder numbers to selected guests")
    def assign_bidder_numbers(self, request: HttpRequest, queryset: QuerySet[Guest]) -> None:
        self._each(
            request,
            queryset.filter(registration__status=RegistrationStatus.CONFIRMED),
            lambda g: paddle_ensure(guest=g, actor=request.user),
            "have a bidder number",
        )

    @tenant_action(
        capability=permissions.TABLES_AUTO_ASSIGN["post"], description="Auto-assign tables (events of selected guests)"
    )
    def auto_assign_tables(self, request: HttpRequest, queryset: QuerySet[Guest]) -> None:
        for event in Event.objects.filter(pk__in=queryset.values("event_id")):
            result = tables_auto_assign(event=event, actor=request.user, ip=client_ip(request))
            self.message_user(
                request, f"{event}: {len(result.assigned)} seated, {len(result.unassigned)} without a seat."
            )
            for warning in result.warnings:
                self.message_user(request, warning, messages.WARNING)


class TableForm(forms.ModelForm):
    class Meta:
        model = Table
        fields = ["event", "number", "name", "capacity", "captain"]

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        table = self.instance
        capacity, captain = data.get("capacity"), data.get("captain")
        if table.pk and capacity is not None:
            occupied = table.guests.filter(registration__status=RegistrationStatus.CONFIRMED).count()
            if capacity < occupied:
                self.add_error("capacity", f"{occupied} guests are seated at this table.")
        if captain is not None and (not table.pk or captain.table_id != table.pk):
            self.add_error("captain", "The captain must be a guest seated at this table.")
        return data


@admin.register(Table)
class TableAdmin(TenantScopedAdmin):
    npo_path = "event__npo"
    view_capability = permissions.TABLES["get"]
    change_capability = permissions.TABLES["patch"]
    form = TableForm
    list_display = ["number", "name", "event", "capacity", "captain"]
    list_filter = ["event"]
    list_select_related = ["event", "captain"]
    search_fields = ["name", "=number"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ["event"] if obj is not None else []

    def save_model(self, request: HttpRequest, obj: Table, form: Any, change: bool) -> None:
        data = form.cleaned_data
        if not change:
            created = table_create(
                event=data["event"],
                actor=request.user,
                number=data["number"],
                capacity=data["capacity"],
                name=data.get("name", ""),
                ip=client_ip(request),
            )
            obj.pk = created.pk
            return
        table_update(
            table=obj,
            actor=request.user,
            data={k: data[k] for k in ("number", "name", "capacity", "captain") if k in data},
            ip=client_ip(request),
        )


@admin.register(Paddle)
class PaddleAdmin(TenantScopedAdmin):
    """Read-only: numbers are handed out and changed by check-in (API or the guest actions)."""

    npo_path = "event__npo"
    view_capability = C.ATTENDANCE_VIEW
    change_capability = None
    list_display = ["number", "event", "registration", "created_at"]
    list_filter = ["event"]
    search_fields = ["=number", "registration__code"]
    list_select_related = ["event", "registration"]
    readonly_fields = ["event", "number", "registration"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
