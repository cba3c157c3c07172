"""The audit log in the Django admin: read-only and append-only, scoped to the viewer's NPOs.

Nobody adds, edits or deletes entries here — not even super admins (product.md §9: audit entries
are append-only; old ones are removed only by ``manage.py prune_expired``). Super admins see every
entry; an NPO member sees the entries of the NPOs where they hold ``REPORTS_VIEW`` (``npo_id`` is
a plain UUID column so entries outlive their NPO, hence no ``TenantScopedAdmin``, whose paths need
a foreign key).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import OuterRef, QuerySet, Subquery
from django.http import HttpRequest

from apps.core.admin_lookups import DeclaredLookupsOnly
from apps.core.models import AuditEntry
from apps.npos import authz
from apps.npos.authz import npo_ids_with
from apps.npos.capabilities import Capability
from apps.npos.models import NPO


@admin.register(AuditEntry)
class AuditEntryAdmin(DeclaredLookupsOnly, admin.ModelAdmin):
    """Read-only changelist and detail of audit entries (see the module docstring).

    Only the declared filters are accepted in the query string: the ``data`` column holds amounts,
    and ``?data__amount__gte=`` would otherwise bisect them."""

    list_display = ("created_at", "action", "actor", "object_type", "object_repr", "npo", "ip_address")
    list_filter = ("action", "object_type")
    search_fields = ("action", "object_id", "object_repr", "actor__email", "request_id", "ip_address")
    date_hierarchy = "created_at"
    list_select_related = ("actor",)
    ordering = ("-created_at", "-id")
    readonly_fields = tuple(f.name for f in AuditEntry._meta.fields)
    fields = readonly_fields

    def _visible_npo_ids(self, request: HttpRequest) -> QuerySet[Any]:
        return npo_ids_with(request.user, Capability.REPORTS_VIEW)

    def get_queryset(self, request: HttpRequest) -> QuerySet[AuditEntry]:
        # The NPO's name in the same query (npo_id is a plain column: entries outlive their NPO).
        names = NPO.all_objects.filter(pk=OuterRef("npo_id")).values("name")[:1]
        qs = super().get_queryset(request).annotate(npo_name=Subquery(names))
        if authz.is_superuser(request.user):
            return qs
        return qs.filter(npo_id__in=self._visible_npo_ids(request))

    @admin.display(description="NPO", ordering="npo_name")
    def npo(self, entry: AuditEntry) -> str:
        return getattr(entry, "npo_name", None) or (str(entry.npo_id) if entry.npo_id else "—")

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if authz.is_superuser(request.user):
            return True
        if not (request.user.is_active and request.user.is_authenticated):
            return False
        ids = self._visible_npo_ids(request)
        if obj is not None:
            return obj.npo_id is not None and ids.filter(npo_id=obj.npo_id).exists()
        return ids.exists()

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
