"""Direct-to-blob uploads (Azure only): a short-lived write URL for a pending gallery row, then
``media_confirm`` checks what actually arrived by content before the row becomes ready."""

from __future__ import annotations

import contextlib
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NoReturn

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.core import uploads
from apps.core.errors import ErrorCode
from apps.core.exceptions import Conflict, FileTooLarge, ValidationFailed
from apps.core.files import server_name, validate_media
from apps.core.storage import is_azure
from apps.events.models import (
    Event,
    EventMedia,
    MediaKind,
    MediaStatus,
)
from apps.events.services.common import (
    DIRECT_UPLOAD_MAX_SECONDS,
    DIRECT_UPLOAD_TYPES,
    audit_event,
    lock_event,
    next_display_order,
    user_or_none,
)
from apps.events.services.media import check_media_total


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
            ErrorCode.DIRECT_UPLOAD_UNAVAILABLE,
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
    *, event: Event, actor: Any, size: int, filename: str = "", content_type: str = "", ip: str | None = None
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
        # The Azure SDK only on Azure storage (0.4 s to import in every process otherwise).
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
        lock_event(event)
        check_media_total(event, size)
        media = EventMedia.objects.create(
            event=event,
            file=name,
            kind=_kind_of(content_type),
            content_type=content_type or "application/octet-stream",
            size=size,
            original_name=(filename or "")[:255],
            display_order=next_display_order(event.media.all()),
            status=MediaStatus.PENDING,
            created_by=user_or_none(actor),
        )
        audit_event(actor, "event.media_upload_start", event, ip, media=str(media.pk), size=size)
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


def media_confirm(*, media: EventMedia, actor: Any, ip: str | None = None) -> EventMedia:
    """Finish a direct upload: download the blob, check size and type by content, and make the media
    visible — or delete blob and row and answer 400/413. Confirming a ready media is a no-op.

    At most the size limit + 1 byte is ever downloaded, whatever the blob's reported size: one byte
    more than allowed is enough to refuse it, and the server never pulls an unbounded blob.
    """
    if media.status == MediaStatus.READY:
        return media
    storage = _direct_storage()
    # The Azure SDK only on Azure storage (0.4 s to import in every process otherwise).
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
        check_media_total(media.event, size, exclude_pk=media.pk)
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
        audit_event(actor, "event.media_confirm", locked.event, ip, media=str(locked.pk), size=locked.size)
    return locked
