"""Registrations: register (capacity under the event's row lock), change, cancel (frees seats and
unused bidder numbers)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from apps.attendance.locks import lock_paddle_allocation, lock_registration
from apps.attendance.models import (
    Guest,
    Paddle,
    Registration,
    RegistrationSource,
    RegistrationStatus,
    Table,
)
from apps.attendance.selectors import paddle_has_activity
from apps.attendance.services.common import (
    MAX_GUESTS_PER_REGISTRATION,
    check_capacity,
    check_confirmed,
    check_open_for,
    food_option_of_event,
    guest_input,
    lock_event,
    mail_after_commit,
    mail_context,
    new_code,
    paddle_release_if_unused,
)
from apps.attendance.services.invitations import (
    guest_invitation_send,
)
from apps.core.errors import ErrorCode
from apps.core.exceptions import Conflict, ValidationFailed
from apps.core.services import audit_record
from apps.events.models import Event, EventStatus


@transaction.atomic
def registration_create(
    *,
    event: Event,
    user: Any,
    guests: Sequence[dict[str, Any]] = (),
    food_option: Any = None,
    notes: str = "",
    source: str = RegistrationSource.ONLINE,
    ip: str | None = None,
) -> Registration:
    """Register ``user`` and their extra ``guests`` for a published event.

    The event row is locked so the capacity check and the one-registration-per-user check cannot
    race (the partial unique constraint backs the latter). Raises 400 for a meal option of another
    event, 409 ``REGISTRATION_CLOSED`` / ``ALREADY_REGISTERED`` / ``EVENT_FULL``.
    """
    errors: dict[str, list[str]] = {}
    if len(guests) > MAX_GUESTS_PER_REGISTRATION - 1:
        errors["guests"] = [f"At most {MAX_GUESTS_PER_REGISTRATION - 1} guests per registration."]
    registrant_meal = food_option_of_event(event, food_option, "food_option", errors)
    guest_values = [guest_input(event, g, f"guests.{i}.", errors) for i, g in enumerate(guests)]
    invited = sum(1 for values in guest_values if values.get("email"))
    per_day = settings.GUEST_INVITATIONS_PER_REGISTRATION_PER_DAY
    if invited > per_day and "guests" not in errors:
        # A new party's invitations all go out now: more than a day's allowance can never succeed.
        errors["guests"] = [f"At most {per_day} guests with an e-mail address at once; add the others later."]
    if errors:
        raise ValidationFailed(message="The registration is invalid.", fields=errors)

    event = lock_event(event.pk)
    if event.status != EventStatus.PUBLISHED:
        raise Conflict(ErrorCode.REGISTRATION_CLOSED, "Registration for this event is closed.")
    existing = Registration.objects.filter(event=event, user=user, status=RegistrationStatus.CONFIRMED).first()
    if existing is not None:
        raise Conflict(
            ErrorCode.ALREADY_REGISTERED, "You are already registered for this event.", registration=str(existing.pk)
        )
    check_capacity(event, 1 + len(guest_values))

    registration, registrant, extra = registration_write(
        event=event,
        user=user,
        source=source,
        registrant={"food_option": registrant_meal},
        guests=guest_values,
        notes=notes,
        actor=user,
        ip=ip,
    )
    mail_after_commit(
        "registration_confirmed",
        f"Your registration for {event.name}: {registration.code}",
        user.email,
        mail_context(registration, registrant),
    )
    for guest in extra:
        guest_invitation_send(guest=guest, registration=registration, actor=user)
    return registration


def registration_write(
    *,
    event: Event,
    user: Any,
    source: str,
    registrant: dict[str, Any] | None = None,
    guests: Sequence[dict[str, Any]] = (),
    notes: str = "",
    actor: Any,
    ip: str | None = None,
) -> tuple[Registration, Guest, list[Guest]]:
    """Write one party: the registration, the registrant's own guest record and the other guests.

    The one place those rows are made, shared by the two ways a party arrives, which differ in what
    they check and whom they tell: :func:`registration_create` (a donor online: the event must be
    published and have room, and the donor and each invited guest get an e-mail) and the staff CSV
    import (:mod:`apps.attendance.services.imports`: a known list loaded by staff, which ignores
    capacity like walk-ins and mails nobody so a re-run cannot spam anyone). So this function checks
    neither and sends nothing. The caller holds the event's row lock (``lock_event``) and has
    normalised the values (``guest_input``); ``registrant`` overrides the account's name, phone and
    meal for the registrant's record (its e-mail is always the account's). Audited, with the source.
    """
    if transaction.get_autocommit():  # pragma: no cover - a programming error, not a user's
        raise RuntimeError("registration_write runs inside the caller's transaction, under the event lock")
    registration = Registration.objects.create(
        event=event, user=user, code=new_code(event.pk), source=source, notes=notes or ""
    )
    own = Guest.objects.create(
        registration=registration,
        event=event,
        user=user,
        email=user.email,
        is_registrant=True,
        **{
            "first_name": user.first_name,
            "last_name": user.last_name,
            "phone": getattr(user, "phone", "") or "",
            **(registrant or {}),
        },
    )
    extra = [Guest.objects.create(registration=registration, event=event, **values) for values in guests]
    audit_record(
        actor=actor,
        action="attendance.registration_created",
        obj=registration,
        npo_id=event.npo_id,
        ip=ip,
        details={"guests": 1 + len(extra), "source": source},
    )
    return registration, own, extra


@transaction.atomic
def registration_update(
    *, registration: Registration, actor: Any, data: dict[str, Any], ip: str | None = None
) -> Registration:
    """Change the registrant's meal (``food_option``) and the party's ``notes``."""
    errors: dict[str, list[str]] = {}
    event = registration.event
    meal = (
        food_option_of_event(event, data.get("food_option"), "food_option", errors) if "food_option" in data else None
    )
    if errors:
        raise ValidationFailed(message="The registration is invalid.", fields=errors)
    registration = lock_registration(registration.pk)
    check_confirmed(registration)
    check_open_for(actor, registration.event)
    if "notes" in data:
        registration.notes = data.get("notes") or ""
        registration.save(update_fields=["notes", "updated_at"])
    if "food_option" in data:
        Guest.objects.filter(registration=registration, is_registrant=True).update(
            food_option=meal, updated_at=timezone.now()
        )
    audit_record(
        actor=actor,
        action="attendance.registration_update",
        obj=registration,
        npo_id=event.npo_id,
        ip=ip,
        details={"fields": sorted(k for k in ("notes", "food_option") if k in data)},
    )
    return registration


@transaction.atomic
def registration_cancel(*, registration: Registration, actor: Any, ip: str | None = None) -> Registration:
    """Cancel: frees the seats (capacity counts confirmed parties only), unseats the guests (and any
    captaincy), and releases bidder numbers that have no bids, purchases, sales or pledges. A paddle
    with activity stays with the party: its statement must remain its own (bidding.md).

    Bids, purchases, sales and pledges lock the same registration row first and re-check it
    (``apps.attendance.locks``), so a bid racing this cancellation either lands before it (its paddle
    is then kept) or is refused with 409 ``NOT_REGISTERED``."""
    registration = lock_registration(registration.pk)
    check_confirmed(registration)
    check_open_for(actor, registration.event)
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
        if paddle_release_if_unused(paddle.pk):
            released.append(paddle.number)
    Guest.objects.filter(registration=registration).update(table=None, updated_at=timezone.now())
    audit_record(
        actor=actor,
        action="attendance.registration_cancelled",
        obj=registration,
        npo_id=registration.event.npo_id,
        ip=ip,
        details={"released_bidder_numbers": released},
    )
    return registration
