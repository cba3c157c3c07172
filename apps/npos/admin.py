"""Admin of NPOs, memberships and invitations — tenant-scoped, and every write goes through services.

* NPOs: members see their own NPOs; ``npo.manage`` edits them; super admins approve, reject (with
  notes, asked on an intermediate page), suspend and reinstate through actions that call the same
  services as the API. Deleting is the service's soft delete (refused while events are published).
* Members: an inline on the NPO (role editable with ``team.manage``; the last-admin rule holds) and a
  list with a "remove" action. New members join through invitations only.
* Invitations: created from the admin through ``invitation_create`` (the e-mail is sent), resent or
  revoked by actions.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from apps.core.exceptions import DomainError
from apps.core.net import client_ip
from apps.npos import authz, permissions
from apps.npos.models import NPO, Invitation, Membership
from apps.npos.services.npos import (
    BRANDING_FIELDS,
    NPO_EDITABLE_FIELDS,
    npo_approve,
    npo_branding_update,
    npo_create,
    npo_delete,
    npo_reinstate,
    npo_reject,
    npo_suspend,
    npo_update,
)
from apps.npos.services.team import (
    invitation_create,
    invitation_resend,
    invitation_revoke,
    member_remove,
    member_update,
)
from apps.npos.tenancy.admin import TenantScopedAdmin, TenantScopedTabularInline, tenant_action
from apps.npos.validators import validate_country, validate_currency, validate_hex_colour, validate_phone


class NPOAdminForm(forms.ModelForm):
    """The same field rules as the API (colours, currency, country, phone)."""

    website = forms.URLField(required=False, assume_scheme="https")

    class Meta:
        model = NPO
        fields = [*NPO_EDITABLE_FIELDS, *BRANDING_FIELDS, "logo"]

    def clean_name(self) -> str:
        value = (self.cleaned_data.get("name") or "").strip()
        clash = NPO.objects.filter(name__iexact=value)
        if self.instance.pk is not None:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise ValidationError("An NPO with this name already exists.")
        return value

    def clean_currency(self) -> str:
        value = (self.cleaned_data.get("currency") or "").strip().upper()
        validate_currency(value)
        return value

    def clean_country(self) -> str:
        value = (self.cleaned_data.get("country") or "").strip().upper()
        validate_country(value)
        return value

    def clean_phone(self) -> str:
        value = (self.cleaned_data.get("phone") or "").strip()
        validate_phone(value)
        return value

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for field in ("primary_color", "secondary_color", "accent_color", "background_color"):
            try:
                validate_hex_colour(cleaned.get(field) or "")
            except ValidationError as exc:
                self.add_error(field, exc)
        return cleaned


class MembershipInline(TenantScopedTabularInline):
    """The team, on the NPO page. Role changes go through ``member_update`` (see ``save_formset``)."""

    model = Membership
    npo_path = "npo"
    view_capability = None
    change_capability = permissions.MEMBERS["partial_update"]
    add_capability = None  # members join through invitations
    delete_capability = None  # removal is the "remove" action (soft, audited)
    fields = ["user", "role", "status", "created_at"]
    readonly_fields = ["user", "status", "created_at"]
    extra = 0
    can_delete = False
    show_change_link = True


def _run(modeladmin: Any, request: HttpRequest, queryset: QuerySet[Any], func: Any, done: str) -> None:
    ok = 0
    for obj in queryset:
        try:
            func(obj)
            ok += 1
        except DomainError as exc:
            modeladmin.message_user(request, f"{obj}: {exc.message}", messages.ERROR)
    if ok:
        modeladmin.message_user(request, f"{ok} {done}.", messages.SUCCESS)


@tenant_action(superuser_only=True, description="Approve selected NPOs")
def approve(modeladmin: Any, request: HttpRequest, queryset: QuerySet[NPO]) -> None:
    _run(
        modeladmin,
        request,
        queryset,
        lambda npo: npo_approve(npo=npo, actor=request.user, ip=client_ip(request)),
        "approved",
    )


@tenant_action(superuser_only=True, description="Suspend selected NPOs")
def suspend(modeladmin: Any, request: HttpRequest, queryset: QuerySet[NPO]) -> None:
    _run(
        modeladmin,
        request,
        queryset,
        lambda npo: npo_suspend(npo=npo, actor=request.user, ip=client_ip(request)),
        "suspended",
    )


@tenant_action(superuser_only=True, description="Reinstate selected NPOs")
def reinstate(modeladmin: Any, request: HttpRequest, queryset: QuerySet[NPO]) -> None:
    _run(
        modeladmin,
        request,
        queryset,
        lambda npo: npo_reinstate(npo=npo, actor=request.user, ip=client_ip(request)),
        "reinstated",
    )


class RejectForm(forms.Form):
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 6, "cols": 80}), max_length=5000)


@tenant_action(superuser_only=True, description="Reject selected NPOs (asks for notes)")
def reject(modeladmin: Any, request: HttpRequest, queryset: QuerySet[NPO]) -> HttpResponse | None:
    form = RejectForm(request.POST if "apply" in request.POST else None)
    if form.is_bound and form.is_valid():
        notes = form.cleaned_data["notes"]
        _run(
            modeladmin,
            request,
            queryset,
            lambda npo: npo_reject(npo=npo, actor=request.user, notes=notes, ip=client_ip(request)),
            "rejected",
        )
        return None
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": "Reject NPO applications",
        "queryset": queryset,
        "form": form,
        "opts": modeladmin.model._meta,
        "action_checkbox_name": ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, "admin/npos/npo/reject_notes.html", context)


@admin.register(NPO)
class NPOAdmin(TenantScopedAdmin):
    form = NPOAdminForm
    npo_path = "pk"
    view_capability = None
    change_capability = permissions.NPO["partial_update"]
    add_capability = None  # NPOs are created through the API (any verified user) or by super admins
    list_display = ["name", "status", "currency", "city", "country", "created_at"]
    list_filter = ["status", "currency"]
    search_fields = ["name", "email", "tax_id"]
    inlines = [MembershipInline]
    actions = [approve, reject, suspend, reinstate]
    fieldsets = [
        (None, {"fields": ["name", "status", "review_notes", "description", "mission"]}),
        ("Contact", {"fields": ["email", "phone", "website", "tax_id", "legal_name"]}),
        ("Address", {"fields": ["address_line1", "address_line2", "city", "state", "postal_code", "country"]}),
        ("Money", {"fields": ["currency"]}),
        (
            "Branding",
            {
                "fields": [
                    "primary_color",
                    "secondary_color",
                    "accent_color",
                    "background_color",
                    "logo",
                    "social_links",
                ]
            },
        ),
    ]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # Status moves only through the workflow actions; notes are the super admin's.
        return ["status", "review_notes"] if obj is not None or not authz.is_superuser(request.user) else ["status"]

    def save_model(self, request: HttpRequest, obj: NPO, form: Any, change: bool) -> None:
        data = {f: form.cleaned_data[f] for f in form.changed_data if f in NPO_EDITABLE_FIELDS}
        if not change:
            created = npo_create(actor=request.user, data=form.cleaned_data, ip=client_ip(request))
            obj.pk = created.pk
            obj.refresh_from_db()
            return
        original = NPO.objects.get(pk=obj.pk)
        npo_update(npo=original, actor=request.user, data=data, ip=client_ip(request))
        branding = {f: form.cleaned_data[f] for f in form.changed_data if f in BRANDING_FIELDS}
        logo = form.cleaned_data.get("logo") if "logo" in form.changed_data else None
        npo_branding_update(
            npo=original,
            actor=request.user,
            data=branding,
            logo=logo or None,
            remove_logo="logo" in form.changed_data and not logo,
            ip=client_ip(request),
        )
        obj.refresh_from_db()

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        if formset.model is not Membership:
            super().save_formset(request, form, formset, change)
            return
        # Django's change message reads these; only role changes are ever saved from this inline.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for inline_form in formset.forms:
            membership = inline_form.instance
            if membership.pk is None or "role" not in inline_form.changed_data:
                continue
            original = Membership.objects.get(pk=membership.pk)
            try:
                updated = member_update(
                    membership=original,
                    actor=request.user,
                    role=inline_form.cleaned_data["role"],
                    ip=client_ip(request),
                )
            except DomainError as exc:
                self.message_user(request, f"{original.user}: {exc.message}", messages.ERROR)
            else:
                formset.changed_objects.append((updated, ["role"]))

    def get_deleted_objects(self, objs: Any, request: HttpRequest) -> Any:
        # A soft delete removes nothing else (events are PROTECTed only against a hard delete);
        # whether it is allowed is the service's decision (published events → refused).
        return [str(obj) for obj in objs], {}, set(), []

    def delete_model(self, request: HttpRequest, obj: NPO) -> None:
        npo_delete(npo=obj, actor=request.user, ip=client_ip(request))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[NPO]) -> None:
        for npo in queryset:
            npo_delete(npo=npo, actor=request.user, ip=client_ip(request))


@tenant_action(capability=permissions.MEMBERS["destroy"], description="Remove selected members")
def remove_members(modeladmin: Any, request: HttpRequest, queryset: QuerySet[Membership]) -> None:
    _run(
        modeladmin,
        request,
        queryset,
        lambda m: member_remove(membership=m, actor=request.user, ip=client_ip(request)),
        "member(s) removed",
    )


@admin.register(Membership)
class MembershipAdmin(TenantScopedAdmin):
    npo_path = "npo"
    view_capability = None
    change_capability = permissions.MEMBERS["partial_update"]
    add_capability = None  # members join through invitations
    delete_capability = None  # the "remove" action keeps the row (soft, audited)
    list_display = ["user", "npo", "role", "status", "created_at"]
    list_filter = ["role", "status", "npo"]
    search_fields = ["user__email", "user__first_name", "user__last_name", "npo__name"]
    list_select_related = ["user", "npo"]
    actions = [remove_members]
    fields = ["npo", "user", "role", "status", "created_at"]
    readonly_fields = ["npo", "user", "status", "created_at"]

    def save_model(self, request: HttpRequest, obj: Membership, form: Any, change: bool) -> None:
        if "role" in form.changed_data:
            member_update(
                membership=Membership.objects.get(pk=obj.pk),
                actor=request.user,
                role=form.cleaned_data["role"],
                ip=client_ip(request),
            )


@tenant_action(capability=permissions.INVITATIONS["resend"], description="Resend selected invitations (new token)")
def resend_invitations(modeladmin: Any, request: HttpRequest, queryset: QuerySet[Invitation]) -> None:
    _run(
        modeladmin,
        request,
        queryset,
        lambda i: invitation_resend(invitation=i, actor=request.user, ip=client_ip(request)),
        "invitation(s) resent",
    )


@tenant_action(capability=permissions.INVITATIONS["destroy"], description="Revoke selected invitations")
def revoke_invitations(modeladmin: Any, request: HttpRequest, queryset: QuerySet[Invitation]) -> None:
    _run(
        modeladmin,
        request,
        queryset,
        lambda i: invitation_revoke(invitation=i, actor=request.user, ip=client_ip(request)),
        "invitation(s) revoked",
    )


class InvitationAdminForm(forms.ModelForm):
    class Meta:
        model = Invitation
        fields = ["npo", "email", "role"]


@admin.register(Invitation)
class InvitationAdmin(TenantScopedAdmin):
    form = InvitationAdminForm
    npo_path = "npo"
    view_capability = permissions.INVITATIONS["list"]
    change_capability = permissions.INVITATIONS["create"]
    delete_capability = None  # revoke instead (keeps the row)
    list_display = ["email", "npo", "role", "status", "expires_at", "sent_count", "created_at"]
    list_filter = ["status", "role", "npo"]
    search_fields = ["email", "npo__name"]
    list_select_related = ["npo"]
    actions = [resend_invitations, revoke_invitations]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is not None:  # an invitation is not edited; resend or revoke it
            return [
                "npo",
                "email",
                "role",
                "status",
                "expires_at",
                "sent_count",
                "invited_by",
                "accepted_by",
                "accepted_at",
            ]
        return []

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ["npo", "email", "role"]
        return self.get_readonly_fields(request, obj)

    def save_model(self, request: HttpRequest, obj: Invitation, form: Any, change: bool) -> None:
        if change:
            return
        invitation, _token = invitation_create(
            npo=form.cleaned_data["npo"],
            actor=request.user,
            email=form.cleaned_data["email"],
            role=form.cleaned_data["role"],
            ip=client_ip(request),
        )
        obj.pk = invitation.pk
