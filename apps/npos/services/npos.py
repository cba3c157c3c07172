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

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.core import uploads
from apps.core.errors import ErrorCode
from apps.core.exceptions import Conflict, NotFound, PermissionDenied, ValidationFailed
from apps.core.files import validate_image
from apps.core.services import audit_record
from apps.npos import authz, emails, hooks
from apps.npos.capabilities import Role
from apps.npos.models import (
    NPO,
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
    has_membership = authz.memberships_of(user).exists()
    wanted = has_membership or bool(user.is_superuser)
    if user.is_staff != wanted:
        user.is_staff = wanted
        user.save(update_fields=["is_staff"])
    return wanted


# --- NPOs ---------------------------------------------------------------------------------------


def lock_npo(npo: NPO) -> NPO:
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
def npo_create(*, actor: Any, data: dict[str, Any], ip: str | None = None) -> NPO:
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
    audit_record(actor=actor, action="npo.create", obj=npo, npo_id=npo.pk, ip=ip)
    return npo


@transaction.atomic
def npo_update(*, npo: NPO, actor: Any, data: dict[str, Any], ip: str | None = None) -> NPO:
    """Edit the NPO's details. Status and review notes are not editable here."""
    npo = lock_npo(npo)
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
            ip=ip,
            details={"changed": sorted(changed)},
        )
    return npo


@transaction.atomic
def npo_delete(*, npo: NPO, actor: Any, ip: str | None = None) -> None:
    """Soft delete. Refused while the NPO has published events (close or unpublish them first; the
    events app says so through :func:`apps.npos.hooks.on_npo_delete_check`).

    The name becomes free again (the uniqueness constraint covers live NPOs only); members who have
    no other NPO lose staff status.
    """
    npo = lock_npo(npo)
    for check in hooks.npo_delete_checks().values():
        check(npo)
    npo.deleted_at = timezone.now()
    npo.save(update_fields=["deleted_at", "updated_at"])
    audit_record(actor=actor, action="npo.delete", obj=npo, npo_id=npo.pk, ip=ip)
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
    npo = lock_npo(npo)
    if npo.status not in sources:
        raise Conflict(
            ErrorCode.INVALID_TRANSITION,
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
def npo_submit(*, npo: NPO, actor: Any, ip: str | None = None) -> NPO:
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
    audit_record(actor=actor, action="npo.submit", obj=npo, npo_id=npo.pk, ip=ip, details={"from": previous})
    emails.send_after_commit("submitted", emails.platform_admin_emails(), {"npo_name": npo.name, "npo_id": str(npo.pk)})
    return npo


def _decide(npo: NPO, *, action: str, actor: Any, notes: str, ip: str | None, template: str) -> NPO:
    if not authz.is_superuser(actor):
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
        ip=ip,
        details={"from": previous, "to": npo.status, "notes": notes},
    )
    emails.send_after_commit(template, emails.npo_admin_emails(npo), {"npo_name": npo.name, "notes": notes})
    return npo


@transaction.atomic
def npo_approve(*, npo: NPO, actor: Any, notes: str = "", ip: str | None = None) -> NPO:
    """Super admin: ``pending_approval → approved``; the NPO's admins are e-mailed."""
    return _decide(npo, action="approve", actor=actor, notes=notes, ip=ip, template="approved")


@transaction.atomic
def npo_reject(*, npo: NPO, actor: Any, notes: str, ip: str | None = None) -> NPO:
    """Super admin: ``pending_approval → rejected`` with notes (kept on the NPO and e-mailed)."""
    notes = (notes or "").strip()
    if not notes:
        raise ValidationFailed(
            message="Say why the application is rejected.", fields={"notes": ["This field is required."]}
        )
    return _decide(npo, action="reject", actor=actor, notes=notes, ip=ip, template="rejected")


@transaction.atomic
def npo_suspend(*, npo: NPO, actor: Any, notes: str = "", ip: str | None = None) -> NPO:
    """Super admin: ``approved → suspended`` (its items then refuse bids)."""
    return _decide(npo, action="suspend", actor=actor, notes=notes, ip=ip, template="suspended")


@transaction.atomic
def npo_reinstate(*, npo: NPO, actor: Any, notes: str = "", ip: str | None = None) -> NPO:
    """Super admin: ``suspended → approved``."""
    return _decide(npo, action="reinstate", actor=actor, notes=notes, ip=ip, template="reinstated")


@transaction.atomic
def npo_branding_update(
    *,
    npo: NPO,
    actor: Any,
    data: dict[str, Any],
    logo: Any = None,
    remove_logo: bool = False,
    ip: str | None = None,
) -> NPO:
    """Colours, social links and the logo. The logo is decoded by Pillow (``validate_image``), capped
    at :data:`NPO_LOGO_MAX_BYTES` and stored under a server-generated name through Django's storage;
    the replaced file is deleted after commit."""
    npo = lock_npo(npo)
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
            ip=ip,
            details={"changed": changed},
        )
        if "logo" in changed and old_logo_name:
            uploads.delete_on_commit(old_logo_name)
    return npo
