"""Permission-matrix rows of the legal, consent, cookie, privacy and public endpoints, and of the
consent gate (format: apps/core/tests/matrix.py).

The world holds drafts only: a published document would gate every actor on every other app's rows.
Rows that need published documents publish them in ``setup`` (inside the actor's savepoint) and drop
the gate's memo of current versions, so the gate sees them; the next test starts from a fresh memo.
The gate rows show that a signed-in actor who has not accepted gets 409 ``CONSENT_REQUIRED`` on a
normal endpoint and passes on every exempt one (anonymous callers are never gated).
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from apps.core.tests.matrix import Row, expect
from apps.users.tests.factories import DEFAULT_PASSWORD

SIGNED_IN = {"all": 200, "anon": 401}
SUPER_ONLY_DRAFT = expect(super=200, members=404, others=404, donor=404, anon=401)


def build(world: dict[str, Any]) -> None:
    from apps.legal.models import DocumentType, LegalDocument, Testimonial

    draft = LegalDocument.objects.create(type=DocumentType.PRIVACY, major=1, minor=1, body="Draft *privacy*.")
    terms = LegalDocument.objects.create(type=DocumentType.TERMS, major=1, minor=0, body="The *terms*.")
    privacy = LegalDocument.objects.create(type=DocumentType.PRIVACY, major=1, minor=0, body="The *privacy* policy.")
    Testimonial.objects.create(quote="Great gala.", author_name="Matrix Author", published=True)
    world["legal_type"] = "terms"
    world["legal_draft"] = str(draft.pk)
    world["legal_terms"] = str(terms.pk)
    world["legal_privacy"] = str(privacy.pk)


def publish(world: dict[str, Any]) -> None:
    """Terms 1.0 and privacy 1.0 published (by id), and the gate's memo dropped so it sees them."""
    from apps.legal.models import LegalDocument
    from apps.legal.versions import versions_invalidate

    LegalDocument.objects.filter(pk__in=[world["legal_terms"], world["legal_privacy"]]).update(
        status="published", published_at=timezone.now()
    )
    versions_invalidate()


ACCEPT = {"terms_version": "1.0", "privacy_version": "1.0"}
CONTACT = {"name": "Matrix", "email": "m@example.org", "subject": "Hello", "message": "A question.", "website": ""}
COOKIES = {"essential": True, "analytics": True, "marketing": False}

ROWS = [
    # --- documents
    Row("GET", "/api/v1/legal/documents/", expect(all=200)),
    Row("GET", "/api/v1/legal/documents/{legal_type}/", expect(all=404), name="GET document by type, none published"),
    Row("GET", "/api/v1/legal/documents/{legal_type}/", expect(all=200), setup=publish, name="GET published terms"),
    Row("GET", "/api/v1/legal/documents/{legal_draft}/", expect(super=200, all=404), name="GET a draft by id"),
    Row(
        "GET",
        "/api/v1/legal/documents/{legal_terms}/",
        expect(all=200),
        setup=publish,
        name="GET a published document by id",
    ),
    Row(
        "POST",
        "/api/v1/legal/documents/",
        expect(super=201, all=403, anon=401),
        data={"type": "privacy", "version": "3.0", "body": "New *text*."},
    ),
    Row("PATCH", "/api/v1/legal/documents/{legal_draft}/", SUPER_ONLY_DRAFT, data={"body": "Edited."}),
    Row(
        "PATCH",
        "/api/v1/legal/documents/{legal_terms}/",
        expect(super=409, all=403, anon=401),
        data={"body": "Edited."},
        setup=publish,
        name="PATCH a published document: DOCUMENT_PUBLISHED",
    ),
    Row("DELETE", "/api/v1/legal/documents/{legal_draft}/", expect(super=204, all=404, anon=401)),
    Row("POST", "/api/v1/legal/documents/{legal_draft}/publish/", SUPER_ONLY_DRAFT),
    # --- consent and cookies
    Row("GET", "/api/v1/consent/status/", expect(**SIGNED_IN)),
    Row("POST", "/api/v1/consent/accept/", expect(**SIGNED_IN), data=ACCEPT, setup=publish),
    Row("POST", "/api/v1/consent/withdraw/", expect(**SIGNED_IN)),
    Row("GET", "/api/v1/cookies/consent/", expect(all=200)),
    Row("PUT", "/api/v1/cookies/consent/", expect(all=200), data=COOKIES),
    # --- privacy
    Row("POST", "/api/v1/privacy/export/", expect(all=202, anon=401)),
    Row("GET", "/api/v1/privacy/exports/", expect(**SIGNED_IN)),
    Row(
        "POST",
        "/api/v1/privacy/delete-account/",
        # The NPO admins are the only admin of their NPO; the donor's paddle has a balance due
        # (checkout's deletion blocker, BALANCE_DUE).
        expect(all=200, admin=409, other_admin=409, donor=409, anon=401),
        data={"password": DEFAULT_PASSWORD},
    ),
    # --- public
    Row("POST", "/api/v1/public/contact/", expect(all=201), data=CONTACT),
    Row("GET", "/api/v1/public/testimonials/", expect(all=200)),
    # --- the consent gate: published documents nobody in the world has accepted
    Row("GET", "/api/v1/npos/", expect(all=409, anon=401), setup=publish, name="gate: a normal endpoint is 409"),
    Row("GET", "/api/v1/events/", expect(all=409, anon=200), setup=publish, name="gate: a public read, signed in"),
    Row(
        "PATCH",
        "/api/v1/users/me/",
        expect(all=409, anon=401),
        data={"first_name": "X"},
        setup=publish,
        name="gate: PATCH me",
    ),
    Row("GET", "/api/v1/users/me/", expect(**SIGNED_IN), setup=publish, name="gate exempt: GET me"),
    Row("POST", "/api/v1/auth/logout-all/", expect(all=204, anon=401), setup=publish, name="gate exempt: auth"),
    Row("GET", "/api/v1/legal/documents/", expect(all=200), setup=publish, name="gate exempt: legal"),
    Row("GET", "/api/v1/consent/status/", expect(**SIGNED_IN), setup=publish, name="gate exempt: consent"),
    Row("GET", "/api/v1/cookies/consent/", expect(all=200), setup=publish, name="gate exempt: cookies"),
    Row("GET", "/api/v1/privacy/exports/", expect(**SIGNED_IN), setup=publish, name="gate exempt: privacy"),
    Row("GET", "/api/v1/public/testimonials/", expect(all=200), setup=publish, name="gate exempt: public"),
    Row("GET", "/api/v1/public/events/", expect(all=200), setup=publish, name="gate exempt: public events"),
]
