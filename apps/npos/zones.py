"""Whose clock a time is shown on: an event's times in the event's zone; anything else in
the viewer's chosen zone (``User.timezone``), else the zone of the viewer's NPO, else the server's.
Formatting itself is :mod:`apps.core.timefmt`."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from apps.npos.authz import memberships_of


def viewer_zone(user: Any) -> str:
    """The zone name for times shown to ``user`` that belong to no event (cached on the user)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return str(settings.TIME_ZONE)
    cached = getattr(user, "_augeo_zone", None)
    if cached:
        return str(cached)
    name = getattr(user, "timezone", "") or ""
    if not name:
        name = (memberships_of(user).order_by("created_at").values_list("npo__timezone", flat=True).first()) or str(
            settings.TIME_ZONE
        )
    user._augeo_zone = name
    return str(name)


def event_of(obj: Any, path: str | None) -> Any:
    """Follow ``path`` (``"item__event"``) from ``obj`` to its event; None when there is none."""
    if obj is None or path is None:
        return None
    if path == "":
        return obj
    for part in path.split("__"):
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    return obj
