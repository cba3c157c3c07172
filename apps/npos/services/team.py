"""The team of an NPO: members (role change, removal; the last active admin can be neither demoted nor
removed: 409 ``LAST_ADMIN``) and invitations by e-mail (create, resend with a new token, revoke,
accept). Team changes lock the NPO row so two admins demoting each other at the same moment cannot
leave the NPO without an admin."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.core.errors import ErrorCode
from apps.core.exceptions import Conflict, Gone, NotFound, PermissionDenied, ValidationFailed
from apps.core.services import audit_record
from apps.npos import emails
from apps.npos.capabilities import Role
from apps.npos.models import (
    NPO,
    Invitation,
    InvitationStatus,
    Membership,
    MembershipStatus,
)
from apps.npos.services.npos import lock_npo, staff_status_sync

# --- members ------------------------------------------------------------------------------------


def _active_admin_count(npo: NPO) -> int:
    return Membership.objects.filter(npo=npo, status=MembershipStatus.ACTIVE, role=Role.ADMIN).count()


def _is_last_admin(membership: Membership) -> bool:
    return (
        membership.status == MembershipStatus.ACTIVE
        and membership.role == Role.ADMIN
        and _active_admin_count(membership.npo) <= 1
    )


@transaction.atomic
def member_update(*, membership: Membership, actor: Any, role: str, ip: str | None = None) -> Membership:
    """Change a member's role; the last active admin cannot be demoted (409 ``LAST_ADMIN``)."""
    if role not in Role.values:
        raise ValidationFailed(message="Unknown role.", fields={"role": [f"Use one of {', '.join(Role.values)}."]})
    lock_npo(membership.npo)
    membership = Membership.objects.select_for_update().select_related("npo", "user").get(pk=membership.pk)
    if membership.status != MembershipStatus.ACTIVE:
        raise Conflict(ErrorCode.INVALID_TRANSITION, "This member has been removed; invite them again instead.")
    if membership.role == role:
        return membership
    if role != Role.ADMIN and _is_last_admin(membership):
        raise Conflict(
            ErrorCode.LAST_ADMIN, "The last admin of an NPO cannot be demoted; make someone else admin first."
        )
    previous = membership.role
    membership.role = role
    membership.save(update_fields=["role", "updated_at"])
    audit_record(
        actor=actor,
        action="membership.role_change",
        obj=membership,
        npo_id=membership.npo_id,
        ip=ip,
        details={"user": str(membership.user_id), "from": previous, "to": role},
    )
    return membership


@transaction.atomic
def member_remove(*, membership: Membership, actor: Any, ip: str | None = None) -> Membership:
    """Remove a member (status ``removed``; the row stays for the audit trail). The last active admin
    cannot be removed (409 ``LAST_ADMIN``). Removing an already removed member changes nothing."""
    lock_npo(membership.npo)
    membership = Membership.objects.select_for_update().select_related("npo", "user").get(pk=membership.pk)
    if membership.status == MembershipStatus.REMOVED:
        return membership
    if _is_last_admin(membership):
        raise Conflict(
            ErrorCode.LAST_ADMIN, "The last admin of an NPO cannot be removed; make someone else admin first."
        )
    membership.status = MembershipStatus.REMOVED
    membership.save(update_fields=["status", "updated_at"])
    staff_status_sync(user=membership.user)
    audit_record(
        actor=actor,
        action="membership.remove",
        obj=membership,
        npo_id=membership.npo_id,
        ip=ip,
        details={"user": str(membership.user_id), "role": membership.role},
    )
    return membership


# --- invitations --------------------------------------------------------------------------------


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_token(invitation_id: uuid.UUID) -> tuple[str, str]:
    """A fresh token for the invitation: its id (32 hex digits) followed by 256 random bits.

    The id prefix is not a secret (the random part is); it lets :func:`invitation_accept` tell a
    token that was replaced by a resend (410 ``GONE``, like a revoked one) from one that never
    existed (404). Only the hash of the whole token is stored."""
    token = invitation_id.hex + secrets.token_urlsafe(32)
    return token, token_hash(token)


def _invitation_id_of(token: str) -> uuid.UUID | None:
    """The invitation id a token of :func:`_new_token`'s shape starts with, if it has one."""
    try:
        return uuid.UUID(hex=token[:32]) if len(token) > 32 else None
    except ValueError:
        return None


def _send_invitation(invitation: Invitation, token: str, actor: Any) -> None:
    inviter = (actor.get_full_name() if hasattr(actor, "get_full_name") else "") or getattr(actor, "email", "")
    emails.send_after_commit(
        "invitation",
        [invitation.email],
        {
            "npo_name": invitation.npo.name,
            "role": invitation.get_role_display(),
            "email": invitation.email,
            "inviter": inviter or "The team",
            "token": token,
            "expires_at": invitation.expires_at,
        },
    )


@transaction.atomic
def invitation_create(*, npo: NPO, actor: Any, email: str, role: str, ip: str | None = None) -> tuple[Invitation, str]:
    """Invite ``email`` with ``role`` (valid ``INVITATION_TTL``, 7 days). An address that is already an
    active member answers 409 ``ALREADY_MEMBER``; an open invitation to the same address is revoked
    and replaced (inviting again = a fresh token). Returns the invitation and the plain token (only
    ever e-mailed; the database keeps its hash)."""
    email = (email or "").strip().lower()
    if role not in Role.values:
        raise ValidationFailed(message="Unknown role.", fields={"role": [f"Use one of {', '.join(Role.values)}."]})
    npo = lock_npo(npo)
    if Membership.objects.filter(npo=npo, user__email__iexact=email, status=MembershipStatus.ACTIVE).exists():
        raise Conflict(ErrorCode.ALREADY_MEMBER, "This person is already a member of the NPO.")
    Invitation.objects.filter(npo=npo, email__iexact=email, status=InvitationStatus.PENDING).update(
        status=InvitationStatus.REVOKED, updated_at=timezone.now()
    )
    invitation_id = uuid.uuid4()
    token, hashed = _new_token(invitation_id)
    invitation = Invitation.objects.create(
        id=invitation_id,
        npo=npo,
        email=email,
        role=role,
        token_hash=hashed,
        expires_at=timezone.now() + settings.INVITATION_TTL,
        invited_by=actor,
    )
    audit_record(
        actor=actor,
        action="invitation.create",
        obj=invitation,
        npo_id=npo.pk,
        ip=ip,
        details={"email": email, "role": role},
    )
    _send_invitation(invitation, token, actor)
    return invitation, token


def _lock_invitation(invitation: Invitation) -> Invitation:
    return Invitation.objects.select_for_update().select_related("npo").get(pk=invitation.pk)


@transaction.atomic
def invitation_resend(*, invitation: Invitation, actor: Any, ip: str | None = None) -> tuple[Invitation, str]:
    """A new token and a new 7-day validity; the previous token stops working. Only pending (or
    expired-but-pending) invitations can be resent: an accepted or revoked one is 409
    ``INVALID_TRANSITION``."""
    invitation = _lock_invitation(invitation)
    if invitation.status != InvitationStatus.PENDING:
        raise Conflict(ErrorCode.INVALID_TRANSITION, f"An invitation that is {invitation.status} cannot be resent.")
    token, hashed = _new_token(invitation.pk)
    invitation.token_hash = hashed
    invitation.expires_at = timezone.now() + settings.INVITATION_TTL
    invitation.sent_count += 1
    invitation.save(update_fields=["token_hash", "expires_at", "sent_count", "updated_at"])
    audit_record(actor=actor, action="invitation.resend", obj=invitation, npo_id=invitation.npo_id, ip=ip)
    _send_invitation(invitation, token, actor)
    return invitation, token


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, actor: Any, ip: str | None = None) -> Invitation:
    """Revoke a pending invitation (its token then answers 410). Revoking twice changes nothing;
    an accepted invitation cannot be revoked (remove the member instead): 409 ``INVALID_TRANSITION``."""
    invitation = _lock_invitation(invitation)
    if invitation.status == InvitationStatus.REVOKED:
        return invitation
    if invitation.status == InvitationStatus.ACCEPTED:
        raise Conflict(ErrorCode.INVALID_TRANSITION, "This invitation was accepted; remove the member instead.")
    invitation.status = InvitationStatus.REVOKED
    invitation.save(update_fields=["status", "updated_at"])
    audit_record(actor=actor, action="invitation.revoke", obj=invitation, npo_id=invitation.npo_id, ip=ip)
    return invitation


@transaction.atomic
def invitation_accept(*, token: str, user: Any, ip: str | None = None) -> Membership:
    """The signed-in ``user`` accepts: their e-mail must be the invited address (403 otherwise);
    an expired, revoked, replaced (by a resend) or already used token is 410 ``GONE``; an active
    member gets 409 ``ALREADY_MEMBER``; a token that never existed is 404. A removed member is
    reactivated with the invited role."""
    token = (token or "").strip()
    superseded = False
    locked = Invitation.objects.select_for_update().select_related("npo")
    invitation = locked.filter(token_hash=token_hash(token)).first()
    if invitation is None:
        # A token replaced by a resend still names its invitation: answer as for a revoked one.
        invitation_id = _invitation_id_of(token)
        invitation = locked.filter(pk=invitation_id).first() if invitation_id else None
        superseded = True
    if invitation is None:
        raise NotFound(message="This invitation does not exist.")
    if invitation.npo.deleted_at is not None:
        raise Gone(message="This NPO no longer exists.")
    if invitation.email.lower() != (user.email or "").lower():
        raise PermissionDenied(message="This invitation was sent to a different e-mail address.")
    if invitation.status == InvitationStatus.REVOKED:
        raise Gone(message="This invitation was revoked.")
    if superseded and invitation.status == InvitationStatus.PENDING:
        raise Gone(message="This invitation link was replaced by a newer one; use the latest e-mail.")
    existing = Membership.objects.select_for_update().filter(npo=invitation.npo, user=user).first()
    if existing is not None and existing.status == MembershipStatus.ACTIVE:
        raise Conflict(ErrorCode.ALREADY_MEMBER, "You are already a member of this NPO.")
    if invitation.status == InvitationStatus.ACCEPTED:
        raise Gone(message="This invitation has already been used.")
    if invitation.is_expired:
        raise Gone(message="This invitation has expired; ask for a new one.")
    if existing is None:
        membership = Membership.objects.create(npo=invitation.npo, user=user, role=invitation.role)
    else:
        existing.role = invitation.role
        existing.status = MembershipStatus.ACTIVE
        existing.save(update_fields=["role", "status", "updated_at"])
        membership = existing
    invitation.status = InvitationStatus.ACCEPTED
    invitation.accepted_by = user
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["status", "accepted_by", "accepted_at", "updated_at"])
    staff_status_sync(user=user)
    audit_record(
        actor=user,
        action="membership.join",
        obj=membership,
        npo_id=invitation.npo_id,
        ip=ip,
        details={"invitation": str(invitation.pk), "role": invitation.role},
    )
    return membership
