"""Reads of NPOs, members and invitations, already scoped to the caller (one query each)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from apps.core.exceptions import NotFound
from apps.npos import authz
from apps.npos.models import NPO, Invitation, Membership, MembershipStatus


def npos_visible_to(user: Any) -> QuerySet[NPO]:
    """Super admins: every live NPO; everyone else: the live NPOs where they are an active member."""
    return authz.scope(NPO.objects.all(), user, None, npo_path="pk")


def npo_get_visible(user: Any, npo_id: Any) -> NPO:
    """The NPO if ``user`` may see it; 404 ``NOT_FOUND`` otherwise (never confirms it exists)."""
    npo = npos_visible_to(user).filter(pk=npo_id).first()
    if npo is None:
        raise NotFound(message="This NPO does not exist.")
    return npo


def npos_where(user: Any, capability: str | None) -> QuerySet[NPO]:
    """Live NPOs where ``user`` holds ``capability`` (super admins: all)."""
    return authz.scope(NPO.objects.all(), user, capability, npo_path="pk")


def members_of(npo: NPO) -> QuerySet[Membership]:
    return Membership.objects.filter(npo=npo).select_related("user").order_by("user__email")


def active_members_of(npo: NPO) -> QuerySet[Membership]:
    return members_of(npo).filter(status=MembershipStatus.ACTIVE)


def invitations_of(npo: NPO) -> QuerySet[Invitation]:
    return Invitation.objects.filter(npo=npo).select_related("invited_by").order_by("-created_at")


def memberships_for_user(user: Any) -> QuerySet[Membership]:
    """The user's active memberships of live NPOs (``GET /users/me/``), NPO loaded."""
    return authz.memberships_of(user).select_related("npo").order_by("npo__name")
