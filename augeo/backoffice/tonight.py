""" "Tonight": the events happening today or live, each with the pages its roles use on the
night, chosen by capability. The admin index starts with it and the event's change page repeats it.

The links are a table: one :class:`TonightLink` per page. A page that does not exist yet (its URL
name does not resolve) is skipped, so an app adds its page by adding one row to ``TONIGHT_LINKS``.
It lives in the back office, not in ``apps.events``: it names the pages of every app of the night.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from apps.core.timefmt import localize
from apps.events.models import Event, EventStatus
from apps.npos import authz
from apps.npos.capabilities import ROLE_CAPABILITIES, Capability


@dataclass(frozen=True)
class TonightLink:
    """A page for the night: who sees it (``capability``; None = every member), its label, its URL
    name, whether it takes the event's ``pk`` or ``slug`` as argument or as ``?event=<pk>``."""

    capability: str | None
    label: str
    url_name: str
    arg: str = "pk"  # "pk" | "slug" | "query"
    new_tab: bool = False


TONIGHT_LINKS: list[TonightLink] = [
    TonightLink(Capability.CHECKIN_PERFORM, "Check-in desk", "admin:attendance_checkin_desk"),
    TonightLink(Capability.AUCTION_CLERK, "Live auction", "admin:auctions_live_sale", arg="query"),
    TonightLink(Capability.AUCTION_CLERK, "Paddle raise", "admin:auctions_paddle_raise", arg="query"),
    TonightLink(Capability.CHECKOUT_MANAGE, "Checkout queue", "admin:checkout_queue", arg="query"),
    TonightLink(Capability.REPORTS_VIEW, "Event dashboard", "admin:checkout_dashboard", arg="query"),
    TonightLink(None, "Projector display", "live-display", arg="slug", new_tab=True),
]


def link_url(link: TonightLink, event: Event) -> str | None:
    """The link's address for ``event``; None when its page does not exist (yet)."""
    try:
        if link.arg == "slug":
            return reverse(link.url_name, args=[event.slug])
        if link.arg == "query":
            return f"{reverse(link.url_name)}?event={event.pk}"
        return reverse(link.url_name, args=[event.pk])
    except NoReverseMatch:
        return None


def capabilities_by_npo(user: Any) -> dict[Any, frozenset[str]]:
    """NPO id → the capabilities ``user`` holds there (one query); super admins: every capability
    under the key ``"*"``."""
    if getattr(user, "is_superuser", False):
        return {"*": frozenset(Capability.values)}
    held: dict[Any, frozenset[str]] = {}
    for npo_id, role in authz.memberships_of(user).values_list("npo_id", "role"):
        held[npo_id] = held.get(npo_id, frozenset()) | ROLE_CAPABILITIES.get(role, frozenset())
    return held


def links_for(event: Event, capabilities: frozenset[str]) -> list[dict[str, Any]]:
    """The event's night pages the holder of ``capabilities`` may use, in table order."""
    links = []
    for link in TONIGHT_LINKS:
        if link.capability is not None and link.capability not in capabilities:
            continue
        url = link_url(link, event)
        if url is not None:
            links.append({"label": link.label, "url": url, "new_tab": link.new_tab})
    return links


def event_links(user: Any, event: Event) -> list[dict[str, Any]]:
    """The night's links for one event (the event's change page)."""
    held = capabilities_by_npo(user)
    return links_for(event, held.get("*") or held.get(event.npo_id, frozenset()))


def is_tonight(event: Event, now: Any = None) -> bool:
    """Live (between start and end) or starting today on the event's own calendar."""
    now = now or timezone.now()
    if event.starts_at <= now <= event.ends_at:
        return True
    return localize(event.starts_at, event.timezone).date() == localize(now, event.timezone).date()


def tonight_for(user: Any, now: Any = None) -> list[dict[str, Any]]:
    """``[{event, live, links}]`` for the published events of the user's NPOs happening today or
    live (two queries: memberships, events). Events whose links would be empty are left out."""
    now = now or timezone.now()
    held = capabilities_by_npo(user)
    if not held:
        return []
    window = Q(starts_at__lte=now + timedelta(days=1, hours=14), ends_at__gte=now - timedelta(hours=14))
    events = authz.scope(
        Event.objects.filter(window, status=EventStatus.PUBLISHED).select_related("npo"), user, None
    ).order_by("starts_at")
    rows = []
    for event in events:
        if not is_tonight(event, now):
            continue
        links = links_for(event, held.get("*") or held.get(event.npo_id, frozenset()))
        if links:
            rows.append({"event": event, "live": event.starts_at <= now <= event.ends_at, "links": links})
    return rows
