"""Every write to NPOs, memberships and invitations. The API and the admin call these functions.

Rules enforced here (product.md §2, api.md "NPOs and teams"):

* the NPO workflow: ``draft | rejected → pending_approval → approved | rejected``,
  ``approved ⇄ suspended``; anything else is 409 ``INVALID_TRANSITION``;
* names unique case-insensitively among non-deleted NPOs (checked for a friendly error, guaranteed
  by the database constraint ``npo_name_ci_unique_alive``);
* soft delete refused while the NPO has published events (409 ``NPO_HAS_PUBLISHED_EVENTS``);
* the last active admin can be neither demoted nor removed (409 ``LAST_ADMIN``);
* staff status follows membership (an active membership → ``is_staff``; losing the last one clears
  it unless the user is a super admin).

Capability checks (who may call) are the caller's job: the API checks them through the viewsets,
the admin through ``TenantScopedAdmin``. Team changes lock the NPO row so two admins demoting each
other at the same moment cannot leave the NPO without an admin.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from apps.core import uploads
from apps.core.exceptions import Conflict, Gone, NotFound, PermissionDenied, ValidationFailed
from apps.core.files import validate_image
from apps.core.services import audit_record
from apps.npos import emails
from apps.npos.capabilities import Role
from apps.npos.models import (
    NPO,
    Invitation,
    InvitationStatus,
    Membership,
    MembershipStatus,
    NPOStatus,
)

# Fields an NPO's own team may edit (status and review notes move only through the workflow).
NPO_EDITABLE_FIELDS = (
    "name",
    "description",
    "mission",
    "email",
    "phone",
    "website",
    "tax_id",
    "legal_name",
    "address_line1",
    "address_line2",
    "city",
    "state",
    "postal_code",
    "country",
    "currency",
)
BRANDING_FIELDS = ("primary_color", "secondary_color", "accent_color", "background_color", "social_links")
REQUIRED_FOR_SUBMIT = (
    "name",
    "description",
    "email",
    "phone",
    "address_line1",
    "city",
    "postal_code",
    "country",
    "tax_id",
)
NPO_LOGO_MAX_BYTES = 2 * 1024 * 1024

# action → (statuses it may start from, status it leads to)
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "submit": (frozenset({NPOStatus.DRAFT, NPOStatus.REJECTED}), NPOStatus.PENDING_APPROVAL),
    "approve": (frozenset({NPOStatus.PENDING_APPROVAL}), NPOStatus.APPROVED),
    "reject": (frozenset({NPOStatus.PENDING_APPROVAL}), NPOStatus.REJECTED),
    "suspend": (frozenset({NPOStatus.APPROVED}), NPOStatus.SUSPENDED),
    "reinstate": (frozenset({NPOStatus.SUSPENDED}), NPOStatus.APPROVED),
}


# --- staff status -------------------------------------------------------------------------------


def staff_status_sync(*, user: Any) -> bool:
    """Make ``user.is_staff`` follow membership: any active membership of a live NPO lets the user
    into ``/admin/``; without one, staff status goes (super admins keep theirs). Returns the value."""
    has_membership = Membership.objects.filter(
        user=user, status=MembershipStatus.ACTIVE, npo__deleted_at__isnull=True
    ).exists()
    wanted = has_membership or bool(user.is_superuser)
    if user.is_staff != wanted:
        user.is_staff = wanted
        user.save(update_fields=["is_staff"])
    return wanted


# --- NPOs ---------------------------------------------------------------------------------------


def _lock(npo: NPO) -> NPO:
    try:
        return NPO.objects.select_for_update().get(pk=npo.pk)
    except NPO.DoesNotExist as exc:
        raise NotFound(message="This NPO does not exist.") from exc


def _check_name_free(name: str, *, exclude_pk: Any = None) -> None:
    qs = NPO.objects.filter(name__iexact=name)
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    if qs.exists():
        raise ValidationFailed(
            message="An NPO with this name already exists.", fields={"name": ["An NPO with this name already exists."]}
        )


def _save_npo(npo: NPO, **kwargs: Any) -> None:
    """Save, turning a lost race on the unique name into the same 400 as the pre-check."""
    try:
        with transaction.atomic():
            npo.save(**kwargs)
    except IntegrityError as exc:
        if "npo_name_ci_unique_alive" in str(exc) or "UNIQUE" in str(exc).upper():
            raise ValidationFailed(
                message="An NPO with this name already exists.",
                fields={"name": ["An NPO with this name already exists."]},
            ) from exc
        raise


@transaction.atomic
def npo_create(*, actor: Any, data: dict[str, Any], request: HttpRequest | None = None) -> NPO:
    """A new NPO in ``draft``; the creator becomes its ``admin`` (and staff)."""
    fields = {k: v for k, v in data.items() if k in NPO_EDITABLE_FIELDS}
    name = (fields.get("name") or "").strip()
    if not name:
        raise ValidationFailed(message="A name is required.", fields={"name": ["This field is required."]})
    fields["name"] = name
    _check_name_free(name)
    npo = NPO(**fields, status=NPOStatus.DRAFT, created_by=actor)
    _save_npo(npo, force_insert=True)
    Membership.objects.create(npo=npo, user=actor, role=Role.ADMIN, status=MembershipStatus.ACTIVE)
    staff_status_sync(user=actor)
    audit_record(actor=actor, action="npo.create", obj=npo, npo_id=npo.pk, request=request)
    return npo


@transaction.atomic
def npo_update(*, npo: NPO, actor: Any, data: dict[str, Any], request: HttpRequest | None = None) -> NPO:
    """Edit the NPO's details. Status and review notes are not editable here."""
    npo = _lock(npo)
    changed: dict[str, Any] = {}
    for field, value in data.items():
        if field not in NPO_EDITABLE_FIELDS:
            continue
        if field == "name":
            value = (value or "").strip()
            if not value:
                raise ValidationFailed(message="A name is required.", fields={"name": ["This field may not be blank."]})
            if value.lower() != npo.name.lower():
                _check_name_free(value, exclude_pk=npo.pk)
        if getattr(npo, field) != value:
            changed[field] = [getattr(npo, field), value]
            setattr(npo, field, value)
    if changed:
        _save_npo(npo)
        audit_record(
            actor=actor,
            action="npo.update",
            obj=npo,
            npo_id=npo.pk,
            request=request,
            details={"changed": sorted(changed)},
        )
    return npo


def npo_has_published_events(npo: NPO) -> bool:
    """Looked up lazily: the events app builds on this one, not the other way round."""
    try:
        event_model = apps.get_model("events", "Event")
    except LookupError:
        return False
    return event_model._default_manager.filter(npo_id=npo.pk, status="published").exists()


@transaction.atomic
def npo_delete(*, npo: NPO, actor: Any, request: HttpRequest | None = None) -> None:
    """Soft delete. Refused while the NPO has published events (close or unpublish them first).

    The name becomes free again (the uniqueness constraint covers live NPOs only); members who have
    no other NPO lose staff status.
    """
    npo = _lock(npo)
    if npo_has_published_events(npo):
        raise Conflict(
            "NPO_HAS_PUBLISHED_EVENTS", "This NPO has published events; close or unpublish them before deleting it."
        )
    npo.deleted_at = timezone.now()
    npo.save(update_fields=["deleted_at", "updated_at"])
    audit_record(actor=actor, action="npo.delete", obj=npo, npo_id=npo.pk, request=request)
    for membership in Membership.objects.filter(npo=npo, status=MembershipStatus.ACTIVE).select_related("user"):
        staff_status_sync(user=membership.user)


_PAST = {
    "submit": "submitted",
    "approve": "approved",
    "reject": "rejected",
    "suspend": "suspended",
    "reinstate": "reinstated",
}


def _transition(npo: NPO, action: str) -> tuple[NPO, str]:
    sources, target = TRANSITIONS[action]
    npo = _lock(npo)
    if npo.status not in sources:
        raise Conflict(
            "INVALID_TRANSITION",
            f"An NPO in status '{npo.status}' cannot be {_PAST[action]}.",
            status=npo.status,
            action=action,
        )
    previous = npo.status
    npo.status = target
    return npo, previous


def npo_missing_fields(npo: NPO) -> list[str]:
    return [field for field in REQUIRED_FOR_SUBMIT if not str(getattr(npo, field) or "").strip()]


@transaction.atomic
def npo_submit(*, npo: NPO, actor: Any, request: HttpRequest | None = None) -> NPO:
    """Send the application for review (from ``draft`` or ``rejected``); all required fields must be
    filled in, otherwise 400 listing them. The platform's super admins are told by e-mail."""
    npo, previous = _transition(npo, "submit")
    missing = npo_missing_fields(npo)
    if missing:
        raise ValidationFailed(
            message="Fill in the required fields before submitting.",
            fields={field: ["This field is required to submit the application."] for field in missing},
        )
    npo.save(update_fields=["status", "updated_at"])
    audit_record(actor=actor, action="npo.submit", obj=npo, npo_id=npo.pk, request=request, details={"from": previous})
    emails.send_after_commit("submitted", emails.platform_admin_emails(), {"npo_name": npo.name, "npo_id": str(npo.pk)})
    return npo


def _decide(npo: NPO, *, action: str, actor: Any, notes: str, request: HttpRequest | None, template: str) -> NPO:
    if not (actor is not None and getattr(actor, "is_superuser", False)):
        raise PermissionDenied(message="Only platform super admins may do this.")
    npo, previous = _transition(npo, action)
    update_fields = ["status", "updated_at"]
    if notes or action in ("approve", "reject"):
        npo.review_notes = notes
        update_fields.append("review_notes")
    npo.save(update_fields=update_fields)
    audit_record(
        actor=actor,
        action=f"npo.{action}",
        obj=npo,
        npo_id=npo.pk,
        request=request,
        details={"from": previous, "to": npo.status, "notes": notes},
    )
    emails.send_after_commit(template, emails.npo_admin_emails(npo), {"npo_name": npo.name, "notes": notes})
    return npo


@transaction.atomic
def npo_approve(*, npo: NPO, actor: Any, notes: str = "", request: HttpRequest | None = None) -> NPO:
    """Super admin: ``pending_approval → approved``; the NPO's admins are e-mailed."""
    return _decide(npo, action="approve", actor=actor, notes=notes, request=request, template="approved")


@transaction.atomic
def npo_reject(*, npo: NPO, actor: Any, notes: str, request: HttpRequest | None = None) -> NPO:
    """Super admin: ``pending_approval → rejected`` with notes (kept on the NPO and e-mailed)."""
    notes = (notes or "").strip()
    if not notes:
        raise ValidationFailed(
            message="Say why the application is rejected.", fields={"notes": ["This field is required."]}
        )
    return _decide(npo, action="reject", actor=actor, notes=notes, request=request, template="rejected")


@transaction.atomic
def npo_suspend(*, npo: NPO, actor: Any, notes: str = "", request: HttpRequest | None = None) -> NPO:
    """Super admin: ``approved → suspended`` (its items then refuse bids)."""
    return _decide(npo, action="suspend", actor=actor, notes=notes, request=request, template="suspended")


@transaction.atomic
def npo_reinstate(*, npo: NPO, actor: Any, notes: str = "", request: HttpRequest | None = None) -> NPO:
    """Super admin: ``suspended → approved``."""
    return _decide(npo, action="reinstate", actor=actor, notes=notes, request=request, template="reinstated")


@transaction.atomic
def npo_branding_update(
    *,
    npo: NPO,
    actor: Any,
    data: dict[str, Any],
    logo: Any = None,
    remove_logo: bool = False,
    request: HttpRequest | None = None,
) -> NPO:
    """Colours, social links and the logo. The logo is decoded by Pillow (``validate_image``), capped
    at :data:`NPO_LOGO_MAX_BYTES` and stored under a server-generated name through Django's storage;
    the replaced file is deleted after commit."""
    npo = _lock(npo)
    changed = []
    for field in BRANDING_FIELDS:
        if field in data and getattr(npo, field) != data[field]:
            setattr(npo, field, data[field])
            changed.append(field)
    old_logo_name = npo.logo.name if npo.logo else ""
    if logo is not None:
        checked = validate_image(logo, max_bytes=NPO_LOGO_MAX_BYTES, field="logo")
        npo.logo.name = uploads.store(logo, prefix="npo-logos", checked=checked)
        changed.append("logo")
    elif remove_logo and old_logo_name:
        npo.logo = ""
        changed.append("logo")
    if changed:
        npo.save()
        audit_record(
            actor=actor,
            action="npo.branding_update",
            obj=npo,
            npo_id=npo.pk,
            request=request,
            details={"changed": changed},
        )
        if "logo" in changed and old_logo_name:
            uploads.delete_on_commit(old_logo_name)
    return npo


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
def member_update(*, membership: Membership, actor: Any, role: str, request: HttpRequest | None = None) -> Membership:
    """Change a member's role; the last active admin cannot be demoted (409 ``LAST_ADMIN``)."""
    if role not in Role.values:
        raise ValidationFailed(message="Unknown role.", fields={"role": [f"Use one of {', '.join(Role.values)}."]})
    _lock(membership.npo)
    membership = Membership.objects.select_for_update().select_related("npo", "user").get(pk=membership.pk)
    if membership.status != MembershipStatus.ACTIVE:
        raise Conflict("INVALID_TRANSITION", "This member has been removed; invite them again instead.")
    if membership.role == role:
        return membership
    if role != Role.ADMIN and _is_last_admin(membership):
        raise Conflict("LAST_ADMIN", "The last admin of an NPO cannot be demoted; make someone else admin first.")
    previous = membership.role
    membership.role = role
    membership.save(update_fields=["role", "updated_at"])
    audit_record(
        actor=actor,
        action="membership.role_change",
        obj=membership,
        npo_id=membership.npo_id,
        request=request,
        details={"user": str(membership.user_id), "from": previous, "to": role},
    )
    return membership


@transaction.atomic
def member_remove(*, membership: Membership, actor: Any, request: HttpRequest | None = None) -> Membership:
    """Remove a member (status ``removed``; the row stays for the audit trail). The last active admin
    cannot be removed (409 ``LAST_ADMIN``). Removing an already removed member changes nothing."""
    _lock(membership.npo)
    membership = Membership.objects.select_for_update().select_related("npo", "user").get(pk=membership.pk)
    if membership.status == MembershipStatus.REMOVED:
        return membership
    if _is_last_admin(membership):
        raise Conflict("LAST_ADMIN", "The last admin of an NPO cannot be removed; make someone else admin first.")
    membership.status = MembershipStatus.REMOVED
    membership.save(update_fields=["status", "updated_at"])
    staff_status_sync(user=membership.user)
    audit_record(
        actor=actor,
        action="membership.remove",
        obj=membership,
        npo_id=membership.npo_id,
        request=request,
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
def invitation_create(
    *, npo: NPO, actor: Any, email: str, role: str, request: HttpRequest | None = None
) -> tuple[Invitation, str]:
    """Invite ``email`` with ``role`` (valid ``INVITATION_TTL``, 7 days). An address that is already an
    active member answers 409 ``ALREADY_MEMBER``; an open invitation to the same address is revoked
    and replaced (inviting again = a fresh token). Returns the invitation and the plain token (only
    ever e-mailed; the database keeps its hash)."""
    email = (email or "").strip().lower()
    if role not in Role.values:
        raise ValidationFailed(message="Unknown role.", fields={"role": [f"Use one of {', '.join(Role.values)}."]})
    npo = _lock(npo)
    if Membership.objects.filter(npo=npo, user__email__iexact=email, status=MembershipStatus.ACTIVE).exists():
        raise Conflict("ALREADY_MEMBER", "This person is already a member of the NPO.")
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
        request=request,
        details={"email": email, "role": role},
    )
    _send_invitation(invitation, token, actor)
    return invitation, token


def _lock_invitation(invitation: Invitation) -> Invitation:
    return Invitation.objects.select_for_update().select_related("npo").get(pk=invitation.pk)


@transaction.atomic
def invitation_resend(
    *, invitation: Invitation, actor: Any, request: HttpRequest | None = None
) -> tuple[Invitation, str]:
    """A new token and a new 7-day validity; the previous token stops working. Only pending (or
    expired-but-pending) invitations can be resent: an accepted or revoked one is 409
    ``INVALID_TRANSITION``."""
    invitation = _lock_invitation(invitation)
    if invitation.status != InvitationStatus.PENDING:
        raise Conflict("INVALID_TRANSITION", f"An invitation that is {invitation.status} cannot be resent.")
    token, hashed = _new_token(invitation.pk)
    invitation.token_hash = hashed
    invitation.expires_at = timezone.now() + settings.INVITATION_TTL
    invitation.sent_count += 1
    invitation.save(update_fields=["token_hash", "expires_at", "sent_count", "updated_at"])
    audit_record(actor=actor, action="invitation.resend", obj=invitation, npo_id=invitation.npo_id, request=request)
    _send_invitation(invitation, token, actor)
    return invitation, token


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, actor: Any, request: HttpRequest | None = None) -> Invitation:
    """Revoke a pending invitation (its token then answers 410). Revoking twice changes nothing;
    an accepted invitation cannot be revoked (remove the member instead): 409 ``INVALID_TRANSITION``."""
    invitation = _lock_invitation(invitation)
    if invitation.status == InvitationStatus.REVOKED:
        return invitation
    if invitation.status == InvitationStatus.ACCEPTED:
        raise Conflict("INVALID_TRANSITION", "This invitation was accepted; remove the member instead.")
    invitation.status = InvitationStatus.REVOKED
    invitation.save(update_fields=["status", "updated_at"])
    audit_record(actor=actor, action="invitation.revoke", obj=invitation, npo_id=invitation.npo_id, request=request)
    return invitation


@transaction.atomic
def invitation_accept(*, token: str, user: Any, request: HttpRequest | None = None) -> Membership:
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
        raise Conflict("ALREADY_MEMBER", "You are already a member of this NPO.")
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
        request=request,
        details={"invitation": str(invitation.pk), "role": invitation.role},
    )
    return membership
