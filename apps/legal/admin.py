"""The legal app in the Django admin: platform data, super admins only.

Legal documents (drafts edited with a rendered preview, a Publish button and action; published and
archived versions read-only), the consent log (read-only, append-only), privacy exports (read-only),
contact messages (read-only, "handled" actions) and testimonials; and on the users admin, the account
deletion action (legal.md), added here because legal sits above users. Every write goes through the
services the API uses; NPO staff see none of it (the module is hidden, every view refused).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from apps.core.admin_lookups import DeclaredLookupsOnly
from apps.core.exceptions import DomainError
from apps.core.net import client_ip
from apps.legal.models import (
    ConsentRecord,
    ContactMessage,
    DocumentStatus,
    LegalDocument,
    PrivacyExport,
    Testimonial,
)
from apps.legal.services import documents, public
from apps.legal.services.deletion import account_delete
from apps.legal.versions import Version, parse_version
from apps.npos import authz
from apps.users import admin as users_admin
from apps.users.models import User


class SuperAdminOnlyAdmin(DeclaredLookupsOnly, admin.ModelAdmin):
    """Base of the admins of platform-level models: super admins only (NPO staff never see the
    module), only declared changelist lookups, and a service's refusal shown as a message."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return authz.is_superuser(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return authz.is_superuser(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return authz.is_superuser(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return authz.is_superuser(request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return authz.is_superuser(request.user)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = super().get_queryset(request)
        return queryset if authz.is_superuser(request.user) else queryset.none()

    def changeform_view(
        self, request: HttpRequest, object_id: Any = None, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


class ReadOnlyAdmin(SuperAdminOnlyAdmin):
    """Looked at, never written here (rows are written by services)."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# --- legal documents -------------------------------------------------------------------------------


class LegalDocumentForm(forms.ModelForm):
    """Type, ``MAJOR.MINOR`` version and Markdown body of a draft; checked like the API."""

    version = forms.CharField(max_length=20, help_text="MAJOR.MINOR, e.g. 1.0 or 2.1 (a new MAJOR needs new consent)")

    class Meta:
        model = LegalDocument
        fields = ["type", "body"]  # and the declared ``version``
        widgets = {"body": forms.Textarea(attrs={"rows": 24, "cols": 100})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial.setdefault("version", self.instance.version)

    def clean_version(self) -> Version:
        try:
            return parse_version(self.cleaned_data["version"].strip())
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from exc

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        version, document_type = data.get("version"), data.get("type")
        if isinstance(version, Version) and document_type:
            taken = LegalDocument.objects.filter(type=document_type, major=version.major, minor=version.minor)
            if self.instance.pk:
                taken = taken.exclude(pk=self.instance.pk)
            if taken.exists():
                self.add_error("version", f"Version {version} of this document already exists.")
        return data


@admin.register(LegalDocument)
class LegalDocumentAdmin(SuperAdminOnlyAdmin):
    """Drafts are edited here with a rendered preview and published with the Publish button (or
    the action); the previous version of the type is archived. Published and archived versions
    are read-only and cannot be deleted."""

    form = LegalDocumentForm
    change_form_template = "admin/legal/legaldocument/change_form.html"
    list_display = ["document", "status", "published_at"]
    list_filter = ["type", "status"]
    ordering = ["type", "-major", "-minor"]
    actions = ["publish_selected"]

    @admin.display(description="document", ordering="type")
    def document(self, obj: LegalDocument) -> str:
        return f"{obj.get_type_display()} {obj.version}"

    @admin.display(description="rendered preview")
    def preview(self, obj: LegalDocument) -> str:
        if not obj.body_html:
            return "— (save the draft to see the rendered text)"
        # body_html is rendered and sanitised on save (apps.core.text, nh3 allow-list).
        return format_html('<div class="legal-preview">{}</div>', mark_safe(obj.body_html))  # noqa: S308

    def get_fields(self, request: HttpRequest, obj: LegalDocument | None = None) -> Any:
        if obj is None:
            return ["type", "version", "body"]
        if obj.is_draft:
            return ["type", "version", "body", "status", "preview"]
        return ["type", "version", "status", "published_at", "archived_at", "preview", "body"]

    def get_readonly_fields(self, request: HttpRequest, obj: LegalDocument | None = None) -> list[str]:
        if obj is None:
            return []
        if obj.is_draft:
            return ["status", "preview"]
        return ["type", "version", "status", "published_at", "archived_at", "preview", "body"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) and (obj is None or obj.is_draft)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_delete_permission(request, obj) and (obj is None or obj.is_draft)

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # published versions must never go; drafts one by one
        return actions

    def save_model(self, request: HttpRequest, obj: LegalDocument, form: Any, change: bool) -> None:
        version = form.cleaned_data["version"]
        data = {"type": form.cleaned_data["type"], "version": str(version), "body": form.cleaned_data["body"]}
        if change:
            documents.legal_document_update(document=obj, actor=request.user, data=data, ip=client_ip(request))
        else:
            created = documents.legal_document_create(**data, actor=request.user, ip=client_ip(request))
            obj.pk = created.pk
        obj.refresh_from_db()

    def delete_model(self, request: HttpRequest, obj: LegalDocument) -> None:
        documents.legal_document_delete(document=obj, actor=request.user, ip=client_ip(request))

    def response_change(self, request: HttpRequest, obj: LegalDocument) -> HttpResponse:
        if "_publish" in request.POST:
            self._publish(request, obj)
            return HttpResponseRedirect(request.path)
        return super().response_change(request, obj)

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Any = None,
    ) -> HttpResponse:
        context["show_publish"] = bool(change and obj is not None and obj.is_draft and authz.is_superuser(request.user))
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)

    def _publish(self, request: HttpRequest, obj: LegalDocument) -> bool:
        try:
            published = documents.legal_document_publish(document=obj, actor=request.user, ip=client_ip(request))
        except DomainError as exc:
            self.message_user(request, f"{obj}: {exc.message}", messages.ERROR)
            return False
        self.message_user(request, f"Published {published.get_type_display()} {published.version}.", messages.SUCCESS)
        return True

    @admin.action(description="Publish the selected draft (archives the current version)")
    def publish_selected(self, request: HttpRequest, queryset: QuerySet[LegalDocument]) -> None:
        drafts = list(queryset.filter(status=DocumentStatus.DRAFT))
        if len(drafts) != queryset.count():
            self.message_user(request, "Only drafts can be published; others were skipped.", messages.WARNING)
        for document in drafts:
            self._publish(request, document)


# --- the consent log and exports -------------------------------------------------------------------


@admin.register(ConsentRecord)
class ConsentRecordAdmin(ReadOnlyAdmin):
    """The append-only consent log: acceptances, withdrawals and cookie choices."""

    list_display = ["created_at", "action", "subject", "what", "ip_address"]
    list_filter = ["action", "document_type"]
    search_fields = ["user__email", "=visitor_id", "version"]
    date_hierarchy = "created_at"
    list_select_related = ["user"]
    ordering = ["-created_at", "-id"]
    fields = readonly_fields = (
        "created_at",
        "action",
        "user",
        "visitor_id",
        "document_type",
        "version",
        "choices",
        "ip_address",
        "user_agent",
    )

    @admin.display(description="who")
    def subject(self, obj: ConsentRecord) -> str:
        if obj.user_id is not None:
            return str(obj.user)
        return f"visitor {str(obj.visitor_id)[:8]}…"

    @admin.display(description="what")
    def what(self, obj: ConsentRecord) -> str:
        if obj.document_type:
            return f"{obj.get_document_type_display()} {obj.version}"
        return ", ".join(f"{name} {'on' if obj.choices.get(name) else 'off'}" for name in ("analytics", "marketing"))


@admin.register(PrivacyExport)
class PrivacyExportAdmin(ReadOnlyAdmin):
    """Data export requests and how they went (the file itself is only linked to its owner)."""

    list_display = ["created_at", "user", "status", "attempts", "size", "ready_at", "expires_at"]
    list_filter = ["status"]
    search_fields = ["user__email"]
    list_select_related = ["user"]
    ordering = ["-created_at"]
    fields = readonly_fields = (
        "user",
        "status",
        "attempts",
        "last_error",
        "size",
        "created_at",
        "ready_at",
        "expires_at",
    )


# --- contact and testimonials ----------------------------------------------------------------------


@admin.register(ContactMessage)
class ContactMessageAdmin(ReadOnlyAdmin):
    """Messages from the public contact form; mark them handled once answered."""

    list_display = ["created_at", "name", "email", "subject", "handled", "handled_by"]
    list_filter = ["handled"]
    search_fields = ["name", "email", "subject"]
    list_select_related = ["handled_by"]
    ordering = ["-created_at"]
    fields = readonly_fields = (
        "created_at",
        "name",
        "email",
        "subject",
        "message",
        "handled",
        "handled_at",
        "handled_by",
        "ip_address",
    )
    actions = ["mark_handled", "mark_unhandled"]

    def _mark(self, request: HttpRequest, queryset: QuerySet[ContactMessage], handled: bool) -> None:
        for message in queryset:
            public.contact_message_mark_handled(
                message=message, actor=request.user, handled=handled, ip=client_ip(request)
            )
        self.message_user(request, f"{queryset.count()} message(s) updated.", messages.SUCCESS)

    @admin.action(description="Mark as handled")
    def mark_handled(self, request: HttpRequest, queryset: QuerySet[ContactMessage]) -> None:
        self._mark(request, queryset, True)

    @admin.action(description="Mark as not handled")
    def mark_unhandled(self, request: HttpRequest, queryset: QuerySet[ContactMessage]) -> None:
        self._mark(request, queryset, False)


@admin.register(Testimonial)
class TestimonialAdmin(SuperAdminOnlyAdmin):
    """Quotes for the public site: the published ones are listed by ``order``."""

    list_display = ["author_name", "author_role", "npo", "published", "order", "short_quote"]
    list_editable = ["published", "order"]
    list_filter = ["published"]
    search_fields = ["author_name", "author_role", "quote"]
    list_select_related = ["npo"]
    ordering = ["order", "created_at"]
    fields = ["quote", "author_name", "author_role", "npo", "published", "order"]

    @admin.display(description="quote")
    def short_quote(self, obj: Testimonial) -> str:
        return obj.quote if len(obj.quote) <= 80 else f"{obj.quote[:77]}…"

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def save_model(self, request: HttpRequest, obj: Testimonial, form: Any, change: bool) -> None:
        public.testimonial_save(testimonial=obj, actor=request.user, ip=client_ip(request))

    def delete_model(self, request: HttpRequest, obj: Testimonial) -> None:
        public.testimonial_delete(testimonial=obj, actor=request.user, ip=client_ip(request))


class UserAdmin(users_admin.UserAdmin):
    """The users admin (super admins only) with one more action: legal.md's account deletion, through
    the same service as the API. Re-registered: apps.users does not import apps.legal."""

    actions = [*users_admin.UserAdmin.actions, "delete_account"]

    @admin.action(description="Delete the account (anonymise; for a person who asked in writing)")
    def delete_account(self, request: HttpRequest, queryset: QuerySet[User]) -> Any:
        """legal.md account deletion through the same service as the API, after a confirmation page."""
        users = list(queryset)
        if request.POST.get("confirm") != "yes":
            context = {
                **self.admin_site.each_context(request),
                "title": "Delete accounts",
                "users": users,
                "opts": self.model._meta,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            }
            return TemplateResponse(request, "admin/users/user/delete_account_confirmation.html", context)
        self._run(
            request,
            queryset.exclude(pk=str(request.user.pk)),
            "Deleted (anonymised)",
            lambda u: account_delete(user=u, actor=request.user, ip=client_ip(request)),
        )
        if any(u.pk == request.user.pk for u in users):
            self.message_user(request, "Your own account is deleted from the API, with your password.", messages.ERROR)
        return None


admin.site.unregister(User)
admin.site.register(User, UserAdmin)
