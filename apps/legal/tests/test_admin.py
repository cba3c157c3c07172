"""The legal admins: super admins only, writes through the services, published documents read-only."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from apps.core.models import AuditEntry
from apps.legal.models import ConsentRecord, ContactMessage, DocumentStatus, LegalDocument
from apps.legal.models import Testimonial as Quote
from apps.legal.tests.factories import accept, draft, publish_both, published
from apps.npos.tests.factories import MembershipFactory
from apps.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(superuser):
    client = Client()
    client.force_login(superuser)
    return client


def test_a_draft_is_written_through_the_service_previewed_and_published(admin_client, superuser):
    add = reverse("admin:legal_legaldocument_add")
    assert admin_client.get(add).status_code == 200
    response = admin_client.post(add, {"type": "terms", "version": "1.0", "body": "# Terms\n\nBe *kind*."})
    assert response.status_code == 302, response.content
    doc = LegalDocument.objects.get()
    assert doc.created_by == superuser and AuditEntry.objects.filter(action="legal.document_created").exists()
    change = reverse("admin:legal_legaldocument_change", args=[doc.pk])
    page = admin_client.get(change).content.decode()
    assert "<em>kind</em>" in page and "Save and publish this version" in page
    published_response = admin_client.post(
        change, {"type": "terms", "version": "1.0", "body": "# Terms\n\nBe *kind*.", "_publish": "1"}
    )
    assert published_response.status_code == 302
    doc.refresh_from_db()
    assert doc.status == DocumentStatus.PUBLISHED and doc.published_by == superuser


def test_bad_input_is_a_form_error(admin_client):
    draft("terms", "1.0")
    add = reverse("admin:legal_legaldocument_add")
    for data, message in (
        ({"type": "terms", "version": "1", "body": "x"}, "MAJOR.MINOR"),
        ({"type": "terms", "version": "1.0", "body": "x"}, "already exists"),
    ):
        response = admin_client.post(add, data)
        assert response.status_code == 200 and message in response.content.decode()
    assert LegalDocument.objects.count() == 1


def test_a_published_version_is_read_only(admin_client, superuser):
    doc = published("terms", "1.0", body="Original")
    accept(superuser, privacy=None)  # otherwise the admin asks for consent first
    change = reverse("admin:legal_legaldocument_change", args=[doc.pk])
    page = admin_client.get(change).content.decode()
    assert "Save and publish" not in page and 'name="body"' not in page and "Original" in page
    assert admin_client.post(change, {"type": "terms", "version": "1.0", "body": "Changed"}).status_code == 403
    assert admin_client.get(reverse("admin:legal_legaldocument_delete", args=[doc.pk])).status_code == 403
    doc.refresh_from_db()
    assert doc.body == "Original"


def test_the_publish_action_publishes_drafts_and_skips_the_rest(admin_client, superuser):
    old = published("terms", "1.0")
    accept(superuser, privacy=None)
    new = draft("terms", "2.0")
    response = admin_client.post(
        reverse("admin:legal_legaldocument_changelist"),
        {"action": "publish_selected", "_selected_action": [old.pk, new.pk]},
    )
    assert response.status_code == 302
    # A new MAJOR: the admin asks the super admin to accept it too, and shows what happened there.
    page = admin_client.get(response["Location"], follow=True)
    assert page.redirect_chain[-1][0].startswith("/admin/consent/")
    html = page.content.decode()
    assert "Only drafts can be published" in html and "Published Terms of service 2.0." in html
    new.refresh_from_db()
    old.refresh_from_db()
    assert (new.status, old.status) == (DocumentStatus.PUBLISHED, DocumentStatus.ARCHIVED)


def test_drafts_are_deleted_through_the_service(admin_client):
    doc = draft("privacy", "1.0")
    response = admin_client.post(reverse("admin:legal_legaldocument_delete", args=[doc.pk]), {"post": "yes"})
    assert response.status_code == 302 and not LegalDocument.objects.exists()
    assert AuditEntry.objects.filter(action="legal.document_deleted").exists()


def test_contact_messages_are_marked_handled_through_the_service(admin_client, superuser):
    message = ContactMessage.objects.create(name="A", email="a@example.org", subject="S", message="M")
    url = reverse("admin:legal_contactmessage_changelist")
    assert admin_client.get(url, {"handled__exact": "0"}).status_code == 200
    admin_client.post(url, {"action": "mark_handled", "_selected_action": [message.pk]})
    message.refresh_from_db()
    assert message.handled and message.handled_by == superuser and message.handled_at is not None
    assert AuditEntry.objects.filter(action="contact.handled", object_id=str(message.pk)).exists()
    admin_client.post(url, {"action": "mark_unhandled", "_selected_action": [message.pk]})
    message.refresh_from_db()
    assert not message.handled and message.handled_by is None
    assert admin_client.get(reverse("admin:legal_contactmessage_add")).status_code == 403


def test_testimonials_are_saved_through_the_service(admin_client):
    response = admin_client.post(
        reverse("admin:legal_testimonial_add"),
        {"quote": "Lovely", "author_name": "Kim", "author_role": "", "npo": "", "published": "on", "order": "3"},
    )
    assert response.status_code == 302, response.content
    testimonial = Quote.objects.get()
    assert testimonial.published and testimonial.order == 3
    assert AuditEntry.objects.filter(action="testimonial.created").exists()
    too_long = admin_client.post(
        reverse("admin:legal_testimonial_add"), {"quote": "x" * 1001, "author_name": "Kim", "order": "1"}
    )
    assert too_long.status_code == 200 and Quote.objects.count() == 1
    admin_client.post(reverse("admin:legal_testimonial_delete", args=[testimonial.pk]), {"post": "yes"})
    assert not Quote.objects.exists() and AuditEntry.objects.filter(action="testimonial.deleted").exists()


def test_the_consent_log_is_read_only(admin_client, superuser):
    publish_both()
    accept(superuser)
    row = ConsentRecord.objects.first()
    assert admin_client.get(reverse("admin:legal_consentrecord_changelist")).status_code == 200
    assert admin_client.get(reverse("admin:legal_consentrecord_add")).status_code == 403
    change = reverse("admin:legal_consentrecord_change", args=[row.pk])
    assert admin_client.get(change).status_code == 200
    assert admin_client.post(change, {"version": "9.9"}).status_code == 403
    assert admin_client.get(reverse("admin:legal_consentrecord_delete", args=[row.pk])).status_code == 403


def test_npo_staff_see_none_of_it():
    member = UserFactory(is_staff=True)
    MembershipFactory(user=member)
    client = Client()
    client.force_login(member)
    assert "legal" not in client.get(reverse("admin:index")).content.decode().lower().split("<h2")[0]
    for name in ("legaldocument", "consentrecord", "privacyexport", "contactmessage", "testimonial"):
        assert client.get(reverse(f"admin:legal_{name}_changelist")).status_code == 403
