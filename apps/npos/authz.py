"""Answers "may this user do capability C in NPO N?" and scopes querysets to the NPOs where they may.

The one authorisation model (permissions.md) for the API, the admin and the commands. Scoping is a
subquery on active memberships whose role grants the capability, so a list is filtered in the same
single query whatever its size, never row by row.
"""

from __future__ import annotations

import uuid
from typing import Any, TypeVar

from django.db import models
from django.db.models import Q, QuerySet, Subquery

from apps.core.compiled import CompiledQuery
from apps.core.exceptions import PermissionDenied
from apps.core.superuser import is_superuser
from apps.npos.capabilities import Requirement, roles_with
from apps.npos.models import Membership, MembershipStatus

M = TypeVar("M", bound=models.Model)

__all__ = [
    "active_membership_q",
    "check_capability",
    "has_capability",
    "is_member",
    "is_superuser",
    "memberships_of",
    "npo_ids_with",
    "role_grants",
    "role_of",
    "role_subquery",
    "scope",
    "scope_q",
]


def active_membership_q(prefix: str = "") -> Q:
    """The one definition of a membership that counts (permissions.md: "Only ``active``
    memberships count"): active, in an NPO that is not deleted. ``prefix`` reaches the membership
    from another model (``"memberships__"``)."""
    return Q(**{f"{prefix}status": MembershipStatus.ACTIVE, f"{prefix}npo__deleted_at__isnull": True})


def memberships_of(user: Any) -> QuerySet[Membership]:
    if not getattr(user, "is_authenticated", False):
        return Membership.objects.none()
    return Membership.objects.filter(active_membership_q(), user=user)


def npo_ids_with(user: Any, capability: Requirement | None) -> QuerySet[Any]:
    """Ids of the NPOs where ``user`` holds ``capability`` (a tuple: any of them; ``None``: any active
    membership).

    Returned as a lazy values queryset so it composes into a subquery. Super admins are not special-
    cased here; use :func:`scope` which lets them see everything.
    """
    qs = memberships_of(user)
    if capability is not None:
        qs = qs.filter(role__in=roles_with(capability))
    return qs.values("npo_id")


def role_subquery(user_id: Any, npo: Any) -> Subquery:
    """The role ``user_id`` holds in the NPO ``npo`` (an id or an ``OuterRef``) as a subquery:
    ``NULL`` without a membership that counts. One row at most: a membership is unique per (NPO,
    user). Lets a read of an NPO's row (an event under the catalogue) answer the caller's role in
    the same statement."""
    memberships = Membership.objects.filter(active_membership_q(), user_id=user_id, npo_id=npo)
    return Subquery(memberships.values("role")[:1], output_field=models.CharField())


_ROLE_OF: CompiledQuery[str] = CompiledQuery(
    "npos.role_of",
    lambda p: Membership.objects.filter(active_membership_q(), user_id=p.user, npo_id=p.npo).values_list(
        "role", flat=True
    )[:1],
    user=uuid.UUID,
    npo=uuid.UUID,
)


def role_of(user: Any, npo_id: Any) -> str | None:
    """The role ``user`` holds in ``npo_id`` through a membership that counts, or ``None``
    (anonymous callers, no membership, a deleted NPO)."""
    if npo_id is None or not getattr(user, "is_authenticated", False):
        return None
    return _ROLE_OF.first(user=user.pk, npo=npo_id)


def role_grants(role: str | None, capability: Requirement | None) -> bool:
    """Whether ``role`` grants ``capability`` (any of a tuple; ``None``: any role at all)."""
    if role is None:
        return False
    return capability is None or role in roles_with(capability)


def has_capability(user: Any, npo_id: Any, capability: Requirement | None) -> bool:
    """``capability=None`` asks only for an active membership (any role); a tuple asks for any one."""
    if is_superuser(user):
        return True
    return role_grants(role_of(user, npo_id), capability)


def check_capability(user: Any, npo_id: Any, capability: Requirement, *, message: str | None = None) -> None:
    """403 ``PERMISSION_DENIED`` unless ``user`` holds ``capability`` (any of a tuple) in ``npo_id``.

    The one check: the API views (through their declarations), the admin and the services called from
    several places (a clerk's bid for a bidder number, a live sale, a pledge) all end here."""
    if not has_capability(user, npo_id, capability):
        raise PermissionDenied(message=message or "You do not have permission to do this in this NPO.")


def is_member(user: Any, npo_id: Any) -> bool:
    return has_capability(user, npo_id, None)


def scope(queryset: QuerySet[M], user: Any, capability: Requirement | None, *, npo_path: str = "npo") -> QuerySet[M]:
    """``queryset`` restricted to rows whose NPO (reached through ``npo_path``) grants ``capability``.

    Super admins get the queryset unchanged; anonymous users get nothing.
    """
    if is_superuser(user):
        return queryset
    if not getattr(user, "is_authenticated", False):
        return queryset.none()
    return queryset.filter(**{f"{npo_path}__in": npo_ids_with(user, capability)})


def scope_q(user: Any, capability: Requirement | None, *, npo_path: str = "npo") -> models.Q:
    """The same restriction as a ``Q`` so callers can OR it with public visibility.

    Safe to combine either way: super admins get a tautology (``pk IS NOT NULL``), never an empty
    ``Q()`` — Django drops an empty ``Q`` from ``Q(public) | Q()``, which would have narrowed super
    admins to the public rows; anonymous users get a contradiction (``pk IN ()``), which Django drops
    from an OR and which empties an AND."""
    if is_superuser(user):
        return models.Q(pk__isnull=False)
    if not getattr(user, "is_authenticated", False):
        return models.Q(pk__in=[])
    return models.Q(**{f"{npo_path}__in": npo_ids_with(user, capability)})
