"""Every write on events, their media, links, meal options and sponsors.

The API, the admin and the demo seed call these functions; they raise ``apps.core.exceptions``
errors (never DRF ones). Authorisation (``events.manage``) is checked by the callers — the API views
and the tenant-scoped admin — so a service trusts its ``actor``.

Files: uploads are validated by content (``apps.core.files``) *before* any transaction, stored under
server-generated names, and removed again if the database write then fails; blobs of deleted or
replaced rows are removed after commit. A storage outage is 503 and leaves no row behind.
"""

from __future__ import annotations

import contextlib
import re
import tempfile
import uuid
import zoneinfo
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, NoReturn
from urllib.parse import urlsplit

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max, ProtectedError, RestrictedError
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.text import slugify

from apps.core import uploads
from apps.core.exceptions import Conflict, FileTooLarge, ValidationFailed
from apps.core.files import CheckedFile, server_name, validate_image, validate_media
from apps.core.services import audit_record
from apps.core.storage import is_azure
from apps.events.models import (
    Event,
    EventLink,
    EventMedia,
    EventStatus,
    FoodOption,
    LinkKind,
    MediaKind,
    MediaStatus,
    Sponsor,
)
from apps.events.selectors import (
    event_has_activity,
    event_media_bytes,
    event_registered_guests,
    food_option_in_use,
)
from apps.npos.models import NPO, NPOStatus

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
def _timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


# --- Events -------------------------------------------------------------------------------------


def _validate_event(values: dict[str, Any]) -> None:
    """Field rules shared by create and update; ``values`` is the event as it would be saved."""
    errors: dict[str, list[str]] = {}
    if not (values.get("name") or "").strip():
        errors["name"] = ["This field may not be blank."]
    if values.get("timezone") not in _timezones():
        errors["timezone"] = [f"'{values.get('timezone')}' is not a valid IANA time zone name."]
    starts, ends = values.get("starts_at"), values.get("ends_at")
    if not isinstance(starts, datetime):
        errors["starts_at"] = ["This field is required."]
    if not isinstance(ends, datetime):
        errors["ends_at"] = ["This field is required."]
    elif isinstance(starts, datetime) and ends <= starts:
        errors["ends_at"] = ["The event must end after it starts."]
    for field in COLOR_FIELDS:
        value = values.get(field) or ""
        if value and not COLOR_RE.match(value):
            errors[field] = ["Use a colour in the form #RRGGBB."]
    if errors:
        raise ValidationFailed(message=next(iter(errors.values()))[0], fields=errors)


def _normalise_slug(slug: str) -> str:
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


def _audit(actor: Any, action: str, event: Event, ip: str | None, **details: Any) -> None:
    audit_record(actor=actor, action=action, obj=event, npo_id=event.npo_id, ip=ip, details=details)


def _validated_logo(logo: Any) -> CheckedFile | None:
    if logo is UNSET or not logo:
        return None
    return validate_image(logo, field="logo")


def event_create(*, actor: Any, npo: NPO, data: dict[str, Any], logo: Any = UNSET, ip: str | None = None) -> Event:
    """Create a draft event of ``npo``. The slug comes from the name unless one is given."""
    values = {k: v for k, v in data.items() if k in EVENT_FIELDS}
    values.setdefault("timezone", "UTC")
    _validate_event(values)
    requested_slug = values.pop("slug", None)
    if requested_slug:
        requested_slug = _normalise_slug(requested_slug)
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
                        npo=npo, slug=slug, status=EventStatus.DRAFT, created_by=_user(actor), logo=logo_name, **values
                    )
                    _audit(actor, "event.create", event, ip)
                return event
            except IntegrityError:
                # Lost a race for the slug; a requested slug is the caller's to change.
                if requested_slug or not _slug_taken(slug):
                    raise
        raise ValidationFailed(message="Could not find a free slug.", fields={"slug": ["Choose a slug."]})
    except BaseException:
        uploads.discard(logo_name)
        raise


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


def _lock(event: Event) -> Event:
    # FOR NO KEY UPDATE (apps.attendance.locks): excludes every other writer of the event row but not
    # the KEY SHARE lock a foreign-key check on a guest, paddle or pledge takes at COMMIT.
    return Event.objects.select_for_update(no_key=True).select_related("npo").get(pk=event.pk)


def _check_version(event: Event, version: int | None) -> None:
    if version is not None and int(version) != event.version:
        raise Conflict(
            "VERSION_CONFLICT",
            "The event was changed by someone else; reload it and apply your changes again.",
            current_version=event.version,
        )


def _check_capacity_not_below_registered(event: Event, changes: dict[str, Any]) -> None:
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
            "CAPACITY_BELOW_OCCUPANCY",
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
            locked = _lock(event)
            current = {f: getattr(locked, f) for f in EVENT_FIELDS}
            _validate_event({**current, **changes})
            if "slug" in changes:
                slug = _normalise_slug(changes["slug"])
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
            _check_capacity_not_below_registered(locked, changes)
            for field, value in changes.items():
                setattr(locked, field, value)
            fields = list(changes)
            if logo is not UNSET:
                uploads.delete_on_commit(locked.logo.name)
                locked.logo = new_logo
                fields.append("logo")
            _save_bumped(locked, fields)
            _audit(actor, "event.update", locked, ip, fields=sorted(fields))
    except BaseException:
        uploads.discard(new_logo)
        raise
    return locked


@transaction.atomic
def event_publish(*, event: Event, actor: Any, version: int | None = None, ip: str | None = None) -> Event:
    """``draft → published``; the NPO must be approved (409 NPO_NOT_APPROVED)."""
    locked = _lock(event)
    if locked.status != EventStatus.DRAFT:
        raise Conflict("INVALID_TRANSITION", f"A {locked.status} event cannot be published.", status=locked.status)
    npo = NPO.objects.get(pk=locked.npo_id)
    if npo.status != NPOStatus.APPROVED:
        raise Conflict("NPO_NOT_APPROVED", "Only events of an approved NPO can be published.")
    _check_version(locked, version)
    locked.status = EventStatus.PUBLISHED
    locked.published_at = timezone.now()
    _save_bumped(locked, ["status", "published_at"])
    _audit(actor, "event.publish", locked, ip)
    return locked


@transaction.atomic
def event_unpublish(*, event: Event, actor: Any, version: int | None = None, ip: str | None = None) -> Event:
    """``published → draft``, only while nobody has registered or bid (else 409 INVALID_TRANSITION)."""
    locked = _lock(event)
    if locked.status != EventStatus.PUBLISHED:
        raise Conflict("INVALID_TRANSITION", f"A {locked.status} event cannot be unpublished.", status=locked.status)
    if event_has_activity(locked):
        raise Conflict(
            "INVALID_TRANSITION",
            "The event already has registrations or bids and cannot go back to draft.",
            status=locked.status,
        )
    _check_version(locked, version)
    locked.status = EventStatus.DRAFT
    _save_bumped(locked, ["status"])
    _audit(actor, "event.unpublish", locked, ip)
    return locked


def _auctions_close_hook() -> Any:
    try:
        import importlib

        return importlib.import_module("apps.auctions.services.closing").items_close_for_event
    except (ImportError, AttributeError):
        return None


@transaction.atomic
def event_close(*, event: Event, actor: Any, version: int | None = None, ip: str | None = None) -> Event:
    """``published → closed``; then closes the event's open auction items (auctions' hook) in the
    same transaction, so an event is never closed with items still taking bids."""
    locked = _lock(event)
    if locked.status != EventStatus.PUBLISHED:
        raise Conflict("INVALID_TRANSITION", f"A {locked.status} event cannot be closed.", status=locked.status)
    _check_version(locked, version)
    locked.status = EventStatus.CLOSED
    locked.closed_at = timezone.now()
    _save_bumped(locked, ["status", "closed_at"])
    _audit(actor, "event.close", locked, ip)
    hook = _auctions_close_hook()
    if hook is not None:
        hook(event=locked, actor=actor)
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
    locked = _lock(event)
    if locked.status != EventStatus.DRAFT:
        raise Conflict("INVALID_TRANSITION", "Only draft events can be deleted.", status=locked.status)
    _audit(actor, "event.delete", locked, ip)
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


# --- Media --------------------------------------------------------------------------------------


def _check_media_total(event: Event, adding: int, *, exclude_pk: Any = None) -> None:
    cap = settings.AUGEO_MAX_EVENT_MEDIA_BYTES
    used = event_media_bytes(event, exclude_pk=exclude_pk)
    if used + adding > cap:
        raise FileTooLarge(
            message=f"The event's media would exceed its total of {cap // (1024 * 1024)} MiB.",
            fields={"file": ["The event's media total is exhausted; delete some files first."]},
            limit_bytes=cap,
            used_bytes=used,
        )


def _next_order(qs: Any) -> int:
    current = qs.aggregate(m=Max("display_order"))["m"]
    return 0 if current is None else current + 1


def media_create(
    *, event: Event, actor: Any, upload: Any, caption: str = "", display_order: int | None = None
) -> EventMedia:
    """Add an image, video or PDF to the gallery (multipart flow). 400 for anything else (SVG, HTML,
    a renamed file), 413 over the per-file or per-event cap, 503 when storage is down."""
    checked = validate_media(upload, max_bytes=settings.AUGEO_MAX_MEDIA_BYTES)
    _check_media_total(event, checked.size)  # early: do not upload what the cap refuses anyway
    name = uploads.store(upload, prefix=f"events/{event.pk}/media", checked=checked)
    try:
        with transaction.atomic():
            _lock(event)  # serialise uploads of one event so parallel ones cannot overshoot the cap
            _check_media_total(event, checked.size)
            return EventMedia.objects.create(
                event=event,
                file=name,
                kind=checked.kind,
                content_type=checked.content_type,
                size=checked.size,
                width=checked.width,
                height=checked.height,
                original_name=(getattr(upload, "name", "") or "")[:255],
                caption=caption,
                display_order=display_order if display_order is not None else _next_order(event.media.all()),
                status=MediaStatus.READY,
                created_by=_user(actor),
            )
    except BaseException:
        uploads.discard(name)
        raise


def media_update(*, media: EventMedia, actor: Any, data: dict[str, Any]) -> EventMedia:
    fields = [f for f in ("caption", "display_order") if f in data]
    for field in fields:
        setattr(media, field, data[field])
    if fields:
        media.save(update_fields=[*fields, "updated_at"])
    return media


@transaction.atomic
def media_delete(*, media: EventMedia, actor: Any) -> None:
    name = media.file.name
    media.delete()
    uploads.delete_on_commit(name)


@dataclass(frozen=True)
class DirectUpload:
    media: EventMedia
    upload_url: str
    expires_at: datetime
    headers: dict[str, str]


def _direct_storage() -> Any:
    storage = uploads.storage()
    if not is_azure(storage):
        raise Conflict(
            "DIRECT_UPLOAD_UNAVAILABLE",
            "Direct uploads need the Azure Blob Storage backend; upload the file with multipart instead.",
        )
    return storage


def _kind_of(content_type: str) -> str:
    if content_type.startswith("image/"):
        return MediaKind.IMAGE
    if content_type.startswith("video/"):
        return MediaKind.VIDEO
    return MediaKind.DOCUMENT


def media_upload_url_create(
    *, event: Event, actor: Any, size: int, filename: str = "", content_type: str = ""
) -> DirectUpload:
    """Start a direct-to-blob upload: a pending (invisible) media row that reserves ``size`` bytes of
    the event's cap, and a create-only SAS URL (``c``, ≤ 15 minutes) for its server-named blob.
    The client PUTs the file there (``x-ms-blob-type: BlockBlob``), then calls :func:`media_confirm`.
    Create-only means the URL cannot overwrite the blob once it exists: what ``confirm`` validated
    is what stays stored (with ``w`` the same URL could swap the file afterwards).
    """
    storage = _direct_storage()
    content_type = (content_type or "").split(";")[0].strip().lower()
    if content_type and content_type not in DIRECT_UPLOAD_TYPES:
        raise ValidationFailed(
            message="This file type is not accepted.",
            fields={"content_type": ["Upload an image (JPEG, PNG, WebP, GIF), a PDF or a video (MP4, WebM)."]},
        )
    if size > settings.AUGEO_MAX_MEDIA_BYTES:
        raise FileTooLarge(
            message=f"The file is larger than {settings.AUGEO_MAX_MEDIA_BYTES // 1024} KiB.",
            fields={"size": ["Too large."]},
        )
    ttl = min(
        int(getattr(settings, "AUGEO_DIRECT_UPLOAD_SECONDS", DIRECT_UPLOAD_MAX_SECONDS)), DIRECT_UPLOAD_MAX_SECONDS
    )
    expires_at = timezone.now() + timedelta(seconds=ttl)
    name = server_name(f"events/{event.pk}/media", DIRECT_UPLOAD_TYPES.get(content_type, "bin"))
    with uploads.storage_guard():
        from azure.storage.blob import BlobSasPermissions, generate_blob_sas

        blob_name = storage._get_valid_path(name)
        delegation_key = None if storage.account_key else storage.get_user_delegation_key(expires_at)
        sas = generate_blob_sas(
            storage.account_name,
            storage.azure_container,
            blob_name,
            account_key=storage.account_key,
            user_delegation_key=delegation_key,
            permission=BlobSasPermissions(create=True),
            expiry=expires_at,
            start=timezone.now() - timedelta(minutes=1),  # tolerate clock skew
        )
        url = f"{storage.client.get_blob_client(blob_name).url}?{sas}"
    with transaction.atomic():
        _lock(event)
        _check_media_total(event, size)
        media = EventMedia.objects.create(
            event=event,
            file=name,
            kind=_kind_of(content_type),
            content_type=content_type or "application/octet-stream",
            size=size,
            original_name=(filename or "")[:255],
            display_order=_next_order(event.media.all()),
            status=MediaStatus.PENDING,
            created_by=_user(actor),
        )
    headers = {"x-ms-blob-type": "BlockBlob"}
    if content_type:
        headers["Content-Type"] = content_type
    return DirectUpload(media=media, upload_url=url, expires_at=expires_at, headers=headers)


def _reject_upload(media: EventMedia, error: Exception) -> NoReturn:
    """An invalid direct upload: remove the blob and the pending row, then raise ``error``."""
    uploads.discard(media.file.name)
    with transaction.atomic():
        EventMedia.objects.filter(pk=media.pk, status=MediaStatus.PENDING).delete()
    raise error


def media_confirm(*, media: EventMedia, actor: Any) -> EventMedia:
    """Finish a direct upload: download the blob, check size and type by content, and make the media
    visible — or delete blob and row and answer 400/413. Confirming a ready media is a no-op.

    At most the size limit + 1 byte is ever downloaded, whatever the blob's reported size: one byte
    more than allowed is enough to refuse it, and the server never pulls an unbounded blob.
    """
    if media.status == MediaStatus.READY:
        return media
    storage = _direct_storage()
    from azure.core.exceptions import ResourceNotFoundError
    from azure.storage.blob import ContentSettings

    blob = storage.client.get_blob_client(storage._get_valid_path(media.file.name))
    limit = settings.AUGEO_MAX_MEDIA_BYTES
    size: int | None = None
    with uploads.storage_guard(), contextlib.suppress(ResourceNotFoundError):
        size = blob.get_blob_properties(timeout=storage.timeout).size
    if size is None:
        _reject_upload(
            media,
            ValidationFailed(
                message="Nothing was uploaded for this media.", fields={"file": ["No file was uploaded."]}
            ),
        )
    if size > limit:
        _reject_upload(
            media,
            FileTooLarge(message=f"The file is larger than {limit // 1024} KiB.", fields={"file": ["Too large."]}),
        )
    try:
        _check_media_total(media.event, size, exclude_pk=media.pk)
    except FileTooLarge as exc:
        _reject_upload(media, exc)
    with tempfile.SpooledTemporaryFile(max_size=settings.FILE_UPLOAD_MAX_MEMORY_SIZE) as buffer:
        with uploads.storage_guard():
            blob.download_blob(offset=0, length=limit + 1, timeout=storage.timeout, max_concurrency=2).readinto(buffer)
        buffer.seek(0)
        try:
            checked = validate_media(buffer, max_bytes=limit)
        except (ValidationFailed, FileTooLarge) as exc:
            _reject_upload(media, exc)
    with uploads.storage_guard():
        # Serve it with the type we found, whatever the client sent with its PUT; only images inline.
        # (By content: the name's extension came from the type the client announced.)
        disposition = None if checked.content_type.startswith("image/") else "attachment"
        blob.set_http_headers(
            content_settings=ContentSettings(content_type=checked.content_type, content_disposition=disposition)
        )
    with transaction.atomic():
        locked = EventMedia.objects.select_for_update().get(pk=media.pk)
        locked.kind = checked.kind
        locked.content_type = checked.content_type
        locked.size = checked.size
        locked.width, locked.height = checked.width, checked.height
        locked.status = MediaStatus.READY
        locked.save()
    return locked


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


def link_create(*, event: Event, actor: Any, data: dict[str, Any]) -> EventLink:
    """An external link (website, video, social); video links must be YouTube or Vimeo."""
    _validate_link(data["kind"], data["url"])
    order = data.get("display_order")
    return EventLink.objects.create(
        event=event,
        kind=data["kind"],
        url=data["url"],
        label=data.get("label", ""),
        display_order=order if order is not None else _next_order(event.links.all()),
    )


def link_update(*, link: EventLink, actor: Any, data: dict[str, Any]) -> EventLink:
    fields = [f for f in ("kind", "url", "label", "display_order") if f in data]
    _validate_link(data.get("kind", link.kind), data.get("url", link.url))
    for field in fields:
        setattr(link, field, data[field])
    if fields:
        link.save(update_fields=[*fields, "updated_at"])
    return link


def link_delete(*, link: EventLink, actor: Any) -> None:
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


def _save_unique(obj: Any, **save_kwargs: Any) -> None:
    """Save, turning the race that slipped past ``_unique_name`` into the same 400."""
    try:
        with transaction.atomic():
            obj.save(**save_kwargs)
    except IntegrityError as exc:
        raise ValidationFailed(
            message="This name is already used in this event.", fields={"name": ["Already used in this event."]}
        ) from exc


def food_option_create(*, event: Event, actor: Any, data: dict[str, Any]) -> FoodOption:
    """A meal option; names are unique per event regardless of case."""
    option = FoodOption(
        event=event,
        name=_unique_name(event.food_options.all(), data.get("name", "")),
        description=data.get("description", ""),
    )
    order = data.get("display_order")
    option.display_order = order if order is not None else _next_order(event.food_options.all())
    _save_unique(option)
    return option


def food_option_update(*, option: FoodOption, actor: Any, data: dict[str, Any]) -> FoodOption:
    fields = [f for f in ("name", "description", "display_order") if f in data]
    if "name" in data:
        data = {**data, "name": _unique_name(option.event.food_options.all(), data["name"], exclude_pk=option.pk)}
    for field in fields:
        setattr(option, field, data[field])
    if fields:
        _save_unique(option, update_fields=[*fields, "updated_at"])
    return option


@transaction.atomic
def food_option_delete(*, option: FoodOption, actor: Any) -> None:
    """Refused with 409 OPTION_IN_USE while any guest has chosen it."""
    if food_option_in_use(option):
        raise Conflict("OPTION_IN_USE", "Guests have chosen this meal option; it cannot be deleted.")
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


def sponsor_create(*, event: Event, actor: Any, data: dict[str, Any], logo: Any = None) -> Sponsor:
    """A sponsor (name unique per event, case-insensitively) with its logo and a thumbnail."""
    values = {k: v for k, v in data.items() if k in SPONSOR_FIELDS}
    values["name"] = _unique_name(event.sponsors.all(), values.get("name", ""))
    if values.get("display_order") is None:
        values["display_order"] = _next_order(event.sponsors.all())
    names = _store_sponsor_logo(event, logo) if logo else ("", "")
    try:
        sponsor = Sponsor(event=event, logo=names[0], logo_thumbnail=names[1], **values)
        _save_unique(sponsor)
    except BaseException:
        uploads.discard(*names)
        raise
    return sponsor


def sponsor_update(*, sponsor: Sponsor, actor: Any, data: dict[str, Any], logo: Any = UNSET) -> Sponsor:
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
                _save_unique(sponsor, update_fields=[*fields, "updated_at"])
    except BaseException:
        uploads.discard(*names)
        raise
    return sponsor


@transaction.atomic
def sponsor_delete(*, sponsor: Sponsor, actor: Any) -> None:
    names = (sponsor.logo.name, sponsor.logo_thumbnail.name)
    sponsor.delete()
    uploads.delete_on_commit(*names)


@transaction.atomic
def sponsor_reorder(*, event: Event, actor: Any, order: list[Any]) -> list[Sponsor]:
    """Set ``display_order`` from ``order``, which must list every sponsor of the event exactly once."""
    _lock(event)
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
    return [sponsors[pk] for pk in wanted]
