"""Every write of the attendance app: registrations, guests, check-in, bidder numbers, seating.

Shape (pretix's check-in service): lock the rows that matter, validate, raise a domain error with a
machine-readable code, write, audit, and send e-mails only after the transaction commits.

Every service here takes its locks in the platform's one order, written down (with the reasons) in
:mod:`apps.attendance.locks`: event → registration → guest → paddle allocation / paddle rows → item,
with table rows after guests. Guest invitations (the e-mail, its limits, accepting it) live in
:mod:`apps.attendance.invitations`.
"""

from __future__ import annotations

import logging
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, OuterRef, ProtectedError, Q
from django.http import HttpRequest
from django.utils import timezone

from apps.attendance.invitations import (
    guest_invitation_send,
    guest_invitations_revoke,
    invitation_limits_check,
    mail_name_problem,
)
from apps.attendance.locks import lock_guest, lock_paddle, lock_paddle_allocation, lock_registration
from apps.attendance.models import (
    Guest,
    Paddle,
    Registration,
    RegistrationSource,
    RegistrationStatus,
    Table,
)
from apps.attendance.selectors import paddle_has_activity
from apps.core import metrics, outbox
from apps.core.exceptions import Conflict, ValidationFailed
from apps.core.services import audit_record
from apps.events.models import Event, EventStatus, FoodOption
from apps.npos import authz
from apps.npos.capabilities import Capability

logger = logging.getLogger(__name__)

#: Unambiguous alphabet for registration codes (no 0/O, 1/I/L): read out loud at a noisy desk.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 6
#: A party larger than this is a data-entry mistake or abuse; staff seat big groups via import.
MAX_GUESTS_PER_REGISTRATION = 30

GUEST_FIELDS = ("first_name", "last_name", "email", "phone", "food_option")


# --- helpers -----------------------------------------------------------------------------------------


def _lock_event(event_id: Any) -> Event:
    return Event.objects.select_for_update(no_key=True).get(pk=event_id)


def _is_manager(actor: Any, event: Event) -> bool:
    return authz.has_capability(actor, event.npo_id, Capability.ATTENDANCE_MANAGE)


def _new_code(event_id: Any) -> str:
    for _ in range(20):
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if not Registration.objects.filter(event_id=event_id, code=code).exists():
            return code
    raise RuntimeError("could not find a free registration code")  # pragma: no cover — 31^6 codes


def split_name(name: str) -> tuple[str, str]:
    """``"Mary Ann Smith"`` → ``("Mary Ann", "Smith")``; one word is a first name."""
    parts = (name or "").split()
    if not parts:
        return "", ""
    if len(parts) == 1:
        return parts[0], ""
    return " ".join(parts[:-1]), parts[-1]


def _food_option(event: Event, value: Any, field_name: str, errors: dict[str, list[str]]) -> FoodOption | None:
    """``value`` (an id, a FoodOption or None) as a meal option of *this* event; errors collected."""
    if value in (None, ""):
        return None
    if isinstance(value, FoodOption):
        if value.event_id == event.pk:
            return value
    else:
        try:
            option = FoodOption.objects.filter(event_id=event.pk, pk=uuid.UUID(str(value))).first()
        except (TypeError, ValueError, AttributeError):
            option = None
        if option is not None:
            return option
    errors.setdefault(field_name, []).append("Not a meal option of this event.")
    return None


def names_check(values: dict[str, Any], prefix: str, errors: dict[str, list[str]], *, source: str = "") -> None:
    """Guest names end up in e-mails sent from the platform's address (the invitation's greeting):
    plain text, at most 60 characters each, no web or e-mail address (400 on input; see
    :func:`apps.attendance.invitations.mail_name_problem`). ``source`` names the input field the
    names were split from (``name``), for the error."""
    for key in ("first_name", "last_name"):
        if key in values:
            problem = mail_name_problem(values[key])
            if problem:
                errors.setdefault(f"{prefix}{source or key}", []).append(problem)


def _guest_values(event: Event, data: dict[str, Any], prefix: str, errors: dict[str, list[str]]) -> dict[str, Any]:
    """Normalise one guest's input (``name`` or ``first_name``/``last_name``, e-mail, phone, meal)."""
    values: dict[str, Any] = {}
    from_name = "name" in data and "first_name" not in data and "last_name" not in data
    if from_name:
        values["first_name"], values["last_name"] = split_name(data.get("name") or "")
    for key in ("first_name", "last_name", "phone"):
        if key in data:
            values[key] = (data.get(key) or "").strip()
    names_check(values, prefix, errors, source="name" if from_name else "")
    if "email" in data:
        values["email"] = (data.get("email") or "").strip().lower()
    if "food_option" in data:
        values["food_option"] = _food_option(event, data.get("food_option"), f"{prefix}food_option", errors)
    return values


def seats_taken(event: Event) -> int:
    """Guests of confirmed registrations — what capacity counts (walk-ins included)."""
    return Guest.objects.filter(event=event, registration__status=RegistrationStatus.CONFIRMED).count()


def _check_capacity(event: Event, extra: int) -> None:
    if event.capacity is None or extra <= 0:
        return
    taken = seats_taken(event)
    if taken + extra > event.capacity:
        raise Conflict(
            "EVENT_FULL",
            "The event is full.",
            seats_left=max(event.capacity - taken, 0),
        )


def _send(template: str, subject: str, to: str, context: dict[str, Any]) -> None:
    """Queue one e-mail in the platform's outbox (apps.core.outbox): written with the change, sent by a
    worker after commit; a mail failure never undoes a registration."""
    outbox.email_queue(template=f"attendance/{template}", to=to, context={**context, "subject": subject})


def _mail_context(registration: Registration, guest: Guest | None = None) -> dict[str, Any]:
    event = registration.event
    return {
        "event": event,
        "registration": registration,
        "guest": guest,
        "registrant_name": (
            f"{registration.user.first_name} {registration.user.last_name}".strip() if registration.user else ""
        ),
        "frontend_url": settings.FRONTEND_URL,
    }


def _release_paddle_if_unused(paddle_id: Any) -> bool:
    """Delete the paddle when no guest holds it and it has no auction activity. True when released.

    The paddle row is locked first, and the auction services lock it before writing a row for it
    (``apps.attendance.locks``): a bid either committed before this check (it sees the activity and
    keeps the paddle) or finds the paddle gone and answers 409. ``ProtectedError`` stays as a guard
    for any writer that skipped the lock."""
    paddle = lock_paddle(paddle_id)
    if paddle is None or Guest.objects.filter(paddle=paddle).exists() or paddle_has_activity(paddle):
        return False
    try:
        with transaction.atomic():
            paddle.delete()
    except ProtectedError:  # pragma: no cover - every auction writer takes the paddle lock first
        return False
    return True


def _require_confirmed(registration: Registration) -> None:
    if registration.status != RegistrationStatus.CONFIRMED:
        raise Conflict("INVALID_TRANSITION", "This registration is cancelled.")


def _require_open_for(actor: Any, event: Event) -> None:
    """Owners change their registration only while the event is published; staff always may."""
    if event.status != EventStatus.PUBLISHED and not _is_manager(actor, event):
        raise Conflict("REGISTRATION_CLOSED", "Registration for this event is closed.")


# --- registrations -------------------------------------------------------------------------------------


@transaction.atomic
def registration_create(
    *,
    event: Event,
    user: Any,
    guests: Sequence[dict[str, Any]] = (),
    food_option: Any = None,
    notes: str = "",
    source: str = RegistrationSource.ONLINE,
    request: HttpRequest | None = None,
) -> Registration:
    """Register ``user`` and their extra ``guests`` for a published event.

    The event row is locked so the capacity check and the one-registration-per-user check cannot
    race (the partial unique constraint backs the latter). Raises 400 for a meal option of another
    event, 409 ``REGISTRATION_CLOSED`` / ``ALREADY_REGISTERED`` / ``EVENT_FULL``.
    """
    errors: dict[str, list[str]] = {}
    if len(guests) > MAX_GUESTS_PER_REGISTRATION - 1:
        errors["guests"] = [f"At most {MAX_GUESTS_PER_REGISTRATION - 1} guests per registration."]
    registrant_meal = _food_option(event, food_option, "food_option", errors)
    guest_values = [_guest_values(event, g, f"guests.{i}.", errors) for i, g in enumerate(guests)]
    invited = sum(1 for values in guest_values if values.get("email"))
    per_day = settings.GUEST_INVITATIONS_PER_REGISTRATION_PER_DAY
    if invited > per_day and "guests" not in errors:
        # A new party's invitations all go out now: more than a day's allowance can never succeed.
        errors["guests"] = [f"At most {per_day} guests with an e-mail address at once; add the others later."]
    if errors:
        raise ValidationFailed(message="The registration is invalid.", fields=errors)

    event = _lock_event(event.pk)
    if event.status != EventStatus.PUBLISHED:
        raise Conflict("REGISTRATION_CLOSED", "Registration for this event is closed.")
    existing = Registration.objects.filter(event=event, user=user, status=RegistrationStatus.CONFIRMED).first()
    if existing is not None:
        raise Conflict(
            "ALREADY_REGISTERED", "You are already registered for this event.", registration=str(existing.pk)
        )
    _check_capacity(event, 1 + len(guest_values))

    registration = Registration.objects.create(
        event=event, user=user, code=_new_code(event.pk), source=source, notes=notes or ""
    )
    registrant = Guest.objects.create(
        registration=registration,
        event=event,
        user=user,
        first_name=user.first_name,
        last_name=user.last_name,
        email=user.email,
        phone=getattr(user, "phone", "") or "",
        food_option=registrant_meal,
        is_registrant=True,
    )
    extra = [Guest.objects.create(registration=registration, event=event, **values) for values in guest_values]
    audit_record(
        actor=user,
        action="attendance.registration_created",
        obj=registration,
        npo_id=event.npo_id,
        request=request,
        details={"guests": 1 + len(extra)},
    )
    _send(
        "registration_confirmed",
        f"Your registration for {event.name}: {registration.code}",
        user.email,
        _mail_context(registration, registrant),
    )
    for guest in extra:
        guest_invitation_send(guest=guest, registration=registration, actor=user)
    return registration


@transaction.atomic
def registration_update(
    *, registration: Registration, actor: Any, data: dict[str, Any], request: HttpRequest | None = None
) -> Registration:
    """Change the registrant's meal (``food_option``) and the party's ``notes``."""
    errors: dict[str, list[str]] = {}
    event = registration.event
    meal = _food_option(event, data.get("food_option"), "food_option", errors) if "food_option" in data else None
    if errors:
        raise ValidationFailed(message="The registration is invalid.", fields=errors)
    registration = lock_registration(registration.pk)
    _require_confirmed(registration)
    _require_open_for(actor, registration.event)
    if "notes" in data:
        registration.notes = data.get("notes") or ""
        registration.save(update_fields=["notes", "updated_at"])
    if "food_option" in data:
        Guest.objects.filter(registration=registration, is_registrant=True).update(
            food_option=meal, updated_at=timezone.now()
        )
    return registration


@transaction.atomic
def registration_cancel(*, registration: Registration, actor: Any, request: HttpRequest | None = None) -> Registration:
    """Cancel: frees the seats (capacity counts confirmed parties only), unseats the guests (and any
    captaincy), and releases bidder numbers that have no bids, purchases, sales or pledges. A paddle
    with activity stays with the party: its statement must remain its own (bidding.md).

    Bids, purchases, sales and pledges lock the same registration row first and re-check it
    (``apps.attendance.locks``), so a bid racing this cancellation either lands before it (its paddle
    is then kept) or is refused with 409 ``NOT_REGISTERED``."""
    registration = lock_registration(registration.pk)
    _require_confirmed(registration)
    _require_open_for(actor, registration.event)
    registration.status = RegistrationStatus.CANCELLED
    registration.cancelled_at = timezone.now()
    registration.save(update_fields=["status", "cancelled_at", "updated_at"])

    guests = list(Guest.objects.select_for_update(no_key=True).filter(registration=registration).order_by("pk"))
    guest_ids = [g.pk for g in guests]
    Table.objects.filter(captain_id__in=guest_ids).update(captain=None, updated_at=timezone.now())
    released: list[int] = []
    lock_paddle_allocation(registration.event_id)
    for paddle in Paddle.objects.filter(Q(registration=registration) | Q(guests__in=guest_ids)).distinct():
        if paddle_has_activity(paddle):
            continue
        Guest.objects.filter(paddle=paddle).update(paddle=None)
        if _release_paddle_if_unused(paddle.pk):
            released.append(paddle.number)
    Guest.objects.filter(registration=registration).update(table=None, updated_at=timezone.now())
    audit_record(
        actor=actor,
        action="attendance.registration_cancelled",
        obj=registration,
        npo_id=registration.event.npo_id,
        request=request,
        details={"released_bidder_numbers": released},
    )
    return registration


# --- guests of a registration --------------------------------------------------------------------------


@transaction.atomic
def guest_add(
    *, registration: Registration, actor: Any, data: dict[str, Any], request: HttpRequest | None = None
) -> Guest:
    """Add one guest (possibly a placeholder) to a party; capacity applies. A guest with an e-mail
    gets an invitation (daily limits: 429 ``THROTTLED``)."""
    errors: dict[str, list[str]] = {}
    values = _guest_values(registration.event, data, "", errors)
    if errors:
        raise ValidationFailed(message="The guest is invalid.", fields=errors)
    event = _lock_event(registration.event_id)
    registration = lock_registration(registration.pk)
    _require_confirmed(registration)
    _require_open_for(actor, event)
    if Guest.objects.filter(registration=registration).count() >= MAX_GUESTS_PER_REGISTRATION:
        raise ValidationFailed(
            message="This party is already at the maximum size.",
            fields={"guests": [f"At most {MAX_GUESTS_PER_REGISTRATION} guests per registration."]},
        )
    _check_capacity(event, 1)
    guest = Guest(registration=registration, event=event, **values)
    if guest.email:
        invitation_limits_check(registration=registration, guests=[guest])
    guest.save()
    guest_invitation_send(guest=guest, registration=registration, actor=actor)
    return guest


@transaction.atomic
def guest_update(*, guest: Guest, actor: Any, data: dict[str, Any], request: HttpRequest | None = None) -> Guest:
    """Edit a guest's name, e-mail, phone or meal; the registrant's e-mail stays the account's.

    A new e-mail is a new person: the old address's account is unlinked, the guest's paddle is
    released (when no one else in the party holds it) and the new address gets its own invitation —
    an account is linked again only when it accepts that invitation. A guest whose paddle has any
    bid, purchase, sale or pledge keeps their identity: 409 ``GUEST_HAS_ACTIVITY`` (otherwise a
    registrant could hand those bids and their private maximum to another account).
    """
    errors: dict[str, list[str]] = {}
    values = _guest_values(guest.registration.event, data, "", errors)
    if guest.is_registrant and "email" in values and values["email"] != (guest.email or "").lower():
        errors.setdefault("email", []).append("The registrant's e-mail is their account's address.")
    if errors:
        raise ValidationFailed(message="The guest is invalid.", fields=errors)
    registration = lock_registration(guest.registration_id)
    locked = lock_guest(guest.pk)
    _require_confirmed(registration)
    _require_open_for(actor, registration.event)
    email_changed = "email" in values and values["email"] != (locked.email or "").lower()
    old_paddle_id = locked.paddle_id
    if email_changed:
        if old_paddle_id is not None and paddle_has_activity(Paddle(pk=old_paddle_id)):
            raise Conflict(
                "GUEST_HAS_ACTIVITY",
                "This guest's bidder number has bids, purchases or pledges; their e-mail cannot change. "
                "Add the new person as another guest instead.",
            )
        if values["email"]:
            invitation_limits_check(registration=registration, guests=[locked])
    for key, value in values.items():
        setattr(locked, key, value)
    if email_changed:
        locked.user = None  # the old address's account no longer speaks for this guest
        locked.paddle = None
        guest_invitations_revoke(guest=locked)
    locked.save()
    if email_changed:
        if old_paddle_id is not None:
            lock_paddle_allocation(registration.event_id)
            _release_paddle_if_unused(old_paddle_id)
        guest_invitation_send(guest=locked, registration=registration, actor=actor)
        audit_record(
            actor=actor,
            action="attendance.guest_email_changed",
            obj=locked,
            npo_id=registration.event.npo_id,
            request=request,
            details={"released_paddle": old_paddle_id is not None},
        )
    return locked


@transaction.atomic
def guest_remove(*, guest: Guest, actor: Any, request: HttpRequest | None = None) -> None:
    """Remove an extra guest from a party (the registrant stays; cancel the registration instead)."""
    registration = lock_registration(guest.registration_id)
    locked = lock_guest(guest.pk)
    _require_confirmed(registration)
    _require_open_for(actor, registration.event)
    if locked.is_registrant:
        raise Conflict("INVALID_TRANSITION", "The registrant cannot be removed; cancel the registration instead.")
    if locked.checked_in_at is not None:
        raise Conflict("INVALID_TRANSITION", "This guest is checked in; undo the check-in first.")
    paddle_id = locked.paddle_id
    Table.objects.filter(captain=locked).update(captain=None)
    guest_invitations_revoke(guest=locked)
    locked.delete()
    if paddle_id is not None:
        lock_paddle_allocation(registration.event_id)
        _release_paddle_if_unused(paddle_id)


# --- bidder numbers (paddles) ----------------------------------------------------------------------------


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
    raise Conflict("BIDDER_NUMBER_TAKEN", "Could not allocate a bidder number; please retry.")


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
        raise Conflict("NOT_REGISTERED", "This registration is cancelled.")
    else:
        event = Event.objects.get(pk=locked.event_id)
        lock_paddle_allocation(event.pk)
        paddle = _allocate_paddle(event, locked.registration_id)
        Guest.objects.filter(pk=locked.pk).update(paddle=paddle, updated_at=timezone.now())
    guest.paddle = paddle
    return paddle


@transaction.atomic
def guest_set_bidder_number(
    *, guest: Guest, actor: Any, number: int | None, request: HttpRequest | None = None
) -> Guest:
    """Set a guest's bidder number by hand (audited). A number held by another party is 409
    ``BIDDER_NUMBER_TAKEN``; a paddle of the same party is shared (a household). ``None`` takes the
    number away. The guest's previous paddle is released when nobody holds it and it has no activity."""
    if number is not None and (not isinstance(number, int) or isinstance(number, bool) or number <= 0):
        raise ValidationFailed(message="A bidder number is a positive integer.", fields={"bidder_number": ["Invalid."]})
    registration = lock_registration(guest.registration_id)
    locked = lock_guest(guest.pk)
    _require_confirmed(registration)
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
                "BIDDER_NUMBER_TAKEN", f"Bidder number {number} is held by another party.", bidder_number=number
            )
        if target is None:
            try:
                with transaction.atomic():
                    target = Paddle.objects.create(event=event, number=number, registration_id=locked.registration_id)
            except IntegrityError:
                raise Conflict(
                    "BIDDER_NUMBER_TAKEN", f"Bidder number {number} is held by another party.", bidder_number=number
                ) from None
    locked.paddle = target
    locked.save(update_fields=["paddle", "updated_at"])
    if old is not None:
        _release_paddle_if_unused(old.pk)
    audit_record(
        actor=actor,
        action="attendance.bidder_number_set",
        obj=locked,
        npo_id=event.npo_id,
        request=request,
        details={"old": old.number if old else None, "new": number},
    )
    guest.paddle = target
    return locked


# --- check-in ---------------------------------------------------------------------------------------------


@dataclass
class CheckInResult:
    guest: Guest
    already_checked_in: bool


@transaction.atomic
def guest_check_in(
    *,
    guest: Guest,
    actor: Any,
    bidder_number: int | None = None,
    request: HttpRequest | None = None,
) -> CheckInResult:
    """Check a guest in and make sure they hold a bidder number (idempotent: a repeat scan answers
    ``already_checked_in`` with the same number and writes nothing). An explicit ``bidder_number`` is
    set by hand first (same rules as :func:`guest_set_bidder_number`)."""
    registration = lock_registration(guest.registration_id)
    locked = lock_guest(guest.pk)
    _require_confirmed(registration)
    if registration.event.status == EventStatus.DRAFT:
        raise Conflict("EVENT_NOT_PUBLISHED", "The event is not published.")
    if locked.checked_in_at is not None:
        if locked.paddle_id is None:
            paddle_ensure(guest=locked, actor=actor)
        return CheckInResult(guest=_reload_guest(locked.pk), already_checked_in=True)
    if bidder_number is not None:
        guest_set_bidder_number(guest=locked, actor=actor, number=bidder_number, request=request)
    paddle_ensure(guest=locked, actor=actor)
    now = timezone.now()
    Guest.objects.filter(pk=locked.pk).update(checked_in_at=now, checked_in_by=actor, updated_at=now)
    # Counted only once the check-in is committed; a repeat scan (above) is never counted twice.
    transaction.on_commit(metrics.check_ins.inc)
    audit_record(
        actor=actor,
        action="attendance.guest_checked_in",
        obj=locked,
        npo_id=registration.event.npo_id,
        request=request,
    )
    return CheckInResult(guest=_reload_guest(locked.pk), already_checked_in=False)


def _reload_guest(pk: Any) -> Guest:
    return Guest.objects.select_related("paddle", "table", "food_option", "registration").get(pk=pk)


@transaction.atomic
def guest_undo_check_in(*, guest: Guest, actor: Any, request: HttpRequest | None = None) -> Guest:
    """Undo a check-in (a mis-scan). Audited. The bidder number stays with the guest: bids may already
    carry it, and the guest gets the same number when checked in again."""
    locked = Guest.objects.select_for_update(no_key=True).get(pk=guest.pk)
    if locked.checked_in_at is None:
        raise Conflict("NOT_CHECKED_IN", "This guest is not checked in.")
    previous = locked.checked_in_at
    Guest.objects.filter(pk=locked.pk).update(checked_in_at=None, checked_in_by=None, updated_at=timezone.now())
    audit_record(
        actor=actor,
        action="attendance.check_in_undone",
        obj=locked,
        npo_id=Event.objects.values_list("npo_id", flat=True).get(pk=locked.event_id),
        request=request,
        details={"checked_in_at": previous.isoformat()},
    )
    return _reload_guest(locked.pk)


@dataclass
class WalkInResult:
    guest: Guest
    created: bool
    already_checked_in: bool = False


@transaction.atomic
def walk_in_register(
    *,
    event: Event,
    actor: Any,
    first_name: str,
    last_name: str,
    email: str = "",
    phone: str = "",
    food_option: Any = None,
    bidder_number: int | None = None,
    request: HttpRequest | None = None,
) -> WalkInResult:
    """Register and check in a guest at the door in one step; capacity does not apply.

    With an e-mail address: a guest of this event already invited with it, or the account's own
    active registration, is checked in instead (``created`` False → 200). Otherwise the account is
    found or created (no password: the person claims it with a password reset) and a walk-in
    registration with its registrant guest is created. Without an e-mail, the registration has no
    account.
    """
    from apps.users.models import User

    errors: dict[str, list[str]] = {}
    meal = _food_option(event, food_option, "food_option", errors)
    first_name, last_name = (first_name or "").strip(), (last_name or "").strip()
    names_check({"first_name": first_name, "last_name": last_name}, "", errors)
    if errors:
        raise ValidationFailed(message="The walk-in is invalid.", fields=errors)
    email = (email or "").strip().lower()
    event = _lock_event(event.pk)
    if event.status == EventStatus.DRAFT:
        raise Conflict("EVENT_NOT_PUBLISHED", "The event is not published.")

    user = None
    if email:
        user = User.objects.filter(email__iexact=email).first()
        existing = None
        if user is not None:
            existing = (
                Guest.objects.filter(event=event, user=user, registration__status=RegistrationStatus.CONFIRMED)
                .order_by("-is_registrant", "created_at")
                .first()
            )
        if existing is None:
            existing = (
                Guest.objects.filter(
                    event=event, email__iexact=email, registration__status=RegistrationStatus.CONFIRMED
                )
                .order_by("-is_registrant", "created_at")
                .first()
            )
        if existing is not None:
            result = guest_check_in(guest=existing, actor=actor, bidder_number=bidder_number, request=request)
            return WalkInResult(guest=result.guest, created=False, already_checked_in=result.already_checked_in)
        if user is None:
            user = User.objects.create_user(
                email=email, password=None, first_name=first_name, last_name=last_name, phone=phone or ""
            )

    registration = Registration.objects.create(
        event=event, user=user, code=_new_code(event.pk), source=RegistrationSource.WALK_IN
    )
    guest = Guest.objects.create(
        registration=registration,
        event=event,
        user=user,
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        email=email,
        phone=(phone or "").strip(),
        food_option=meal,
        is_registrant=True,
    )
    audit_record(
        actor=actor,
        action="attendance.walk_in_registered",
        obj=registration,
        npo_id=event.npo_id,
        request=request,
    )
    result = guest_check_in(guest=guest, actor=actor, bidder_number=bidder_number, request=request)
    if email:
        _send(
            "registration_confirmed",
            f"Welcome to {event.name}: registration {registration.code}",
            email,
            _mail_context(registration, guest),
        )
    return WalkInResult(guest=result.guest, created=True)


# --- seating ---------------------------------------------------------------------------------------------


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
    *, event: Event, actor: Any, number: int, capacity: int, name: str = "", captain: Guest | None = None
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
        guest_assign_table(guest=captain, actor=actor, table=table)
        table.captain = captain
        table.save(update_fields=["captain", "updated_at"])
    return table


@transaction.atomic
def table_update(*, table: Table, actor: Any, data: dict[str, Any]) -> Table:
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
                "CAPACITY_BELOW_OCCUPANCY",
                f"{occupied} guests are seated at this table.",
                occupancy=occupied,
            )
        locked.capacity = data["capacity"]
    locked.save()
    return locked


@transaction.atomic
def table_delete(*, table: Table, actor: Any) -> None:
    """Delete a table; its guests become unseated."""
    Table.objects.select_for_update().filter(pk=table.pk).delete()


@transaction.atomic
def guest_assign_table(*, guest: Guest, actor: Any, table: Table | None, request: HttpRequest | None = None) -> Guest:
    """Seat a guest at a table of the same event (``None`` unseats). Full → 409 ``TABLE_FULL``. A captain
    who leaves the table stops being its captain."""
    locked = Guest.objects.select_for_update(no_key=True).select_related("registration").get(pk=guest.pk)
    _require_confirmed(locked.registration)
    if table is not None:
        if table.event_id != locked.event_id:
            raise ValidationFailed(
                message="Not a table of this event.", fields={"table": ["Not a table of this event."]}
            )
        table = Table.objects.select_for_update().get(pk=table.pk)
        if locked.table_id != table.pk and _occupancy(table, excluding=locked.pk) >= table.capacity:
            raise Conflict("TABLE_FULL", f"Table {table.number} is full.", table=str(table.pk))
    if locked.table_id and (table is None or locked.table_id != table.pk):
        Table.objects.filter(pk=locked.table_id, captain=locked).update(captain=None)
    locked.table = table
    locked.save(update_fields=["table", "updated_at"])
    return locked


@dataclass
class AutoAssignResult:
    assigned: list[dict[str, Any]] = field(default_factory=list)
    unassigned: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@transaction.atomic
def tables_auto_assign(*, event: Event, actor: Any, request: HttpRequest | None = None) -> AutoAssignResult:
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
        request=request,
        details={"assigned": len(result.assigned), "unassigned": len(result.unassigned)},
    )
    return result
