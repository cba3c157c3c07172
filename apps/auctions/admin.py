"""The auction in the Django admin: items (images inline, read-only bid history without maximums),
open/close/withdraw actions, and two fast clerk pages — the live-auction sale entry and the paddle
raise entry. Everything is tenant-scoped (``TenantScopedAdmin``) and goes through ``services``.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from apps.auctions import clerk, permissions
from apps.auctions.models import (
    Bid,
    Item,
    ItemImage,
    PaddleRaiseLevel,
    PaddleRaiseSettings,
    Pledge,
    Sale,
)
from apps.auctions.selectors import paddle_raise_summary
from apps.auctions.services.closing import item_close
from apps.auctions.services.images import item_image_add, item_image_delete
from apps.auctions.services.items import (
    EDITABLE_FIELDS,
    item_create,
    item_delete,
    item_open,
    item_update,
    item_withdraw,
)
from apps.auctions.services.live import sale_record, sale_undo
from apps.auctions.services.paddle_raise import paddle_raise_configure, pledge_record, pledge_undo
from apps.core import uploads
from apps.core.exceptions import DomainError
from apps.core.files import validate_image
from apps.core.money import MoneyFormField, WholeNumberFormField
from apps.core.net import client_ip
from apps.events.models import Event, EventStatus
from apps.events.selectors import event_for
from apps.npos import authz
from apps.npos.capabilities import Requirement
from apps.npos.tenancy.admin import TenantScopedAdmin, TenantScopedTabularInline, task_context, tenant_action

# What each action needs is declared once, in apps.auctions.permissions; the API views read the same
# maps, so opening an item (say) needs the same capability here as in the API.
ITEM = permissions.ITEM
EVENT = permissions.EVENT_AUCTION
MANAGE = ITEM["partial_update"]


# --- items -------------------------------------------------------------------------------------


class ItemImageForm(forms.ModelForm):
    """A new picture is checked by content here (a form error, not a message after the fact); it is
    stored by ``item_image_add`` in ``ItemAdmin.save_formset``, never by the formset, so
    the client's file name and declared type are never used. Existing pictures are read-only: the
    API has no update either (delete and upload again)."""

    class Meta:
        model = ItemImage
        fields = ["file", "caption"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.instance._state.adding:  # (a new row has a pk already: UUID default)
            for name in self.fields:
                self.fields[name].disabled = True

    def clean_file(self) -> Any:
        upload = self.cleaned_data.get("file")
        if upload is not None and self.instance._state.adding:
            try:
                validate_image(upload)
            except DomainError as exc:
                raise ValidationError(exc.message) from exc
        return upload


class ItemImageInline(TenantScopedTabularInline):
    model = ItemImage
    form = ItemImageForm
    extra = 0
    npo_path = "item__event__npo"
    change_capability = MANAGE
    fields = ["preview", "file", "caption", "content_type", "width", "height", "display_order"]
    readonly_fields = ["preview", "content_type", "width", "height", "display_order"]

    @admin.display(description="picture")
    def preview(self, image: ItemImage) -> str:
        url = uploads.file_url(image.file.name) if not image._state.adding else None
        return format_html('<img src="{}" alt="" style="max-height:60px">', url) if url else "—"


class BidHistoryInline(TenantScopedTabularInline):
    """The public history: bidder numbers and visible amounts — never maximums (bidding.md rule 6)."""

    model = Bid
    extra = 0
    npo_path = "item__event__npo"
    verbose_name_plural = "bid history (visible bids; maximums are private to each bidder)"
    fields = ["sequence", "bidder_number", "amount", "automatic", "created_at"]
    readonly_fields = ["sequence", "bidder_number", "amount", "automatic", "created_at"]
    ordering = ["-sequence"]
    can_delete = False
    show_change_link = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).filter(visible=True).select_related("paddle")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="bidder #")
    def bidder_number(self, obj: Bid) -> int:
        return obj.paddle.number


@admin.register(Item)
class ItemAdmin(TenantScopedAdmin):
    npo_path = "event__npo"
    change_capability = MANAGE
    list_display = [
        "number",
        "title",
        "event",
        "kind",
        "status",
        "current_bid",
        "bid_count",
        "quantity_left",
        "closes_at",
    ]
    list_display_links = ["number", "title"]
    list_filter = ["kind", "status", "event"]
    search_fields = ["title", "description", "category", "donated_by"]
    list_select_related = ["event"]
    ordering = ["event", "number"]
    inlines = [ItemImageInline, BidHistoryInline]
    readonly_fields = ["number", "status", "current_bid", "bid_count", "quantity_sold", "closed_at"]
    fieldsets = [
        (None, {"fields": ["event", "number", "title", "description", "category", "kind", "status"]}),
        ("Donor and sponsor", {"fields": ["donated_by", "sponsor"]}),
        (
            "Pricing",
            {"fields": ["starting_bid", "bid_increment", "fair_market_value", "reserve", "buy_now_price", "quantity"]},
        ),
        ("Timing", {"fields": ["opens_at", "closes_at", "display_order"]}),
        ("Auction state", {"fields": ["current_bid", "bid_count", "quantity_sold", "closed_at"]}),
    ]
    actions = ["open_items", "close_items", "withdraw_items"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = list(super().get_readonly_fields(request, obj))
        return [*fields, "event"] if obj is not None else fields

    def save_model(self, request: HttpRequest, obj: Item, form: Any, change: bool) -> None:
        values = {name: form.cleaned_data[name] for name in EDITABLE_FIELDS if name in form.cleaned_data}
        if change:
            item_update(item=obj, actor=request.user, ip=client_ip(request), **values)
        else:
            created = item_create(event=form.cleaned_data["event"], actor=request.user, ip=client_ip(request), **values)
            obj.pk, obj.number = created.pk, created.number
            obj._state.adding = False

    def delete_model(self, request: HttpRequest, obj: Item) -> None:
        item_delete(item=obj, actor=request.user, ip=client_ip(request))

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        """Pictures go through the upload service (validated by content, a server-made name, the
        content type from the content, an audit row; deletion removes the blob after commit)."""
        if formset.model is not ItemImage:
            return super().save_formset(request, form, formset, change)
        item = form.instance
        # What Django's change message reads (``construct_change_message``).
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for image_form in formset.deleted_forms:
            if not image_form.instance._state.adding:
                item_image_delete(image=image_form.instance, actor=request.user, ip=client_ip(request))
                formset.deleted_objects.append(image_form.instance)
        deleted = set(formset.deleted_forms)
        for image_form in formset.extra_forms:
            if image_form in deleted or not image_form.has_changed():
                continue
            upload = image_form.cleaned_data.get("file")
            if upload:
                caption = image_form.cleaned_data.get("caption") or ""
                formset.new_objects.append(
                    item_image_add(item=item, upload=upload, caption=caption, actor=request.user, ip=client_ip(request))
                )
        return None

    def _each(self, request: HttpRequest, queryset: QuerySet[Item], verb: str, func: Any) -> None:
        done = 0
        for item in queryset:
            try:
                func(item=item, actor=request.user, ip=client_ip(request))
                done += 1
            except DomainError as exc:
                self.message_user(request, f"#{item.number}: {exc.message}", messages.WARNING)
        if done:
            self.message_user(request, f"{done} item(s) {verb}.", messages.SUCCESS)

    @tenant_action(capability=ITEM["open"], description="Open selected items")
    def open_items(self, request: HttpRequest, queryset: QuerySet[Item]) -> None:
        self._each(request, queryset, "opened", item_open)

    @tenant_action(capability=ITEM["close"], description="Close selected items now (sold/unsold)")
    def close_items(self, request: HttpRequest, queryset: QuerySet[Item]) -> None:
        self._each(request, queryset, "closed", item_close)

    @tenant_action(capability=ITEM["withdraw"], description="Withdraw selected items")
    def withdraw_items(self, request: HttpRequest, queryset: QuerySet[Item]) -> None:
        self._each(request, queryset, "withdrawn", item_withdraw)

    # --- the clerk pages ---------------------------------------------------------------------

    def get_urls(self) -> list[Any]:
        return [
            path("live-sale/", self.admin_site.admin_view(self.live_sale_view), name="auctions_live_sale"),
            path("paddle-raise/", self.admin_site.admin_view(self.paddle_raise_view), name="auctions_paddle_raise"),
            *super().get_urls(),
        ]

    def _clerk_events(self, request: HttpRequest, capability: Requirement) -> QuerySet[Any]:
        qs = Event.objects.filter(status=EventStatus.PUBLISHED).select_related("npo").order_by("-starts_at")
        return authz.scope(qs, request.user, capability)

    def _selected_event_id(
        self, request: HttpRequest, form: forms.Form, events: QuerySet[Any], capability: Requirement
    ) -> str | None:
        """The ``?event=`` (or posted) event, only when the clerk may work there: ``event_for`` with
        the page's capability (the API's answer), and the event is published.

        Anything else — another NPO's event, a draft, a malformed id typed into the address bar — is
        ignored.
        """
        raw = request.GET.get("event") or (form.data.get("event") if form.is_bound else None)
        if not raw:
            return clerk.default_event_id(events)
        try:
            event = event_for(request.user, raw, capability=capability).event
        except DomainError:
            return None
        return str(event.pk) if event.status == EventStatus.PUBLISHED else None

    def _check_clerk(self, request: HttpRequest, capability: Requirement) -> None:
        """Only people who may clerk somewhere (or super admins) get the clerk pages at all."""
        if not (authz.is_superuser(request.user) or authz.npo_ids_with(request.user, capability).exists()):
            raise PermissionDenied

    def live_sale_view(self, request: HttpRequest) -> HttpResponse:
        """Item number + bidder number + hammer price → a recorded sale, in seconds."""
        self._check_clerk(request, ITEM["sales"])
        events = self._clerk_events(request, ITEM["sales"])
        if request.method == "POST" and "undo" in request.POST:
            return clerk.undo(request, events, "sale", request.get_full_path())
        form = LiveSaleForm(request.POST or None, events=events)
        if request.method == "POST" and form.is_valid():
            event = form.cleaned_data["event"]
            item = (
                Item.objects.filter(event=event, number=form.cleaned_data["item_number"])
                .select_related("event")
                .first()
            )
            if item is None:
                form.add_error("item_number", "No item with this number in the event.")
            else:
                try:
                    sale = sale_record(
                        item=item,
                        bidder_number=form.cleaned_data["bidder_number"],
                        amount=form.cleaned_data["amount"],
                        below_reserve_ok=form.cleaned_data["below_reserve_ok"],
                        actor=request.user,
                        ip=client_ip(request),
                    )
                except DomainError as exc:
                    form.add_error(None, f"{exc.code}: {exc.message}")
                else:
                    url = reverse("admin:auctions_live_sale")
                    return HttpResponseRedirect(f"{url}?event={event.pk}&done={sale.pk}")
        event_id = self._selected_event_id(request, form, events, ITEM["sales"])
        recent = (
            Sale.objects.filter(item__event__in=events)
            .select_related("item__event__npo", "paddle")
            .order_by("-created_at")
        )
        if event_id:
            recent = recent.filter(item__event_id=event_id)
            form.initial["event"] = event_id
        context = {
            **task_context(request),
            "title": "Live auction - record a sale",
            "form": form,
            "recent": recent[: clerk.RECENT],
            "done": clerk.done_sale(request, events),
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/auctions/live_sale.html", context)

    def paddle_raise_view(self, request: HttpRequest) -> HttpResponse:
        """Bidder number + amount → a pledge; the running total and count per level beside it."""
        self._check_clerk(request, EVENT["pledges:clerk"])
        events = self._clerk_events(request, EVENT["pledges:clerk"])
        if request.method == "POST" and "undo" in request.POST:
            return clerk.undo(request, events, "pledge", request.get_full_path())
        form = PledgeEntryForm(request.POST or None, events=events)
        if request.method == "POST" and form.is_valid():
            event = form.cleaned_data["event"]
            try:
                pledge = pledge_record(
                    event=event,
                    amount=form.cleaned_data["amount"],
                    bidder_number=form.cleaned_data["bidder_number"],
                    actor=request.user,
                    ip=client_ip(request),
                )
            except DomainError as exc:
                form.add_error(None, f"{exc.code}: {exc.message}")
            else:
                url = reverse("admin:auctions_paddle_raise")
                return HttpResponseRedirect(f"{url}?event={event.pk}&done={pledge.pk}")
        event_id = self._selected_event_id(request, form, events, EVENT["pledges:clerk"])
        summary = None
        if event_id:
            form.initial["event"] = event_id
            totals = paddle_raise_summary(event_id)
            summary = {
                "currency": events.filter(pk=event_id).values_list("npo__currency", flat=True).first(),
                "total": totals.total,
                "count": totals.count,
                "levels": totals.levels,
                "recent": Pledge.objects.filter(event_id=event_id)
                .select_related("event", "paddle")
                .order_by("-created_at")[: clerk.RECENT],
            }
        context = {
            **task_context(request),
            "title": "Paddle raise - record a pledge",
            "form": form,
            "summary": summary,
            "done": clerk.done_pledge(request, events),
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/auctions/paddle_raise.html", context)


class _EventForm(forms.Form):
    def __init__(self, *args: Any, events: QuerySet[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["event"] = forms.ModelChoiceField(queryset=events)
        self.order_fields(["event"])


class LiveSaleForm(_EventForm):
    item_number = WholeNumberFormField(min_value=1, widget=forms.NumberInput(attrs={"autofocus": True}))
    bidder_number = WholeNumberFormField(min_value=1)
    amount = MoneyFormField(allow_zero=False, label="Hammer price")
    below_reserve_ok = forms.BooleanField(required=False, label="Confirm a sale below the reserve")


class PledgeEntryForm(_EventForm):
    bidder_number = WholeNumberFormField(min_value=1, widget=forms.NumberInput(attrs={"autofocus": True}))
    amount = MoneyFormField(allow_zero=False)


# --- sales, pledges, paddle raise --------------------------------------------------------


class ReadOnlyMixin:
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Sale)
class SaleAdmin(ReadOnlyMixin, TenantScopedAdmin):
    npo_path = "item__event__npo"
    view_capability = ITEM["sales"]
    list_display = ["created_at", "item", "bidder", "amount", "below_reserve", "entered_by", "undone_at"]
    list_select_related = ["item", "paddle", "entered_by"]
    list_filter = ["below_reserve", ("undone_at", admin.EmptyFieldListFilter)]
    actions = ["undo_sales"]

    @admin.display(description="bidder #")
    def bidder(self, obj: Sale) -> int:
        return obj.paddle.number

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        extra_context = {**(extra_context or {}), "live_sale_url": reverse("admin:auctions_live_sale")}
        return super().changelist_view(request, extra_context)

    @tenant_action(capability=ITEM["sale_undo"], description="Undo selected sales")
    def undo_sales(self, request: HttpRequest, queryset: QuerySet[Sale]) -> None:
        for sale in queryset:
            try:
                sale_undo(sale=sale, actor=request.user, ip=client_ip(request))
            except DomainError as exc:
                self.message_user(request, f"{sale}: {exc.message}", messages.WARNING)


@admin.register(Pledge)
class PledgeAdmin(ReadOnlyMixin, TenantScopedAdmin):
    npo_path = "event__npo"
    view_capability = EVENT["pledges:get"]
    list_display = ["created_at", "event", "bidder", "amount", "source", "undone_at"]
    list_select_related = ["event", "paddle"]
    list_filter = ["source", ("undone_at", admin.EmptyFieldListFilter)]
    actions = ["undo_pledges"]

    @admin.display(description="bidder #")
    def bidder(self, obj: Pledge) -> int:
        return obj.paddle.number

    @tenant_action(capability=EVENT["pledge_undo"], description="Undo selected pledges")
    def undo_pledges(self, request: HttpRequest, queryset: QuerySet[Pledge]) -> None:
        for pledge in queryset:
            try:
                pledge_undo(pledge=pledge, actor=request.user, ip=client_ip(request))
            except DomainError as exc:
                self.message_user(request, f"{pledge}: {exc.message}", messages.WARNING)


def _levels_of(event: Any, *, without: Collection[Any] = ()) -> list[dict[str, Any]]:
    return [
        {"amount": level.amount, "label": level.label}
        for level in PaddleRaiseLevel.objects.filter(event=event).exclude(pk__in=without)
    ]


class PaddleRaiseAdminMixin:
    """The paddle raise is configured by ``paddle_raise_configure`` (as the API does): locked,
    validated, audited. These pages only translate a form into that call; the event of an existing
    row is fixed."""

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = list(super().get_readonly_fields(request, obj))  # type: ignore[misc]
        return [*fields, "event"] if obj is not None else fields


@admin.register(PaddleRaiseSettings)
class PaddleRaiseSettingsAdmin(PaddleRaiseAdminMixin, TenantScopedAdmin):
    npo_path = "event__npo"
    change_capability = EVENT["paddle_raise:post"]
    list_display = ["event", "is_open", "phone_pledges"]
    list_select_related = ["event"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # the settings belong to the event (no service deletes them): close the paddle raise

    def save_model(self, request: HttpRequest, obj: PaddleRaiseSettings, form: Any, change: bool) -> None:
        saved = paddle_raise_configure(
            event=obj.event,
            actor=request.user,
            is_open=form.cleaned_data.get("is_open", obj.is_open),
            phone_pledges=form.cleaned_data.get("phone_pledges", obj.phone_pledges),
            ip=client_ip(request),
        )
        obj.pk = saved.pk
        obj._state.adding = False


@admin.register(PaddleRaiseLevel)
class PaddleRaiseLevelAdmin(PaddleRaiseAdminMixin, TenantScopedAdmin):
    npo_path = "event__npo"
    change_capability = EVENT["paddle_raise:post"]
    list_display = ["event", "amount", "label"]
    list_select_related = ["event"]

    def save_model(self, request: HttpRequest, obj: PaddleRaiseLevel, form: Any, change: bool) -> None:
        """One level added or changed = the event's list of levels with it, through the service."""
        levels = [
            *_levels_of(obj.event, without={obj.pk} if change else set()),
            {"amount": obj.amount, "label": obj.label},
        ]
        paddle_raise_configure(event=obj.event, actor=request.user, levels=levels, ip=client_ip(request))
        saved = PaddleRaiseLevel.objects.get(event=obj.event, amount=obj.amount)
        obj.pk = saved.pk
        obj._state.adding = False

    def delete_model(self, request: HttpRequest, obj: PaddleRaiseLevel) -> None:
        paddle_raise_configure(
            event=obj.event, actor=request.user, levels=_levels_of(obj.event, without={obj.pk}), ip=client_ip(request)
        )

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[PaddleRaiseLevel]) -> None:
        by_event: dict[Any, set[Any]] = {}
        events: dict[Any, Any] = {}
        for level in queryset.select_related("event"):
            by_event.setdefault(level.event_id, set()).add(level.pk)
            events[level.event_id] = level.event
        for event_id, pks in by_event.items():
            event = events[event_id]
            paddle_raise_configure(
                event=event, actor=request.user, levels=_levels_of(event, without=pks), ip=client_ip(request)
            )
