"""The admin's import page: upload a guest list or an item catalogue for an event, see a
dry-run preview (what would be created, each refused row and why), then confirm.

Both steps run the import services of the management commands (``guests_import``,
``items_import``: all or nothing, audited); the preview is their ``dry_run``. Between the two steps
the uploaded file waits in the cache for 30 minutes under a random key bound to the uploader.
Guests need ``attendance.manage`` in the event's NPO, items ``events.manage``.
"""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from apps.attendance.services import imports as guest_imports
from apps.auctions.imports import items_import
from apps.events.models import Event
from apps.npos import authz
from apps.npos.capabilities import Capability

MAX_BYTES = 5 * 1024 * 1024
CACHE_SECONDS = 30 * 60


@dataclass(frozen=True)
class ImportKind:
    label: str
    capability: str
    columns: str
    changelist: str

    def run(self, *, event: Event, data: bytes, actor: Any, dry_run: bool) -> Any:
        if self.label == "Guests":
            return guest_imports.guests_import(
                event=event,
                stream=io.BytesIO(data),
                actor=actor,
                dry_run=dry_run,
                max_rows=guest_imports.ADMIN_MAX_ROWS,
            )
        return items_import(event=event, stream=io.BytesIO(data), actor=actor, dry_run=dry_run)


KINDS = {
    "guests": ImportKind(
        "Guests",
        Capability.ATTENDANCE_MANAGE,
        "registrant_email, first_name, last_name, email, phone, meal, table, bidder_number",
        "admin:attendance_registration_changelist",
    ),
    "items": ImportKind(
        "Items",
        Capability.EVENTS_MANAGE,
        "title, description, category, kind, donated_by, starting_bid, bid_increment, fair_market_value, "
        "buy_now_price, reserve, quantity",
        "admin:auctions_item_changelist",
    ),
}


def _events(request: HttpRequest, kind: ImportKind) -> Any:
    return authz.scope(Event.objects.select_related("npo").order_by("-starts_at"), request.user, kind.capability)


class UploadForm(forms.Form):
    kind = forms.ChoiceField(choices=[(k, v.label) for k, v in KINDS.items()])
    event = forms.ModelChoiceField(queryset=Event.objects.none())
    file = forms.FileField(help_text="CSV, UTF-8, with a header row")

    def __init__(self, *args: Any, request: HttpRequest, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        kind = KINDS.get(str(self.data.get("kind") or self.initial.get("kind") or "guests"), KINDS["guests"])
        field = self.fields["event"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = _events(request, kind)

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(f"At most {MAX_BYTES // (1024 * 1024)} MB.")
        return upload


def _key(request: HttpRequest, token: str) -> str:
    return f"augeo:admin-import:{request.user.pk}:{token}"


def import_view(request: HttpRequest) -> HttpResponse:
    may = {
        k: v
        for k, v in KINDS.items()
        if request.user.is_superuser or authz.npo_ids_with(request.user, v.capability).exists()
    }
    if not may:
        raise PermissionDenied("Importing needs attendance.manage (guests) or events.manage (items).")
    context: dict[str, Any] = {
        **admin.site.each_context(request),
        "title": "Import guests or items",
        "kinds": list(may.values()),
    }
    if request.method == "POST" and request.POST.get("action") == "confirm":
        return _confirm(request, may)
    initial = {"kind": request.GET.get("kind") or next(iter(may)), "event": request.GET.get("event")}
    form = UploadForm(request.POST or None, request.FILES or None, request=request, initial=initial)
    if request.method == "POST" and form.is_valid():
        kind_name = form.cleaned_data["kind"]
        if kind_name not in may:
            raise PermissionDenied
        kind, event = KINDS[kind_name], form.cleaned_data["event"]
        data = form.cleaned_data["file"].read()
        report = kind.run(event=event, data=data, actor=request.user, dry_run=True)
        token = uuid.uuid4().hex
        if not report.errors:
            cache.set(_key(request, token), {"kind": kind_name, "event": str(event.pk), "data": data}, CACHE_SECONDS)
        context.update(report=report, kind=kind, kind_name=kind_name, event=event, token=token)
    context["form"] = form
    return TemplateResponse(request, "admin/imports/import.html", context)


def _confirm(request: HttpRequest, may: dict[str, ImportKind]) -> HttpResponse:
    token = str(request.POST.get("token") or "")[:64]
    stored = cache.get(_key(request, token)) if token.isalnum() else None
    back = reverse("admin:augeo_import")
    if stored is None or stored["kind"] not in may:
        messages.error(request, "That preview has expired; upload the file again.")
        return HttpResponseRedirect(back)
    kind = may[stored["kind"]]
    event = _events(request, kind).filter(pk=stored["event"]).first()
    if event is None:
        raise PermissionDenied
    report = kind.run(event=event, data=stored["data"], actor=request.user, dry_run=False)
    cache.delete(_key(request, token))
    if report.errors:  # the data changed since the preview (e.g. someone registered meanwhile)
        messages.error(request, "Nothing was imported: " + " ".join(report.errors[:5]))
        return HttpResponseRedirect(back)
    count = getattr(report, "guests", None) if kind.label == "Guests" else report.items
    messages.success(request, f"Imported {count} {kind.label.lower()} into {event.name}.")
    return HttpResponseRedirect(reverse(kind.changelist))
