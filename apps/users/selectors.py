"""Reads of the accounts area."""

from __future__ import annotations

from django.db.models import QuerySet

from apps.npos.models import Membership, MembershipStatus
from apps.users.models import User


def active_memberships(user: User) -> QuerySet[Membership]:
    """The user's active memberships in NPOs that are not deleted, with the NPO loaded (one query)."""
    return (
        Membership.objects.filter(user=user, status=MembershipStatus.ACTIVE, npo__deleted_at__isnull=True)
        .select_related("npo")
        .order_by("npo__name")
    )


def membership_summaries(user: User) -> list[dict[str, str]]:
    """``active_memberships`` as ``users/me`` shows them (``{npo, role}``), read as two columns
    instead of two models (the hot path of every app start and poll)."""
    rows = (
        Membership.objects.filter(user=user, status=MembershipStatus.ACTIVE, npo__deleted_at__isnull=True)
        .order_by("npo__name")
        .values_list("npo_id", "role")
    )
    return [{"npo": str(npo_id), "role": role} for npo_id, role in rows]
