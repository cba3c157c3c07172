"""Account deletion (legal.md "Privacy: export and deletion"): anonymise the person, keep the
records the NPOs need by law.

One transaction, in this order:

1. the account row is locked; every registered **deletion blocker** runs (``apps.legal.hooks``:
   npos refuses the last admin of an NPO with 409 ``LAST_ADMIN``, checkout a balance due with
   ``BALANCE_DUE``) — nothing has changed yet when one refuses;
1b. every registered **remote eraser** deletes what an outside service keeps (checkout: the payment
   provider's customers of the person's saved cards) — first, because the ids that find it there are
   blanked below; when the service fails, the deletion is refused (503) and nothing has changed;
2. memberships end (through the npos service, audited), so the person no longer counts anywhere;
3. the person disappears: name "Deleted user", the e-mail a unique ``…@deleted.invalid`` placeholder
   (RFC 2606: it can receive nothing, and the outbox never queues to it), password unusable, phone,
   address, organisation, links and picture removed, staff and super admin flags off, inactive;
4. every way back in ends: refresh tokens blacklisted, access tokens and browser sessions cut off
   (``tokens_valid_after`` and the password are part of the session hash), e-mail tokens deleted, the
   address's sign-in lock cleared — so the address can register again as a new person;
5. what named them is anonymised: guest rows linked to them or carrying their address, the notes of
   their registrations, invitations and outbox rows to their address (pending ones cancelled), the
   IP address and user agent of their consent log rows; their cookie choices and exports go; the
   contact messages sent from their address lose name, address, text, IP and user agent (and the
   platform's copies of them in the outbox their content);
6. the audit log: entries where they are the actor or the object (their account, their guest rows,
   their contact messages) lose the IP address; every entry naming their address or name has it
   replaced by the placeholder or "Deleted user" — in ``object_repr`` and in ``details`` — while
   the facts stay (action, time, object id, amounts, bidder numbers);
7. every registered **account eraser** runs; the deletion is audited (``privacy.account_deleted``).

Bids, purchases, sales, pledges, payments, statements, registrations and audit entries stay, linked
to the anonymised account.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from apps.attendance.models import Guest, GuestInvitation, GuestInvitationStatus, Registration
from apps.core import uploads
from apps.core.errors import ErrorCode
from apps.core.exceptions import Conflict
from apps.core.models import AuditEntry, OutboxEmail, OutboxStatus
from apps.core.services import audit_record
from apps.legal.hooks import account_erasers, deletion_blockers, remote_erasers
from apps.legal.models import ConsentRecord, ContactMessage, CookiePreference, PrivacyExport
from apps.npos.models import Invitation, InvitationStatus, Membership, MembershipStatus
from apps.npos.services.team import member_remove
from apps.users import lockout, tokens
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
    for membership in Membership.objects.filter(user=user, status=MembershipStatus.ACTIVE).select_related("npo"):
        member_remove(membership=membership, actor=actor)


#: Audit objects that name the person: (``object_type``, object ids).
ObjectRefs = list[tuple[str, list[str]]]


def _ids(queryset: Any) -> list[str]:
    return [str(pk) for pk in queryset.values_list("pk", flat=True)]


def _anonymise_attendance(user: User, old_email: str, placeholder: str) -> ObjectRefs:
    guests = Guest.objects.filter(Q(user=user) | Q(email__iexact=old_email))
    guest_ids = _ids(guests)
    guests.update(first_name=DELETED_NAME, last_name="", email="", phone="", updated_at=timezone.now())
    Registration.objects.filter(user=user).exclude(notes="").update(notes="", updated_at=timezone.now())
    invitations = GuestInvitation.objects.filter(email__iexact=old_email)
    invitation_ids = _ids(invitations)
    invitations.filter(status=GuestInvitationStatus.PENDING).update(status=GuestInvitationStatus.REVOKED)
    invitations.update(email=placeholder, updated_at=timezone.now())
    return [(Guest._meta.label_lower, guest_ids), (GuestInvitation._meta.label_lower, invitation_ids)]


def _anonymise_team_invitations(old_email: str, placeholder: str) -> ObjectRefs:
    invitations = Invitation.objects.filter(email__iexact=old_email)
    ids = _ids(invitations)
    invitations.filter(status=InvitationStatus.PENDING).update(status=InvitationStatus.REVOKED)
    invitations.update(email=placeholder, updated_at=timezone.now())
    return [(Invitation._meta.label_lower, ids)]


def _membership_refs(user: User) -> ObjectRefs:
    return [(Membership._meta.label_lower, _ids(Membership.objects.filter(user=user)))]


def _anonymise_contact_messages(old_email: str, placeholder: str) -> ObjectRefs:
    """Messages sent through the public contact form from their address: kept as a handled-or-not
    record with nothing left of the person or what they wrote; the copy queued to the platform's
    contact address loses its content too."""
    messages = ContactMessage.objects.filter(email__iexact=old_email)
    ids = _ids(messages)
    messages.update(
        name=DELETED_NAME,
        email=placeholder,
        subject="",
        message="",
        ip_address=None,
        user_agent="",
        updated_at=timezone.now(),
    )
    copies = OutboxEmail.objects.filter(ref__in=[f"legal.contactmessage:{pk}" for pk in ids])
    copies.filter(status__in=[OutboxStatus.PENDING, OutboxStatus.FAILED]).update(
        status=OutboxStatus.CANCELLED, last_error="account deleted"
    )
    copies.update(context={}, updated_at=timezone.now())
    return [(ContactMessage._meta.label_lower, ids)]


def _scrubbed(value: Any, replacements: list[tuple[re.Pattern[str], str]]) -> Any:
    """``value`` (a JSON value) with every occurrence of the person's address or name replaced."""
    if isinstance(value, str):
        for pattern, text in replacements:
            value = pattern.sub(text, value)
        return value
    if isinstance(value, dict):
        return {key: _scrubbed(item, replacements) for key, item in value.items()}
    if isinstance(value, list):
        return [_scrubbed(item, replacements) for item in value]
    return value


def _scrub_audit(user: User, *, old_email: str, old_name: str, refs: ObjectRefs) -> None:
    """Step 6 of the module docstring, over the entries whose actor is the person or whose object
    names them (``refs``: their account, guest rows, invitations, memberships, contact messages —
    found through the (type, id) index, never by searching every entry's text). Entries are
    append-only for everyone else; this is the one rewrite, and it changes whom they name, never what
    happened."""
    own_type, own_id = User._meta.label_lower, str(user.pk)
    about = Q(actor=user) | Q(object_type=own_type, object_id=own_id)
    for object_type, ids in refs:
        if ids:
            about |= Q(object_type=object_type, object_id__in=ids)
    replacements = [(re.compile(re.escape(old_email), re.IGNORECASE), user.email)]
    if len(old_name) >= 3:  # a full name: a lone initial would eat unrelated text
        replacements.append((re.compile(re.escape(old_name), re.IGNORECASE), DELETED_NAME))
    named_only_by_name = {  # objects whose text is nothing but the person's name (as they typed it)
        (object_type, object_id)
        for object_type, ids in refs
        if object_type in ("attendance.guest", ContactMessage._meta.label_lower)
        for object_id in ids
    }
    changed = []
    for entry in AuditEntry.objects.filter(about).iterator():
        if entry.actor_id == user.pk or (entry.object_type, entry.object_id) == (own_type, own_id):
            entry.ip_address = None
        if (entry.object_type, entry.object_id) in named_only_by_name:
            entry.object_repr = DELETED_NAME
        else:
            entry.object_repr = _scrubbed(entry.object_repr, replacements)
        entry.details = _scrubbed(entry.details, replacements)
        changed.append(entry)
    AuditEntry.objects.bulk_update(changed, ["ip_address", "object_repr", "details"], batch_size=500)


def _forget_mail(user: User, old_email: str, placeholder: str) -> None:
    rows = OutboxEmail.objects.filter(Q(user=user) | Q(to__iexact=old_email))
    rows.filter(status__in=[OutboxStatus.PENDING, OutboxStatus.FAILED]).update(
        status=OutboxStatus.CANCELLED, last_error="account deleted"
    )
    rows.update(to=placeholder, context={}, updated_at=timezone.now())


def _end_access(user: User, old_email: str) -> None:
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
    super admin acting on their written request. 409 from a deletion blocker; 503
    ``SERVICE_UNAVAILABLE`` when a remote eraser's service fails (nothing changed: retry later); 409
    ``INVALID_TRANSITION`` for an account deleted already."""
    user = User.objects.select_for_update().get(pk=user.pk)
    if is_deleted(user):
        raise Conflict(ErrorCode.INVALID_TRANSITION, "This account has already been deleted.")
    for blocker in deletion_blockers():
        blocker(user)
    for remote in remote_erasers():  # before any write: see the module docstring, step 1b
        remote(user)

    old_email, placeholder = user.email, placeholder_email()
    old_name = " ".join(f"{user.first_name} {user.last_name}".split())
    old_picture = user.profile_picture.name
    refs = _membership_refs(user)
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
    refs += _anonymise_attendance(user, old_email, placeholder)
    refs += _anonymise_team_invitations(old_email, placeholder)
    _forget_mail(user, old_email, placeholder)
    _drop_privacy_rows(user)
    refs += _anonymise_contact_messages(old_email, placeholder)
    _scrub_audit(user, old_email=old_email, old_name=old_name, refs=refs)
    for eraser in account_erasers():
        eraser(user, old_email)
    by_self = getattr(actor, "pk", None) == user.pk
    audit_record(
        actor=actor,
        action="privacy.account_deleted",
        obj=user,
        ip=None if by_self else ip,  # the person's address goes with them; an admin's stays
        details={"by": "self" if by_self else "admin", "user": str(user.pk)},
    )
    return user


def account_delete_self(*, user: User, password: Any, ip: str | None = None, device_token: str | None = None) -> User:
    """``POST /api/v1/privacy/delete-account/``: the person confirms with their password (400 and
    nothing changes when it is wrong; wrong passwords count with the sign-in lockout, 429
    ``ACCOUNT_LOCKED`` after 5 — ``current_password_verify``)."""
    current_password_verify(user=user, password=password, field="password", ip=ip, device_token=device_token)
    return account_delete(user=user, actor=user, ip=ip)
