"""Writes owned by the core app: the audit log."""

from __future__ import annotations

from typing import Any

from django.db import models

from apps.core.logging import request_id_var
from apps.core.models import AuditEntry


def audit_record(
    *,
    actor: Any,
    action: str,
    obj: models.Model | None = None,
    npo_id: Any = None,
    ip: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one audit entry. Call it inside the service's transaction so the entry and the change
    commit (or roll back) together. ``actor`` may be ``None`` (system jobs) or an anonymous user;
    ``ip`` is the client address the caller resolved (``apps.core.net.client_ip``), ``None`` for
    commands and jobs. The request id comes from the logging context, so services never see a request."""
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    if npo_id is None and obj is not None:
        npo_id = getattr(obj, "npo_id", None)
    return AuditEntry.objects.create(
        actor=actor,
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=str(obj)[:200] if obj is not None else "",
        npo_id=npo_id,
        ip_address=ip,
        request_id=request_id_var.get() if request_id_var.get() != "-" else "",
        details=details or {},
    )
