"""Reads of events and their children, already scoped to what the caller may see.

Visibility (product.md §3, permissions.md): published and closed events are public (anonymous
visitors included); drafts are visible to every active member of the NPO, whatever the role; super
admins see everything. Anything else answers 404.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.db.models import CharField, OuterRef, Prefetch, Q, QuerySet, Sum, Value

from apps.core.compiled import CompiledQuery
from apps.core.exceptions import NotAuthenticated, NotFound, PermissionDenied
from apps.events import hooks
from apps.events.models import Event, EventMedia, EventStatus, MediaStatus
from apps.npos import authz
from apps.npos.capabilities import Requirement

PUBLIC_STATUSES = (EventStatus.PUBLISHED, EventStatus.CLOSED)


def events_visible_to(user: Any) -> QuerySet[Event]:
    """Published/closed events for everyone plus every event of NPOs where ``user`` is an active
    member (super admin: all). One query, whatever the number of memberships."""
    return Event.objects.select_related("npo").filter(Q(status__in=PUBLIC_STATUSES) | authz.scope_q(user, None))


@dataclass(frozen=True)
class EventAccess:
    """An event the caller may see, and what they may do in its NPO: the answer of
    :func:`event_for`, handed to the view, the page or the service that needs it."""

    event: Event
    #: The caller's role in the event's NPO (``None``: anonymous, or no membership that counts).
    role: str | None
    superuser: bool
    signed_in: bool

    @property
    def is_member(self) -> bool:
        """Super admins count as members (they see drafts and members' fields)."""
        return self.superuser or self.role is not None

    def can(self, capability: Requirement | None) -> bool:
        """Whether the caller holds ``capability`` (any of a tuple; ``None``: nothing is needed)."""
        if capability is None:
            return True
        return self.superuser or authz.role_grants(self.role, capability)

    def require(self, capability: Requirement, *, message: str | None = None) -> Event:
        """The event, or 401 for an anonymous caller / 403 without ``capability`` (api.md's order:
        the 404 of an invisible event came first, in :func:`event_for`)."""
        if not self.signed_in:
            raise NotAuthenticated()
        if not self.can(capability):
            raise PermissionDenied(message=message or "You do not have permission to do this in this NPO.")
        return self.event


#: What the hot reads under an event need of it (the catalogue, the check-in search): its NPO and
#: status decide visibility; the rest of the row is read on access.
EVENT_REF = ("id", "npo_id", "status")


def _event_read(p: Any, columns: tuple[str, ...] | None, signed_in: bool) -> QuerySet[Event]:
    qs = Event.objects.filter(pk=p.event)
    qs = qs.select_related("npo") if columns is None else qs.only(*columns)
    role = authz.role_subquery(p.user, OuterRef("npo_id")) if signed_in else Value(None, output_field=CharField())
    return qs.annotate(caller_role=role)


_EVENT: CompiledQuery[Event] = CompiledQuery("events.event_for", _event_read, event=uuid.UUID, user=uuid.UUID)
_NOBODY = uuid.UUID(int=0)


def event_for(
    user: Any, event_id: Any, *, capability: Requirement | None = None, columns: tuple[str, ...] | None = None
) -> EventAccess:
    """The one answer to "the event this caller may see, with this capability": the event (404
    unless it is public or the caller a member of its NPO; also for malformed ids) and the caller's
    role there, read together in one compiled statement (the membership rule is
    ``authz.role_subquery``). With ``capability``: 401/403 unless the caller holds it.

    ``columns``: only these event columns (see :data:`EVENT_REF`; others are read on access);
    ``None``: the whole event with its NPO."""
    pk = _as_uuid(event_id)
    signed_in = bool(getattr(user, "is_authenticated", False))
    event = _EVENT.first(columns, signed_in, event=pk, user=user.pk if signed_in else _NOBODY) if pk else None
    if event is None:
        raise NotFound(message="Event not found.")
    role = event.caller_role  # type: ignore[attr-defined]
    del event.caller_role  # type: ignore[attr-defined]  # the answer carries it, not the model
    access = EventAccess(event=event, role=role, superuser=authz.is_superuser(user), signed_in=signed_in)
    if not (event.status in PUBLIC_STATUSES or access.is_member):
        raise NotFound(message="Event not found.")
    if capability is not None:
        access.require(capability)
    return access


def _as_uuid(value: Any) -> uuid.UUID | None:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError, AttributeError):
        return None


def public_events() -> QuerySet[Event]:
    return Event.objects.filter(status__in=PUBLIC_STATUSES).select_related("npo")


def ready_media() -> QuerySet[EventMedia]:
    """Gallery rows that are visible: pending direct uploads never are."""
    return EventMedia.objects.filter(status=MediaStatus.READY)


def public_event_detail(slug: str) -> Event:
    """A published or closed event by slug with media, links, meal options and sponsors — a fixed
    number of queries (one per child table) however many children it has."""
    event = (
        public_events()
        .prefetch_related(
            Prefetch("media", queryset=ready_media()),
            "links",
            "food_options",
            "sponsors",
        )
        .filter(slug=slug)
        .first()
    )
    if event is None:
        raise NotFound(message="Event not found.")
    return event


def event_media_bytes(event: Event, *, exclude_pk: Any = None) -> int:
    """Bytes the event's gallery uses, pending direct uploads included (they reserve their size)."""
    qs = EventMedia.objects.filter(event=event)
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    return int(qs.aggregate(total=Sum("size"))["total"] or 0)


def event_registered_guests(event: Event) -> int:
    """Guests of the event's confirmed registrations (walk-ins included) — what the attendance app
    counts against ``capacity``, through its registered hook (events must not import attendance)."""
    return hooks.registered_guests(event)


def event_has_activity(event: Event) -> bool:
    """True once anybody registered (any registration, cancelled ones included) or bid (the apps'
    registered activity checks)."""
    return hooks.has_activity(event)


def food_option_in_use(option: Any) -> bool:
    """True when any row points at the meal option (guests' choices). Walks the reverse relations
    instead of naming attendance's Guest, so a new referencing model is covered too."""
    for relation in type(option)._meta.related_objects:
        if relation.one_to_many or relation.one_to_one:
            model = relation.related_model
            if model._base_manager.filter(**{relation.field.name: option}).exists():
                return True
    return False
