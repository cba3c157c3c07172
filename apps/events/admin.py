"""Events in the Django admin, tenant-scoped (``apps.npos.tenancy.admin``) and writing through the services.

Members see the events of their NPOs; ``events.manage`` is needed to add, edit, delete and to run
the publish / unpublish / close actions. Files (media, sponsor logos) are uploaded through the API,
where they are validated by content; here they are listed, captioned, reordered and deleted (the
delete removes the blob too).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html

from apps.core import uploads
from apps.core.exceptions import DomainError, ValidationFailed
from apps.core.net import client_ip
from apps.events import permissions
from apps.events.models import Event, EventLink, EventMedia, EventStatus, FoodOption, Sponsor
from apps.events.services.children import (
    food_option_create,
    food_option_delete,
    food_option_update,
    link_create,
    link_delete,
    link_update,
    sponsor_create,
    sponsor_delete,
    sponsor_update,
)
from apps.events.services.common import EVENT_FIELDS, UNSET
from apps.events.services.events import (
    check_capacity_not_below_registered,
    event_close,
    event_create,
    event_delete,
    event_publish,
    event_unpublish,
    event_update,
    normalise_slug,
    validate_event,
)
from apps.events.services.media import media_delete, media_update
from apps.npos.tenancy.admin import TenantScopedAdmin, TenantScopedTabularInline, tenant_action

#: What the event pages and actions need: what the API's event writes need (apps.events.permissions).
MANAGE = permissions.MANAGE


class EventAdminForm(forms.ModelForm):
    """Runs the service's field rules (time zone, end after start, colours, slug) as form errors."""

    class Meta:
        model = Event
        fields = [
            "npo",
            "name",
            "slug",
            "tagline",
            "description",
            "starts_at",
            "ends_at",
            "timezone",
            "venue_name",
            "venue_address",
            "venue_city",
            "venue_state",
            "venue_postal_code",
            "attire",
            "contact_name",
            "contact_email",
            "contact_phone",
            "primary_color",
            "secondary_color",
            "accent_color",
            "background_color",
            "logo",
            "goal_amount",
            "capacity",
            "checkin_required_to_bid",
            "soft_close_minutes",
            "next_bidder_number",
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        values = {f: cleaned.get(f, getattr(self.instance, f, None)) for f in EVENT_FIELDS}
        try:
            validate_event(values)
            if cleaned.get("slug") and cleaned["slug"] != self.instance.slug:
                normalise_slug(cleaned["slug"])
        except ValidationFailed as exc:
            for field, errors in (exc.fields or {}).items():
                messages_: list[Any] = list(errors)
                self.add_error(field if field in self.fields else None, messages_)
        if self.instance.pk and "capacity" in cleaned:
            try:  # the service checks again under the row lock; this turns it into a form error
                check_capacity_not_below_registered(self.instance, {"capacity": cleaned["capacity"]})
            except DomainError as exc:
                self.add_error("capacity" if "capacity" in self.fields else None, exc.message)
        return cleaned


class _ChildInline(TenantScopedTabularInline):
    npo_path = "event__npo"
    view_capability = None
    change_capability = MANAGE
    extra = 0
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


class EventMediaInline(_ChildInline):
    model = EventMedia
    fields = ["preview", "kind", "content_type", "size", "status", "caption", "display_order"]
    readonly_fields = ["preview", "kind", "content_type", "size", "status"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # uploads go through the API (validated by content, per-event cap)

    @admin.display(description="file")
    def preview(self, media: EventMedia) -> str:
        url = uploads.file_url(media.file.name) if media.status == "ready" else None
        return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', url, media) if url else str(media)


class EventLinkInline(_ChildInline):
    model = EventLink
    fields = ["kind", "url", "label", "display_order"]


class FoodOptionInline(_ChildInline):
    model = FoodOption
    fields = ["name", "description", "display_order"]


class SponsorInline(_ChildInline):
    """Contacts and the donation amount are shown only to ``events.manage`` (as in the API); the
    base hides them for everyone else (``apps.npos.tenancy.private.PRIVATE_FIELDS``)."""

    model = Sponsor
    template = "admin/edit_inline/stacked.html"  # ten fields: one per line, not a 2,500 px row
    fields = [
        "name",
        "level",
        "logo_preview",
        "logo_size",
        "website",
        "contact_name",
        "contact_email",
        "contact_phone",
        "donation_amount",
        "display_order",
    ]
    readonly_fields = ["logo_preview"]

    @admin.display(description="logo")
    def logo_preview(self, sponsor: Sponsor) -> str:
        url = uploads.file_url(sponsor.logo_thumbnail.name)
        return format_html('<img src="{}" alt="" style="max-height:40px">', url) if url else "—"


def _run(
    modeladmin: Any, request: HttpRequest, queryset: QuerySet[Event], service: Callable[..., Any], done: str
) -> None:
    count = 0
    for event in queryset:
        try:
            service(event=event, actor=request.user, ip=client_ip(request))
            count += 1
        except DomainError as exc:
            modeladmin.message_user(request, f"{event}: {exc.message}", messages.ERROR)
    if count:
        modeladmin.message_user(request, f"{count} event(s) {done}.", messages.SUCCESS)


@tenant_action(capability=permissions.EVENT["publish"], description="Publish selected events")
def publish(modeladmin: Any, request: HttpRequest, queryset: QuerySet[Event]) -> None:
    _run(modeladmin, request, queryset, event_publish, "published")


@tenant_action(capability=permissions.EVENT["unpublish"], description="Unpublish selected events (back to draft)")
def unpublish(modeladmin: Any, request: HttpRequest, queryset: QuerySet[Event]) -> None:
    _run(modeladmin, request, queryset, event_unpublish, "unpublished")


@tenant_action(capability=permissions.EVENT["close"], description="Close selected events")
def close(modeladmin: Any, request: HttpRequest, queryset: QuerySet[Event]) -> None:
    _run(modeladmin, request, queryset, event_close, "closed")


@admin.register(Event)
class EventAdmin(TenantScopedAdmin):
    form = EventAdminForm
    npo_path = "npo"
    view_capability = None
    change_capability = MANAGE
    list_display = ["name", "npo", "status", "starts_at", "timezone", "slug"]
    list_filter = ["status", "npo"]
    search_fields = ["name", "slug", "venue_city"]
    list_select_related = ["npo"]
    date_hierarchy = "starts_at"
    inlines = [EventMediaInline, EventLinkInline, FoodOptionInline, SponsorInline]
    actions = [publish, unpublish, close]
    fieldsets = [
        (None, {"fields": ["npo", "name", "slug", "status", "version", "tagline", "description"]}),
        ("When", {"fields": ["starts_at", "ends_at", "timezone"]}),
        (
            "Venue",
            {"fields": ["venue_name", "venue_address", "venue_city", "venue_state", "venue_postal_code", "attire"]},
        ),
        ("Contact", {"fields": ["contact_name", "contact_email", "contact_phone"]}),
        (
            "Branding (blank: the NPO's)",
            {"fields": ["primary_color", "secondary_color", "accent_color", "background_color", "logo"]},
        ),
        (
            "Fundraising and tickets",
            {
                "fields": [
                    "goal_amount",
                    "capacity",
                    "checkin_required_to_bid",
                    "soft_close_minutes",
                    "next_bidder_number",
                ]
            },
        ),
        ("History", {"fields": ["published_at", "closed_at", "created_by"]}),
    ]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        readonly = ["status", "version", "published_at", "closed_at", "created_by"]
        if obj is not None:
            readonly.append("npo")
            if obj.status != EventStatus.DRAFT:
                readonly.append("slug")
        return readonly

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change, **kwargs)
        if obj is None and "slug" in form.base_fields:
            form.base_fields["slug"].required = False
            form.base_fields["slug"].help_text = "Leave blank to generate it from the name."
        return form

    def save_model(self, request: HttpRequest, obj: Event, form: Any, change: bool) -> None:
        logo = form.cleaned_data.get("logo") if "logo" in form.changed_data else UNSET
        if logo is False:  # the "clear" checkbox
            logo = None
        data = {f: form.cleaned_data[f] for f in form.changed_data if f in EVENT_FIELDS}
        if not change:
            created = event_create(
                actor=request.user, npo=form.cleaned_data["npo"], data=data, logo=logo, ip=client_ip(request)
            )
            obj.pk = created.pk
            obj.refresh_from_db()
            return
        event_update(event=obj, actor=request.user, data=data, logo=logo, ip=client_ip(request))
        obj.refresh_from_db()

    def delete_view(self, request: HttpRequest, object_id: str, extra_context: Any = None) -> HttpResponse:
        # Before Django lists the related rows (and blames the user's "permission" for pledges,
        # guests…): the real reason a published or closed event cannot go is event_delete's rule.
        obj = self.get_object(request, object_id)
        if obj is not None and obj.status != EventStatus.DRAFT:
            self.message_user(request, "Only drafts can be deleted; close the event instead.", messages.ERROR)
            return HttpResponseRedirect(reverse("admin:events_event_change", args=[obj.pk]))
        return super().delete_view(request, object_id, extra_context)

    def delete_model(self, request: HttpRequest, obj: Event) -> None:
        event_delete(event=obj, actor=request.user, ip=client_ip(request))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Event]) -> None:
        for event in queryset:
            event_delete(event=event, actor=request.user, ip=client_ip(request))

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        """Inline rows go through the services too (link rules, unique names, OPTION_IN_USE, blob
        deletion); a refused row is reported and the others are saved."""
        event = form.instance
        formset.save(commit=False)
        model = formset.model
        for obj in formset.deleted_objects:
            self._attempt(request, obj, self._delete_child, model, obj, request)
        deleted = {id(o) for o in formset.deleted_objects}
        for inline_form in formset.forms:
            obj = inline_form.instance
            if id(obj) in deleted or not inline_form.has_changed() or not inline_form.is_valid():
                continue
            data = {f: inline_form.cleaned_data[f] for f in inline_form.changed_data if f in inline_form.cleaned_data}
            self._attempt(request, obj, self._save_child, event, model, obj, data, request)

    def _delete_child(self, model: Any, obj: Any, request: HttpRequest) -> None:
        actor, ip = request.user, client_ip(request)
        if model is EventMedia:
            media_delete(media=obj, actor=actor, ip=ip)
        elif model is EventLink:
            link_delete(link=obj, actor=actor, ip=ip)
        elif model is FoodOption:
            food_option_delete(option=obj, actor=actor, ip=ip)
        elif model is Sponsor:
            sponsor_delete(sponsor=obj, actor=actor, ip=ip)

    def _save_child(self, event: Event, model: Any, obj: Any, data: dict[str, Any], request: HttpRequest) -> None:
        actor, ip = request.user, client_ip(request)
        adding = obj._state.adding
        if model is EventLink:
            if adding:
                link_create(event=event, actor=actor, data={"kind": obj.kind, "url": obj.url, **data}, ip=ip)
            else:
                link_update(link=EventLink.objects.get(pk=obj.pk), actor=actor, data=data, ip=ip)
        elif model is FoodOption:
            if adding:
                food_option_create(event=event, actor=actor, data=data, ip=ip)
            else:
                food_option_update(option=FoodOption.objects.get(pk=obj.pk), actor=actor, data=data, ip=ip)
        elif model is Sponsor:
            if adding:
                sponsor_create(event=event, actor=actor, data=data, ip=ip)
            else:
                sponsor_update(sponsor=Sponsor.objects.get(pk=obj.pk), actor=actor, data=data, ip=ip)
        elif model is EventMedia and not adding:
            media_update(media=EventMedia.objects.get(pk=obj.pk), actor=actor, data=data, ip=ip)

    def _attempt(self, request: HttpRequest, obj: Any, func: Callable[..., Any], *args: Any) -> None:
        try:
            func(*args)
        except DomainError as exc:
            self.message_user(request, f"{obj}: {exc.message}", messages.ERROR)
