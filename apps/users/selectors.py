"""Reads of the accounts area."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import connection
from django.db.models import QuerySet

from apps.core.prepared import fetch_prepared
from apps.npos.models import NPO, Membership, MembershipStatus
from apps.users.models import User


def active_memberships(user: User) -> QuerySet[Membership]:
    """The user's active memberships in NPOs that are not deleted, with the NPO loaded (one query)."""
    return (
        Membership.objects.filter(user=user, status=MembershipStatus.ACTIVE, npo__deleted_at__isnull=True)
        .select_related("npo")
        .order_by("npo__name")
    )


def membership_summaries(user: User) -> list[dict[str, str]]:
    """``active_memberships`` as ``users/me`` shows them (``{npo, role}``), through one precompiled SQL
    statement: the hot path of every app start and poll, where the ORM's query compiler cost three
    times the round trip. A test compares it with ``active_memberships``. A user read with its
    memberships (``authentication.user_with_memberships_by_pk``) answers without a query."""
    known = getattr(user, "_membership_summaries", None)
    if known is not None:
        return list(known)
    global _MEMBERSHIPS_SQL
    if _MEMBERSHIPS_SQL is None:
        quote = connection.ops.quote_name
        membership, npo = Membership._meta, NPO._meta
        # Identifiers from the models' _meta, quoted; the values are parameters.
        _MEMBERSHIPS_SQL = (
            f"SELECT m.{quote('npo_id')}, m.{quote('role')} FROM {quote(membership.db_table)} m "  # noqa: S608
            f"JOIN {quote(npo.db_table)} n ON n.{quote(npo.pk.column)} = m.{quote('npo_id')} "
            f"WHERE m.{quote('user_id')} = %s AND m.{quote('status')} = %s AND n.{quote('deleted_at')} IS NULL "
            f"ORDER BY n.{quote('name')}, m.{quote('npo_id')}"
        )
    user_id = User._meta.pk.get_db_prep_value(user.pk, connection)  # type: ignore[union-attr]
    rows = fetch_prepared(_MEMBERSHIPS_SQL, [user_id, MembershipStatus.ACTIVE.value])
    return [membership_summary(npo_id, role) for npo_id, role in rows]


def membership_summary(npo_id: Any, role: str) -> dict[str, str]:
    """One membership as ``users/me`` shows it (SQLite hands UUIDs back as hex text: one spelling,
    as the ORM would convert them)."""
    return {"npo": str(uuid.UUID(str(npo_id))), "role": role}


_MEMBERSHIPS_SQL: str | None = None
