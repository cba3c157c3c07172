"""One way to write a moment for people: ``Dec 20, 2026, 5:00 PM CST``.

Every time tied to an event is shown in the event's zone (where the guests are); every other time
(audit entries, sign-ins) in the viewer's chosen zone. Both carry the zone's abbreviation, so a time
is never ambiguous — not in the admin, e-mails, CSV exports or printed pages. Templates use the
filters in ``apps.npos.templatetags.augeo_time``; Python code calls :func:`format_in_zone`.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils import timezone

UTC = ZoneInfo("UTC")


@lru_cache(maxsize=256)
def zone(name: str | None) -> tzinfo:
    """The zone called ``name``; UTC for an empty or unknown name (a bad value never breaks a page)."""
    if not name:
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def localize(value: datetime, zone_name: str | None) -> datetime:
    """``value`` as a wall-clock time in the zone (naive values are taken as UTC)."""
    if timezone.is_naive(value):
        value = value.replace(tzinfo=UTC)
    return value.astimezone(zone(zone_name))


def format_in_zone(value: datetime | None, zone_name: str | None, *, date_only: bool = False) -> str:
    """``Dec 20, 2026, 5:00 PM CST`` (``date_only``: ``Dec 20, 2026``); an empty string for None."""
    if value is None:
        return ""
    local = localize(value, zone_name)
    day = f"{local:%b} {local.day}, {local.year}"
    if date_only:
        return day
    hour = local.hour % 12 or 12
    return f"{day}, {hour}:{local.minute:02d} {'AM' if local.hour < 12 else 'PM'} {local.tzname()}"


def format_time_only(value: datetime | None, zone_name: str | None) -> str:
    """``5:00 PM CST`` — for a list of one evening's times."""
    if value is None:
        return ""
    local = localize(value, zone_name)
    hour = local.hour % 12 or 12
    return f"{hour}:{local.minute:02d} {'AM' if local.hour < 12 else 'PM'} {local.tzname()}"
