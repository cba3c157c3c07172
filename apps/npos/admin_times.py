"""Event-related times in the admin in the event's zone.

Mixed into the tenant-scoped admin base: a change page of anything that belongs to an event (the
event itself, an item, a sale, a guest…) is rendered — and its date inputs read — in that event's
zone; in a changelist every date-time column is written per row in its event's zone, with the
abbreviation (``Dec 20, 2026, 5:00 PM CST``). Objects of no event keep the viewer's zone, which
:mod:`apps.npos.middleware` activates.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from apps.core.timefmt import format_in_zone
from apps.npos.zones import event_of


def event_path_for(model: type[models.Model], npo_path: str) -> str | None:
    """The ORM path from ``model`` to its event: ``""`` for the event itself, ``"item__event"`` for a
    bid (derived from ``npo_path``); None when the model belongs to no event."""
    if model._meta.label == "events.Event":
        return ""
    if not npo_path.endswith("__npo"):
        return None
    parts = npo_path.split("__")[:-1]
    current: Any = model
    for part in parts:
        try:
            current = current._meta.get_field(part).related_model
        except Exception:
            return None
        if current is None:
            return None
    return "__".join(parts) if current._meta.label == "events.Event" else None


def _time_column(name: str, label: str, event_path: str) -> Any:
    @admin.display(description=label, ordering=name)
    def column(obj: Any) -> str:
        value = getattr(obj, name)
        event = event_of(obj, event_path)
        zone = getattr(event, "timezone", None) or timezone.get_current_timezone_name()
        return format_in_zone(value, zone) or "-"

    column.__name__ = name
    return column


class EventLocalTimesMixin:
    """See the module docstring. ``event_path`` may be set by hand; by default it follows
    ``npo_path``."""

    model: type[models.Model]
    npo_path: str = "npo"
    event_path: str | None = None

    def _event_path(self) -> str | None:
        if self.event_path is not None:
            return self.event_path
        return event_path_for(self.model, self.npo_path)

    def get_list_display(self, request: HttpRequest) -> Any:
        columns = list(super().get_list_display(request))  # type: ignore[misc]
        path = self._event_path()
        if path is None:
            return columns
        fields = {f.name: f for f in self.model._meta.concrete_fields}
        out: list[Any] = []
        for column in columns:
            field = fields.get(column) if isinstance(column, str) else None
            if isinstance(field, models.DateTimeField):
                out.append(_time_column(column, str(field.verbose_name).capitalize(), path))
            else:
                out.append(column)
        return out

    def get_list_display_links(self, request: HttpRequest, list_display: Any) -> Any:
        links = super().get_list_display_links(request, list_display)  # type: ignore[misc]
        if links is None:
            return links
        names = {getattr(c, "__name__", c): c for c in list_display}
        return [names.get(link, link) for link in links]

    def get_queryset(self, request: HttpRequest) -> Any:
        qs = super().get_queryset(request)  # type: ignore[misc]
        path = self._event_path()
        return qs.select_related(path) if path else qs

    def changeform_view(
        self, request: HttpRequest, object_id: str | None = None, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        zone = self._object_zone(request, object_id)
        if zone is None:
            return super().changeform_view(request, object_id, form_url, extra_context)  # type: ignore[misc]
        with timezone.override(zone):
            response = super().changeform_view(request, object_id, form_url, extra_context)  # type: ignore[misc]
            if hasattr(response, "render") and not getattr(response, "is_rendered", True):
                response.render()
            return response

    def _object_zone(self, request: HttpRequest, object_id: str | None) -> str | None:
        path = self._event_path()
        if path is None or object_id is None:
            return None
        obj = self.model._default_manager.filter(pk=_pk(self.model, unquote(object_id))).first()
        event = event_of(obj, path)
        return getattr(event, "timezone", None) or None


def _pk(model: type[models.Model], value: str) -> Any:
    try:
        return model._meta.pk.to_python(value)  # type: ignore[union-attr]
    except Exception:
        return None
