"""Account deletion (legal.md "Privacy: export and deletion"): anonymise the person, keep the
records the NPOs need by law.

One transaction, in this order:

1. the account row is locked; every registered **deletion blocker** runs (``apps.legal.hooks``:
   npos refuses the last admin of an NPO with 409 ``LAST_ADMIN``, checkout a balance due with
   ``BALANCE_DUE``) — nothing has changed yet when one refuses;
2. memberships end (through the npos service, audited), so the person no longer counts anywhere;
3. the person disappears: name "Deleted user", the e-mail a unique ``…@deleted.invalid`` placeholder
   (RFC 2606: it can receive nothing, and the outbox never queues to it), password unusable, phone,
   address, organisation, links and picture removed, staff and super admin flags off, inactive;
4. every way back in ends: refresh tokens blacklisted, access tokens and browser sessions cut off
   (``tokens_valid_after`` and the password are part of the session hash), e-mail tokens deleted, the
   address's sign-in lock cleared — so the address can register again as a new person;
5. what named them is anonymised: guest rows linked to them or carrying their address, the notes of
   their registrations, invitations and outbox rows to their address (pending ones cancelled), the
   IP address and user agent of their consent log rows; their cookie choices and exports go;
6. every registered **account eraser** runs; the deletion is audited (``privacy.account_deleted``).

Bids, purchases, sales, pledges, payments, statements, registrations and audit entries stay, linked
to the anonymised account.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from apps.core import uploads
from apps.core.exceptions import Conflict
from apps.core.models import OutboxEmail, OutboxStatus
from apps.core.services import audit_record
from apps.legal.hooks import account_erasers, deletion_blockers
from apps.legal.models import ConsentRecord, CookiePreference, PrivacyExport
from apps.users.models import AccountToken, User
from apps.users.services.sessions import current_password_verify
from apps.users.signals import access_cut_off_announce

DELETED_NAME = "Deleted user"
PLACEHOLDER_DOMAIN = "deleted.invalid"
PROFILE_FIELDS_CLEARED = (
    "last_name",
    "phone",
    "address_line1",
    "address_line2",
    "city",
    "state",
    "postal_code",
    "country",
    "organization",
)


def placeholder_email() -> str:
    return f"deleted-{uuid.uuid4().hex}@{PLACEHOLDER_DOMAIN}"


def is_deleted(user: User) -> bool:
    return user.email.endswith(f"@{PLACEHOLDER_DOMAIN}")


def _end_memberships(user: User, actor: Any) -> None:
    from apps.npos.models import Membership, MembershipStatus
    from apps.npos.services.team import member_remove

    for membership in Membership.objects.filter(user=user, status=MembershipStatus.ACTIVE).select_related("npo"):
        member_remove(membership=membership, actor=actor)


def _anonymise_attendance(user: User, old_email: str, placeholder: str) -> None:
    from apps.attendance.models import Guest, GuestInvitation, GuestInvitationStatus, Registration

    Guest.objects.filter(Q(user=user) | Q(email__iexact=old_email)).update(
        first_name=DELETED_NAME, last_name="", email="", phone="", updated_at=timezone.now()
    )
    Registration.objects.filter(user=user).exclude(notes="").update(notes="", updated_at=timezone.now())
    invitations = GuestInvitation.objects.filter(email__iexact=old_email)
    invitations.filter(status=GuestInvitationStatus.PENDING).update(status=GuestInvitationStatus.REVOKED)
    invitations.update(email=placeholder, updated_at=timezone.now())


def _anonymise_team_invitations(old_email: str, placeholder: str) -> None:
    from apps.npos.models import Invitation, InvitationStatus

    invitations = Invitation.objects.filter(email__iexact=old_email)
    invitations.filter(status=InvitationStatus.PENDING).update(status=InvitationStatus.REVOKED)
    invitations.update(email=placeholder, updated_at=timezone.now())


def _forget_mail(user: User, old_email: str, placeholder: str) -> None:
    rows = OutboxEmail.objects.filter(Q(user=user) | Q(to__iexact=old_email))
    rows.filter(status__in=[OutboxStatus.PENDING, OutboxStatus.FAILED]).update(
        status=OutboxStatus.CANCELLED, last_error="account deleted"
    )
    rows.update(to=placeholder, context={}, updated_at=timezone.now())


def _end_access(user: User, old_email: str) -> None:
    from apps.users import lockout, tokens

    tokens.outstanding_blacklist(user=user)
    AccountToken.objects.filter(user=user).delete()
    lockout.lockout_reset(email=old_email)


def _drop_privacy_rows(user: User) -> None:
    names = [name for name in PrivacyExport.objects.filter(user=user).values_list("file_name", flat=True) if name]
    PrivacyExport.objects.filter(user=user).delete()
    uploads.delete_on_commit(*names)
    CookiePreference.objects.filter(user=user).delete()
    ConsentRecord.objects.filter(user=user).erase_network_details()


@transaction.atomic
def account_delete(*, user: User, actor: Any, ip: str | None = None) -> User:
    """Anonymise ``user`` (see the module docstring). ``actor`` is the person themselves or the
    super admin acting on their written request. 409 from a deletion blocker; 409
    ``INVALID_TRANSITION`` for an account deleted already."""
    user = User.objects.select_for_update().get(pk=user.pk)
    if is_deleted(user):
        raise Conflict("INVALID_TRANSITION", "This account has already been deleted.")
    for blocker in deletion_blockers():
        blocker(user)

    old_email, placeholder = user.email, placeholder_email()
    old_picture = user.profile_picture.name
    _end_memberships(user, actor)

    user.email = placeholder
    user.first_name = DELETED_NAME
    for name in PROFILE_FIELDS_CLEARED:
        setattr(user, name, "")
    user.social_links = {}
    user.profile_picture.name = ""
    user.set_unusable_password()
    user.is_active = user.is_staff = user.is_superuser = False
    user.consent_terms_version = user.consent_privacy_version = ""
    user.tokens_valid_after = timezone.now()
    user.save()
    access_cut_off_announce(user)
    if old_picture:
        uploads.delete_on_commit(old_picture)

    _end_access(user, old_email)
    _anonymise_attendance(user, old_email, placeholder)
    _anonymise_team_invitations(old_email, placeholder)
    _forget_mail(user, old_email, placeholder)
    _drop_privacy_rows(user)
    for eraser in account_erasers():
        eraser(user, old_email)
    audit_record(
        actor=actor,
        action="privacy.account_deleted",
        obj=user,
        ip=ip,
        details={"by": "self" if getattr(actor, "pk", None) == user.pk else "admin", "user": str(user.pk)},
    )
    return user


def account_delete_self(*, user: User, password: Any, ip: str | None = None, device_token: str | None = None) -> User:
    """``POST /api/v1/privacy/delete-account/``: the person confirms with their password (400 and
    nothing changes when it is wrong; wrong passwords count with the sign-in lockout, 429
    ``ACCOUNT_LOCKED`` after 5 — ``current_password_verify``)."""
    current_password_verify(user=user, password=password, field="password", ip=ip, device_token=device_token)
    return account_delete(user=user, actor=user, ip=ip)
