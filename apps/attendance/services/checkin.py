"""The check-in desk: check a guest in (idempotent, hands out a bidder number), undo it, and walk-ins
(register and check in at the door in one step)."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
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
from apps.attendance.services.invitations import guest_invitation_send, invitation_limits_check
from apps.attendance.services.paddles import guest_set_bidder_number, paddle_ensure
from apps.core import metrics
from apps.core.errors import ErrorCode
from apps.core.exceptions import Conflict, ValidationFailed
from apps.core.services import audit_record
from apps.events.models import Event, EventStatus
from apps.users.models import User
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
        raise Conflict(ErrorCode.EVENT_NOT_PUBLISHED, "The event is not published.")
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
        raise Conflict(ErrorCode.NOT_CHECKED_IN, "This guest is not checked in.")
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


#: The warning a walk-in answer carries when the e-mail typed belongs to someone of another name.
NAME_MISMATCH = "NAME_MISMATCH"


@dataclass
class WalkInResult:
    """What the desk learns: the guest checked in, whether it is a new walk-in (201) or someone
    already registered (200), whether an invitation to link an account went out, and warnings
    (``{"code", "message"}``) for the person at the desk."""

    guest: Guest
    created: bool
    already_checked_in: bool = False
    invitation_sent: bool = False
    warnings: list[dict[str, str]] = field(default_factory=list)


def _name_key(first_name: str, last_name: str) -> str:
    """A name as the desk would compare it by eye: case, accents and spacing ignored."""
    text = unicodedata.normalize("NFKD", f"{first_name} {last_name}")
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(text.casefold().split())


def _same_person(first_name: str, last_name: str, guest: Guest | None, user: Any) -> bool:
    """The name typed at the desk is the guest's (as registered) or the account's."""
    typed = _name_key(first_name, last_name)
    names = [(guest.first_name, guest.last_name)] if guest is not None else []
    if user is not None:
        names.append((user.first_name, user.last_name))
    return any(typed == _name_key(first, last) for first, last in names)


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

    An address typed at the desk never links an account (api.md: "an address alone never links an
    account") and never hands someone else's paddle to whoever stands at the desk:

    * **No e-mail**: a walk-in registration without an account (201).
    * **The e-mail of someone already registered for the event** — the account's own guest, or a
      guest invited with that address — **and the same name** (the guest's as registered, or the
      account's; case, accents and spacing ignored): that guest is checked in instead (200,
      ``created`` False). It is the same person at the door.
    * **The same e-mail, another name**: a new walk-in guest (201), not linked to any account, with a
      ``NAME_MISMATCH`` warning for the desk; the address gets the guest invitation (its link is
      the only way to join the guest to an account, :mod:`.invitations`).
    * **The e-mail of an existing account not registered for the event**: a new walk-in guest (201),
      not linked; the address gets the guest invitation — the account holder links it by accepting
      (signed in, with that verified address). ``NAME_MISMATCH`` when the account's name differs.
    * **An address nobody uses**: an account is created for it (no password: the person claims it
      with a password reset, which proves the address) and owns the walk-in registration (201).
    """
    errors: dict[str, list[str]] = {}
    meal = food_option_of_event(event, food_option, "food_option", errors)
    first_name, last_name = (first_name or "").strip(), (last_name or "").strip()
    names_check({"first_name": first_name, "last_name": last_name}, "", errors)
    if errors:
        raise ValidationFailed(message="The walk-in is invalid.", fields=errors)
    email = (email or "").strip().lower()
    event = lock_event(event.pk)
    if event.status == EventStatus.DRAFT:
        raise Conflict(ErrorCode.EVENT_NOT_PUBLISHED, "The event is not published.")

    account = User.objects.filter(email__iexact=email).first() if email else None
    existing = _registered_guest(event, email, account) if email else None
    warnings: list[dict[str, str]] = []
    if existing is not None or account is not None:
        if existing is not None and _same_person(first_name, last_name, existing, account):
            result = guest_check_in(guest=existing, actor=actor, bidder_number=bidder_number, ip=ip)
            return WalkInResult(guest=result.guest, created=False, already_checked_in=result.already_checked_in)
        if not _same_person(first_name, last_name, existing, account):
            warnings.append(
                {
                    "code": NAME_MISMATCH,
                    "message": (
                        "This e-mail address belongs to someone registered under another name. A separate "
                        "walk-in was registered; nothing was linked to their account. If it is the same "
                        "person, undo this check-in and check in their own registration instead."
                    ),
                }
            )
    owner = None
    if email and account is None and existing is None:
        owner = user_create_without_password(
            email=email,
            first_name=first_name,
            last_name=last_name,
            phone=phone or "",
            actor=actor,
            reason="walk_in",
            ip=ip,
        )

    registration = Registration.objects.create(
        event=event, user=owner, code=new_code(event.pk), source=RegistrationSource.WALK_IN
    )
    guest = Guest.objects.create(
        registration=registration,
        event=event,
        user=owner,
        first_name=first_name,
        last_name=last_name,
        email=email,
        phone=(phone or "").strip(),
        food_option=meal,
        is_registrant=True,
    )
    invitation_sent = False
    if email and owner is None:
        invitation_limits_check(registration=registration, guests=[guest])
        invitation_sent = guest_invitation_send(guest=guest, registration=registration, actor=actor) is not None
    audit_record(
        actor=actor,
        action="attendance.walk_in_registered",
        obj=registration,
        npo_id=event.npo_id,
        ip=ip,
        details={"invitation_sent": invitation_sent, "name_mismatch": bool(warnings)},
    )
    result = guest_check_in(guest=guest, actor=actor, bidder_number=bidder_number, ip=ip)
    if owner is not None:
        mail_after_commit(
            "registration_confirmed",
            f"Welcome to {event.name}: registration {registration.code}",
            email,
            mail_context(registration, guest),
        )
    return WalkInResult(guest=result.guest, created=True, invitation_sent=invitation_sent, warnings=warnings)


def _registered_guest(event: Event, email: str, account: Any) -> Guest | None:
    """The guest of a confirmed registration of ``event`` the address points at: the account's own
    (its registrant row first), else one invited with the address."""
    confirmed = Guest.objects.filter(event=event, registration__status=RegistrationStatus.CONFIRMED)
    if account is not None:
        own = confirmed.filter(user=account).order_by("-is_registrant", "created_at").first()
        if own is not None:
            return own
    return confirmed.filter(email__iexact=email).order_by("-is_registrant", "created_at").first()
