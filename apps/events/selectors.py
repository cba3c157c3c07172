"""Reads of events and their children, already scoped to what the caller may see.

Visibility (product.md §3, permissions.md): published and closed events are public (anonymous
visitors included); drafts are visible to every active member of the NPO, whatever the role; super
admins see everything. Anything else answers 404.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import connection
from django.db.models import Prefetch, Q, QuerySet, Sum

from apps.core.exceptions import NotFound
from apps.core.prepared import PreparedRead
from apps.events import hooks
from apps.events.models import Event, EventMedia, EventStatus, MediaStatus
from apps.npos import authz
from apps.npos.capabilities import Requirement

PUBLIC_STATUSES = (EventStatus.PUBLISHED, EventStatus.CLOSED)


def events_visible_to(user: Any) -> QuerySet[Event]:
    """Published/closed events for everyone plus every event of NPOs where ``user`` is an active
    member (super admin: all). One query, whatever the number of memberships."""
    return Event.objects.select_related("npo").filter(Q(status__in=PUBLIC_STATUSES) | authz.scope_q(user, None))


def _as_uuid(value: Any) -> uuid.UUID | None:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError, AttributeError):
        return None


def event_get_visible(user: Any, event_id: Any) -> Event:
    """The event if ``user`` may see it; raises ``NotFound`` otherwise (also for malformed ids)."""
    pk = _as_uuid(event_id)
    event = events_visible_to(user).filter(pk=pk).first() if pk else None
    if event is None:
        raise NotFound(message="Event not found.")
    return event


def event_ref_visible(
    user: Any,
    event_id: Any,
    *,
    columns: tuple[str, ...] = ("id", "npo_id", "status"),
    capability: Requirement | None = None,
) -> Event:
    """``event_get_visible`` for the hot reads under an event (the catalogue, the check-in search):
    only ``columns`` (other fields are deferred: reading one is a query), the caller's role read with
    them in one precompiled query (:func:`event_ref`) where the full event plus the membership check
    were two, each with every column of the event and its NPO. Sets the flags of :func:`caller_flags`."""
    pk = _as_uuid(event_id)
    event = event_ref(user, pk, columns) if pk else None
    if event is None:
        raise NotFound(message="Event not found.")
    return caller_flags(event, user, event.caller_role, capability)  # type: ignore[attr-defined]


def caller_flags(event: Event, user: Any, role: str | None, capability: Requirement | None = None) -> Event:
    """``events_visible_to``'s rule decided on the row, from the caller's ``role`` in the event's NPO:
    sets ``caller_is_member`` (super admins count as members) and, for ``capability``, ``caller_can``;
    404 unless the event is public or the caller a member."""
    superuser = authz.is_superuser(user)
    event.caller_is_member = superuser or role is not None  # type: ignore[attr-defined]
    if capability is not None:
        event.caller_can = superuser or authz.role_grants(role, capability)  # type: ignore[attr-defined]
    if not (event.status in PUBLIC_STATUSES or event.caller_is_member):  # type: ignore[attr-defined]
        raise NotFound(message="Event not found.")
    return event


_EVENT_REF: dict[tuple[tuple[str, ...], bool], tuple[PreparedRead, str]] = {}


def event_ref(user: Any, pk: uuid.UUID, columns: tuple[str, ...]) -> Event | None:
    """``columns`` of a live (not deleted) event and the caller's role in its NPO (``caller_role``:
    :func:`apps.npos.authz.role_subquery_sql`, ``None`` for anonymous callers and non-members), in one
    precompiled statement (:class:`apps.core.prepared.PreparedRead`). The hot reads under an event
    (the catalogue a room of phones polls, the check-in search per keystroke) use it: building the
    same read with the ORM — an ``Exists`` over a join per question — cost several times the query.
    Columns left out are read on access."""
    signed_in = bool(getattr(user, "is_authenticated", False))
    key = (columns, signed_in)
    prepared = _EVENT_REF.get(key)
    if prepared is None:
        quote = connection.ops.quote_name
        meta = Event._meta
        column = {f.name: f.column for f in meta.concrete_fields}
        attname = {f.name: f.attname for f in meta.concrete_fields}
        read = PreparedRead(
            Event, [attname[name.removesuffix("_id")] for name in ("id", *columns)], extra=["caller_role"]
        )
        role = authz.role_subquery_sql(f"e.{quote(column['npo'])}") if signed_in else "NULL"
        # Identifiers from the models' _meta, quoted; every value is a parameter.
        sql = (
            f"SELECT {read.select_list('e')}, {role} AS caller_role FROM {quote(meta.db_table)} e "  # noqa: S608
            f"WHERE e.{quote(column['id'])} = %s AND e.{quote(column['deleted_at'])} IS NULL"
        )
        prepared = _EVENT_REF[key] = (read, sql)
    read, sql = prepared
    params = [*(authz.role_params(user) if signed_in else []), Event._meta.pk.get_db_prep_value(pk, connection)]  # type: ignore[union-attr]
    rows = read.rows(sql, params)
    return rows[0] if rows else None


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
