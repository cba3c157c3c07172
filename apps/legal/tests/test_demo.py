"""The demo seed: terms and privacy 1.0 published and accepted by the demo accounts, two
testimonials; a fresh sign-up is gated; idempotent."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from apps.legal.models import ConsentRecord, DocumentStatus, LegalDocument
from apps.legal.models import Testimonial as Quote
from apps.users.models import User
from apps.users.tests.factories import UserFactory
from conftest import client_for

pytestmark = pytest.mark.django_db


def _state():
    return (
        list(LegalDocument.objects.order_by("type").values_list("type", "major", "minor", "status")),
        ConsentRecord.objects.count(),
        Quote.objects.filter(published=True).count(),
    )


def test_seed_demo_publishes_the_documents_and_the_demo_accounts_accepted_them():
    call_command("seed_demo", stdout=io.StringIO())
    documents, consents, testimonials = _state()
    assert documents == [("privacy", 1, 0, DocumentStatus.PUBLISHED), ("terms", 1, 0, DocumentStatus.PUBLISHED)]
    assert testimonials == 2
    demo = User.objects.filter(email__endswith="@augeo.local")
    assert demo.count() >= 8 and consents == 2 * demo.count()
    assert set(demo.values_list("consent_terms_version", "consent_privacy_version")) == {("1.0", "1.0")}
    assert client_for(User.objects.get(email="donor@augeo.local")).get("/api/v1/npos/").status_code == 200
    newcomer = client_for(UserFactory()).get("/api/v1/npos/")
    assert newcomer.status_code == 409 and newcomer.json()["error"]["code"] == "CONSENT_REQUIRED"
    call_command("seed_demo", stdout=io.StringIO())
    assert _state() == (documents, consents, testimonials)
