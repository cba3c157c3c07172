"""Privacy exports, outbox style (legal.md "Privacy: export and deletion").

1. :func:`privacy_export_request` (``POST /api/v1/privacy/export/`` → 202) writes a ``pending`` row
   in the request's transaction — at most one per person per hour (429 ``THROTTLED``, counted in
   the database under the user's row lock) — and hands its id to :func:`privacy_export_dispatch`
   after commit.
2. :func:`privacy_export_dispatch` is the ONE hand-over: the ``build_privacy_export`` task
   (``apps.legal.tasks``), enqueued with the row's transaction (a worker runs it; in-process right
   after commit on the embedded default).
3. :func:`privacy_export_build` does the work: claims the row (``FOR UPDATE SKIP LOCKED``, so two
   workers never build one export twice), writes the JSON through the storage layer (a private
   blob on Azure), marks it ``ready`` for 24 hours and queues the e-mail with the link in the same
   transaction. A failure marks it ``failed`` (attempts, last error).
4. The scheduled ``retry_privacy_exports`` task and ``manage.py build_privacy_exports`` (both
   :func:`privacy_exports_retry`) finish pending rows whose task was lost and retry failed ones, at
   most :data:`MAX_ATTEMPTS` times.
5. ``prune_expired`` deletes the files of expired exports (``apps.legal.pruning``).

The e-mail's link is minted when the mail is built (``apps.legal.emails``), so no URL sits in the
outbox: a SAS URL valid until the export expires on Azure, the storage URL elsewhere.
"""

from __future__ import annotations

import json
import logging
import math
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from apps.core import uploads
from apps.core.exceptions import Throttled
from apps.core.outbox import email_queue
from apps.core.services import audit_record
from apps.core.storage import is_azure
from apps.core.tasks import enqueue_after_commit
from apps.legal.exporting import privacy_export_data
from apps.legal.models import ExportStatus, PrivacyExport
from apps.legal.tasks import build_privacy_export
from apps.users.models import User

logger = logging.getLogger("augeo.legal")

EXPORT_INTERVAL = timedelta(hours=1)
EXPORT_LIFETIME = timedelta(hours=24)
MAX_ATTEMPTS = 5
EMAIL_TEMPLATE = "legal/privacy_export"


@transaction.atomic
def privacy_export_request(*, user: User, ip: str | None = None) -> PrivacyExport:
    """Queue an export of everything about ``user``; 429 when one was requested within the hour."""
    User.objects.select_for_update().filter(pk=user.pk).first()  # one request per person at a time
    now = timezone.now()
    last = PrivacyExport.objects.filter(user=user, created_at__gt=now - EXPORT_INTERVAL).order_by("-created_at").first()
    if last is not None:
        wait = math.ceil((last.created_at + EXPORT_INTERVAL - now).total_seconds())
        raise Throttled("One data export per hour; the last one was requested less than an hour ago.", retry_after=wait)
    export = PrivacyExport.objects.create(user=user)
    audit_record(actor=user, action="privacy.export_requested", obj=export, ip=ip)
    privacy_export_dispatch(export.pk)
    return export


def privacy_export_dispatch(export_id: Any) -> None:
    """Enqueue the export's build to run once the surrounding transaction commits."""
    enqueue_after_commit(build_privacy_export, str(export_id))


def _serialise(user: User) -> bytes:
    data = privacy_export_data(user)
    return json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2).encode()


def privacy_export_build(export_id: Any) -> bool:
    """Build, store and announce one export (pending or failed, attempts left). True when it is
    ready now; False when there was nothing to do (done, claimed by another worker) or it failed."""
    stored = ""
    try:
        with transaction.atomic():
            export = (
                PrivacyExport.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("user")
                .filter(pk=export_id, status__in=[ExportStatus.PENDING, ExportStatus.FAILED], attempts__lt=MAX_ATTEMPTS)
                .first()
            )
            if export is None:
                return False
            content = _serialise(export.user)
            stored = uploads.store_bytes(
                content, prefix=f"privacy-exports/{export.user_id}", extension="json", content_type="application/json"
            )
            now = timezone.now()
            export.status, export.file_name, export.size = ExportStatus.READY, stored, len(content)
            export.attempts += 1
            export.ready_at, export.expires_at, export.last_error = now, now + EXPORT_LIFETIME, ""
            export.save()
            email_queue(
                template=EMAIL_TEMPLATE,
                to=export.user.email,
                user=export.user,
                context={"export_id": str(export.pk)},
                ref=f"legal.privacyexport:{export.pk}",
            )
            audit_record(actor=None, action="privacy.export_ready", obj=export, details={"size": len(content)})
        return True
    except Exception as exc:
        logger.warning("privacy export %s failed: %s", export_id, exc.__class__.__name__)
        if stored:
            uploads.discard(stored)
        PrivacyExport.objects.filter(pk=export_id, status__in=[ExportStatus.PENDING, ExportStatus.FAILED]).update(
            status=ExportStatus.FAILED,
            attempts=F("attempts") + 1,
            last_error=(str(exc) or exc.__class__.__name__)[:500],
            updated_at=timezone.now(),
        )
        return False


def privacy_exports_retry(*, older_than_seconds: int = 60, limit: int = 100) -> tuple[int, int]:
    """Build pending exports whose hand-over never ran (older than ``older_than_seconds``) and
    failed ones with attempts left. Returns (attempted, ready)."""
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    due = Q(status=ExportStatus.FAILED) | Q(status=ExportStatus.PENDING, created_at__lte=cutoff)
    ids = list(
        PrivacyExport.objects.filter(due, attempts__lt=MAX_ATTEMPTS)
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    ready = sum(privacy_export_build(export_id) for export_id in ids)
    return len(ids), ready


def export_download_url(export: PrivacyExport) -> str | None:
    """A link to the file while the export is downloadable: on Azure a SAS URL valid until the
    export expires; with the file storage the storage URL (made absolute with ``AUGEO_FRONTEND_URL``)."""
    if not export.is_downloadable or export.expires_at is None:
        return None
    storage: Any = uploads.storage()
    if is_azure(storage):
        seconds = max(60, int((export.expires_at - timezone.now()).total_seconds()))
        return str(storage.url(export.file_name, expire=seconds))
    url = str(storage.url(export.file_name))
    return f"{settings.FRONTEND_URL.rstrip('/')}{url}" if url.startswith("/") else url


def privacy_exports_expire(*, now: Any, dry_run: bool) -> int:
    """Delete the files of exports past their 24 hours; the rows stay (``expired``)."""
    rows = list(
        PrivacyExport.objects.filter(status=ExportStatus.READY, expires_at__lte=now).values_list("pk", "file_name")
    )
    if dry_run:
        return len(rows)
    for pk, name in rows:
        uploads.discard(name)
        PrivacyExport.objects.filter(pk=pk, status=ExportStatus.READY).update(
            status=ExportStatus.EXPIRED, file_name="", updated_at=timezone.now()
        )
    return len(rows)
