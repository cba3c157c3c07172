"""Seating: tables (numbers unique per event, capacity never below the guests seated, a captain
seated there), seating one guest, and seating everyone automatically (parties together)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone

from apps.attendance.models import (
    Guest,
    RegistrationStatus,
    Table,
)
from apps.attendance.services.common import (
    check_confirmed,
)
from apps.core.errors import ErrorCode
from apps.core.exceptions import Conflict, ValidationFailed
from apps.core.services import audit_record
from apps.events.models import Event


def _occupancy(table: Table, *, excluding: Any = None) -> int:
    qs = Guest.objects.filter(table=table, registration__status=RegistrationStatus.CONFIRMED)
    if excluding is not None:
        qs = qs.exclude(pk=excluding)
    return qs.count()


def _check_captain(table: Table, captain: Guest | None) -> None:
    if captain is not None and captain.table_id != table.pk:
        raise ValidationFailed(
            message="The captain must be a guest seated at this table.",
            fields={"captain": ["The captain must be a guest seated at this table."]},
        )


def _check_number_free(event_id: Any, number: int, *, excluding: Any = None) -> None:
    qs = Table.objects.filter(event_id=event_id, number=number)
    if excluding is not None:
        qs = qs.exclude(pk=excluding)
    if qs.exists():
        raise ValidationFailed(
            message=f"Table {number} already exists.", fields={"number": ["A table with this number already exists."]}
        )


def _check_capacity_value(capacity: Any) -> None:
    if isinstance(capacity, bool) or not isinstance(capacity, int) or capacity <= 0:
        raise ValidationFailed(message="Capacity must be positive.", fields={"capacity": ["Must be at least 1."]})


@transaction.atomic
def table_create(
    *,
    event: Event,
    actor: Any,
    number: int,
    capacity: int,
    name: str = "",
    captain: Guest | None = None,
    ip: str | None = None,
) -> Table:
    """A new table; its number is unique within the event.

    The captain must be a guest seated at the table (product.md §4). A table that does not exist yet
    has nobody seated, so naming a captain on creation seats that guest there first (moving them
    from any other table) — what a planner building the seating chart means by it.
    """
    _check_capacity_value(capacity)
    _check_number_free(event.pk, number)
    try:
        with transaction.atomic():
            table = Table.objects.create(event=event, number=number, name=name or "", capacity=capacity)
    except IntegrityError:
        raise ValidationFailed(
            message=f"Table {number} already exists.", fields={"number": ["A table with this number already exists."]}
        ) from None
    if captain is not None:
        if captain.event_id != event.pk:
            raise ValidationFailed(
                message="The captain must be a guest of this event.", fields={"captain": ["Not a guest of this event."]}
            )
        guest_assign_table(guest=captain, actor=actor, table=table, ip=ip)
        table.captain = captain
        table.save(update_fields=["captain", "updated_at"])
    audit_record(
        actor=actor,
        action="attendance.table_create",
        obj=table,
        npo_id=event.npo_id,
        ip=ip,
        details={"number": number, "capacity": capacity},
    )
    return table


@transaction.atomic
def table_update(*, table: Table, actor: Any, data: dict[str, Any], ip: str | None = None) -> Table:
    """Change number, name, capacity (never below the guests seated: 409 ``CAPACITY_BELOW_OCCUPANCY``)
    or captain (a guest seated here, or ``None``)."""
    locked = Table.objects.select_for_update().get(pk=table.pk)
    if "capacity" in data:
        _check_capacity_value(data["capacity"])
    if "number" in data and data["number"] != locked.number:
        _check_number_free(locked.event_id, data["number"], excluding=locked.pk)
        locked.number = data["number"]
    if "captain" in data:
        _check_captain(locked, data["captain"])
        locked.captain = data["captain"]
    if "name" in data:
        locked.name = data["name"] or ""
    if "capacity" in data:
        occupied = _occupancy(locked)
        if data["capacity"] < occupied:
            raise Conflict(
                ErrorCode.CAPACITY_BELOW_OCCUPANCY,
                f"{occupied} guests are seated at this table.",
                occupancy=occupied,
            )
        locked.capacity = data["capacity"]
    locked.save()
    audit_record(
        actor=actor,
        action="attendance.table_update",
        obj=locked,
        npo_id=Event.objects.values_list("npo_id", flat=True).get(pk=locked.event_id),
        ip=ip,
        details={"fields": sorted(data)},
    )
    return locked


@transaction.atomic
def table_delete(*, table: Table, actor: Any, ip: str | None = None) -> None:
    """Delete a table; its guests become unseated."""
    locked = Table.objects.select_for_update().filter(pk=table.pk).first()
    if locked is None:
        return
    audit_record(
        actor=actor,
        action="attendance.table_delete",
        obj=locked,
        npo_id=Event.objects.values_list("npo_id", flat=True).get(pk=locked.event_id),
        ip=ip,
        details={"number": locked.number},
    )
    locked.delete()


@transaction.atomic
def guest_assign_table(*, guest: Guest, actor: Any, table: Table | None, ip: str | None = None) -> Guest:
    """Seat a guest at a table of the same event (``None`` unseats). Full → 409 ``TABLE_FULL``. A captain
    who leaves the table stops being its captain."""
    locked = Guest.objects.select_for_update(no_key=True).select_related("registration").get(pk=guest.pk)
    check_confirmed(locked.registration)
    if table is not None:
        if table.event_id != locked.event_id:
            raise ValidationFailed(
                message="Not a table of this event.", fields={"table": ["Not a table of this event."]}
            )
        table = Table.objects.select_for_update().get(pk=table.pk)
        if locked.table_id != table.pk and _occupancy(table, excluding=locked.pk) >= table.capacity:
            raise Conflict(ErrorCode.TABLE_FULL, f"Table {table.number} is full.", table=str(table.pk))
    if locked.table_id and (table is None or locked.table_id != table.pk):
        Table.objects.filter(pk=locked.table_id, captain=locked).update(captain=None)
    locked.table = table
    locked.save(update_fields=["table", "updated_at"])
    audit_record(
        actor=actor,
        action="attendance.guest_assign_table",
        obj=locked,
        npo_id=Event.objects.values_list("npo_id", flat=True).get(pk=locked.event_id),
        ip=ip,
        details={"table": table.number if table is not None else None},
    )
    return locked


@dataclass
class AutoAssignResult:
    assigned: list[dict[str, Any]] = field(default_factory=list)
    unassigned: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@transaction.atomic
def tables_auto_assign(*, event: Event, actor: Any, ip: str | None = None) -> AutoAssignResult:
    """Seat every unseated guest of confirmed registrations. Guests already seated stay where they are.

    Parties (registrations) are kept together, largest first. A party goes to a table where some of
    its members already sit if the rest fit, else to the table with the fewest free seats that still
    fits everyone (best fit leaves big tables for big parties). Only a party no table can hold is
    split, filling the emptiest tables first; a warning names it. Whoever finds no seat at all is
    reported in ``unassigned``.
    """
    # Guest rows before table rows: the order guest_assign_table uses too (apps.attendance.locks).
    guests = list(
        Guest.objects.select_for_update(of=("self",), no_key=True)
        .filter(event=event, registration__status=RegistrationStatus.CONFIRMED)
        .select_related("registration")
        .order_by("registration__created_at", "-is_registrant", "created_at")
    )
    tables = list(Table.objects.select_for_update().filter(event=event).order_by("number"))
    occupied = dict(
        Guest.objects.filter(table__in=tables, registration__status=RegistrationStatus.CONFIRMED)
        .values_list("table_id")
        .annotate(n=Count("id"))
        .values_list("table_id", "n")
    )
    free = {t.pk: t.capacity - occupied.get(t.pk, 0) for t in tables}
    by_id = {t.pk: t for t in tables}
    seated_at: dict[Any, set[Any]] = {}
    parties: dict[Any, list[Guest]] = {}
    for g in guests:
        if g.table_id:
            seated_at.setdefault(g.registration_id, set()).add(g.table_id)
        else:
            parties.setdefault(g.registration_id, []).append(g)
    order = sorted(parties.items(), key=lambda item: -len(item[1]))  # stable: earlier registrations first
    result = AutoAssignResult()

    def seat(members: list[Guest], table: Table) -> None:
        ids = [m.pk for m in members]
        Guest.objects.filter(pk__in=ids).update(table=table, updated_at=timezone.now())
        free[table.pk] -= len(members)
        for m in members:
            result.assigned.append(
                {
                    "guest": str(m.pk),
                    "name": m.full_name,
                    "table": str(table.pk),
                    "table_number": table.number,
                    "registration": str(m.registration_id),
                }
            )

    for registration_id, members in order:
        size = len(members)
        code = members[0].registration.code
        preferred = [by_id[t] for t in sorted(seated_at.get(registration_id, ()), key=lambda t: by_id[t].number)]
        target = next((t for t in preferred if free[t.pk] >= size), None)
        if target is None:
            fitting = [t for t in tables if free[t.pk] >= size]
            target = min(fitting, key=lambda t: (free[t.pk], t.number)) if fitting else None
        if target is not None:
            seat(members, target)
            continue
        remaining = list(members)
        used: list[int] = []
        for table in sorted(tables, key=lambda t: (-free[t.pk], t.number)):
            if not remaining or free[table.pk] <= 0:
                continue
            chunk, remaining = remaining[: free[table.pk]], remaining[free[table.pk] :]
            seat(chunk, table)
            used.append(table.number)
        if len(used) > 1:
            result.warnings.append(f"Party {code} ({size} guests) was split across tables {', '.join(map(str, used))}.")
        if remaining:
            result.warnings.append(f"Party {code}: {len(remaining)} of {size} guests could not be seated.")
            for m in remaining:
                result.unassigned.append(
                    {"guest": str(m.pk), "name": m.full_name, "registration": str(m.registration_id)}
                )
    audit_record(
        actor=actor,
        action="attendance.tables_auto_assigned",
        obj=event,
        npo_id=event.npo_id,
        ip=ip,
        details={"assigned": len(result.assigned), "unassigned": len(result.unassigned)},
    )
    return result
