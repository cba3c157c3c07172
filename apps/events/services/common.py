"""What the event services share: the constants of the event contract, the audit helper, the
event row lock, "field not sent" for optional files."""

from __future__ import annotations

import re
import zoneinfo
from functools import lru_cache
from typing import Any

from django.db.models import Max

from apps.core.services import audit_record
from apps.events.models import (
    Event,
)

UNSET: Any = object()  # "field not sent" for optional file arguments (None means "remove it")


SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
COLOR_RE = re.compile(r"^#[0-9A-Fa-f]{6}$")
VIDEO_HOSTS = frozenset(
    {
        "youtube.com",
        "www.youtube.com",
        "m.youtube.com",
        "music.youtube.com",
        "youtu.be",
        "youtube-nocookie.com",
        "www.youtube-nocookie.com",
        "vimeo.com",
        "www.vimeo.com",
        "player.vimeo.com",
    }
)
EVENT_FIELDS = frozenset(
    {
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
        "goal_amount",
        "capacity",
        "checkin_required_to_bid",
        "soft_close_minutes",
        "next_bidder_number",
    }
)
COLOR_FIELDS = ("primary_color", "secondary_color", "accent_color", "background_color")
#: An event starts and ends within these years (UTC), inclusive. A fixed range, not one relative to
#: today: an old event stays editable, and a test means the same next year. Outside it there is no
#: gala, only a typo or a fuzzer — and a time near year 1 or 9999 overflows when shown in the
#: event's time zone.
EVENT_YEARS = (2000, 2100)
# Content types a direct upload may announce, and the extension its server-made name gets.
DIRECT_UPLOAD_TYPES = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
    "image/gif": "gif",
    "application/pdf": "pdf",
    "video/mp4": "mp4",
    "video/quicktime": "mov",
    "video/webm": "webm",
}
DIRECT_UPLOAD_MAX_SECONDS = 15 * 60


@lru_cache(maxsize=1)
def known_timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def audit_event(actor: Any, action: str, event: Event, ip: str | None = None, **details: Any) -> None:
    """Every event write (the event and its children) is audited against the event's NPO."""
    audit_record(actor=actor, action=action, obj=event, npo_id=event.npo_id, ip=ip, details=details)


def user_or_none(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


def lock_event(event: Event) -> Event:
    # FOR NO KEY UPDATE (apps.attendance.locks): excludes every other writer of the event row but not
    # the KEY SHARE lock a foreign-key check on a guest, paddle or pledge takes at COMMIT.
    return Event.objects.select_for_update(no_key=True).select_related("npo").get(pk=event.pk)


def next_display_order(qs: Any) -> int:
    current = qs.aggregate(m=Max("display_order"))["m"]
    return 0 if current is None else current + 1
