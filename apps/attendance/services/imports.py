"""CSV import of guests (``manage.py import_guests``): validate every row first, then all or nothing.

The file has a header row; column names are case-insensitive:

``registrant_email`` (required)
    the account that owns the party; rows with the same value form one registration. The account is
    found by e-mail or created without a password (the person claims it with a password reset).
``first_name``, ``last_name``, ``email``, ``phone``
    the guest; the row whose ``email`` equals ``registrant_email`` is the registrant's own guest
    record (if the party has no such row, one is made from the account's name). Empty names make a
    placeholder guest.
``meal``
    a meal option *name* of the event (case-insensitive).
``table``
    an existing table number of the event (its capacity is checked).
``bidder_number``
    a bidder number; rows of the same party may share one, another party's number is an error.

Errors are reported with the file's row number (the header is row 1); hostile values (``"²"``, which
``str.isdigit()`` accepts, or a 23-digit bidder number) are row errors too, never a traceback. Names
follow the same rule as the API (plain text, at most 60 characters, no addresses). Imports ignore event capacity
like walk-ins (staff are loading a known list) and send no e-mails, so a re-run cannot spam anyone;
a party whose account already has a confirmed registration for the event is an error, so a second
run of the same file fails instead of duplicating guests.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from apps.attendance.models import Paddle, Registration, RegistrationSource, RegistrationStatus, Table
from apps.attendance.services.common import lock_event
from apps.attendance.services.invitations import mail_name_problem
from apps.attendance.services.paddles import guest_set_bidder_number
from apps.attendance.services.registrations import registration_write
from apps.attendance.services.seating import guest_assign_table
from apps.core.exceptions import DomainError
from apps.core.money import int_parse
from apps.core.services import audit_record
from apps.events.models import Event
from apps.users.models import User
from apps.users.services.accounts import user_create_without_password

COLUMNS = ["registrant_email", "first_name", "last_name", "email", "phone", "meal", "table", "bidder_number"]
MAX_ROWS = 20_000
#: The admin page's limit: each guest costs ~13 queries through the services (~17 ms on PostgreSQL),
#: and the preview and the import each run within one web request (gunicorn's 30 s timeout). Longer
#: lists go through ``manage.py import_guests``.
ADMIN_MAX_ROWS = 1_000
#: The largest bidder / table number (the API's limit; the columns are 32-bit integers).
MAX_NUMBER = 999_999_999


def _number(text: str) -> int | None:
    """A positive whole number of ASCII digits up to :data:`MAX_NUMBER`, else ``None``."""
    value = int_parse(text) if text[:1] not in "+-" else None
    return value if value is not None and 0 < value <= MAX_NUMBER else None


@dataclass
class ImportReport:
    registrations: int = 0
    guests: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class _Row:
    line: int
    registrant_email: str
    first_name: str
    last_name: str
    email: str
    phone: str
    meal: Any
    table: Table | None
    bidder_number: int | None


def _read(stream: IO[Any], max_rows: int) -> tuple[list[dict[str, str]], list[str]]:
    raw = stream.read()
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            return [], ["The file is not UTF-8 text."]
    raw = raw.lstrip("\ufeff")
    try:
        reader = csv.DictReader(io.StringIO(raw))
        header = [h.strip().lower() for h in (reader.fieldnames or [])]
        reader.fieldnames = header
        rows = list(reader)
    except csv.Error as exc:
        return [], [f"The file is not valid CSV: {exc}."]
    if "registrant_email" not in header:
        return [], ["row 1: the header must include registrant_email."]
    unknown = sorted(set(header) - set(COLUMNS) - {""})
    if unknown:
        return [], [f"row 1: unknown column(s): {', '.join(unknown)}."]
    if len(rows) > max_rows:
        hint = " (use manage.py import_guests for longer lists)" if max_rows < MAX_ROWS else ""
        return [], [f"At most {max_rows} rows per file{hint}."]
    return rows, []


def _email(value: str) -> bool:
    if len(value) > 254:  # the column's length; Django's validator alone allows up to 320
        return False
    try:
        validate_email(value)
    except ValidationError:
        return False
    return True


def guests_import(
    *, event: Event, stream: IO[Any], actor: Any = None, dry_run: bool = False, max_rows: int = MAX_ROWS
) -> ImportReport:
    """Validate the whole file, then import it in one transaction (nothing when any row is wrong or
    with ``dry_run``). Returns the report; ``report.errors`` lists problems as ``row N: …``.
    ``max_rows``: the admin page passes :data:`ADMIN_MAX_ROWS`."""
    report = ImportReport()
    raw_rows, report.errors = _read(stream, max_rows)
    if report.errors:
        return report

    meals = {m.name.strip().lower(): m for m in event.food_options.all()}
    tables = {t.number: t for t in Table.objects.filter(event=event)}
    taken_numbers = set(Paddle.objects.filter(event=event).values_list("number", flat=True))
    rows: list[_Row] = []
    errors = report.errors

    for index, raw in enumerate(raw_rows, start=2):
        if None in raw:  # more cells than header columns
            errors.append(f"row {index}: more cells than columns.")
            continue
        cell = {k: (raw.get(k) or "").strip() for k in COLUMNS}
        problems: list[str] = []
        registrant_email = cell["registrant_email"].lower()
        if not registrant_email or not _email(registrant_email):
            problems.append("registrant_email: a valid e-mail address is required")
        email = cell["email"].lower()
        if email and not _email(email):
            problems.append(f"email: {cell['email']!r} is not a valid e-mail address")
        for key in ("first_name", "last_name"):
            problem = mail_name_problem(cell[key])
            if problem:
                problems.append(f"{key}: {problem[0].lower()}{problem[1:].rstrip('.')}")
        if len(cell["phone"]) > 30 or not cell["phone"].isprintable():
            problems.append("phone: at most 30 printable characters")
        meal = None
        if cell["meal"]:
            meal = meals.get(cell["meal"].lower())
            if meal is None:
                problems.append(f"meal: {cell['meal']!r} is not a meal option of this event")
        table = None
        if cell["table"]:
            table_number = _number(cell["table"])
            if table_number is None or table_number not in tables:
                problems.append(f"table: no table {cell['table']!r} in this event")
            else:
                table = tables[table_number]
        number = None
        if cell["bidder_number"]:
            number = _number(cell["bidder_number"])
            if number is None:
                problems.append(f"bidder_number: must be a whole number from 1 to {MAX_NUMBER}")
            else:
                if number in taken_numbers:
                    problems.append(f"bidder_number: {number} is already held in this event")
        if problems:
            errors.append(f"row {index}: " + "; ".join(problems))
            continue
        rows.append(
            _Row(
                index,
                registrant_email,
                cell["first_name"],
                cell["last_name"],
                email,
                cell["phone"],
                meal,
                table,
                number,
            )
        )

    parties: dict[str, list[_Row]] = defaultdict(list)
    for row in rows:
        parties[row.registrant_email].append(row)

    number_owner: dict[int, str] = {}
    for row in rows:
        if row.bidder_number is None:
            continue
        owner = number_owner.setdefault(row.bidder_number, row.registrant_email)
        if owner != row.registrant_email:
            errors.append(f"row {row.line}: bidder_number: {row.bidder_number} is used by another party in this file")

    existing_users = {u.email: u for u in User.objects.filter(email__in=list(parties))}
    _check_not_registered(event, parties, errors)

    seats = dict.fromkeys(tables, 0)
    for number, table in tables.items():
        seats[number] = table.capacity - table.guests.filter(registration__status=RegistrationStatus.CONFIRMED).count()
    for row in rows:
        if row.table is not None:
            seats[row.table.number] -= 1
            if seats[row.table.number] < 0:
                errors.append(f"row {row.line}: table: table {row.table.number} is full")

    report.registrations = len(parties)
    report.guests = sum(len(p) + (0 if any(r.email == email for r in p) else 1) for email, p in parties.items())
    if errors:
        return report

    # The writes run even for a dry run, in a transaction rolled back at the end: a dry run exercises
    # exactly what a real run would (constraints, locks and the services' own checks), then leaves
    # nothing. Every row goes through the registration services: the party's rows through
    # ``registration_write`` (the core ``registration_create`` also uses, without its capacity check
    # and e-mails), bidder numbers through ``guest_set_bidder_number`` (paddle allocation lock, another
    # party's number refused) and seats through ``guest_assign_table`` (table lock, full table
    # refused). The checks above give every error of the file at once; the services re-check under
    # their locks, so a number or seat taken by a check-in since then is a row error, not a 500.
    line = 0
    with transaction.atomic():
        lock_event(event.pk)  # the attendance lock order starts with the event (apps.attendance.locks)
        _check_not_registered(event, parties, errors)  # again, under the lock: an online registration may have landed
        if errors:
            transaction.set_rollback(True)
            return report
        try:
            for email, party in parties.items():
                line = party[0].line
                own = next((r for r in party if r.email == email), None)
                user = existing_users.get(email)
                if user is None:
                    user = user_create_without_password(
                        email=email,
                        first_name=own.first_name if own else "",
                        last_name=own.last_name if own else "",
                        actor=actor,
                        reason="import",
                    )
                others = [r for r in party if r is not own]
                _, registrant, extra = registration_write(
                    event=event,
                    user=user,
                    source=RegistrationSource.IMPORT,
                    registrant=_guest_values(own) if own else None,
                    guests=[{"email": r.email, **_guest_values(r)} for r in others],
                    actor=actor,
                )
                written = ([(own, registrant)] if own else []) + list(zip(others, extra, strict=True))
                for row, guest in written:
                    line = row.line
                    if row.bidder_number is not None:
                        guest_set_bidder_number(guest=guest, actor=actor, number=row.bidder_number)
                    if row.table is not None:
                        guest_assign_table(guest=guest, actor=actor, table=row.table)
        except DomainError as exc:
            transaction.set_rollback(True)
            errors.append(f"row {line}: {exc.message}")
            return report
        audit_record(
            actor=actor,
            action="attendance.guests_imported",
            obj=event,
            npo_id=event.npo_id,
            details={"registrations": report.registrations, "guests": report.guests},
        )
        if dry_run:
            transaction.set_rollback(True)
    return report


def _check_not_registered(event: Event, parties: dict[str, list[_Row]], errors: list[str]) -> None:
    """A party whose account already has a confirmed registration is an error (a re-run of the same
    file fails instead of duplicating guests)."""
    already = set(
        Registration.objects.filter(
            event=event, status=RegistrationStatus.CONFIRMED, user__email__in=list(parties)
        ).values_list("user__email", flat=True)
    )
    for email, party in parties.items():
        if email in already:
            errors.append(f"row {party[0].line}: {email} is already registered for this event")


def _guest_values(row: _Row) -> dict[str, Any]:
    return {
        "first_name": row.first_name,
        "last_name": row.last_name,
        "phone": row.phone,
        "food_option": row.meal,
    }
