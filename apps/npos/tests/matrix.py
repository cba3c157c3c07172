"""Permission-matrix rows of the NPO and team endpoints (format: apps/core/tests/matrix.py)."""

from __future__ import annotations

from typing import Any

from apps.core.tests.matrix import Row, expect
from apps.npos.capabilities import Role
from apps.npos.models import NPO, Invitation, Membership, NPOStatus
from apps.npos.services.team import token_hash

INVITE_TOKEN = "matrix-invitation-token"  # a fixed test token

# Who may see NPO A at all: its members and super admins; everyone else signed in gets 404.
SEE = {"super": 200, "members": 200, "others": 404, "donor": 404, "anon": 401}
# Only admins (npo.manage / team.manage) and super admins may change; other members get 403.
ADMIN_ONLY = {"members": 403, "others": 404, "donor": 404, "anon": 401}
SUPER_ONLY = {"members": 403, "others": 404, "donor": 404, "anon": 401}


def build(world: dict[str, Any]) -> None:
    npo_a = world["npo_obj"]
    cashier = Membership.objects.get(npo=npo_a, user=world["users"]["cashier"])
    world["member"] = str(cashier.pk)
    from datetime import timedelta

    from django.utils import timezone

    invitation = Invitation.objects.create(
        npo=npo_a,
        email="invitee@matrix.test",
        role=Role.STAFF,
        token_hash=token_hash("matrix-pending-invitation"),
        expires_at=timezone.now() + timedelta(days=7),
    )
    world["invitation"] = str(invitation.pk)
    # An invitation to the donor's address: only the donor may accept it.
    Invitation.objects.create(
        npo=npo_a,
        email=world["users"]["donor"].email,
        role=Role.STAFF,
        token_hash=token_hash(INVITE_TOKEN),
        expires_at=timezone.now() + timedelta(days=7),
    )


def _status(value: str) -> Any:
    def setup(world: dict[str, Any]) -> None:
        NPO.objects.filter(pk=world["npo"]).update(status=value)

    return setup


def _close_published_events(world: dict[str, Any]) -> None:
    from django.apps import apps

    apps.get_model("events", "Event").objects.filter(npo_id=world["npo"], status="published").update(status="closed")


ROWS = [
    Row("GET", "/api/v1/npos/", expect(all=200, anon=401)),
    Row("POST", "/api/v1/npos/", expect(all=201, anon=401), data={"name": "Matrix New NPO"}),
    Row("GET", "/api/v1/npos/{npo}/", expect(**SEE)),
    Row(
        "PATCH",
        "/api/v1/npos/{npo}/",
        expect(**ADMIN_ONLY, admin=200, super=200),
        data={"mission": "Feed everyone."},
    ),
    Row(
        "DELETE",
        "/api/v1/npos/{npo}/",
        expect(**ADMIN_ONLY, admin=204, super=204),
        setup=_close_published_events,  # other apps' worlds publish events (that case is a 409, tested apart)
    ),
    Row(
        "POST",
        "/api/v1/npos/{npo}/submit/",
        expect(**ADMIN_ONLY, admin=200, super=200),
        setup=_status(NPOStatus.DRAFT),
    ),
    Row(
        "POST",
        "/api/v1/npos/{npo}/approve/",
        expect(**SUPER_ONLY, super=200),
        setup=_status(NPOStatus.PENDING_APPROVAL),
    ),
    Row(
        "POST",
        "/api/v1/npos/{npo}/reject/",
        expect(**SUPER_ONLY, super=200),
        data={"notes": "The tax id does not match."},
        setup=_status(NPOStatus.PENDING_APPROVAL),
    ),
    Row("POST", "/api/v1/npos/{npo}/suspend/", expect(**SUPER_ONLY, super=200)),
    Row(
        "POST",
        "/api/v1/npos/{npo}/reinstate/",
        expect(**SUPER_ONLY, super=200),
        setup=_status(NPOStatus.SUSPENDED),
    ),
    Row("GET", "/api/v1/npos/{npo}/branding/", expect(**SEE)),
    Row(
        "PATCH",
        "/api/v1/npos/{npo}/branding/",
        expect(**ADMIN_ONLY, admin=200, super=200),
        data={"primary_color": "#112233"},
    ),
    Row("GET", "/api/v1/npos/{npo}/members/", expect(**SEE)),
    Row(
        "PATCH",
        "/api/v1/npos/{npo}/members/{member}/",
        expect(**ADMIN_ONLY, admin=200, super=200),
        data={"role": Role.STAFF},
    ),
    Row("DELETE", "/api/v1/npos/{npo}/members/{member}/", expect(**ADMIN_ONLY, admin=204, super=204)),
    Row("GET", "/api/v1/npos/{npo}/invitations/", expect(**ADMIN_ONLY, admin=200, super=200)),
    Row(
        "POST",
        "/api/v1/npos/{npo}/invitations/",
        expect(**ADMIN_ONLY, admin=201, super=201),
        data={"email": "new-member@matrix.test", "role": Role.CASHIER},
    ),
    Row("DELETE", "/api/v1/npos/{npo}/invitations/{invitation}/", expect(**ADMIN_ONLY, admin=204, super=204)),
    Row(
        "POST",
        "/api/v1/npos/{npo}/invitations/{invitation}/resend/",
        expect(**ADMIN_ONLY, admin=200, super=200),
    ),
    Row(
        "POST",
        "/api/v1/invitations/accept/",
        expect(all=403, donor=200, anon=401),
        data={"token": INVITE_TOKEN},
    ),
]
