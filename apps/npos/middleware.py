"""Pages for people show times not tied to an event in the viewer's zone: activate it for
every signed-in request outside ``/api/`` (the API speaks ISO 8601 with offsets and needs none)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from apps.npos.zones import viewer_zone

SESSION_KEY = "augeo_viewer_zone"


class ViewerTimezoneMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if request.path.startswith("/api/") or user is None or not user.is_authenticated:
            return self.get_response(request)
        with timezone.override(self.zone(request)):
            return self.get_response(request)

    @staticmethod
    def zone(request: HttpRequest) -> str:
        """The viewer's zone; the NPO default is kept in the session (no query per page)."""
        user = request.user
        if getattr(user, "timezone", ""):
            return str(user.timezone)  # type: ignore[union-attr]
        session = getattr(request, "session", None)
        cached = session.get(SESSION_KEY) if session is not None else None
        if cached:
            return str(cached)
        name = viewer_zone(user)
        if session is not None:
            session[SESSION_KEY] = name
        return name
