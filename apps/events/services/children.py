"""An event's small children: links, meal options, sponsors (with their logo and order). Every
write is audited against the event."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlsplit

from django.db import IntegrityError, transaction
from django.db.models.functions import Lower

from apps.core import uploads
from apps.core.errors import ErrorCode
from apps.core.exceptions import Conflict, ValidationFailed
from apps.core.files import validate_image
from apps.events.models import (
    Event,
    EventLink,
    FoodOption,
    LinkKind,
    Sponsor,
)
from apps.events.selectors import (
    food_option_in_use,
)
from apps.events.services.common import UNSET, VIDEO_HOSTS, audit_event, lock_event, next_display_order

# --- Links --------------------------------------------------------------------------------------


def _validate_link(kind: str, url: str) -> None:
    parts = urlsplit(url or "")
    if parts.scheme not in ("http", "https"):
        raise ValidationFailed(message="Use an http(s) link.", fields={"url": ["Use an http:// or https:// link."]})
    if kind == LinkKind.VIDEO and (parts.hostname or "").lower() not in VIDEO_HOSTS:
        raise ValidationFailed(
            message="Video links must point to YouTube or Vimeo.",
            fields={"url": ["Video links must point to YouTube or Vimeo."]},
        )


@transaction.atomic
def link_create(*, event: Event, actor: Any, data: dict[str, Any], ip: str | None = None) -> EventLink:
    """An external link (website, video, social); video links must be YouTube or Vimeo."""
    _validate_link(data["kind"], data["url"])
    order = data.get("display_order")
    link = EventLink.objects.create(
        event=event,
        kind=data["kind"],
        url=data["url"],
        label=data.get("label", ""),
        display_order=order if order is not None else next_display_order(event.links.all()),
    )
    audit_event(actor, "event.link_create", event, ip, link=str(link.pk), url=link.url)
    return link


@transaction.atomic
def link_update(*, link: EventLink, actor: Any, data: dict[str, Any], ip: str | None = None) -> EventLink:
    fields = [f for f in ("kind", "url", "label", "display_order") if f in data]
    _validate_link(data.get("kind", link.kind), data.get("url", link.url))
    for field in fields:
        setattr(link, field, data[field])
    if fields:
        link.save(update_fields=[*fields, "updated_at"])
    audit_event(actor, "event.link_update", link.event, ip, link=str(link.pk), fields=fields)
    return link


@transaction.atomic
def link_delete(*, link: EventLink, actor: Any, ip: str | None = None) -> None:
    audit_event(actor, "event.link_delete", link.event, ip, link=str(link.pk), url=link.url)
    link.delete()


# --- Meal options -------------------------------------------------------------------------------


def _unique_name(qs: Any, name: str, *, exclude_pk: Any = None) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(message="The name may not be blank.", fields={"name": ["This field may not be blank."]})
    if qs.annotate(lname=Lower("name")).filter(lname=name.lower()).exclude(pk=exclude_pk).exists():
        raise ValidationFailed(
            message="This name is already used in this event.", fields={"name": ["Already used in this event."]}
        )
    return name


def save_unique(obj: Any, **save_kwargs: Any) -> None:
    """Save, turning the race that slipped past ``_unique_name`` into the same 400."""
    try:
        with transaction.atomic():
            obj.save(**save_kwargs)
    except IntegrityError as exc:
        raise ValidationFailed(
            message="This name is already used in this event.", fields={"name": ["Already used in this event."]}
        ) from exc


@transaction.atomic
def food_option_create(*, event: Event, actor: Any, data: dict[str, Any], ip: str | None = None) -> FoodOption:
    """A meal option; names are unique per event regardless of case."""
    option = FoodOption(
        event=event,
        name=_unique_name(event.food_options.all(), data.get("name", "")),
        description=data.get("description", ""),
    )
    order = data.get("display_order")
    option.display_order = order if order is not None else next_display_order(event.food_options.all())
    save_unique(option)
    audit_event(actor, "event.food_option_create", event, ip, option=str(option.pk), name=option.name)
    return option


@transaction.atomic
def food_option_update(*, option: FoodOption, actor: Any, data: dict[str, Any], ip: str | None = None) -> FoodOption:
    fields = [f for f in ("name", "description", "display_order") if f in data]
    if "name" in data:
        data = {**data, "name": _unique_name(option.event.food_options.all(), data["name"], exclude_pk=option.pk)}
    for field in fields:
        setattr(option, field, data[field])
    if fields:
        save_unique(option, update_fields=[*fields, "updated_at"])
    audit_event(actor, "event.food_option_update", option.event, ip, option=str(option.pk), fields=fields)
    return option


@transaction.atomic
def food_option_delete(*, option: FoodOption, actor: Any, ip: str | None = None) -> None:
    """Refused with 409 OPTION_IN_USE while any guest has chosen it."""
    if food_option_in_use(option):
        raise Conflict(ErrorCode.OPTION_IN_USE, "Guests have chosen this meal option; it cannot be deleted.")
    audit_event(actor, "event.food_option_delete", option.event, ip, option=str(option.pk), name=option.name)
    option.delete()


# --- Sponsors -----------------------------------------------------------------------------------


def _store_sponsor_logo(event: Event, logo: Any) -> tuple[str, str]:
    """Validate, store the logo and a generated PNG thumbnail; returns both names."""
    checked = validate_image(logo, field="logo")
    thumbnail = uploads.thumbnail_png(logo)
    prefix = f"events/{event.pk}/sponsors"
    logo_name = uploads.store(logo, prefix=prefix, checked=checked)
    try:
        thumb_name = uploads.store_bytes(thumbnail, prefix=prefix, extension="png", content_type="image/png")
    except BaseException:
        uploads.discard(logo_name)
        raise
    return logo_name, thumb_name


SPONSOR_FIELDS = (
    "name",
    "level",
    "logo_size",
    "website",
    "contact_name",
    "contact_email",
    "contact_phone",
    "donation_amount",
    "display_order",
)


def sponsor_create(
    *, event: Event, actor: Any, data: dict[str, Any], logo: Any = None, ip: str | None = None
) -> Sponsor:
    """A sponsor (name unique per event, case-insensitively) with its logo and a thumbnail."""
    values = {k: v for k, v in data.items() if k in SPONSOR_FIELDS}
    values["name"] = _unique_name(event.sponsors.all(), values.get("name", ""))
    if values.get("display_order") is None:
        values["display_order"] = next_display_order(event.sponsors.all())
    names = _store_sponsor_logo(event, logo) if logo else ("", "")
    try:
        with transaction.atomic():
            sponsor = Sponsor(event=event, logo=names[0], logo_thumbnail=names[1], **values)
            save_unique(sponsor)
            audit_event(actor, "event.sponsor_create", event, ip, sponsor=str(sponsor.pk), name=sponsor.name)
    except BaseException:
        uploads.discard(*names)
        raise
    return sponsor


def sponsor_update(
    *, sponsor: Sponsor, actor: Any, data: dict[str, Any], logo: Any = UNSET, ip: str | None = None
) -> Sponsor:
    """Partial update; a new ``logo`` replaces the old files (deleted after commit), ``None`` removes."""
    values = {k: v for k, v in data.items() if k in SPONSOR_FIELDS}
    if "name" in values:
        values["name"] = _unique_name(sponsor.event.sponsors.all(), values["name"], exclude_pk=sponsor.pk)
    names = _store_sponsor_logo(sponsor.event, logo) if logo not in (UNSET, None, "") else ("", "")
    try:
        with transaction.atomic():
            for field, value in values.items():
                setattr(sponsor, field, value)
            fields = list(values)
            if logo is not UNSET:
                uploads.delete_on_commit(sponsor.logo.name, sponsor.logo_thumbnail.name)
                sponsor.logo, sponsor.logo_thumbnail = names
                fields += ["logo", "logo_thumbnail"]
            if fields:
                save_unique(sponsor, update_fields=[*fields, "updated_at"])
            audit_event(actor, "event.sponsor_update", sponsor.event, ip, sponsor=str(sponsor.pk), fields=fields)
    except BaseException:
        uploads.discard(*names)
        raise
    return sponsor


@transaction.atomic
def sponsor_delete(*, sponsor: Sponsor, actor: Any, ip: str | None = None) -> None:
    names = (sponsor.logo.name, sponsor.logo_thumbnail.name)
    audit_event(actor, "event.sponsor_delete", sponsor.event, ip, sponsor=str(sponsor.pk), name=sponsor.name)
    sponsor.delete()
    uploads.delete_on_commit(*names)


@transaction.atomic
def sponsor_reorder(*, event: Event, actor: Any, order: list[Any], ip: str | None = None) -> list[Sponsor]:
    """Set ``display_order`` from ``order``, which must list every sponsor of the event exactly once."""
    lock_event(event)
    sponsors = {s.pk: s for s in Sponsor.objects.filter(event=event)}
    wanted = [uuid.UUID(str(pk)) for pk in order]
    if len(wanted) != len(set(wanted)) or set(wanted) != set(sponsors):
        raise ValidationFailed(
            message="List every sponsor of the event exactly once.",
            fields={"order": ["Must contain each sponsor id of this event exactly once."]},
        )
    for position, pk in enumerate(wanted):
        sponsors[pk].display_order = position
    Sponsor.objects.bulk_update(sponsors.values(), ["display_order"])
    audit_event(actor, "event.sponsor_reorder", event, ip, order=[str(pk) for pk in wanted])
    return [sponsors[pk] for pk in wanted]
