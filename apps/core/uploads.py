"""Storing uploads: validated files under server names, thumbnails, blob deletion after commit, and
storage outages turned into 503 ``SERVICE_UNAVAILABLE`` — one module for every app that keeps files
(event media and logos, sponsor logos, item images, profile pictures, NPO logos).

Everything goes through Django's storage API (``storages["default"]``): the local disk on the
embedded default, a private Azure Blob container in production and CI. Only the direct-to-blob
flow (``services.media_upload_url_create``) needs Azure specifically.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from io import BytesIO
from typing import Any

from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, storages
from django.db import transaction
from django.http import HttpRequest, HttpResponseBase
from django.views import static
from PIL import Image, ImageOps

from apps.core.exceptions import DomainError, ServiceUnavailable
from apps.core.files import CheckedFile, served_inline, server_name

logger = logging.getLogger("augeo.uploads")

try:  # the Azure SDK is installed everywhere, but keep the module importable without it
    from azure.core.exceptions import AzureError

    STORAGE_ERRORS: tuple[type[BaseException], ...] = (AzureError, OSError)
except ImportError:  # pragma: no cover
    STORAGE_ERRORS = (OSError,)

THUMBNAIL_BOX = (400, 400)


def storage() -> Storage:
    return storages["default"]


@contextmanager
def storage_guard() -> Iterator[None]:
    """Translate a storage failure (network, timeout, disk) into 503; domain errors pass through."""
    try:
        yield
    except DomainError:
        raise
    except STORAGE_ERRORS as exc:
        logger.warning("file storage unavailable: %s", exc.__class__.__name__)
        raise ServiceUnavailable(message="File storage is temporarily unavailable; retry shortly.") from exc


class _TypedFile(File):
    """A file that carries the content type *we* determined, so the Azure backend stores that one
    rather than the type the client declared in the multipart part."""

    content_type_checked = True  # apps.core.storage.AzureStorage trusts only these types

    def __init__(self, file: Any, name: str, content_type: str) -> None:
        super().__init__(file, name)
        self.content_type = content_type


def store(upload: Any, *, prefix: str, checked: CheckedFile) -> str:
    """Save a validated upload under a server-generated name; returns the stored name (503 on outage)."""
    name = server_name(prefix, checked.extension)
    raw = getattr(upload, "file", upload)
    raw.seek(0)
    with storage_guard():
        return storage().save(name, _TypedFile(raw, name, checked.content_type))


def store_bytes(data: bytes, *, prefix: str, extension: str, content_type: str) -> str:
    name = server_name(prefix, extension)
    with storage_guard():
        return storage().save(name, _TypedFile(ContentFile(data), name, content_type))


def discard(*names: str) -> None:
    """Best-effort immediate delete: undo blobs stored for a write that then failed."""
    for name in names:
        if not name:
            continue
        try:
            storage().delete(name)
        except Exception:  # an orphan blob must never hide the original error
            logger.warning("could not delete orphaned file %s", name)


def delete_on_commit(*names: str) -> None:
    """Delete blobs once the transaction that removed their rows has committed (never before: a
    rollback would leave rows pointing at nothing)."""
    wanted = [n for n in names if n]
    if wanted:
        transaction.on_commit(lambda: discard(*wanted))


def thumbnail_png(upload: Any, box: tuple[int, int] = THUMBNAIL_BOX) -> bytes:
    """A PNG no larger than ``box``, EXIF orientation applied. Call after ``validate_image``."""
    raw = getattr(upload, "file", upload)
    raw.seek(0)
    with Image.open(raw) as opened:
        image = ImageOps.exif_transpose(opened) or opened
        image.thumbnail(box)
        if image.mode not in ("RGB", "RGBA"):
            image = image.convert("RGBA")
        buffer = BytesIO()
        image.save(buffer, format="PNG", optimize=True)
    raw.seek(0)
    return buffer.getvalue()


def file_url(name: str | None) -> str | None:
    """A read URL for a stored name: ``/media/…`` on disk, a short-lived SAS URL on Azure (made
    locally from the account key, no network round trip)."""
    if not name:
        return None
    try:
        return storage().url(name)
    except Exception:  # a URL that cannot be signed must not break a whole list
        logger.warning("could not build a URL for %s", name)
        return None


def serve_media(request: HttpRequest, path: str, document_root: str | None = None) -> HttpResponseBase:
    """``/media/…`` from the local disk (``DJANGO_DEBUG`` only; production uses Azure SAS URLs):
    Django's static view, plus ``Content-Disposition: attachment`` for everything but images so an
    upload is never rendered as a page of this site."""
    response = static.serve(request, path, document_root=document_root)
    if not served_inline(path):
        response["Content-Disposition"] = "attachment"
    response["X-Content-Type-Options"] = "nosniff"
    return response
