"""The guests of a party: add (an invitation e-mail for a guest with an address), change (a new
e-mail is a new person), remove."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from apps.attendance.locks import lock_guest, lock_paddle_allocation, lock_registration
from apps.attendance.models import (
    Guest,
    Paddle,
    Registration,
    Table,
)
from apps.attendance.selectors import paddle_has_activity
from apps.attendance.services.common import (
    MAX_GUESTS_PER_REGISTRATION,
    check_capacity,
    check_confirmed,
    check_open_for,
    guest_input,
    lock_event,
    paddle_release_if_unused,
)
from apps.attendance.services.invitations import (
    guest_invitation_send,
    guest_invitations_revoke,
    invitation_limits_check,
)
from apps.core.errors import ErrorCode
from apps.core.exceptions import Conflict, ValidationFailed
from apps.core.services import audit_record
from apps.events.models import Event


@transaction.atomic
def guest_add(*, registration: Registration, actor: Any, data: dict[str, Any], ip: str | None = None) -> Guest:
    """Add one guest (possibly a placeholder) to a party; capacity applies. A guest with an e-mail
    gets an invitation (daily limits: 429 ``THROTTLED``)."""
    errors: dict[str, list[str]] = {}
    values = guest_input(registration.event, data, "", errors)
    if errors:
        raise ValidationFailed(message="The guest is invalid.", fields=errors)
    event = lock_event(registration.event_id)
    registration = lock_registration(registration.pk)
    check_confirmed(registration)
    check_open_for(actor, event)
    if Guest.objects.filter(registration=registration).count() >= MAX_GUESTS_PER_REGISTRATION:
        raise ValidationFailed(
            message="This party is already at the maximum size.",
            fields={"guests": [f"At most {MAX_GUESTS_PER_REGISTRATION} guests per registration."]},
        )
    check_capacity(event, 1)
    guest = Guest(registration=registration, event=event, **values)
    if guest.email:
        invitation_limits_check(registration=registration, guests=[guest])
    guest.save()
    guest_invitation_send(guest=guest, registration=registration, actor=actor)
    audit_record(
        actor=actor,
        action="attendance.guest_add",
        obj=guest,
        npo_id=event.npo_id,
        ip=ip,
        details={"registration": str(registration.pk)},
    )
    return guest


@transaction.atomic
def guest_update(*, guest: Guest, actor: Any, data: dict[str, Any], ip: str | None = None) -> Guest:
    """Edit a guest's name, e-mail, phone or meal; the registrant's e-mail stays the account's.

    A new e-mail is a new person: the old address's account is unlinked, the guest's paddle is
    released (when no one else in the party holds it) and the new address gets its own invitation —
    an account is linked again only when it accepts that invitation. A guest whose paddle has any
    bid, purchase, sale or pledge keeps their identity: 409 ``GUEST_HAS_ACTIVITY`` (otherwise a
    registrant could hand those bids and their private maximum to another account).
    """
    errors: dict[str, list[str]] = {}
    values = guest_input(guest.registration.event, data, "", errors)
    if guest.is_registrant and "email" in values and values["email"] != (guest.email or "").lower():
        errors.setdefault("email", []).append("The registrant's e-mail is their account's address.")
    if errors:
        raise ValidationFailed(message="The guest is invalid.", fields=errors)
    registration = lock_registration(guest.registration_id)
    locked = lock_guest(guest.pk)
    check_confirmed(registration)
    check_open_for(actor, registration.event)
    email_changed = "email" in values and values["email"] != (locked.email or "").lower()
    old_paddle_id = locked.paddle_id
    if email_changed:
        if old_paddle_id is not None and paddle_has_activity(Paddle(pk=old_paddle_id)):
            raise Conflict(
                ErrorCode.GUEST_HAS_ACTIVITY,
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
            paddle_release_if_unused(old_paddle_id)
        guest_invitation_send(guest=locked, registration=registration, actor=actor)
        audit_record(
            actor=actor,
            action="attendance.guest_email_changed",
            obj=locked,
            npo_id=registration.event.npo_id,
            ip=ip,
            details={"released_paddle": old_paddle_id is not None},
        )
    return locked


@transaction.atomic
def guest_remove(*, guest: Guest, actor: Any, ip: str | None = None) -> None:
    """Remove an extra guest from a party (the registrant stays; cancel the registration instead)."""
    registration = lock_registration(guest.registration_id)
    locked = lock_guest(guest.pk)
    check_confirmed(registration)
    check_open_for(actor, registration.event)
    if locked.is_registrant:
        raise Conflict(
            ErrorCode.INVALID_TRANSITION, "The registrant cannot be removed; cancel the registration instead."
        )
    if locked.checked_in_at is not None:
        raise Conflict(ErrorCode.INVALID_TRANSITION, "This guest is checked in; undo the check-in first.")
    paddle_id = locked.paddle_id
    Table.objects.filter(captain=locked).update(captain=None)
    guest_invitations_revoke(guest=locked)
    audit_record(
        actor=actor,
        action="attendance.guest_remove",
        obj=locked,
        npo_id=registration.event.npo_id,
        ip=ip,
        details={"registration": str(registration.pk)},
    )
    locked.delete()
    if paddle_id is not None:
        lock_paddle_allocation(registration.event_id)
        paddle_release_if_unused(paddle_id)


def guest_list_export_record(*, event: Event, actor: Any, rows: int, ip: str | None = None) -> None:
    """Audit that ``actor`` downloaded the event's guest list (names, e-mails, phones): personal data
    leaving the platform is a write to the audit log, so it goes through a service like every write."""
    audit_record(
        actor=actor,
        action="attendance.guests_exported",
        obj=event,
        npo_id=event.npo_id,
        ip=ip,
        details={"rows": rows},
    )
