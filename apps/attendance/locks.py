"""The one lock order of the platform's writes, and the helpers that take each lock.

Every transaction that takes more than one of these row locks takes them in this order, and never
goes back up the list (a lock taken out of order is how two requests deadlock, or how a check made
before a lock goes stale)::

    1. event row                 registration_create, guest_add, walk-ins, event close, item numbers
    2. registration row          cancel, guest changes, check-in, a paddle's first allocation, and
                                 every bid / buy-now / sale / pledge (re-checks the party is confirmed)
    3. guest row(s)              the guest whose paddle, e-mail or check-in changes
    4. paddle allocation lock    a per-event advisory lock while a bidder number is chosen
       and paddle rows           a paddle is locked before auction rows are written for it, and
                                 before it is released (deleted)
    5. item row                  bids, buy-now, sales, closing (auctions.services._lock_item)
    6. sale / pledge row         undo
    7. payment / refund / donation rows, then an NPO's receipt counter   checkout

Checkout (apps/checkout) locks the paddle row (level 4) before it reads a statement and writes a
payment, refund or donation; a live-sale or pledge undo takes the same paddle lock before the item,
so a payment and an undo that shrinks the statement are decided one after the other.

Why the registration comes before the item: a cancellation and a bid on the same party then queue
on the registration row. Either the bid commits first (the cancellation then sees its activity and
keeps the paddle) or the cancellation does (the bid re-reads ``cancelled`` under its lock and answers
409 ``NOT_REGISTERED``) — a cancelled party never gets a bid in, and a paddle is never deleted under
a bid being written (PostgreSQL checks foreign keys only at COMMIT, so that race ended in a 500).

A bidder's first paddle is allocated in its own short transaction (levels 2-4) before the bid takes
levels 2-5, so the per-event allocation lock is never held while waiting for a hot item. (Inside an
``Idempotency-Key`` request both run in the key's transaction; the order is the same, so it stays
deadlock-free.) An event close locks the event and then its items (1 → 5) and touches no party rows.

Event, party and guest rows are locked ``FOR NO KEY UPDATE``: it excludes every other writer of the
row (and a DELETE) just like ``FOR UPDATE``, but not the ``KEY SHARE`` lock PostgreSQL's foreign-key
check takes at COMMIT — a lock *below* in the order that a committing transaction needs on a row
locked *above*. Two cases the race tests found: a bid that outbids a leader writes the leader's
automatic row, whose foreign key is checked against the leader's paddle, which the leader's own next
bid holds while it waits for the item; and a transaction that updates a guest row twice re-checks
all its foreign keys, the event's included, while a pledge or a close holds the event row. With
``FOR UPDATE`` both waits close a cycle: a deadlock.

On SQLite (the embedded default) ``SELECT … FOR UPDATE`` is a no-op and write transactions are
serialised by the database itself.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import connection

from apps.attendance.models import Guest, Paddle, Registration
from apps.core.prepared import PreparedRead, joined_rows, require_transaction

_PADDLE_LOCK_NAMESPACE = 0x0A77E4D  # first int of the two-int advisory lock key: "attendance paddles"


# ``lean=True``: the columns the bid path reads of the rows it locks (``apps.auctions.services.bidders.
# bidder_lock``) and nothing else, through one precompiled statement each (``_lean_lock``). Every bid
# takes these three locks, and building their SQL with the ORM cost more than the locks themselves
# (bench/hotspots.py bid); a column left out is still read on access, with one more query.
_LEAN_REGISTRATION = ("id", "event_id", "user_id", "status")
_LEAN_GUEST = ("id", "registration_id", "event_id", "user_id", "paddle_id", "checked_in_at")
_LEAN_PADDLE = ("id", "event_id", "number", "registration_id")

_LEAN_READS: dict[Any, PreparedRead] = {}


def _lean_lock(model: Any, columns: tuple[str, ...], pk: Any) -> Any:
    """``SELECT columns FROM model WHERE pk = %s FOR NO KEY UPDATE``, precompiled — the row, or None."""
    read = _LEAN_READS.get(model)
    if read is None:
        read = _LEAN_READS[model] = PreparedRead(model, columns)
    return read.by_pk(uuid.UUID(str(pk)), lock="no_key_update")


def lock_registration(registration_id: Any, *, lean: bool = False) -> Registration:
    """Level 2: the registration row (with its event loaded, unless ``lean``)."""
    if lean:
        registration = _lean_lock(Registration, _LEAN_REGISTRATION, registration_id)
        if registration is None:
            raise Registration.DoesNotExist
        return registration  # type: ignore[no-any-return]
    qs = Registration.objects.select_for_update(of=("self",), no_key=True).select_related("event")
    return qs.get(pk=registration_id)


def lock_guest(guest_id: Any, *, lean: bool = False) -> Guest:
    """Level 3: one guest row. The caller holds the guest's registration lock (level 2)."""
    if lean:
        guest = _lean_lock(Guest, _LEAN_GUEST, guest_id)
        if guest is None:
            raise Guest.DoesNotExist
        return guest  # type: ignore[no-any-return]
    return Guest.objects.select_for_update(no_key=True).get(pk=guest_id)


def lock_paddle_allocation(event_id: Any) -> None:
    """Level 4: serialise bidder-number allocation within one event until the transaction ends."""
    if connection.vendor != "postgresql":
        return
    key = uuid.UUID(str(event_id)).int & 0x7FFFFFFF
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_PADDLE_LOCK_NAMESPACE, key])


def lock_paddle(paddle_id: Any, *, lean: bool = False) -> Paddle | None:
    """Level 4: a paddle row, or ``None`` when it no longer exists (released meanwhile)."""
    if paddle_id is None:
        return None
    if lean:
        return _lean_lock(Paddle, _LEAN_PADDLE, paddle_id)  # type: ignore[no-any-return]
    qs = Paddle.objects.select_for_update(of=("self",), no_key=True).select_related("registration")
    return qs.filter(pk=paddle_id).first()


_PARTY_LOCK: tuple[tuple[PreparedRead, ...], str] | None = None


def lock_bidder_party(registration_id: Any, guest_id: Any) -> tuple[Registration, Guest, Paddle] | None:
    """Levels 2, 3 and 4 of one bidding guest — their registration, their guest row and the paddle
    it holds — locked by one statement, in that order; the lean columns of each. None when the rows
    do not line up (no such registration or guest, the guest in another registration, no paddle):
    the caller then takes the locks one by one (``lock_registration`` …), which tells those cases
    apart, and may hold some of these locks already, which is harmless (a row lock is re-entrant;
    the order is the same).

    Why one statement: every accepted bid takes these three locks before the item's, and three
    round trips were a tenth of its time (2.4 of ~24 ms in-process). PostgreSQL locks a ``FOR …
    OF a, b, c`` statement's rows in the order of that list, so the platform's order holds. A lock
    that had to wait finds the newest version of each row (READ COMMITTED re-checks the join on
    it), as three statements run one after the other would read them. Only where the database
    locks rows (PostgreSQL); SQLite serialises writers anyway, and takes the step-by-step path."""
    global _PARTY_LOCK
    features = connection.features
    if not (features.has_select_for_update_of and features.has_select_for_no_key_update):
        return None
    if _PARTY_LOCK is None:
        quote = connection.ops.quote_name
        reads = (
            PreparedRead(Registration, _LEAN_REGISTRATION),
            PreparedRead(Guest, _LEAN_GUEST),
            PreparedRead(Paddle, _LEAN_PADDLE),
        )
        columns = ", ".join(read.select_list(alias) for read, alias in zip(reads, ("r", "g", "p"), strict=True))
        # Identifiers from the models' _meta, quoted; every value is a parameter.
        _PARTY_LOCK = (
            reads,
            f"SELECT {columns} FROM {quote(Registration._meta.db_table)} r "  # noqa: S608
            f"JOIN {quote(Guest._meta.db_table)} g ON g.{quote('id')} = %s "
            f"AND g.{quote('registration_id')} = r.{quote('id')} "
            f"JOIN {quote(Paddle._meta.db_table)} p ON p.{quote('id')} = g.{quote('paddle_id')} "
            f"WHERE r.{quote('id')} = %s FOR NO KEY UPDATE OF r, g, p",
        )
    require_transaction()
    party_reads, sql = _PARTY_LOCK
    rows = joined_rows(party_reads, sql, [uuid.UUID(str(guest_id)), uuid.UUID(str(registration_id))])
    return rows[0] if rows else None  # type: ignore[return-value]
