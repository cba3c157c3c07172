"""The check-in desk: check a guest in (idempotent, hands out a bidder number), undo it, and walk-ins
(register and check in at the door in one step)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from apps.attendance.locks import lock_guest, lock_registration
from apps.attendance.models import (
    Guest,
    Registration,
    RegistrationSource,
    RegistrationStatus,
)
from apps.attendance.selectors import guest_reload
from apps.attendance.services.common import (
    check_confirmed,
    food_option_of_event,
    lock_event,
    mail_after_commit,
    mail_context,
    names_check,
    new_code,
)
from apps.attendance.services.paddles import guest_set_bidder_number, paddle_ensure
from apps.core import metrics
from apps.core.exceptions import Conflict, ValidationFailed
from apps.core.services import audit_record
from apps.events.models import Event, EventStatus
from apps.users.services.accounts import user_create_without_password


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
    ip: str | None = None,
) -> CheckInResult:
    """Check a guest in and make sure they hold a bidder number (idempotent: a repeat scan answers
    ``already_checked_in`` with the same number and writes nothing). An explicit ``bidder_number`` is
    set by hand first (same rules as :func:`guest_set_bidder_number`)."""
    registration = lock_registration(guest.registration_id)
    locked = lock_guest(guest.pk)
    check_confirmed(registration)
    if registration.event.status == EventStatus.DRAFT:
        raise Conflict("EVENT_NOT_PUBLISHED", "The event is not published.")
    if locked.checked_in_at is not None:
        if locked.paddle_id is None:
            paddle_ensure(guest=locked, actor=actor)
        return CheckInResult(guest=guest_reload(locked.pk), already_checked_in=True)
    if bidder_number is not None:
        guest_set_bidder_number(guest=locked, actor=actor, number=bidder_number, ip=ip)
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
        ip=ip,
    )
    return CheckInResult(guest=guest_reload(locked.pk), already_checked_in=False)


@transaction.atomic
def guest_undo_check_in(*, guest: Guest, actor: Any, ip: str | None = None) -> Guest:
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
        ip=ip,
        details={"checked_in_at": previous.isoformat()},
    )
    return guest_reload(locked.pk)


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
    ip: str | None = None,
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
    meal = food_option_of_event(event, food_option, "food_option", errors)
    first_name, last_name = (first_name or "").strip(), (last_name or "").strip()
    names_check({"first_name": first_name, "last_name": last_name}, "", errors)
    if errors:
        raise ValidationFailed(message="The walk-in is invalid.", fields=errors)
    email = (email or "").strip().lower()
    event = lock_event(event.pk)
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
            result = guest_check_in(guest=existing, actor=actor, bidder_number=bidder_number, ip=ip)
            return WalkInResult(guest=result.guest, created=False, already_checked_in=result.already_checked_in)
        if user is None:
            user = user_create_without_password(
                email=email,
                first_name=first_name,
                last_name=last_name,
                phone=phone or "",
                actor=actor,
                reason="walk_in",
                ip=ip,
            )

    registration = Registration.objects.create(
        event=event, user=user, code=new_code(event.pk), source=RegistrationSource.WALK_IN
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
        ip=ip,
    )
    result = guest_check_in(guest=guest, actor=actor, bidder_number=bidder_number, ip=ip)
    if email:
        mail_after_commit(
            "registration_confirmed",
            f"Welcome to {event.name}: registration {registration.code}",
            email,
            mail_context(registration, guest),
        )
    return WalkInResult(guest=result.guest, created=True)
