"""Send-time context of the legal app's e-mails (``apps.core.outbox.context_builder``).

The privacy-export mail carries a download link; it is minted when the mail is built, never stored
in the outbox row. An export that is gone or expired by then cancels the mail.
"""

from __future__ import annotations

from typing import Any

from apps.core.models import OutboxEmail
from apps.core.outbox import Cancel, context_builder
from apps.legal.models import PrivacyExport
from apps.legal.services.exports import EMAIL_TEMPLATE, export_download_url


@context_builder(EMAIL_TEMPLATE)
def privacy_export_context(row: OutboxEmail) -> dict[str, Any]:
    export = PrivacyExport.objects.filter(pk=row.context.get("export_id")).first()
    url = export_download_url(export) if export is not None else None
    if export is None or url is None:
        raise Cancel("the export is gone or has expired")
    return {"download_url": url, "expires_at": export.expires_at, "size": export.size}
