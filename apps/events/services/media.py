"""The gallery's multipart flow: add (validated by content, 413 over the per-file or per-event cap,
503 when storage is down, no row left behind), change, delete (the blob goes after commit)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction

from apps.core import uploads
from apps.core.exceptions import FileTooLarge
from apps.core.files import validate_media
from apps.events.models import (
    Event,
    EventMedia,
    MediaStatus,
)
from apps.events.selectors import (
    event_media_bytes,
)
from apps.events.services.common import audit_event, lock_event, next_display_order, user_or_none


def check_media_total(event: Event, adding: int, *, exclude_pk: Any = None) -> None:
    cap = settings.AUGEO_MAX_EVENT_MEDIA_BYTES
    used = event_media_bytes(event, exclude_pk=exclude_pk)
    if used + adding > cap:
        raise FileTooLarge(
            message=f"The event's media would exceed its total of {cap // (1024 * 1024)} MiB.",
            fields={"file": ["The event's media total is exhausted; delete some files first."]},
            limit_bytes=cap,
            used_bytes=used,
        )


def media_create(
    *,
    event: Event,
    actor: Any,
    upload: Any,
    caption: str = "",
    display_order: int | None = None,
    ip: str | None = None,
) -> EventMedia:
    """Add an image, video or PDF to the gallery (multipart flow). 400 for anything else (SVG, HTML,
    a renamed file), 413 over the per-file or per-event cap, 503 when storage is down."""
    checked = validate_media(upload, max_bytes=settings.AUGEO_MAX_MEDIA_BYTES)
    check_media_total(event, checked.size)  # early: do not upload what the cap refuses anyway
    name = uploads.store(upload, prefix=f"events/{event.pk}/media", checked=checked)
    try:
        with transaction.atomic():
            lock_event(event)  # serialise uploads of one event so parallel ones cannot overshoot the cap
            check_media_total(event, checked.size)
            media = EventMedia.objects.create(
                event=event,
                file=name,
                kind=checked.kind,
                content_type=checked.content_type,
                size=checked.size,
                width=checked.width,
                height=checked.height,
                original_name=(getattr(upload, "name", "") or "")[:255],
                caption=caption,
                display_order=display_order if display_order is not None else next_display_order(event.media.all()),
                status=MediaStatus.READY,
                created_by=user_or_none(actor),
            )
            audit_event(actor, "event.media_create", event, ip, media=str(media.pk), size=media.size)
            return media
    except BaseException:
        uploads.discard(name)
        raise


@transaction.atomic
def media_update(*, media: EventMedia, actor: Any, data: dict[str, Any], ip: str | None = None) -> EventMedia:
    fields = [f for f in ("caption", "display_order") if f in data]
    for field in fields:
        setattr(media, field, data[field])
    if fields:
        media.save(update_fields=[*fields, "updated_at"])
    audit_event(actor, "event.media_update", media.event, ip, media=str(media.pk), fields=fields)
    return media


@transaction.atomic
def media_delete(*, media: EventMedia, actor: Any, ip: str | None = None) -> None:
    name = media.file.name
    audit_event(actor, "event.media_delete", media.event, ip, media=str(media.pk), file=name)
    media.delete()
    uploads.delete_on_commit(name)
