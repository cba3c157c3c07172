"""Who a bid, purchase, sale or pledge is for: the donor's own guest row or a clerk's bidder number,
resolved before any lock and then locked (registration, guest, paddle) and re-checked inside the
write's transaction, in the platform's lock order (:mod:`apps.attendance.locks`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from apps.attendance.locks import lock_guest, lock_paddle, lock_registration
from apps.attendance.models import Guest, Paddle, RegistrationStatus
from apps.attendance.selectors import paddle_by_number
from apps.attendance.services.paddles import paddle_ensure
from apps.auctions.services.common import int_input
from apps.core.errors import ErrorCode
from apps.core.exceptions import Conflict, PermissionDenied
from apps.events.models import Event


@dataclass
class Bidder:
    """Who a bid, purchase or pledge is for: the paddle, the donor's account (if any), and who to
    notify about it. Built by :func:`bidder_lock` with the party's rows locked."""

    paddle: Paddle
    user: Any  # the bidding account; None for clerk-entered bids
    notify_user: Any  # who gets outbid / won mail for this paddle


@dataclass(frozen=True)
class BidderRef:
    """The bidder as read before any lock: a donor's guest row, or a clerk's paddle number."""

    registration_id: Any
    guest_id: Any = None  # a donor bidding for themselves
    user: Any = None
    paddle_id: Any = None  # a clerk acting for a bidder number
    number: int | None = None


def bidder_resolve(*, user: Any, event: Event, guest: Guest | None, actor: Any) -> BidderRef:
    """The signed-in donor acting for themself, from their guest row for ``event`` (read before any
    lock: ``attendance.selectors.bidder_guest_for``, or a bid's ``BidContext``): 409
    ``NOT_REGISTERED`` / ``CHECKIN_REQUIRED``. A first-time bidder gets the lowest free number here,
    in its own short transaction (``paddle_ensure``), so the per-event allocation lock is never held
    while a hot item's lock is awaited. Call it outside the write's transaction; :func:`bidder_lock`
    re-checks it all."""
    if not getattr(user, "is_authenticated", False):
        raise PermissionDenied(message="Sign in to bid.")
    if guest is None:
        raise Conflict(ErrorCode.NOT_REGISTERED, "Register for this event to bid.")
    if event.checkin_required_to_bid and guest.checked_in_at is None:
        raise Conflict(ErrorCode.CHECKIN_REQUIRED, "Check in at the event to bid.")
    if guest.paddle_id is None:
        paddle_ensure(guest=guest, actor=actor)
    return BidderRef(registration_id=guest.registration_id, guest_id=guest.pk, user=user)


def bidder_resolve_number(*, number: Any, event: Event) -> BidderRef:
    """A clerk acting for a bidder number (phone/absentee bids, live sales, pledges); 409
    ``BIDDER_NUMBER_UNKNOWN`` for a number not issued in the event."""
    value = int_input(number, "bidder_number")
    paddle = paddle_by_number(event=event, number=value)  # type: ignore[arg-type]
    if paddle is None:
        raise Conflict(ErrorCode.BIDDER_NUMBER_UNKNOWN, f"Bidder number {value} was not issued for this event.")
    return BidderRef(registration_id=paddle.registration_id, paddle_id=paddle.pk, number=value)


def bidder_lock(ref: BidderRef, *, event: Event) -> Bidder:
    """Inside the write's transaction, before the item lock: lock the party's registration, the
    guest and the paddle (``apps.attendance.locks``, levels 2-4) and re-check that they still may
    act — a registration cancelled meanwhile, or a paddle released, is 409 ``NOT_REGISTERED``; a
    clerk's number released meanwhile is ``BIDDER_NUMBER_UNKNOWN``. A paddle of a cancelled party is
    never eligible, whoever enters the bid, sale or pledge."""
    if ref.registration_id is None:
        raise Conflict(ErrorCode.NOT_REGISTERED, "This bidder number belongs to no registration.")
    registration = lock_registration(ref.registration_id)
    if registration.status != RegistrationStatus.CONFIRMED:
        raise Conflict(ErrorCode.NOT_REGISTERED, "This registration is cancelled.")
    if ref.guest_id is not None:
        guest = lock_guest(ref.guest_id)
        _check_guest(guest, ref, event)
        if guest.paddle_id is None:  # the number was taken away since it was allocated: a new one
            paddle_ensure(guest=guest)
        paddle = lock_paddle(guest.paddle_id)
        if paddle is None:  # pragma: no cover - the guest row (locked) still points at it
            raise Conflict(ErrorCode.NOT_REGISTERED, "Your bidder number was released; please retry.")
        return Bidder(paddle=paddle, user=ref.user, notify_user=ref.user)
    paddle = lock_paddle(ref.paddle_id)
    if paddle is None or paddle.registration_id != registration.pk:
        raise Conflict(ErrorCode.BIDDER_NUMBER_UNKNOWN, f"Bidder number {ref.number} was not issued for this event.")
    notify_user = registration.user if registration.user_id else None
    return Bidder(paddle=paddle, user=None, notify_user=notify_user)


def _check_guest(guest: Any, ref: BidderRef, event: Event) -> None:
    """The locked guest row is still the signed-in donor's, checked in where the event asks it."""
    if guest.user_id is None or guest.user_id != getattr(ref.user, "pk", None):
        raise Conflict(ErrorCode.NOT_REGISTERED, "Register for this event to bid.")
    if event.checkin_required_to_bid and guest.checked_in_at is None:
        raise Conflict(ErrorCode.CHECKIN_REQUIRED, "Check in at the event to bid.")
