"""Reads of the attendance app: querysets already scoped to the caller, lookups other apps rely on."""

from __future__ import annotations

import re
import uuid
from typing import Any

from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery, Value, Window
from django.db.models.functions import Upper

from apps.attendance.models import Guest, Paddle, Registration, RegistrationStatus, Table
from apps.core.compiled import CompiledQuery
from apps.events.models import Event, FoodOption
from apps.npos import authz
from apps.npos.capabilities import Capability

_GUEST_RELATED = ("paddle", "table", "food_option", "registration")


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
    words = search_words(term)
    registrations, paddles = _exact_matches(event, term.strip()) if words else ([], [])
    return guests_matching(event, words, registrations, paddles)


def guests_matching(event: Any, words: list[Any], registrations: list[Any], paddles: list[Any]) -> QuerySet[Guest]:
    """:func:`guests_search` from the term's parts (its words, the registrations and paddles it
    names): the one definition the API's list, the admin's desk and the compiled desk page share."""
    qs = guests_of_event(event)
    if words:
        qs = qs.filter(guest_match_q(words, registrations, paddles))
    return qs.order_by(*GUEST_LIST_ORDER)


def guest_rows(ids: list[Any], *, fields: tuple[str, ...]) -> list[dict[str, Any]]:
    """The guests ``ids`` as ``QuerySet.values(*fields)`` rows, in the order of ``ids`` (``fields``
    includes ``id``, and reaches the registration, meal, paddle and table as it needs).

    The second half of a filtered list page: the search pages over guest ids alone (with the window
    count), so PostgreSQL joins the four related tables for the page's 25 rows instead of for every
    match (hash-joining 3,500 paddles for a three-letter search cost more than the search).
    """
    if not ids:
        return []
    by_id = {row["id"]: row for row in Guest.objects.filter(pk__in=ids).order_by().values(*fields)}
    return [by_id[pk] for pk in ids if pk in by_id]


#: At most this many words of a search count (a desk's typing, never a paragraph).
MAX_WORDS = 6


def search_words(term: str) -> list[str]:
    return _WORD.findall(term.strip())[:MAX_WORDS]


def guest_match_q(words: list[Any], registration_ids: list[Any], paddle_ids: list[Any]) -> Q:
    """The check-in search's condition from its parts: every word in ``Guest.search_text`` (first
    and last name, e-mail and phone, upper-cased by the database and joined by spaces — a word has
    none, so it cannot straddle two columns; the word is upper-cased by the same database function,
    so case folding matches exactly; the trigram index serves it on PostgreSQL), or the whole term
    is a registration code or an exact bidder number (resolved to ids first, two small indexed
    queries, so the main query stays a single-table scan the planner answers with a BitmapOr)."""
    q = Q()
    for word in words:
        q &= Q(search_text__contains=Upper(Value(word)))
    if registration_ids:
        q |= Q(registration_id__in=registration_ids)
    if paddle_ids:
        q |= Q(paddle_id__in=paddle_ids)
    return q


_REGISTRATIONS_BY_CODE: CompiledQuery[Any] = CompiledQuery(
    "attendance.registration_ids_by_code",
    lambda p: Registration.objects.filter(event_id=p.event, code=p.code).values_list("pk", flat=True),
    event=uuid.UUID,
    code=str,
)
_PADDLES_BY_NUMBER: CompiledQuery[Any] = CompiledQuery(
    "attendance.paddle_ids_by_number",
    lambda p: Paddle.objects.filter(event_id=p.event, number=p.number).values_list("pk", flat=True),
    event=uuid.UUID,
    number=int,
)


def _exact_matches(event: Event, term: str) -> tuple[list[Any], list[Any]]:
    """The registrations whose code is ``term`` and the paddles whose number it is (a compiled
    query each, only for a term shaped like one: a fifth of the desk's searches are digits)."""
    registration_ids: list[Any] = []
    paddle_ids: list[Any] = []
    compact = term.replace(" ", "").replace("-", "").upper()
    if len(compact) == 6 and set(compact) <= _CODE_CHARS:
        registration_ids = _REGISTRATIONS_BY_CODE.all(event=event.pk, code=compact)
    digits = term.lstrip("#")
    if digits.isascii() and digits.isdigit() and len(digits) <= 9:  # "²".isdigit() is True
        paddle_ids = _PADDLES_BY_NUMBER.all(event=event.pk, number=int(digits))
    return registration_ids, paddle_ids


#: What the guest list shows of a guest and its related rows (GuestSerializer's fields), named as
#: ``QuerySet.values`` names them: the list reads its page this way (no model instances — building
#: five per row cost more than the search), and ``GuestSerializer.represent_rows`` turns each row
#: into the answer (a test checks these names cover what it reads).
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


def _related_columns() -> dict[str, Subquery]:
    """The related columns of :data:`GUEST_ROW_VALUES` as scalar subqueries, which PostgreSQL
    evaluates after the sort and ``LIMIT``, for the page's rows only — joining the four tables
    before the sort hashed every paddle for a common three letters."""
    return {
        "registration__code": Subquery(Registration.objects.filter(pk=OuterRef("registration_id")).values("code")),
        "food_option__name": Subquery(FoodOption.objects.filter(pk=OuterRef("food_option_id")).values("name")),
        "paddle__number": Subquery(Paddle.objects.filter(pk=OuterRef("paddle_id")).values("number")),
        "table__number": Subquery(Table.objects.filter(pk=OuterRef("table_id")).values("number")),
    }


def _desk_page(p: Any, offset: int, limit: int) -> QuerySet[Any]:
    """:func:`guest_desk_page`'s query: ``guests_search`` for the term's parts, one page, each row
    with the number of matches."""
    qs = guests_matching(p.event, p.words, p.registrations, p.paddles)
    qs = qs.annotate(match_count=Window(Count("*")), **_related_columns())
    return qs.values("match_count", *GUEST_ROW_VALUES)[offset : offset + limit]


_DESK_PAGE: CompiledQuery[dict[str, Any]] = CompiledQuery(
    "attendance.guest_desk_page",
    _desk_page,
    event=uuid.UUID,
    words=[str],
    registrations=[uuid.UUID],
    paddles=[uuid.UUID],
)


def guest_desk_page(event: Event, term: str = "", *, offset: int, limit: int) -> tuple[int, list[dict[str, Any]]]:
    """One page of the check-in search (``guests_search(event, term)`` in its list order) as
    :data:`GUEST_ROW_VALUES` rows, with the number of matches: ``(count, rows)``; ``(0, [])`` when
    the page is empty (past the end, or no match). The desk searches per keystroke on every tablet,
    so the query (one statement) is compiled once per shape of term (``CompiledQuery``); the API's
    guest list and the admin's check-in desk both read it."""
    words = search_words(term)
    registrations, paddles = _exact_matches(event, term.strip()) if words else ([], [])
    rows = _DESK_PAGE.all(offset, limit, event=event.pk, words=words, registrations=registrations, paddles=paddles)
    if not rows:
        return 0, []
    count = rows[0]["match_count"]
    for row in rows:
        del row["match_count"]
    return count, rows


def bidder_guests(event: Any, user: Any) -> QuerySet[Guest]:
    """The user's guest rows under confirmed registrations of the event — as its registrant or as a
    guest linked to their account — the one that acts first at the top: when the user appears in
    several parties (invited by a friend, and registered themselves), the registrant row of their
    own registration. ``event`` and ``user`` are ids or expressions (a bid reads its guest inside the
    item's statement: ``OuterRef("event_id")``). The one definition of "the bidder's guest"."""
    return Guest.objects.filter(
        event_id=event, user_id=user, registration__status=RegistrationStatus.CONFIRMED
    ).order_by("-is_registrant", "created_at", "id")


#: What a bid, a purchase or a pledge reads of the bidder's guest row before its locks (the related
#: rows are read on access, one query each: none of those paths does).
BIDDER_GUEST_COLUMNS = ("id", "registration_id", "paddle_id", "checked_in_at")


def bidder_guest_annotations(event: Any, user: Any) -> dict[str, Subquery]:
    """:data:`BIDDER_GUEST_COLUMNS` of :func:`bidder_guests`' first row, as subqueries another read
    annotates (``bidder_guest__<column>``): a bid reads its item and its guest in one statement."""
    guests = bidder_guests(event, user)
    return {f"bidder_guest__{column}": Subquery(guests.values(column)[:1]) for column in BIDDER_GUEST_COLUMNS}


def bidder_guest_of(row: Any, *, event_id: Any, user_id: Any) -> Guest | None:
    """The guest row :func:`bidder_guest_annotations` read onto ``row`` (taken off it), or ``None``."""
    values = [row.__dict__.pop(f"bidder_guest__{column}") for column in BIDDER_GUEST_COLUMNS]
    if values[0] is None:
        return None
    return Guest.from_db(  # type: ignore[no-any-return]
        row._state.db, [*BIDDER_GUEST_COLUMNS, "event_id", "user_id"], [*values, event_id, user_id]
    )


_BIDDER_GUEST: CompiledQuery[Guest] = CompiledQuery(
    "attendance.bidder_guest",
    lambda p: bidder_guests(p.event, p.user).only("event_id", "user_id", *BIDDER_GUEST_COLUMNS)[:1],
    event=uuid.UUID,
    user=uuid.UUID,
)


def bidder_guest_for(*, user: Any, event: Any) -> Guest | None:
    """:func:`bidder_guests`' first row for ``user`` in ``event``, or ``None`` (the auctions app answers
    409 NOT_REGISTERED); a purchase and a donor's pledge read it (compiled once)."""
    if not getattr(user, "is_authenticated", False):
        return None
    return _BIDDER_GUEST.first(event=getattr(event, "pk", event), user=user.pk)


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
