"""Legal documents: create and edit drafts, publish (archiving the previous version), delete drafts.

Publishing takes one lock for all publishes (a PostgreSQL advisory lock; SQLite serialises writers
itself; publishing is rare), so two publishes queue and exactly one document is published after both — the partial
unique constraint ``legal_document_one_published_per_type`` guarantees it even if a caller skipped
the lock. The memo of current versions (``apps.legal.versions``) is dropped at once and at commit.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.core.errors import ErrorCode
from apps.core.exceptions import Conflict, ValidationFailed
from apps.core.queries import advisory_xact_lock
from apps.core.services import audit_record
from apps.legal.models import DocumentStatus, DocumentType, LegalDocument
from apps.legal.versions import Version, parse_version, versions_invalidate

_LOCK_KEY = (0x1E6A1, 1)  # the two-int advisory lock key of "legal documents: publish"


def _lock_publishing() -> None:
    """Serialise publishes until the transaction ends."""
    advisory_xact_lock(*_LOCK_KEY)


def _version(value: Any) -> Version:
    try:
        return parse_version(value)
    except ValueError as exc:
        raise ValidationFailed(message=str(exc), fields={"version": [str(exc)]}) from exc


def _type(value: Any) -> str:
    if value not in DocumentType.values:
        message = f"Use one of {', '.join(DocumentType.values)}."
        raise ValidationFailed(message=message, fields={"type": [message]})
    return str(value)


def _published(document_type: str) -> LegalDocument | None:
    return LegalDocument.objects.filter(type=document_type, status=DocumentStatus.PUBLISHED).first()


def _check_version_free(document_type: str, version: Version, *, exclude_pk: Any = None) -> None:
    taken = LegalDocument.objects.filter(type=document_type, major=version.major, minor=version.minor)
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    if taken.exists():
        raise Conflict(
            ErrorCode.VERSION_EXISTS, f"Version {version} of this document already exists.", version=str(version)
        )


def _check_newer(document_type: str, version: Version, field: str = "version") -> None:
    """A new version must be newer than the published one (it would otherwise never be publishable)."""
    current = _published(document_type)
    if current is not None and version <= Version(current.major, current.minor):
        message = f"Version {version} is not newer than the published version {current.version}."
        raise ValidationFailed(message=message, fields={field: [message]}, current=current.version)


def _save(document: LegalDocument, version: Version, **kwargs: Any) -> None:
    try:
        with transaction.atomic():
            document.save(**kwargs)
    except IntegrityError as exc:  # a concurrent create of the same version won
        raise Conflict(ErrorCode.VERSION_EXISTS, f"Version {version} of this document already exists.") from exc


@transaction.atomic
def legal_document_create(*, type: str, version: Any, body: str, actor: Any, ip: str | None = None) -> LegalDocument:
    """A new draft. 400 for a bad type or version, 409 ``VERSION_EXISTS`` for a duplicate."""
    document_type = _type(type)
    parsed = _version(version)
    _check_version_free(document_type, parsed)
    _check_newer(document_type, parsed)
    document = LegalDocument(
        type=document_type, major=parsed.major, minor=parsed.minor, body=body, created_by=actor if actor else None
    )
    _save(document, parsed)
    audit_record(actor=actor, action="legal.document_created", obj=document, ip=ip)
    return document


def _lock(document: LegalDocument) -> LegalDocument:
    return LegalDocument.objects.select_for_update().get(pk=document.pk)


def _refuse_unless_draft(document: LegalDocument) -> None:
    if document.status != DocumentStatus.DRAFT:
        raise Conflict(
            ErrorCode.DOCUMENT_PUBLISHED,
            f"Version {document.version} has been {document.status}; it cannot change. Create a new version.",
        )


@transaction.atomic
def legal_document_update(
    *, document: LegalDocument, actor: Any, data: dict[str, Any], ip: str | None = None
) -> LegalDocument:
    """Edit a draft (``type``, ``version``, ``body``); a published or archived one is 409
    ``DOCUMENT_PUBLISHED``."""
    document = _lock(document)
    _refuse_unless_draft(document)
    document_type = _type(data["type"]) if "type" in data else document.type
    parsed = _version(data["version"]) if "version" in data else Version(document.major, document.minor)
    if "type" in data or "version" in data:
        _check_version_free(document_type, parsed, exclude_pk=document.pk)
        _check_newer(document_type, parsed)
    document.type, document.major, document.minor = document_type, parsed.major, parsed.minor
    if "body" in data:
        document.body = data["body"]
    _save(document, parsed)
    audit_record(actor=actor, action="legal.document_updated", obj=document, ip=ip)
    return document


@transaction.atomic
def legal_document_publish(*, document: LegalDocument, actor: Any, ip: str | None = None) -> LegalDocument:
    """Publish a draft: the published version of its type (if any) is archived in the same
    transaction, under the publishing lock. 409 ``DOCUMENT_PUBLISHED`` for a document that is no longer
    a draft (a second publish of the same draft included), ``INVALID_TRANSITION`` for a version not
    newer than the published one."""
    _lock_publishing()
    document = _lock(document)
    if document.status != DocumentStatus.DRAFT:
        raise Conflict(ErrorCode.DOCUMENT_PUBLISHED, f"Version {document.version} has already been {document.status}.")
    now = timezone.now()
    previous = (
        LegalDocument.objects.select_for_update().filter(type=document.type, status=DocumentStatus.PUBLISHED).first()
    )
    if previous is not None:
        if Version(document.major, document.minor) <= Version(previous.major, previous.minor):
            raise Conflict(
                ErrorCode.INVALID_TRANSITION,
                f"Version {document.version} is not newer than the published version {previous.version}.",
                current=previous.version,
            )
        previous.status, previous.archived_at = DocumentStatus.ARCHIVED, now
        previous.save(update_fields=["status", "archived_at", "updated_at"])
    document.status, document.published_at, document.published_by = DocumentStatus.PUBLISHED, now, actor or None
    document.save(update_fields=["status", "published_at", "published_by", "updated_at"])
    audit_record(
        actor=actor,
        action="legal.document_published",
        obj=document,
        ip=ip,
        details={
            "type": document.type,
            "version": document.version,
            "archived": previous.version if previous else None,
        },
    )
    versions_invalidate()
    transaction.on_commit(versions_invalidate)
    return document


@transaction.atomic
def legal_document_delete(*, document: LegalDocument, actor: Any, ip: str | None = None) -> None:
    """Delete a draft; published and archived versions are 409 ``DOCUMENT_PUBLISHED``."""
    document = _lock(document)
    _refuse_unless_draft(document)
    audit_record(actor=actor, action="legal.document_deleted", obj=document, ip=ip)
    document.delete()
