"""Bidder numbers (paddles): the lowest free number on first need (check-in, a first bid), and numbers
set by hand (shared within a household, never across parties)."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from apps.attendance.locks import lock_guest, lock_paddle_allocation, lock_registration
from apps.attendance.models import (
    Guest,
    Paddle,
    RegistrationStatus,
)
from apps.attendance.services.common import (
    check_confirmed,
    paddle_release_if_unused,
)
from apps.core.errors import ErrorCode
from apps.core.exceptions import Conflict, ValidationFailed
from apps.core.services import audit_record
from apps.events.models import Event


def _lowest_free_number(event: Event) -> int:
    start = max(int(event.next_bidder_number or 1), 1)
    paddles = Paddle.objects.filter(event_id=event.pk)
    if not paddles.filter(number=start).exists():
        return start
    # The lowest taken n ≥ start whose n + 1 is free: an index-ordered scan that stops at the first gap.
    following = Paddle.objects.filter(event_id=event.pk, number=OuterRef("number") + 1)
    before_gap = (
        paddles.filter(number__gte=start)
        .annotate(has_next=Exists(following))
        .filter(has_next=False)
        .order_by("number")
        .values_list("number", flat=True)
        .first()
    )
    return int(before_gap or start) + 1


def _allocate_paddle(event: Event, registration_id: Any) -> Paddle:
    """A new paddle with the lowest free number; the allocation lock is held by the caller, and the
    unique constraint plus a short retry cover any path that skipped it."""
    for _ in range(5):
        number = _lowest_free_number(event)
        try:
            with transaction.atomic():
                return Paddle.objects.create(event_id=event.pk, number=number, registration_id=registration_id)
        except IntegrityError:
            continue
    raise Conflict(ErrorCode.BIDDER_NUMBER_TAKEN, "Could not allocate a bidder number; please retry.")


@transaction.atomic
def paddle_ensure(*, guest: Guest, actor: Any = None) -> Paddle:
    """The guest's paddle, giving them the lowest free number ≥ ``event.next_bidder_number`` when they
    have none. Safe under concurrency: the registration and guest rows are locked (one paddle per
    guest even when two tablets scan the same ticket, none for a party being cancelled), allocation
    holds a per-event lock, and ``(event, number)`` is unique. Used by check-in and by the auctions app
    on a bidder's first bid (in its own short transaction, before the bid locks the item). A cancelled
    registration gets no paddle: 409 ``NOT_REGISTERED``."""
    registration = lock_registration(guest.registration_id)
    locked = lock_guest(guest.pk)
    if locked.paddle_id is not None:
        paddle = Paddle.objects.get(pk=locked.paddle_id)
    elif registration.status != RegistrationStatus.CONFIRMED:
        raise Conflict(ErrorCode.NOT_REGISTERED, "This registration is cancelled.")
    else:
        event = Event.objects.get(pk=locked.event_id)
        lock_paddle_allocation(event.pk)
        paddle = _allocate_paddle(event, locked.registration_id)
        Guest.objects.filter(pk=locked.pk).update(paddle=paddle, updated_at=timezone.now())
        audit_record(
            actor=actor,
            action="attendance.paddle_allocate",
            obj=locked,
            npo_id=event.npo_id,
            details={"bidder_number": paddle.number},
        )
    guest.paddle = paddle
    return paddle


@transaction.atomic
def guest_set_bidder_number(*, guest: Guest, actor: Any, number: int | None, ip: str | None = None) -> Guest:
    """Set a guest's bidder number by hand (audited). A number held by another party is 409
    ``BIDDER_NUMBER_TAKEN``; a paddle of the same party is shared (a household). ``None`` takes the
    number away. The guest's previous paddle is released when nobody holds it and it has no activity."""
    if number is not None and (not isinstance(number, int) or isinstance(number, bool) or number <= 0):
        raise ValidationFailed(message="A bidder number is a positive integer.", fields={"bidder_number": ["Invalid."]})
    registration = lock_registration(guest.registration_id)
    locked = lock_guest(guest.pk)
    check_confirmed(registration)
    event = registration.event
    lock_paddle_allocation(event.pk)
    old = Paddle.objects.filter(pk=locked.paddle_id).first() if locked.paddle_id else None
    if number is None:
        target = None
    elif old is not None and old.number == number:
        return locked
    else:
        target = Paddle.objects.filter(event=event, number=number).first()
        if target is not None and target.registration_id != locked.registration_id:
            raise Conflict(
                ErrorCode.BIDDER_NUMBER_TAKEN, f"Bidder number {number} is held by another party.", bidder_number=number
            )
        if target is None:
            try:
                with transaction.atomic():
                    target = Paddle.objects.create(event=event, number=number, registration_id=locked.registration_id)
            except IntegrityError:
                raise Conflict(
                    ErrorCode.BIDDER_NUMBER_TAKEN,
                    f"Bidder number {number} is held by another party.",
                    bidder_number=number,
                ) from None
    locked.paddle = target
    locked.save(update_fields=["paddle", "updated_at"])
    if old is not None:
        paddle_release_if_unused(old.pk)
    audit_record(
        actor=actor,
        action="attendance.bidder_number_set",
        obj=locked,
        npo_id=event.npo_id,
        ip=ip,
        details={"old": old.number if old else None, "new": number},
    )
    guest.paddle = target
    return locked
