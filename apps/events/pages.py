"""The public front of the server: ``/`` lists published events with their dates, their
public pages and their projector displays; ``/events/<slug>/`` is an event's plain public page."""

from __future__ import annotations

from datetime import timedelta

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from apps.core.exceptions import DomainError
from apps.events.models import EventStatus
from apps.events.selectors import public_event_detail, public_events


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Published events not yet over, soonest first (at most 50), then the closed ones of the last month."""
    now = timezone.now()
    upcoming = list(public_events().filter(status=EventStatus.PUBLISHED, ends_at__gte=now).order_by("starts_at")[:50])
    past = list(
        public_events().filter(ends_at__lt=now, ends_at__gte=now - timedelta(days=31)).order_by("-starts_at")[:20]
    )
    return render(request, "pages/home.html", {"title": "Augeo", "upcoming": upcoming, "past": past})


@require_GET
def event_page(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        event = public_event_detail(slug)
    except DomainError as exc:
        raise Http404(exc.message) from exc
    return render(request, "pages/event.html", {"title": event.name, "event": event})
