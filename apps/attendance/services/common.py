"""What the attendance writes share: the registration code, guest input (names, meal option), the
capacity check, e-mails after commit, releasing an unused paddle, and the "still confirmed / still
open to this actor" checks."""

from __future__ import annotations

import logging
import secrets
import uuid
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import ProtectedError

from apps.attendance.locks import lock_paddle
from apps.attendance.models import (
    Guest,
    Registration,
    RegistrationStatus,
)
from apps.attendance.qr import QR_ATTACHMENT
from apps.attendance.selectors import paddle_has_activity, seats_taken
from apps.attendance.services.invitations import (
    mail_name_problem,
)
from apps.core import outbox
from apps.core.errors import ErrorCode
from apps.core.exceptions import Conflict
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


def lock_event(event_id: Any) -> Event:
    return Event.objects.select_for_update(no_key=True).get(pk=event_id)


def is_attendance_manager(actor: Any, event: Event) -> bool:
    return authz.has_capability(actor, event.npo_id, Capability.ATTENDANCE_MANAGE)


def new_code(event_id: Any) -> str:
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


def food_option_of_event(event: Event, value: Any, field_name: str, errors: dict[str, list[str]]) -> FoodOption | None:
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
    :func:`apps.attendance.services.invitations.mail_name_problem`). ``source`` names the input field the
    names were split from (``name``), for the error."""
    for key in ("first_name", "last_name"):
        if key in values:
            problem = mail_name_problem(values[key])
            if problem:
                errors.setdefault(f"{prefix}{source or key}", []).append(problem)


def guest_input(event: Event, data: dict[str, Any], prefix: str, errors: dict[str, list[str]]) -> dict[str, Any]:
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
        values["food_option"] = food_option_of_event(event, data.get("food_option"), f"{prefix}food_option", errors)
    return values


def check_capacity(event: Event, extra: int) -> None:
    if event.capacity is None or extra <= 0:
        return
    taken = seats_taken(event)
    if taken + extra > event.capacity:
        raise Conflict(
            ErrorCode.EVENT_FULL,
            "The event is full.",
            seats_left=max(event.capacity - taken, 0),
        )


def mail_after_commit(template: str, subject: str, to: str, context: dict[str, Any]) -> None:
    """Queue one e-mail in the platform's outbox (apps.core.outbox): written with the change, sent by
    a worker after commit; a mail failure never undoes a registration. A registration mail carries
    the QR code of its code (``apps.attendance.qr``), for the desk's scanner."""
    registration = context.get("registration")
    attachments = (
        [(QR_ATTACHMENT, str(registration.pk))] if template == "registration_confirmed" and registration else []
    )
    outbox.email_queue(
        template=f"attendance/{template}", to=to, context={**context, "subject": subject}, attachments=attachments
    )


def mail_context(registration: Registration, guest: Guest | None = None) -> dict[str, Any]:
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


def paddle_release_if_unused(paddle_id: Any) -> bool:
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


def check_confirmed(registration: Registration) -> None:
    if registration.status != RegistrationStatus.CONFIRMED:
        raise Conflict(ErrorCode.INVALID_TRANSITION, "This registration is cancelled.")


def check_open_for(actor: Any, event: Event) -> None:
    """Owners change their registration only while the event is published; staff always may."""
    if event.status != EventStatus.PUBLISHED and not is_attendance_manager(actor, event):
        raise Conflict(ErrorCode.REGISTRATION_CLOSED, "Registration for this event is closed.")
