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

from apps.attendance.models import Guest, Paddle, Registration
from apps.core.compiled import CompiledQuery
from apps.core.queries import advisory_xact_lock

_PADDLE_LOCK_NAMESPACE = 0x0A77E4D  # first int of the two-int advisory lock key: "attendance paddles"

# Every bid, purchase, sale and pledge takes the registration, guest and paddle locks before the
# item's: compiled once (``CompiledQuery``), each with what its callers read of the row.
_REGISTRATION: CompiledQuery[Registration] = CompiledQuery(
    "attendance.lock_registration",
    lambda p: Registration.objects.select_for_update(of=("self",), no_key=True)
    .select_related("event")
    .defer("event__description", "event__description_html")
    .filter(pk=p.pk),
    pk=uuid.UUID,
)
_GUEST: CompiledQuery[Guest] = CompiledQuery(
    "attendance.lock_guest", lambda p: Guest.objects.select_for_update(no_key=True).filter(pk=p.pk), pk=uuid.UUID
)
_PADDLE: CompiledQuery[Paddle] = CompiledQuery(
    "attendance.lock_paddle",
    lambda p: Paddle.objects.select_for_update(of=("self",), no_key=True)
    .select_related("registration")
    .filter(pk=p.pk),
    pk=uuid.UUID,
)


def lock_registration(registration_id: Any) -> Registration:
    """Level 2: the registration row (with its event loaded, but for the event's long texts)."""
    registration = _REGISTRATION.first(pk=registration_id)
    if registration is None:
        raise Registration.DoesNotExist
    return registration


def lock_guest(guest_id: Any) -> Guest:
    """Level 3: one guest row. The caller holds the guest's registration lock (level 2)."""
    guest = _GUEST.first(pk=guest_id)
    if guest is None:
        raise Guest.DoesNotExist
    return guest


def lock_paddle_allocation(event_id: Any) -> None:
    """Level 4: serialise bidder-number allocation within one event until the transaction ends."""
    advisory_xact_lock(_PADDLE_LOCK_NAMESPACE, uuid.UUID(str(event_id)).int & 0x7FFFFFFF)


def lock_paddle(paddle_id: Any) -> Paddle | None:
    """Level 4: a paddle row, or ``None`` when it no longer exists (released meanwhile)."""
    if paddle_id is None:
        return None
    return _PADDLE.first(pk=paddle_id)
