"""Template filters for times (one helper, :mod:`apps.core.timefmt`):

``{{ event.starts_at|event_time:event }}`` → ``Dec 20, 2026, 5:00 PM CST`` (the event's zone);
``{{ event.starts_at|event_date:event }}``; ``{{ entry.created_at|viewer_time:request.user }}`` →
the viewer's zone (their profile's, else their NPO's), abbreviation included either way.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import template

from apps.core.timefmt import format_in_zone, format_time_only
from apps.npos.zones import viewer_zone

register = template.Library()


def _zone_of(event: Any) -> str:
    return str(getattr(event, "timezone", "") or "UTC")


@register.filter
def event_time(value: datetime | None, event: Any) -> str:
    return format_in_zone(value, _zone_of(event))


@register.filter
def event_date(value: datetime | None, event: Any) -> str:
    return format_in_zone(value, _zone_of(event), date_only=True)


@register.filter
def event_clock(value: datetime | None, event: Any) -> str:
    return format_time_only(value, _zone_of(event))


@register.filter
def viewer_time(value: datetime | None, user: Any) -> str:
    return format_in_zone(value, viewer_zone(user))
