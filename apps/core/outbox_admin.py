"""The e-mail outbox in the admin: super admins only, read-only (rows are written by services and
delivered by apps.core.outbox)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from apps.core.models import OutboxEmail
from apps.core.superuser import is_superuser


@admin.register(OutboxEmail)
class OutboxEmailAdmin(admin.ModelAdmin):
    """What was sent to whom and whether it went out; a platform-wide view (all tenants' mail)."""

    list_display = ["created_at", "template", "to", "status", "attempts", "sent_at", "ref"]
    list_filter = ["status", "template"]
    search_fields = ["to", "ref"]
    ordering = ["-created_at"]
    fields = ["template", "to", "user", "ref", "status", "attempts", "last_error", "created_at", "sent_at"]
    readonly_fields = ["template", "to", "user", "ref", "status", "attempts", "last_error", "created_at", "sent_at"]
    list_select_related = ["user"]

    def _superuser(self, request: HttpRequest) -> bool:
        return is_superuser(request.user)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._superuser(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._superuser(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
