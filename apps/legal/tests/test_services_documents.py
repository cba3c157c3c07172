"""Legal documents: versions, the publish workflow, immutability, Markdown rendered once."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.core.exceptions import Conflict, ValidationFailed
from apps.core.models import AuditEntry
from apps.legal.models import DocumentStatus, ImmutableRowError, LegalDocument
from apps.legal.services import documents
from apps.legal.tests.factories import draft, published

pytestmark = pytest.mark.django_db


def test_create_renders_and_sanitises_the_markdown_once(superuser):
    doc = draft(body="# Terms\n\n**bold** [x](javascript:alert(1))\n\n<script>alert(1)</script>", actor=superuser)
    assert doc.status == DocumentStatus.DRAFT and doc.version == "1.0"
    assert "<h1>Terms</h1>" in doc.body_html and "<strong>bold</strong>" in doc.body_html
    assert "<script" not in doc.body_html and "javascript:" not in doc.body_html
    assert AuditEntry.objects.filter(action="legal.document_created", actor=superuser).exists()


def test_markdown_over_the_limit_is_400(settings):
    settings.AUGEO_MAX_MARKDOWN_CHARS = 50
    with pytest.raises(ValidationFailed) as exc:
        draft(body="x" * 51)
    assert "body" in exc.value.fields
    assert not LegalDocument.objects.exists()


@pytest.mark.parametrize("version", ["1", "1.2.3", "a.b", "v1.0"])
def test_bad_versions_are_400(version):
    with pytest.raises(ValidationFailed) as exc:
        draft(version=version)
    assert list(exc.value.fields) == ["version"]
    assert "MAJOR.MINOR" in exc.value.fields["version"][0]


def test_unknown_type_is_400():
    with pytest.raises(ValidationFailed) as exc:
        draft(document_type="cookies")
    assert "type" in exc.value.fields


def test_duplicate_version_is_version_exists():
    draft("terms", "1.0")
    with pytest.raises(Conflict) as exc:
        draft("terms", "1.0")
    assert exc.value.code == "VERSION_EXISTS"
    draft("privacy", "1.0")  # versions are per type


def test_publish_archives_the_previous_version(superuser):
    first = published("terms", "1.0")
    second = documents.legal_document_publish(document=draft("terms", "1.1"), actor=superuser)
    first.refresh_from_db()
    assert first.status == DocumentStatus.ARCHIVED and first.archived_at is not None
    assert second.status == DocumentStatus.PUBLISHED and second.published_by == superuser
    assert LegalDocument.objects.filter(type="terms", status=DocumentStatus.PUBLISHED).count() == 1
    entry = AuditEntry.objects.get(action="legal.document_published", object_id=str(second.pk))
    assert entry.details == {"type": "terms", "version": "1.1", "archived": "1.0"}


def test_versions_compare_numerically_when_publishing():
    published("terms", "1.9")
    assert documents.legal_document_publish(document=draft("terms", "1.10"), actor=None).version == "1.10"


def test_an_older_draft_cannot_be_created_nor_published():
    old = draft("terms", "1.5")
    published("terms", "2.0")
    with pytest.raises(ValidationFailed) as exc:
        draft("terms", "1.9")
    assert exc.value.extra["current"] == "2.0"
    with pytest.raises(Conflict) as conflict:
        documents.legal_document_publish(document=old, actor=None)
    assert conflict.value.code == "INVALID_TRANSITION"


def test_publishing_twice_is_document_published():
    doc = published("terms", "1.0")
    with pytest.raises(Conflict) as exc:
        documents.legal_document_publish(document=doc, actor=None)
    assert exc.value.code == "DOCUMENT_PUBLISHED"


def test_published_and_archived_documents_are_never_edited_or_deleted():
    first = published("terms", "1.0")
    published("terms", "2.0")
    first.refresh_from_db()
    for doc in (first, LegalDocument.objects.get(type="terms", status="published")):
        with pytest.raises(Conflict) as exc:
            documents.legal_document_update(document=doc, actor=None, data={"body": "changed"})
        assert exc.value.code == "DOCUMENT_PUBLISHED"
        with pytest.raises(Conflict):
            documents.legal_document_delete(document=doc, actor=None)
        doc.body = "changed behind the service's back"
        with pytest.raises(ImmutableRowError):
            doc.save()
        with pytest.raises(ImmutableRowError):
            doc.delete()
    assert LegalDocument.objects.filter(body__contains="changed").count() == 0


def test_drafts_are_edited_and_deleted(superuser):
    doc = draft("terms", "1.0")
    doc = documents.legal_document_update(
        document=doc, actor=superuser, data={"type": "privacy", "version": "1.1", "body": "New *body*"}
    )
    assert (doc.type, doc.version) == ("privacy", "1.1") and "<em>body</em>" in doc.body_html
    other = draft("privacy", "1.2")
    with pytest.raises(Conflict) as exc:
        documents.legal_document_update(document=other, actor=superuser, data={"version": "1.1"})
    assert exc.value.code == "VERSION_EXISTS"
    documents.legal_document_delete(document=doc, actor=superuser)
    assert not LegalDocument.objects.filter(pk=doc.pk).exists()
    assert AuditEntry.objects.filter(action="legal.document_deleted").exists()


def test_the_database_allows_one_published_document_per_type():
    published("terms", "1.0")
    with pytest.raises(IntegrityError), transaction.atomic():
        LegalDocument.objects.create(
            type="terms", major=9, minor=0, body="x", status=DocumentStatus.PUBLISHED, published_at=timezone.now()
        )


def test_the_database_refuses_a_duplicate_version():
    draft("terms", "1.0")
    with pytest.raises(IntegrityError), transaction.atomic():
        LegalDocument.objects.create(type="terms", major=1, minor=0, body="x")
