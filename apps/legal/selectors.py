"""Reads of the legal app: published documents, a user's consent status, cookie choices, exports
and the public testimonials."""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import QuerySet

from apps.legal.gate import accepted_version, consent_missing, is_accepted
from apps.legal.models import (
    CookiePreference,
    DocumentStatus,
    DocumentType,
    LegalDocument,
    PrivacyExport,
    Testimonial,
)
from apps.legal.versions import Version


def documents_current() -> QuerySet[LegalDocument]:
    """The published document of each type (at most one per type)."""
    return LegalDocument.objects.filter(status=DocumentStatus.PUBLISHED).order_by("type")


def document_published(document_type: str, version: Version | None = None) -> LegalDocument | None:
    """The published document of a type, or (``version``) a published or archived older one; never a draft."""
    documents = LegalDocument.objects.filter(type=document_type)
    if version is None:
        return documents.filter(status=DocumentStatus.PUBLISHED).first()
    return documents.filter(major=version.major, minor=version.minor).exclude(status=DocumentStatus.DRAFT).first()


def documents_visible_to(user: Any) -> QuerySet[LegalDocument]:
    """Everyone sees published and archived versions; super admins see drafts too."""
    if user is not None and user.is_authenticated and user.is_superuser:
        return LegalDocument.objects.all()
    return LegalDocument.objects.exclude(status=DocumentStatus.DRAFT)


def consent_status(user: Any) -> dict[str, Any]:
    """What the user has accepted and what is published, from the database (not the gate's memo)."""
    current = {
        doc.type: Version(doc.major, doc.minor) for doc in LegalDocument.objects.filter(status=DocumentStatus.PUBLISHED)
    }
    status: dict[str, Any] = {}
    for document_type in DocumentType.values:
        accepted = accepted_version(user, document_type)
        version = current.get(document_type)
        status[document_type] = {
            "accepted": str(accepted) if accepted else None,
            "current": str(version) if version else None,
            "up_to_date": version is None or is_accepted(accepted, version),
        }
    missing = consent_missing(user, current)
    status["required"] = bool(missing)
    status["required_versions"] = missing
    return status


def cookie_state(*, user: Any = None, visitor_id: uuid.UUID | None = None) -> dict[str, bool]:
    """The caller's cookie choices (the defaults, ``chosen: false``, when none were made)."""
    row = None
    if user is not None and user.is_authenticated:
        row = CookiePreference.objects.filter(user=user).first()
    elif visitor_id is not None:
        row = CookiePreference.objects.filter(visitor_id=visitor_id).first()
    if row is None:
        return {"essential": True, "analytics": False, "marketing": False, "chosen": False}
    return {"essential": True, "analytics": row.analytics, "marketing": row.marketing, "chosen": True}


def exports_of(user: Any) -> QuerySet[PrivacyExport]:
    return PrivacyExport.objects.filter(user=user).order_by("-created_at")


def testimonials_published() -> QuerySet[Testimonial]:
    return Testimonial.objects.filter(published=True).select_related("npo").order_by("order", "created_at")
