"""Reads of the attendance app: querysets already scoped to the caller, lookups other apps rely on."""

from __future__ import annotations

import functools
import re
import uuid
from typing import Any

from django.db import connection
from django.db.models import Count, Prefetch, Q, QuerySet, Value
from django.db.models.functions import Upper

from apps.attendance.models import Guest, Paddle, Registration, RegistrationStatus, Table
from apps.core.exceptions import NotFound
from apps.core.prepared import PreparedRead, convert, fetch_prepared, field_converters
from apps.events.models import Event, EventStatus
from apps.events.selectors import caller_flags, event_ref_visible
from apps.npos import authz
from apps.npos.capabilities import Capability, Requirement

_GUEST_RELATED = ("paddle", "table", "food_option", "registration")


def _uuid_or_404(value: Any) -> uuid.UUID:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except (TypeError, ValueError, AttributeError):
        raise NotFound(message="Not found.") from None


def event_get_visible(
    user: Any, event_id: Any, *, capability: Requirement | None = None, columns: tuple[str, ...] | None = None
) -> Event:
    """The event if ``user`` may see it (published/closed for everyone, every event of the user's NPOs);
    404 otherwise (``apps.events.selectors.caller_flags``).

    ``capability``: also answer whether the caller holds it there (``caller_can``), so a view under an
    event knows "may see it" and "may do this" from the same read. ``columns``: only these event
    columns, with the caller's role, in one precompiled statement (``event_ref_visible``) — the
    check-in list's search runs per keystroke on every desk. Otherwise the whole event and its NPO,
    and the caller's role (one more small query) only when the answer needs it: a draft, or a
    capability asked; ``caller_is_member`` is set only then."""
    pk = _uuid_or_404(event_id)
    if columns:
        return event_ref_visible(user, pk, columns=columns, capability=capability)
    event = Event.objects.select_related("npo").filter(pk=pk).first()
    if event is None:
        raise NotFound(message="Event not found.")
    if capability is None and event.status in (EventStatus.PUBLISHED, EventStatus.CLOSED):
        return event
    role = None if authz.is_superuser(user) else authz.role_of(user, event.npo_id)
    return caller_flags(event, user, role, capability)


# --- registrations ---------------------------------------------------------------------------------


def _guests_prefetch() -> Prefetch:
    return Prefetch(
        "guests",
        queryset=Guest.objects.select_related(*_GUEST_RELATED).order_by("-is_registrant", "created_at", "id"),
    )


def registrations_visible_to(user: Any) -> QuerySet[Registration]:
    """Registrations the caller owns plus every registration of NPOs where they hold attendance.view."""
    if not getattr(user, "is_authenticated", False):
        return Registration.objects.none()
    qs = Registration.objects.filter(
        Q(user=user) | authz.scope_q(user, Capability.ATTENDANCE_VIEW, npo_path="event__npo")
    )
    return qs.select_related("event", "event__npo", "user").prefetch_related(_guests_prefetch())


def registrations_of_user(user: Any) -> QuerySet[Registration]:
    """The caller's own registrations (``GET /registrations/``)."""
    return (
        Registration.objects.filter(user=user)
        .select_related("event", "user")
        .prefetch_related(_guests_prefetch())
        .order_by("-created_at")
    )


def registrations_of_event(event: Event) -> QuerySet[Registration]:
    return (
        Registration.objects.filter(event=event)
        .select_related("event", "user")
        .prefetch_related(_guests_prefetch())
        .order_by("-created_at")
    )


def registration_of_user_for_event(*, user: Any, event: Event) -> Registration | None:
    """The caller's confirmed registration for the event: one they own, else the one in which they are
    a linked guest (an invited guest who signed in)."""
    if not getattr(user, "is_authenticated", False):
        return None
    base = Registration.objects.filter(event=event, status=RegistrationStatus.CONFIRMED).prefetch_related(
        _guests_prefetch()
    )
    own = base.filter(user=user).first()
    if own is not None:
        return own
    return base.filter(guests__user=user).order_by("created_at").first()


def registration_with_guests(guest: Guest) -> Registration:
    """The registration of ``guest`` with its guests, as the registration endpoints answer it."""
    return (Registration.objects.select_related("event", "user").prefetch_related(_guests_prefetch())).get(
        pk=guest.registration_id
    )


# --- guests ----------------------------------------------------------------------------------------


#: Every status but "confirmed" (the check constraint allows no others), for an exact index match.
_NOT_CONFIRMED = tuple(status for status in RegistrationStatus.values if status != RegistrationStatus.CONFIRMED)


def guests_of_event(event: Event, *, include_cancelled: bool = False) -> QuerySet[Guest]:
    """The event's guests with their paddle, table, meal and registration; by default only those of
    confirmed registrations.

    "Confirmed" is written as "not in one of the event's other registrations": the few cancelled
    parties come from the (event, status) index, so a search over the guest table needs no join
    (joining every registration to filter the status cost a hash of all of them per keystroke).
    """
    qs = Guest.objects.filter(event=event).select_related(*_GUEST_RELATED)
    if not include_cancelled:
        others = Registration.objects.filter(event=event, status__in=_NOT_CONFIRMED).values("id")
        qs = qs.exclude(registration_id__in=others)
    return qs


_WORD = re.compile(r"\S+")
#: The registration-code alphabet (kept in step with ``services.CODE_ALPHABET``; a test checks it).
_CODE_CHARS = frozenset("ABCDEFGHJKMNPQRSTUVWXYZ23456789")


# The check-in list's order: case-insensitive by name ("de la Cruz" sorts beside "Davis"). Ordering by
# an expression also keeps PostgreSQL from walking the (event, last_name) index and filtering
# thousands of rows to fill a page of a rare search term; it answers from the trigram BitmapOr and
# sorts the few matches instead (bench/checkin.py measures both).
GUEST_LIST_ORDER = (Upper("last_name"), Upper("first_name"), "created_at")


def guests_search(event: Event, term: str = "") -> QuerySet[Guest]:
    """The event's guest list (``guests_of_event``) narrowed by the check-in search, in list order."""
    qs = guests_of_event(event)
    if term.strip():
        qs = qs.filter(guest_search_q(event, term))
    return qs.order_by(*GUEST_LIST_ORDER)


def guest_rows(ids: list[Any], *, fields: tuple[str, ...]) -> list[dict[str, Any]]:
    """The guests ``ids`` as ``QuerySet.values(*fields)`` rows, in the order of ``ids`` (``fields``
    includes ``id``, and reaches the registration, meal, paddle and table as it needs).

    The second half of a list page: the search query pages over guest ids alone (with the window
    count), so PostgreSQL joins the four related tables for the page's 25 rows instead of for every
    match (hash-joining 3,500 paddles for a three-letter search cost more than the search).
    """
    if not ids:
        return []
    by_id = {row["id"]: row for row in Guest.objects.filter(pk__in=ids).order_by().values(*fields)}
    return [by_id[pk] for pk in ids if pk in by_id]


def guest_search_q(event: Event, term: str) -> Q:
    """The check-in search: every word must match a name, the e-mail or the phone (``icontains``,
    served by the trigram indexes on PostgreSQL), or the whole term is a registration code or an
    exact bidder number.

    Codes and numbers are resolved to ids first (two small indexed queries) so the main query stays a
    single-table scan the planner can answer with a BitmapOr over the trigram indexes.
    """
    term = term.strip()
    if not term:
        return Q()
    q = guest_text_q(term)
    registration_ids, paddle_ids = _exact_matches(event, term)
    if registration_ids:
        q |= Q(registration_id__in=registration_ids)
    if paddle_ids:
        q |= Q(paddle_id__in=paddle_ids)
    return q


def _exact_matches(event: Event, term: str) -> tuple[list[Any], list[Any]]:
    """The registrations whose code is ``term`` and the paddles whose number it is (a query each,
    only for a term shaped like one)."""
    registration_ids: list[Any] = []
    paddle_ids: list[Any] = []
    compact = term.replace(" ", "").replace("-", "").upper()
    if len(compact) == 6 and set(compact) <= _CODE_CHARS:
        registration_ids = _ids_where(Registration, "code", event, compact)
    digits = term.lstrip("#")
    if digits.isascii() and digits.isdigit() and len(digits) <= 9:  # "²".isdigit() is True
        paddle_ids = _ids_where(Paddle, "number", event, int(digits))
    return registration_ids, paddle_ids


def _ids_where(model: Any, column: str, event: Event, value: Any) -> list[uuid.UUID]:
    """The ids of ``model``'s rows of ``event`` whose ``column`` is ``value`` — a fixed statement
    kept prepared (a fifth of the desk's searches are digits: a phone's or a bidder number)."""
    quote, meta = connection.ops.quote_name, model._meta
    # Identifiers from the model's _meta, quoted; the values are parameters.
    sql = (
        f"SELECT t.{quote(meta.pk.column)} FROM {quote(meta.db_table)} t "  # noqa: S608
        f"WHERE t.{quote('event_id')} = %s AND t.{quote(column)} = %s"
    )
    event_id = meta.pk.get_db_prep_value(event.pk, connection)
    return [uuid.UUID(str(row[0])) for row in fetch_prepared(sql, [event_id, value])]  # SQLite: hex text


def guest_text_q(term: str) -> Q:
    """Every word of ``term`` (at most six) in the guest's first or last name, e-mail or phone,
    case-insensitively: a substring of ``Guest.search_text`` (those four columns, upper-cased by the
    database, joined by spaces — a word has none, so it cannot straddle two columns). The word is
    upper-cased by the same database function, so case folding matches the stored side exactly."""
    q = Q()
    for word in _WORD.findall(term)[:6]:
        q &= Q(search_text__contains=Upper(Value(word)))
    return q


#: What the guest list shows of a guest and its related rows (GuestSerializer's fields), named as
#: ``QuerySet.values`` names them: the list reads its page this way (no model instances — building
#: five per row with deferred fields cost more than the search), and
#: ``api.serializers.guest_row_data`` turns each row into the answer.
GUEST_ROW_VALUES = (
    "id",
    "first_name",
    "last_name",
    "email",
    "phone",
    "is_registrant",
    "registration_id",
    "registration__code",
    "food_option_id",
    "food_option__name",
    "paddle__number",
    "table_id",
    "table__number",
    "checked_in_at",
    "user_id",
)


def guest_desk_page(event: Event, term: str = "", *, offset: int, limit: int) -> tuple[int, list[dict[str, Any]]]:
    """One page of the check-in search (``guests_search(event, term)`` in its list order) as
    :data:`GUEST_ROW_VALUES` rows, with the number of matches: ``(count, rows)``; ``(0, [])`` when
    the page is empty (past the end, or no match).

    The desk searches per keystroke, so this is one statement instead of three ORM queries (the
    ids with their window count, then the page's rows): the related columns are scalar subqueries,
    which PostgreSQL evaluates after the sort and ``LIMIT``, for the page's rows only — joining the
    four tables before the sort hashed every paddle for a common three letters. The ORM compiled the
    same statement slower than the database ran it, so it is written here from the models' ``_meta``
    (identifiers quoted, every value a parameter) and the backend's own ``contains`` pattern, so a
    word matches exactly as ``guest_text_q`` does; a test compares the two on every case. Filters
    and ``?ordering=`` go through the ORM (``guests_search``).
    """
    words = _WORD.findall(term.strip())[:6]
    registration_ids, paddle_ids = _exact_matches(event, term.strip()) if words else ([], [])
    sql, fields = _desk_sql(connection.vendor, len(words), len(registration_ids), len(paddle_ids))
    prep = Guest._meta.pk.get_db_prep_value  # type: ignore[union-attr]
    params: list[Any] = [prep(event.pk, connection), prep(event.pk, connection), *_NOT_CONFIRMED, *words]
    params += [prep(pk, connection) for pk in (*registration_ids, *paddle_ids)]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, limit, offset])
        fetched = cursor.fetchall()
    if not fetched:
        return 0, []
    converters = _desk_converters(fields)
    names = ("_count", *GUEST_ROW_VALUES)
    rows = [dict(zip(names, convert(row, converters, "default"), strict=True)) for row in fetched]
    return rows[0]["_count"], rows


@functools.cache
def _desk_converters(fields: tuple[Any, ...]) -> list[Any]:
    return field_converters(fields, "default")


@functools.cache
def _desk_sql(vendor: str, words: int, codes: int, paddles: int) -> tuple[str, tuple[Any, ...]]:
    """:func:`guest_desk_page`'s statement for its shape, and the model field each column reads."""
    # Every identifier comes from the models' _meta, quoted; every value is a parameter.
    quote, meta = connection.ops.quote_name, Guest._meta
    columns, fields = ["COUNT(*) OVER ()"], [None]
    for name in GUEST_ROW_VALUES:
        if "__" in name:  # a forward relation's column, read for the page's rows only
            relation, attribute = name.split("__")
            fk: Any = meta.get_field(relation)
            target = fk.related_model._meta
            field: Any = target.get_field(attribute)
            table, key = quote(target.db_table), quote(target.pk.column)
            columns.append(f"(SELECT x.{quote(field.column)} FROM {table} x WHERE x.{key} = g.{quote(fk.column)})")  # noqa: S608
        else:
            field = meta.get_field(name)
            columns.append(f"g.{quote(field.column)}")
        fields.append(field)
    registrations = quote(Registration._meta.db_table)
    statuses = ", ".join(["%s"] * len(_NOT_CONFIRMED))
    where = [
        f"g.{quote('event_id')} = %s",
        f"g.{quote('registration_id')} NOT IN (SELECT r.{quote('id')} FROM {registrations} r "  # noqa: S608
        f"WHERE r.{quote('event_id')} = %s AND r.{quote('status')} IN ({statuses}))",
    ]
    if words:
        # Django's own SQL for ``search_text__contains=Upper(Value(word))`` on this backend.
        backend: Any = connection  # pattern_ops/pattern_esc: every backend's wrapper, not the base's
        like = backend.pattern_ops["contains"].format(backend.pattern_esc.format("UPPER(%s)"))
        either = ["(" + " AND ".join([f"g.{quote('search_text')} {like}"] * words) + ")"]
        if codes:
            either.append(f"g.{quote('registration_id')} IN ({', '.join(['%s'] * codes)})")
        if paddles:
            either.append(f"g.{quote('paddle_id')} IN ({', '.join(['%s'] * paddles)})")
        where.append("(" + " OR ".join(either) + ")")
    order = f"UPPER(g.{quote('last_name')}), UPPER(g.{quote('first_name')}), g.{quote('created_at')}"
    sql = (
        f"SELECT {', '.join(columns)} FROM {quote(meta.db_table)} g "  # noqa: S608
        f"WHERE {' AND '.join(where)} ORDER BY {order} LIMIT %s OFFSET %s"
    )
    return sql, tuple(fields)


def bidder_guest_for(*, user: Any, event: Any, lean: bool = False) -> Guest | None:
    """The user's guest row under a confirmed registration of the event — as its registrant or as a
    guest linked to their account — or ``None`` (the auctions app answers 409 NOT_REGISTERED).

    When the user appears in several parties (invited by a friend, and registered themselves), the
    registrant row of their own registration wins. ``lean``: only the ids and the check-in time,
    without the paddle, registration and table (every bid reads this row before its locks).
    """
    if not getattr(user, "is_authenticated", False):
        return None
    if lean:
        known = getattr(event, "_bidder_guest", None)
        if known is not None and known[0] == user.pk:
            return known[1]  # read with the event a moment ago (bidder_guest_join)
        return _bidder_guest_lean(user.pk, getattr(event, "pk", event))
    qs = Guest.objects.filter(event=event, user=user, registration__status=RegistrationStatus.CONFIRMED)
    qs = qs.select_related("paddle", "registration", "table")
    return qs.order_by("-is_registrant", "created_at", "id").first()


#: The columns of the bidder's guest row the bid path reads before its locks.
BIDDER_GUEST_COLUMNS = ("id", "registration_id", "event_id", "user_id", "paddle_id", "checked_in_at")
_BIDDER_GUEST_READ = PreparedRead(Guest, BIDDER_GUEST_COLUMNS)


def bidder_guest_join(event_column: str) -> tuple[PreparedRead, str, str]:
    """``bidder_guest_for(lean=True)`` inside another statement that reads one row of an event
    (``event_column``: that row's quoted event id, e.g. ``i."event_id"``) — a bid reads its item
    and the bidder's guest in one round trip.

    Returns the guest's read (table alias ``bg``; put ``read.select_list("bg")`` in the SELECT), the
    ``LEFT JOIN`` (two parameters: the user's id, then the confirmed status) and the ``ORDER BY`` that
    picks the row ``bidder_guest_for`` picks (end the statement with ``LIMIT 1``). No such guest:
    the columns are NULL. Pass the result to :func:`bidder_guest_known`."""
    quote = connection.ops.quote_name
    guests, registrations = quote(Guest._meta.db_table), quote(Registration._meta.db_table)
    join = (
        f"LEFT JOIN {guests} bg ON bg.{quote('event_id')} = {event_column} AND bg.{quote('user_id')} = %s "  # noqa: S608
        f"AND bg.{quote('registration_id')} IN (SELECT br.{quote('id')} FROM {registrations} br "
        f"WHERE br.{quote('event_id')} = {event_column} AND br.{quote('status')} = %s)"
    )
    order = f"bg.{quote('is_registrant')} DESC, bg.{quote('created_at')}, bg.{quote('id')}"
    return _BIDDER_GUEST_READ, join, order


def bidder_guest_join_params(user_id: Any) -> list[Any]:
    """The parameters of :func:`bidder_guest_join`'s ``LEFT JOIN``."""
    prep = Guest._meta.pk.get_db_prep_value  # type: ignore[union-attr]
    return [prep(uuid.UUID(str(user_id)), connection), RegistrationStatus.CONFIRMED.value]


def bidder_guest_known(event: Any, user_id: Any, guest: Guest | None) -> None:
    """Remember on ``event`` (this request's instance) the guest a :func:`bidder_guest_join` read
    found for ``user_id`` (a guest of NULLs: none), so ``bidder_guest_for(lean=True)`` answers it
    without a query."""
    event._bidder_guest = (user_id, guest if guest is not None and guest.pk is not None else None)


_BIDDER_GUEST: tuple[PreparedRead, str] | None = None


def _bidder_guest_lean(user_id: Any, event_id: Any) -> Guest | None:
    """``bidder_guest_for(lean=True)`` as one precompiled statement (every bid reads it first)."""
    global _BIDDER_GUEST
    if _BIDDER_GUEST is None:
        quote = connection.ops.quote_name
        read = _BIDDER_GUEST_READ
        guest, registration = Guest._meta, Registration._meta
        # Identifiers from the models' _meta, quoted; every value is a parameter.
        sql = (
            f"SELECT {read.select_list('g')} FROM {quote(guest.db_table)} g "  # noqa: S608
            f"JOIN {quote(registration.db_table)} r ON r.{quote('id')} = g.{quote('registration_id')} "
            f"WHERE g.{quote('event_id')} = %s AND g.{quote('user_id')} = %s AND r.{quote('status')} = %s "
            f"ORDER BY g.{quote('is_registrant')} DESC, g.{quote('created_at')}, g.{quote('id')} LIMIT 1"
        )
        _BIDDER_GUEST = (read, sql)
    read, sql = _BIDDER_GUEST
    prep = Guest._meta.pk.get_db_prep_value  # type: ignore[union-attr]
    rows = read.rows(
        sql,
        [
            prep(uuid.UUID(str(event_id)), connection),
            prep(uuid.UUID(str(user_id)), connection),
            RegistrationStatus.CONFIRMED.value,
        ],
    )
    return rows[0] if rows else None


def paddle_by_number(*, event: Any, number: int) -> Paddle | None:
    """The paddle holding ``number`` in the event, if any (auction clerks record sales by number)."""
    try:
        number = int(number)
    except (TypeError, ValueError):
        return None
    return Paddle.objects.filter(event=event, number=number).select_related("registration").first()


def paddle_has_activity(paddle: Paddle) -> bool:
    """True when any model other than ``Guest`` references the paddle (bids, purchases, sales,
    pledges, whatever the auctions and checkout apps add later) — such a paddle is never released or
    reused, so its statement stays its own. Found by walking the reverse relations, so new apps need
    no change here."""
    # include_hidden: relations declared with related_name="+" (an item's leader/winner paddle) count too.
    for rel in Paddle._meta.get_fields(include_hidden=True):
        if not (rel.auto_created and not rel.concrete and (rel.one_to_many or rel.one_to_one)):
            continue
        model: Any = rel.related_model
        if model is Guest:
            continue
        # The base manager is unfiltered: soft-deleted rows still count.
        if model._base_manager.filter(**{rel.field.name: paddle}).exists():  # type: ignore[union-attr]
            return True
    return False


def guest_reload(pk: Any) -> Guest:
    """One guest with what the guest endpoints serialise (paddle, table, meal, registration)."""
    return Guest.objects.select_related("paddle", "table", "food_option", "registration").get(pk=pk)


# --- tables ----------------------------------------------------------------------------------------


def tables_of_event(event: Event) -> QuerySet[Table]:
    return (
        Table.objects.filter(event=event)
        .select_related("captain")
        .annotate(occupied=Count("guests", filter=Q(guests__registration__status=RegistrationStatus.CONFIRMED)))
        .order_by("number")
    )


def table_occupancy(table: Table) -> int:
    return Guest.objects.filter(table=table, registration__status=RegistrationStatus.CONFIRMED).count()


def meal_counts(event: Event) -> list[dict[str, Any]]:
    """Guests per meal option of the event (confirmed registrations), options with no guests included,
    plus a final row for guests who have not chosen (``food_option: None``)."""
    counts: dict[Any, int] = dict(
        Guest.objects.filter(event=event, registration__status=RegistrationStatus.CONFIRMED)
        .values_list("food_option_id")
        .annotate(n=Count("id"))
        .values_list("food_option_id", "n")
    )
    rows: list[dict[str, Any]] = [
        {"food_option": option.id, "name": option.name, "count": counts.get(option.id, 0)}
        for option in event.food_options.all().order_by("display_order", "name")
    ]
    rows.append({"food_option": None, "name": "No choice yet", "count": counts.get(None, 0)})
    return rows


def seats_taken(event: Event) -> int:
    """Guests of confirmed registrations — what capacity counts (walk-ins included)."""
    return Guest.objects.filter(event=event, registration__status=RegistrationStatus.CONFIRMED).count()
