"""The e-mail outbox in the admin: super admins only, read-only (rows are written by services and
delivered by apps.core.outbox) except for one action, "Retry now", for failed rows. In the back office
rather than in apps.core: core registers no admin (it knows nothing of the admin's guards)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from apps.core.admin_lookups import DeclaredLookupsOnly
from apps.core.models import OutboxEmail
from apps.core.net import client_ip
from apps.core.outbox import outbox_retry
from apps.core.superuser import is_superuser


class SuperAdminReadOnly:
    """A platform-wide, read-only view for super admins (all tenants' data); actions do the writes."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_superuser(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_superuser(request.user)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(OutboxEmail)
class OutboxEmailAdmin(SuperAdminReadOnly, DeclaredLookupsOnly, admin.ModelAdmin):
    """What was sent to whom and whether it went out; failed rows show their error and next attempt
    (none: the row gave up) and can be retried now. The context and sealed secrets are not shown."""

    list_display = ["created_at", "template", "to", "status", "attempts", "next_attempt_at", "sent_at", "ref"]
    list_filter = ["status", "template"]
    search_fields = ["to", "ref"]
    ordering = ["-created_at"]
    fields = (
        "template",
        "to",
        "user",
        "ref",
        "status",
        "attempts",
        "last_error",
        "next_attempt_at",
        "claimed_until",
        "created_at",
        "sent_at",
    )
    readonly_fields = fields
    list_select_related = ["user"]
    actions = ["retry_now"]

    @admin.action(description="Retry the selected failed e-mails now")
    def retry_now(self, request: HttpRequest, queryset: QuerySet[OutboxEmail]) -> None:
        count = outbox_retry(ids=queryset.values_list("pk", flat=True), actor=request.user, ip=client_ip(request))
        self.message_user(request, f"{count} failed e-mail(s) queued again.", messages.SUCCESS)
