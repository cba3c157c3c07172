"""Demo legal data: terms of service 1.0 and privacy policy 1.0 published, accepted by every demo
account (``…@augeo.local``) so the demo shows the gate only to a fresh sign-up, and two testimonials.

Idempotent: documents are found by (type, version), testimonials by author, and accepting a version
already accepted records nothing.
"""

from __future__ import annotations

from typing import Any

from apps.legal.models import DocumentStatus, DocumentType, LegalDocument, Testimonial
from apps.legal.services import consent, documents, public
from apps.users.models import User

DEMO_DOMAIN = "@augeo.local"

TERMS = """# Terms of service

These terms apply to everyone who uses Augeo: donors, the teams of nonprofit organisations (NPOs)
and platform operators.

## Your account
- Keep your password to yourself; you are responsible for what is done with your account.
- You may delete your account at any time (Privacy → Delete my account).

## Bidding and pledges
- A bid or a pledge is a **binding promise to pay** the NPO that runs the event.
- Maximum (proxy) bids are private: nobody else sees them.

## NPOs
NPOs are responsible for their events, the items they offer and the receipts they issue.

*Version 1.0 — demo text, not legal advice.*
"""

PRIVACY = """# Privacy policy

We keep what is needed to run fundraising galas, and nothing more.

## What we keep
- Your name, e-mail address and, if you give them, your phone number and address.
- Your registrations, guests, bidder numbers, bids, purchases, pledges and payments.
- A log of your consent to these documents and your cookie choices.

## Your rights
- **Export**: download everything we hold about you (Privacy → Export my data).
- **Deletion**: delete your account; we anonymise you and keep only the records NPOs must keep by law.
- **Withdrawal**: you may withdraw your consent to this policy at any time.

*Version 1.0 — demo text, not legal advice.*
"""

TESTIMONIALS = [
    {
        "author_name": "Maria Lopez",
        "author_role": "Executive director, Hope Foundation",
        "quote": "Our spring gala raised 40% more than last year, and check-in took minutes instead of an hour.",
        "order": 1,
    },
    {
        "author_name": "James Okafor",
        "author_role": "Volunteer auctioneer",
        "quote": "Bidders loved following their items on their phones; the live sales page kept me in step.",
        "order": 2,
    },
]


def _publish_first_version(document_type: str, body: str, actor: Any) -> None:
    """Version 1.0 of the type, published — unless a version of the type is published already."""
    if LegalDocument.objects.filter(type=document_type, status=DocumentStatus.PUBLISHED).exists():
        return
    document = LegalDocument.objects.filter(type=document_type, major=1, minor=0).first()
    if document is None:
        document = documents.legal_document_create(type=document_type, version="1.0", body=body, actor=actor)
    if document.status == DocumentStatus.DRAFT:
        documents.legal_document_publish(document=document, actor=actor)


def seed(out: Any) -> list[tuple[str, str, str]]:
    admin = User.objects.filter(email="admin@augeo.local").first()
    _publish_first_version(DocumentType.TERMS, TERMS, admin)
    _publish_first_version(DocumentType.PRIVACY, PRIVACY, admin)
    current = consent.current_documents()
    for user in User.objects.filter(email__endswith=DEMO_DOMAIN, is_active=True).order_by("email"):
        consent.consent_accept(
            user=user,
            terms_version=current["terms"].version if "terms" in current else None,
            privacy_version=current["privacy"].version if "privacy" in current else None,
        )
    for entry in TESTIMONIALS:
        testimonial = Testimonial.objects.filter(author_name=entry["author_name"]).first()
        if testimonial is None:
            testimonial = Testimonial(published=True, **entry)
            public.testimonial_save(testimonial=testimonial, actor=admin)
    out.write("Legal: terms and privacy policy published and accepted by the demo accounts; testimonials.")
    return []
