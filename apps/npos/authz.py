"""Answers "may this user do capability C in NPO N?" and scopes querysets to the NPOs where they may.

The one authorisation model (permissions.md) for the API, the admin and the commands. Scoping is a
subquery on active memberships whose role grants the capability, so a list is filtered in the same
single query whatever its size, never row by row.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.db import connection, models
from django.db.models import QuerySet

from apps.core.exceptions import PermissionDenied
from apps.core.superuser import is_superuser
from apps.npos.capabilities import Requirement, roles_with
from apps.npos.models import Membership, MembershipStatus

M = TypeVar("M", bound=models.Model)

__all__ = [
    "check_capability",
    "has_capability",
    "has_capability_expression",
    "is_member",
    "is_member_expression",
    "is_superuser",
    "memberships_of",
    "npo_ids_with",
    "role_grants",
    "role_of",
    "role_subquery_sql",
    "scope",
    "scope_q",
]


def memberships_of(user: Any) -> QuerySet[Membership]:
    if not getattr(user, "is_authenticated", False):
        return Membership.objects.none()
    return Membership.objects.filter(user=user, status=MembershipStatus.ACTIVE, npo__deleted_at__isnull=True)


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


def role_subquery_sql(npo_column: str) -> str:
    """SQL for "the caller's role in the NPO of ``npo_column``" (``NULL`` without an active membership
    in an NPO that is not deleted) — :func:`memberships_of`'s rule, written out once so hot reads
    run it as precompiled text: the ORM spent several milliseconds building each capability check
    (an ``Exists`` over a join), many times the query itself. Takes the parameters of
    :func:`role_params`; identifiers come from the models' ``_meta``, quoted. One row at most: a
    membership is unique per (NPO, user)."""
    quote = connection.ops.quote_name
    membership, npo = Membership._meta, Membership._meta.get_field("npo").related_model._meta  # type: ignore[union-attr]
    return (
        f"(SELECT m.{quote('role')} FROM {quote(membership.db_table)} m "  # noqa: S608
        f"JOIN {quote(npo.db_table)} n ON n.{quote(npo.pk.column)} = m.{quote('npo_id')} "  # type: ignore[union-attr]
        f"WHERE m.{quote('user_id')} = %s AND m.{quote('npo_id')} = {npo_column} "
        f"AND m.{quote('status')} = %s AND n.{quote('deleted_at')} IS NULL)"
    )


def role_params(user: Any) -> list[Any]:
    user_id = Membership._meta.get_field("user").target_field.get_db_prep_value(user.pk, connection)  # type: ignore[attr-defined]
    return [user_id, MembershipStatus.ACTIVE.value]


_ROLE_SQL: str | None = None


def role_of(user: Any, npo_id: Any) -> str | None:
    """The role ``user`` holds in ``npo_id`` through an active membership, or ``None`` (anonymous
    callers, no membership, a deleted NPO). One precompiled query."""
    global _ROLE_SQL
    if npo_id is None or not getattr(user, "is_authenticated", False):
        return None
    if _ROLE_SQL is None:
        _ROLE_SQL = "SELECT " + role_subquery_sql("%s")
    npo_pk = Membership._meta.get_field("npo").target_field.get_db_prep_value(npo_id, connection)  # type: ignore[attr-defined]
    user_id, status = role_params(user)
    with connection.cursor() as cursor:
        cursor.execute(_ROLE_SQL, [user_id, npo_pk, status])
        row = cursor.fetchone()
    return row[0] if row else None


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


def has_capability_expression(user: Any, capability: Requirement | None, *, npo_path: str = "npo_id") -> Any:
    """:func:`has_capability` as an SQL expression on a row whose NPO is ``npo_path``: annotating the
    row answers the capability check in the query that reads the row, instead of a second query.
    Same rules: super admins always, anonymous callers never, ``capability=None`` any membership."""
    if is_superuser(user):
        return models.Value(True, output_field=models.BooleanField())
    if not getattr(user, "is_authenticated", False):
        return models.Value(False, output_field=models.BooleanField())
    return models.Exists(npo_ids_with(user, capability).filter(npo_id=models.OuterRef(npo_path)))


def is_member_expression(user: Any, *, npo_path: str = "npo_id") -> Any:
    """:func:`is_member` as an SQL expression (see :func:`has_capability_expression`)."""
    return has_capability_expression(user, None, npo_path=npo_path)
