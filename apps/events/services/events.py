"""An event's life: create, change, publish, unpublish, close (which closes what other apps hang
on it, through :mod:`apps.events.hooks`) and delete.

Authorisation (``events.manage``) is checked by the callers — the API views (their declared
capabilities) and the tenant-scoped admin — so a service trusts its ``actor``. A logo is validated by
content before any transaction, stored under a server-made name, removed again if the write fails.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import ProtectedError, RestrictedError
from django.utils import timezone
from django.utils.text import slugify

from apps.core import uploads
from apps.core.errors import ErrorCode
from apps.core.exceptions import Conflict, ValidationFailed
from apps.core.files import CheckedFile, validate_image
from apps.events import hooks
from apps.events.models import (
    Event,
    EventMedia,
    EventStatus,
    Sponsor,
)
from apps.events.selectors import (
    event_has_activity,
    event_registered_guests,
)
from apps.events.services.common import (
    COLOR_FIELDS,
    COLOR_RE,
    EVENT_FIELDS,
    EVENT_YEARS,
    SLUG_RE,
    UNSET,
    audit_event,
    known_timezones,
    lock_event,
    user_or_none,
)
from apps.npos.models import NPO, NPOStatus


def npo_delete_check(npo: NPO) -> None:
    """409 ``NPO_HAS_PUBLISHED_EVENTS``: an NPO is not deleted while it has published events
    (registered with :func:`apps.npos.hooks.on_npo_delete_check`; runs inside ``npo_delete``)."""
    if Event.objects.filter(npo_id=npo.pk, status=EventStatus.PUBLISHED).exists():
        raise Conflict(
            ErrorCode.NPO_HAS_PUBLISHED_EVENTS,
            "This NPO has published events; close or unpublish them before deleting it.",
        )


def validate_event(values: dict[str, Any]) -> None:
    """Field rules shared by create and update; ``values`` is the event as it would be saved."""
    errors: dict[str, list[str]] = {}
    if not (values.get("name") or "").strip():
        errors["name"] = ["This field may not be blank."]
    if values.get("timezone") not in known_timezones():
        errors["timezone"] = [f"'{values.get('timezone')}' is not a valid IANA time zone name."]
    starts, ends = values.get("starts_at"), values.get("ends_at")
    first, last = EVENT_YEARS
    for field, moment in (("starts_at", starts), ("ends_at", ends)):
        if not isinstance(moment, datetime):
            errors[field] = ["This field is required."]
        elif not first <= _utc_year(moment) <= last:
            errors[field] = [f"Must be a date between the years {first} and {last}."]
    in_range = not {"starts_at", "ends_at"} & errors.keys()
    if in_range and isinstance(starts, datetime) and isinstance(ends, datetime) and ends <= starts:
        errors["ends_at"] = ["The event must end after it starts."]
    for field in COLOR_FIELDS:
        value = values.get(field) or ""
        if value and not COLOR_RE.match(value):
            errors[field] = ["Use a colour in the form #RRGGBB."]
    if errors:
        raise ValidationFailed(message=next(iter(errors.values()))[0], fields=errors)


def _utc_year(value: datetime) -> int:
    """The year of ``value`` in UTC (a naive value is taken as UTC). The edges of the datetime range
    cannot always be converted; they are outside every allowed year anyway."""
    if timezone.is_naive(value):
        return value.year
    try:
        return value.astimezone(UTC).year
    except OverflowError:
        return value.year


def normalise_slug(slug: str) -> str:
    slug = (slug or "").strip().lower()
    if not SLUG_RE.match(slug) or len(slug) > 220:
        raise ValidationFailed(
            message="Invalid slug.",
            fields={"slug": ["Use lowercase letters, digits and single hyphens (e.g. spring-gala-2026)."]},
        )
    return slug


def _slug_taken(slug: str, *, exclude_pk: Any = None) -> bool:
    return Event.all_objects.filter(slug=slug).exclude(pk=exclude_pk).exists()


def _generate_slug(name: str) -> str:
    """``slugify(name)``, then ``-2``, ``-3``… until free (soft-deleted events keep theirs)."""
    base = slugify(name)[:200].strip("-") or "event"
    existing = set(Event.all_objects.filter(slug__startswith=base).values_list("slug", flat=True))
    if base not in existing:
        return base
    n = 2
    while f"{base}-{n}" in existing:
        n += 1
    return f"{base}-{n}"


def _validated_logo(logo: Any) -> CheckedFile | None:
    if logo is UNSET or not logo:
        return None
    return validate_image(logo, field="logo")


def event_create(*, actor: Any, npo: NPO, data: dict[str, Any], logo: Any = UNSET, ip: str | None = None) -> Event:
    """Create a draft event of ``npo``. The slug comes from the name unless one is given."""
    values = {k: v for k, v in data.items() if k in EVENT_FIELDS}
    values.setdefault("timezone", "UTC")
    validate_event(values)
    requested_slug = values.pop("slug", None)
    if requested_slug:
        requested_slug = normalise_slug(requested_slug)
        if _slug_taken(requested_slug):
            raise ValidationFailed(message="This slug is already in use.", fields={"slug": ["Already in use."]})
    checked = _validated_logo(logo)
    logo_name = uploads.store(logo, prefix=f"npos/{npo.pk}/event-logos", checked=checked) if checked else ""
    try:
        for attempt in range(5):
            slug = requested_slug or _generate_slug(values["name"])
            if attempt and not requested_slug:
                slug = f"{slug[:200]}-{uuid.uuid4().hex[:6]}"
            try:
                with transaction.atomic():
                    event = Event.objects.create(
                        npo=npo,
                        slug=slug,
                        status=EventStatus.DRAFT,
                        created_by=user_or_none(actor),
                        logo=logo_name,
                        **values,
                    )
                    audit_event(actor, "event.create", event, ip)
                return event
            except IntegrityError:
                # Lost a race for the slug; a requested slug is the caller's to change.
                if requested_slug or not _slug_taken(slug):
                    raise
        raise ValidationFailed(message="Could not find a free slug.", fields={"slug": ["Choose a slug."]})
    except BaseException:
        uploads.discard(logo_name)
        raise


def _check_version(event: Event, version: int | None) -> None:
    if version is not None and int(version) != event.version:
        raise Conflict(
            ErrorCode.VERSION_CONFLICT,
            "The event was changed by someone else; reload it and apply your changes again.",
            current_version=event.version,
        )


def check_capacity_not_below_registered(event: Event, changes: dict[str, Any]) -> None:
    """Lowering ``capacity`` below the guests already registered is 409 ``CAPACITY_BELOW_OCCUPANCY``
    (the same rule as a table's capacity, product.md §4): nobody is un-registered by an edit. Walk-ins
    count, as they do for the seats taken. ``event`` is locked, and registrations lock the event row
    too, so the count cannot change before this update commits. Unlimited (``None``), unchanged or
    raised capacities are always accepted, even when walk-ins already pushed the count above them."""
    capacity = changes.get("capacity")
    if capacity is None or (event.capacity is not None and capacity >= event.capacity):
        return  # unlimited, unchanged or raised: never refused (walk-ins may already exceed it)
    registered = event_registered_guests(event)
    if capacity < registered:
        raise Conflict(
            ErrorCode.CAPACITY_BELOW_OCCUPANCY,
            f"{registered} guests are already registered; the capacity cannot be lower.",
            occupancy=registered,
        )


def _save_bumped(event: Event, fields: list[str]) -> None:
    """Save ``fields`` and bump ``version`` (the row is locked by the caller)."""
    event.version += 1
    event.save(update_fields=[*fields, "version", "updated_at"])


def event_update(
    *,
    event: Event,
    actor: Any,
    data: dict[str, Any],
    version: int | None = None,
    logo: Any = UNSET,
    ip: str | None = None,
) -> Event:
    """Partial update. ``version`` (if given) must match the stored one, else 409 VERSION_CONFLICT.
    The slug may change only while the event is a draft. ``logo=None`` removes the event's own logo
    (the NPO's then shows)."""
    changes = {k: v for k, v in data.items() if k in EVENT_FIELDS}
    checked = _validated_logo(logo)
    new_logo = uploads.store(logo, prefix=f"npos/{event.npo_id}/event-logos", checked=checked) if checked else ""
    try:
        with transaction.atomic():
            locked = lock_event(event)
            current = {f: getattr(locked, f) for f in EVENT_FIELDS}
            validate_event({**current, **changes})
            if "slug" in changes:
                slug = normalise_slug(changes["slug"])
                if slug == locked.slug:
                    changes.pop("slug")
                elif locked.status != EventStatus.DRAFT:
                    raise ValidationFailed(
                        message="The slug can only be changed while the event is a draft.",
                        fields={"slug": ["The slug can only be changed while the event is a draft."]},
                    )
                elif _slug_taken(slug, exclude_pk=locked.pk):
                    raise ValidationFailed(message="This slug is already in use.", fields={"slug": ["Already in use."]})
                else:
                    changes["slug"] = slug
            _check_version(locked, version)
            check_capacity_not_below_registered(locked, changes)
            for field, value in changes.items():
                setattr(locked, field, value)
            fields = list(changes)
            if logo is not UNSET:
                uploads.delete_on_commit(locked.logo.name)
                locked.logo = new_logo
                fields.append("logo")
            _save_bumped(locked, fields)
            audit_event(actor, "event.update", locked, ip, fields=sorted(fields))
    except BaseException:
        uploads.discard(new_logo)
        raise
    return locked


@transaction.atomic
def event_publish(*, event: Event, actor: Any, version: int | None = None, ip: str | None = None) -> Event:
    """``draft → published``; the NPO must be approved and not deleted (409 NPO_NOT_APPROVED).

    A soft-deleted NPO keeps its draft events, and a super admin still sees them: its row is read
    through ``all_objects`` (the default manager hides it, and the missing row was a 500)."""
    locked = lock_event(event)
    if locked.status != EventStatus.DRAFT:
        raise Conflict(
            ErrorCode.INVALID_TRANSITION, f"A {locked.status} event cannot be published.", status=locked.status
        )
    npo = NPO.all_objects.filter(pk=locked.npo_id).first()
    if npo is None or npo.deleted_at is not None:
        raise Conflict(ErrorCode.NPO_NOT_APPROVED, "This NPO was deleted; its events cannot be published.")
    if npo.status != NPOStatus.APPROVED:
        raise Conflict(ErrorCode.NPO_NOT_APPROVED, "Only events of an approved NPO can be published.")
    _check_version(locked, version)
    locked.status = EventStatus.PUBLISHED
    locked.published_at = timezone.now()
    _save_bumped(locked, ["status", "published_at"])
    audit_event(actor, "event.publish", locked, ip)
    return locked


@transaction.atomic
def event_unpublish(*, event: Event, actor: Any, version: int | None = None, ip: str | None = None) -> Event:
    """``published → draft``, only while nobody has registered or bid (else 409 INVALID_TRANSITION)."""
    locked = lock_event(event)
    if locked.status != EventStatus.PUBLISHED:
        raise Conflict(
            ErrorCode.INVALID_TRANSITION, f"A {locked.status} event cannot be unpublished.", status=locked.status
        )
    if event_has_activity(locked):
        raise Conflict(
            ErrorCode.INVALID_TRANSITION,
            "The event already has registrations or bids and cannot go back to draft.",
            status=locked.status,
        )
    _check_version(locked, version)
    locked.status = EventStatus.DRAFT
    _save_bumped(locked, ["status"])
    audit_event(actor, "event.unpublish", locked, ip)
    return locked


@transaction.atomic
def event_close(*, event: Event, actor: Any, version: int | None = None, ip: str | None = None) -> Event:
    """``published → closed``; then runs the close hooks (:mod:`apps.events.hooks`: the auctions app
    closes the event's open items) in the same transaction, so an event is never closed with items
    still taking bids."""
    locked = lock_event(event)
    if locked.status != EventStatus.PUBLISHED:
        raise Conflict(ErrorCode.INVALID_TRANSITION, f"A {locked.status} event cannot be closed.", status=locked.status)
    _check_version(locked, version)
    locked.status = EventStatus.CLOSED
    locked.closed_at = timezone.now()
    _save_bumped(locked, ["status", "closed_at"])
    audit_event(actor, "event.close", locked, ip)
    hooks.run_close_hooks(event=locked, actor=actor)
    return locked


def _event_file_names(event: Event) -> list[str]:
    names = [event.logo.name]
    names += [m.file.name for m in EventMedia.objects.filter(event=event)]
    for sponsor in Sponsor.objects.filter(event=event):
        names += [sponsor.logo.name, sponsor.logo_thumbnail.name]
    return [n for n in names if n]


@transaction.atomic
def event_delete(*, event: Event, actor: Any, ip: str | None = None) -> None:
    """Delete a draft (409 INVALID_TRANSITION otherwise) with its children and their files.

    A draft that other apps' rows still protect (e.g. auction items with PROTECT) is soft-deleted
    instead, its slug renamed so the name can be reused.
    """
    locked = lock_event(event)
    if locked.status != EventStatus.DRAFT:
        raise Conflict(ErrorCode.INVALID_TRANSITION, "Only draft events can be deleted.", status=locked.status)
    audit_event(actor, "event.delete", locked, ip)
    names = _event_file_names(locked)
    try:
        with transaction.atomic():
            locked.delete()
    except (ProtectedError, RestrictedError):
        locked.deleted_at = timezone.now()
        locked.slug = f"{locked.slug[:180]}-deleted-{uuid.uuid4().hex[:8]}"
        locked.save(update_fields=["deleted_at", "slug", "updated_at"])
        return
    uploads.delete_on_commit(*names)
