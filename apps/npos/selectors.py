"""Reads of NPOs, members and invitations, already scoped to the caller (one query each)."""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import QuerySet

from apps.core.compiled import CompiledQuery
from apps.core.exceptions import NotFound
from apps.npos import authz
from apps.npos.models import NPO, Invitation, Membership


def npos_visible_to(user: Any) -> QuerySet[NPO]:
    """Super admins: every live NPO; everyone else: the live NPOs where they are an active member."""
    return authz.scope(NPO.objects.all(), user, None, npo_path="pk")


def npo_get_visible(user: Any, npo_id: Any) -> NPO:
    """The NPO if ``user`` may see it; 404 ``NOT_FOUND`` otherwise (never confirms it exists)."""
    npo = npos_visible_to(user).filter(pk=npo_id).first()
    if npo is None:
        raise NotFound(message="This NPO does not exist.")
    return npo


def members_of(npo: NPO) -> QuerySet[Membership]:
    return Membership.objects.filter(npo=npo).select_related("user").order_by("user__email")


def invitations_of(npo: NPO) -> QuerySet[Invitation]:
    return Invitation.objects.filter(npo=npo).select_related("invited_by").order_by("-created_at")


_SUMMARIES: CompiledQuery[tuple[Any, str]] = CompiledQuery(
    "npos.membership_summaries",
    lambda p: Membership.objects.filter(authz.active_membership_q(), user_id=p.user)
    .order_by("npo__name", "npo_id")
    .values_list("npo_id", "role"),
    user=uuid.UUID,
)


def membership_summaries(user: Any) -> list[dict[str, str]]:
    """The user's memberships that count, as ``users/me`` shows them (``{npo, role}``, by NPO
    name): every app reads them at start, so the query is compiled once (``CompiledQuery``)."""
    if not getattr(user, "is_authenticated", False):
        return []
    return [{"npo": str(npo_id), "role": role} for npo_id, role in _SUMMARIES.all(user=user.pk)]
