"""Demo NPOs: "Hope Foundation" (approved, one member of each role) and a second NPO in review.

Idempotent: NPOs are found by name (case-insensitively), users by e-mail, memberships by
(npo, user). Later apps' demo modules find the demo NPO with :func:`demo_npo`.
"""

from __future__ import annotations

from typing import Any

from apps.npos.capabilities import Role
from apps.npos.models import NPO, Membership, MembershipStatus, NPOStatus
from apps.npos.services.npos import staff_status_sync
from apps.users.demo import DEMO_PASSWORD, demo_user

DEMO_NPO_NAME = "Hope Foundation"
SECOND_NPO_NAME = "Riverside Arts Council"

_HOPE = {
    "description": "Hope Foundation funds after-school programmes and summer camps for children in need.",
    "mission": "Every child deserves a place to learn and play.",
    "email": "hello@hope.example.org",
    "phone": "+14155550100",
    "website": "https://hope.example.org",
    "tax_id": "94-1234567",
    "address_line1": "100 Market Street",
    "city": "San Francisco",
    "state": "CA",
    "postal_code": "94105",
    "country": "US",
    "currency": "USD",
    "primary_color": "#1D4ED8",
    "secondary_color": "#F59E0B",
    "accent_color": "#10B981",
    "background_color": "#FFFFFF",
    "social_links": {"facebook": "https://www.facebook.com/hopefoundation", "instagram": "https://instagram.com/hope"},
    "status": NPOStatus.APPROVED,
}
_RIVERSIDE = {
    "description": "Community theatre and music for the Riverside district.",
    "email": "office@riverside-arts.example.org",
    "phone": "+14155550111",
    "tax_id": "94-7654321",
    "address_line1": "8 River Road",
    "city": "Portland",
    "state": "OR",
    "postal_code": "97201",
    "country": "US",
    "currency": "USD",
    "status": NPOStatus.PENDING_APPROVAL,
}

# (role, e-mail, first name, last name)
HOPE_TEAM = [
    (Role.ADMIN, "npo-admin@augeo.local", "Nora", "Admin"),
    (Role.COORDINATOR, "coordinator@augeo.local", "Cody", "Coordinator"),
    (Role.STAFF, "staff@augeo.local", "Sam", "Staff"),
    (Role.AUCTIONEER, "auctioneer@augeo.local", "Alex", "Auctioneer"),
    (Role.CASHIER, "cashier@augeo.local", "Casey", "Cashier"),
]
RIVERSIDE_ADMIN = (Role.ADMIN, "riverside-admin@augeo.local", "Rita", "Rivers")


def _npo(name: str, fields: dict[str, Any]) -> NPO:
    npo = NPO.objects.filter(name__iexact=name).first()
    if npo is None:
        npo = NPO.objects.create(name=name, **fields)
    return npo


def _member(npo: NPO, role: str, email: str, first: str, last: str) -> None:
    user = demo_user(email, first_name=first, last_name=last)
    Membership.objects.get_or_create(npo=npo, user=user, defaults={"role": role, "status": MembershipStatus.ACTIVE})
    staff_status_sync(user=user)


def demo_npo() -> NPO | None:
    """The approved demo NPO (for the events/auctions demo data)."""
    return NPO.objects.filter(name__iexact=DEMO_NPO_NAME).first()


def seed(out: Any) -> list[tuple[str, str, str]]:
    hope = _npo(DEMO_NPO_NAME, _HOPE)
    for role, email, first, last in HOPE_TEAM:
        _member(hope, role, email, first, last)
    riverside = _npo(SECOND_NPO_NAME, _RIVERSIDE)
    _member(riverside, *RIVERSIDE_ADMIN)
    credentials = [(f"{DEMO_NPO_NAME} {role.label.lower()}", email, DEMO_PASSWORD) for role, email, _f, _l in HOPE_TEAM]
    credentials.append((f"{SECOND_NPO_NAME} admin", RIVERSIDE_ADMIN[1], DEMO_PASSWORD))
    return credentials
