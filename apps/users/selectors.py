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
