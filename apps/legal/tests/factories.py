"""Helpers of the legal tests: documents through the services (so the gate's memo follows)."""

from __future__ import annotations

from typing import Any

from apps.legal.models import LegalDocument
from apps.legal.services import documents


def draft(
    document_type: str = "terms", version: str = "1.0", body: str = "The *text*.", actor: Any = None
) -> LegalDocument:
    return documents.legal_document_create(type=document_type, version=version, body=body, actor=actor)


def published(
    document_type: str = "terms", version: str = "1.0", body: str = "The *text*.", actor: Any = None
) -> LegalDocument:
    return documents.legal_document_publish(document=draft(document_type, version, body, actor), actor=actor)


def publish_both(version: str = "1.0") -> tuple[LegalDocument, LegalDocument]:
    return published("terms", version), published("privacy", version)


def accept(user: Any, terms: str | None = "1.0", privacy: str | None = "1.0") -> Any:
    from apps.legal.services.consent import consent_accept

    return consent_accept(user=user, terms_version=terms, privacy_version=privacy)
