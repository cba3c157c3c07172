"""Guest invitations: the e-mail with its single-use link, the daily limits on it, and accepting it.

Why an invitation must be *accepted*: an account used to be linked to an invited guest whenever its
verified address matched the guest's e-mail (at login, at sign-up, when the guest was added). Then a
registrant could point a guest's e-mail — and with it the guest's paddle, bids and private maximum —
at any account, and the ``linked`` flag told them whether an address had an account at all. Now the
only way is the link in the invitation e-mail: the signed-in account whose verified e-mail is the
invited address accepts it (``POST /api/v1/guest-invitations/accept/``).

Why daily limits, and why they live in the database: the invitation is sent from the platform's
address with text the registrant chose, so it is a spam relay if unbounded. At most
``GUEST_INVITATIONS_PER_GUEST_PER_DAY`` (3) mails per guest and
``GUEST_INVITATIONS_PER_REGISTRATION_PER_DAY`` (20) per registration in any 24 hours, then 429
``THROTTLED`` with ``Retry-After``. They are counted over the :class:`GuestInvitation` rows (which
exist anyway for the tokens) under the registration's row lock, so the count is exact under
concurrency, survives a cache flush, and cannot fail open during a Redis outage the way the cache
throttles do. Removing and re-adding a guest does not reset the registration's count.

The names that go into the mail are plain text, at most 60 characters, with no web or e-mail
address (:func:`mail_name_problem`, enforced on input as 400); the registrant's account name is
left out of the mail when it does not pass the same check.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
import unicodedata
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.attendance.locks import lock_guest, lock_registration
from apps.attendance.models import Guest, GuestInvitation, GuestInvitationStatus, Registration, RegistrationStatus
from apps.core import outbox
from apps.core.errors import ErrorCode
from apps.core.exceptions import Conflict, Gone, NotFound, PermissionDenied, ValidationFailed
from apps.core.services import audit_record
from apps.core.throttling import window_limit_check

logger = logging.getLogger(__name__)

MAIL_NAME_MAX = 60
_WINDOW = timedelta(hours=24)
#: Something a mail client would turn into a link: a scheme, "www.", an e-mail address, or a
#: host name ("evil.example", "bit.ly/x"): letters after a dot with no space before it.
_LINKISH = re.compile(r"(?i)(://|\b(?:https?|ftp|mailto|javascript|data):|www\.|@|[^\s.]\.[^\W\d_]{2,})")


def mail_name_problem(value: str) -> str | None:
    """Why ``value`` cannot be a name in an e-mail, or ``None`` when it can."""
    if len(value) > MAIL_NAME_MAX:
        return f"At most {MAIL_NAME_MAX} characters."
    if any(unicodedata.category(ch)[0] == "C" for ch in value) or "<" in value or ">" in value:
        return "Plain text only."
    if _LINKISH.search(value):
        return "Names cannot contain web or e-mail addresses."
    return None


def mail_safe_name(value: str) -> str:
    """``value`` when it passes :func:`mail_name_problem`, else ``""`` (left out of the mail)."""
    value = (value or "").strip()
    return "" if mail_name_problem(value) else value


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# --- limits ------------------------------------------------------------------------------------------


def invitation_limits_check(*, registration: Registration, guests: list[Guest], now: Any = None) -> None:
    """429 ``THROTTLED`` when sending one invitation to each of ``guests`` would exceed a daily limit.

    The caller holds the registration's row lock (``locks.lock_registration``): two requests of the
    same party cannot both pass the count."""
    if not guests:
        return
    now = now or timezone.now()
    since = now - _WINDOW
    per_registration = settings.GUEST_INVITATIONS_PER_REGISTRATION_PER_DAY
    per_guest = settings.GUEST_INVITATIONS_PER_GUEST_PER_DAY
    sent = list(
        GuestInvitation.objects.filter(registration=registration, created_at__gt=since).values_list(
            "guest_id", "created_at"
        )
    )
    window_limit_check(
        [t for _, t in sent],
        limit=per_registration,
        window=_WINDOW,
        now=now,
        extra=len(guests),
        message=f"At most {per_registration} invitation e-mails per registration a day; try again later.",
    )
    for guest in guests:
        window_limit_check(
            [t for guest_id, t in sent if guest_id == guest.pk],
            limit=per_guest,
            window=_WINDOW,
            now=now,
            message=f"At most {per_guest} invitation e-mails per guest a day; try again later.",
            guest=str(guest.pk),
        )


# --- sending -----------------------------------------------------------------------------------------


def _revoke_pending(guest: Guest) -> None:
    GuestInvitation.objects.filter(guest=guest, status=GuestInvitationStatus.PENDING).update(
        status=GuestInvitationStatus.REVOKED, updated_at=timezone.now()
    )


def invitable(guest: Guest, registration: Registration) -> bool:
    """Whether the guest can still be joined to an account by an invitation: not linked yet, and not
    the registrant of a registration that has an owner (that registrant *is* the owner's account).
    A walk-in's registrant row without an account is invitable: its address was typed at the desk,
    and only the invitation links it (``checkin.walk_in_register``)."""
    return guest.user_id is None and not (guest.is_registrant and registration.user_id is not None)


def guest_invitations_revoke(*, guest: Guest) -> None:
    """The guest's pending invitation stops working (its link answers 410): the e-mail changed or the
    guest is being removed. The row stays, it still counts against the daily limits."""
    _revoke_pending(guest)


def guest_invitation_send(*, guest: Guest, registration: Registration, actor: Any) -> GuestInvitation | None:
    """Write a fresh invitation for ``guest`` (replacing a pending one) and mail its link after commit.

    Runs inside the caller's transaction, which holds the registration's row lock and has already
    passed :func:`invitation_limits_check`. Guests without an e-mail get none, nor those already
    joined to an account (:func:`invitable`)."""
    if not guest.email or not invitable(guest, registration):
        return None
    _revoke_pending(guest)
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    invitation = GuestInvitation.objects.create(
        registration=registration,
        guest=guest,
        email=guest.email.lower(),
        token_hash=token_hash(token),
        expires_at=now + settings.GUEST_INVITATION_TTL,
        sent_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    guest.invited_at = now
    Guest.objects.filter(pk=guest.pk).update(invited_at=now)
    event = registration.event
    owner = registration.user
    context = {
        "event": event,
        "registration": registration,
        "guest_first_name": mail_safe_name(guest.first_name),
        "registrant_name": mail_safe_name(f"{owner.first_name} {owner.last_name}".strip()) if owner else "",
        "email": guest.email,
        "expires_at": invitation.expires_at,
        "frontend_url": settings.FRONTEND_URL.rstrip("/"),
    }
    subject = " ".join(f"You are invited to {event.name}".split())  # no CR/LF in a header
    # The token is sealed in the outbox row (encrypted, erased once sent), never stored in clear.
    outbox.email_queue(
        template="attendance/guest_invitation",
        to=guest.email,
        context={**context, "subject": subject},
        secrets={"token": token},
        ref=f"attendance.guestinvitation:{invitation.pk}",
    )
    return invitation


@transaction.atomic
def guest_invitation_resend(*, guest: Guest, actor: Any, ip: str | None = None) -> Guest:
    """Send the guest a new invitation (the previous link stops working); the daily limits apply.
    A guest without an e-mail is 400; the registrant, or a guest whose invitation was accepted, 409."""
    registration = lock_registration(guest.registration_id)
    locked = lock_guest(guest.pk)
    if registration.status != RegistrationStatus.CONFIRMED:
        raise Conflict(ErrorCode.INVALID_TRANSITION, "This registration is cancelled.")
    if not locked.email:
        raise ValidationFailed(
            message="This guest has no e-mail address.", fields={"email": ["Add an e-mail address first."]}
        )
    if not invitable(locked, registration):
        raise Conflict(ErrorCode.INVALID_TRANSITION, "This guest has already joined with their account.")
    invitation_limits_check(registration=registration, guests=[locked])
    guest_invitation_send(guest=locked, registration=registration, actor=actor)
    audit_record(
        actor=actor,
        action="attendance.guest_invitation_sent",
        obj=locked,
        npo_id=registration.event.npo_id,
        ip=ip,
    )
    return locked


# --- accepting ---------------------------------------------------------------------------------------


@transaction.atomic
def guest_invitation_accept(*, token: str, user: Any, ip: str | None = None) -> Guest:
    """Link the signed-in ``user`` to the invited guest, so they can see the party and bid under it.

    404 for a token that never existed; 403 unless the user's *verified* e-mail is the invited
    address; 410 ``GONE`` when the invitation was used, replaced (a newer invitation, a changed
    e-mail), has expired, or its registration was cancelled; 409 ``ALREADY_REGISTERED`` when the user
    already attends the event (their own registration, or another party's invitation).
    Locks: registration → guest → invitation (``apps.attendance.locks``).
    """
    token = (token or "").strip()
    found = GuestInvitation.objects.filter(token_hash=token_hash(token)).first() if token else None
    if found is None:
        raise NotFound(message="This invitation does not exist.")
    if not getattr(user, "email_verified_at", None):
        raise PermissionDenied(message="Verify your e-mail address first.")
    if (user.email or "").strip().lower() != found.email.lower():
        raise PermissionDenied(message="This invitation was sent to a different e-mail address.")
    registration = lock_registration(found.registration_id)
    guest = lock_guest(found.guest_id) if found.guest_id else None
    invitation = GuestInvitation.objects.select_for_update().get(pk=found.pk)
    if invitation.status == GuestInvitationStatus.ACCEPTED:
        raise Gone(message="This invitation has already been used.")
    if (
        invitation.status == GuestInvitationStatus.REVOKED
        or guest is None
        or guest.email.lower() != invitation.email.lower()
        or (guest.user_id is not None and guest.user_id != user.pk)
    ):
        raise Gone(message="This invitation was replaced or withdrawn; use the latest e-mail.")
    if invitation.expires_at <= timezone.now():
        raise Gone(message="This invitation has expired; ask for a new one.")
    if registration.status != RegistrationStatus.CONFIRMED:
        raise Gone(message="This registration was cancelled.")
    attending = (
        Guest.objects.filter(event_id=registration.event_id, user=user)
        .filter(registration__status=RegistrationStatus.CONFIRMED)
        .exclude(pk=guest.pk)
        .exists()
    )
    if attending:
        raise Conflict(ErrorCode.ALREADY_REGISTERED, "You already attend this event with your account.")
    now = timezone.now()
    Guest.objects.filter(pk=guest.pk).update(user=user, updated_at=now)
    if guest.is_registrant and registration.user_id is None:
        # A walk-in's own registration (its address typed at the desk): it becomes theirs.
        Registration.objects.filter(pk=registration.pk).update(user=user, updated_at=now)
        registration.user = user
    invitation.status = GuestInvitationStatus.ACCEPTED
    invitation.accepted_by = user
    invitation.accepted_at = now
    invitation.save(update_fields=["status", "accepted_by", "accepted_at", "updated_at"])
    audit_record(
        actor=user,
        action="attendance.guest_invitation_accepted",
        obj=guest,
        npo_id=registration.event.npo_id,
        ip=ip,
        details={"registration": str(registration.pk)},
    )
    guest.user = user
    guest.registration = registration
    return guest
