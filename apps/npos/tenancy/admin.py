"""The tenant-scoped Django admin base: every ModelAdmin of a tenant-owned model derives from it.

An NPO member logs into ``/admin/`` (staff status follows membership) and must see and touch only
objects of NPOs where their capabilities allow it — the same rule as the API, from the same module
(:mod:`apps.npos.authz`). Django's own permission tables are not used: a member holds no
``Permission`` rows, and the ``has_*_permission`` methods below answer from capabilities instead.

Subclasses set:

* ``npo_path`` — ORM path from the model to its NPO (``"npo"``, ``"event__npo"``; ``"pk"`` for the
  NPO model itself);
* ``view_capability`` — needed to see rows (``None``: any active membership of the row's NPO);
* ``change_capability`` — needed to add, change and delete (``None``: only super admins may);
  ``add_capability`` / ``delete_capability`` override it for one operation.

What is restricted, for non-superusers:

* the changelist and the change view opened by URL (``get_queryset``; a foreign object is "not
  found" and Django redirects to the index);
* foreign-key and many-to-many choices in forms and inlines (any related model that has a path to an
  NPO is scoped to NPOs where the user holds ``change_capability``; users to members of those NPOs);
* list filters on relations (only values present in the scoped changelist);
* changelist query strings: only the lookups the admin's ``list_filter``/``date_hierarchy`` declare
  are accepted (anything else is a 400), because Django otherwise filters on *any* model field the
  URL names and ``?leader_max__gte=700`` bisects a private maximum (:class:`DeclaredLookupsOnly`);
* private fields (:data:`PRIVATE_FIELDS`): never a filter, search field, ordering or column (a system
  check refuses to start otherwise), and shown in forms only to holders of their capability;
* money fields (those validated by :func:`~apps.core.money.validate_money`) are parsed as typed by
  :class:`~apps.core.money.MoneyFormField` (ASCII digits, the ceiling), as the API parses them, and
  money columns are written in the row's NPO currency (:mod:`apps.npos.admin_money`);
* a :class:`~apps.core.exceptions.DomainError` raised by a service while saving or deleting is shown
  as an error message (the change is rolled back) instead of a server error;
* actions: ``delete_selected`` is removed; actions made with :func:`tenant_action` run only on rows
  where the user holds the action's capability, and super-admin-only actions are hidden.

Super admins see and may do everything.

Example::

    @admin.register(Item)
    class ItemAdmin(TenantScopedAdmin):
        npo_path = "event__npo"
        view_capability = None                       # every member of the NPO sees its items
        change_capability = Capability.EVENTS_MANAGE # add/change/delete

        @tenant_action(capability=Capability.AUCTION_CLERK, description="Open selected items")
        def open_items(self, request, queryset): ...
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import RelatedOnlyFieldListFilter
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect

from apps.core.admin_lookups import DeclaredLookupsOnly, field_names
from apps.core.exceptions import DomainError
from apps.core.money import MoneyFormField, validate_money
from apps.npos import authz
from apps.npos.admin_money import MoneyColumnsMixin  # money columns in the row's NPO currency
from apps.npos.admin_times import EventLocalTimesMixin  # event times in the event's zone
from apps.npos.capabilities import Requirement
from apps.npos.models import NPO
from apps.npos.tenancy.private import PRIVATE_FIELDS

_SAME = object()


def task_context(request: HttpRequest) -> dict[str, Any]:
    """The admin frame's context for a task page of the night (the check-in desk, the clerk pages).

    The project's site (:class:`augeo.backoffice.site.AugeoAdminSite`) builds a light one without
    the app list (``task_context``); any other site answers its usual ``each_context``. Asked of
    ``admin.site`` by name: no app imports the back office, which sits above them all."""
    site = admin.site
    build = getattr(site, "task_context", None)
    return build(request) if callable(build) else site.each_context(request)


def npo_id_of(obj: Any, npo_path: str) -> Any:
    """The NPO id reached from ``obj`` through ``npo_path`` (``"pk"``: ``obj`` is the NPO)."""
    if obj is None:
        return None
    if npo_path in ("", "pk", "id"):
        return obj.pk
    parts = npo_path.split("__")
    for part in parts[:-1]:
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    return getattr(obj, f"{parts[-1]}_id", None)


def npo_path_for(model: type[models.Model], admin_site: admin.AdminSite | None = None, depth: int = 3) -> str | None:
    """The ORM path from ``model`` to its NPO, or ``None`` when the model does not belong to one.

    A registered tenant-scoped admin's ``npo_path`` wins; otherwise the foreign keys are searched
    (breadth first, a few hops) for the NPO model.
    """
    if model is NPO:
        return "pk"
    registered = admin_site._registry.get(model) if admin_site is not None else None
    if isinstance(registered, TenantScopedMixin):
        return registered.npo_path
    frontier: list[tuple[type[models.Model], str]] = [(model, "")]
    for _ in range(depth):
        next_frontier: list[tuple[Any, str]] = []
        for current, prefix in frontier:
            for field in current._meta.get_fields():
                if not (isinstance(field, models.ForeignKey | models.OneToOneField) and field.concrete):
                    continue
                path = f"{prefix}{field.name}"
                if field.related_model is NPO:
                    return path
                next_frontier.append((field.related_model, f"{path}__"))
        frontier = next_frontier
    return None


def tenant_action(
    *, capability: Requirement | None = None, superuser_only: bool = False, description: str | None = None
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Make an admin action tenant-safe.

    The selected rows are already limited to what the user may see (Django filters them through
    ``get_queryset``); this further limits them to NPOs where the user holds ``capability`` (or, with
    ``superuser_only``, refuses non-superusers). Rows left out are reported, never silently acted on.
    """

    def decorator(func: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(func)
        def wrapper(modeladmin: Any, request: HttpRequest, queryset: QuerySet[Any]) -> Any:
            if not authz.is_superuser(request.user):
                if superuser_only:
                    modeladmin.message_user(request, "Only platform super admins may do this.", messages.ERROR)
                    return None
                allowed = authz.scope(queryset, request.user, capability, npo_path=modeladmin.npo_path)
                skipped = queryset.count() - allowed.count()
                if skipped:
                    modeladmin.message_user(
                        request, f"{skipped} selected row(s) skipped: you may not do this there.", messages.WARNING
                    )
                queryset = allowed
            return func(modeladmin, request, queryset)

        wrapper.superuser_only = superuser_only  # type: ignore[attr-defined]
        wrapper.tenant_capability = capability  # type: ignore[attr-defined]
        if description is not None:
            wrapper.short_description = description  # type: ignore[attr-defined]
        return wrapper

    return decorator


class TenantScopedMixin:
    """Shared by :class:`TenantScopedAdmin` and :class:`TenantScopedInline` (see the module docstring)."""

    npo_path: str = "npo"
    view_capability: Requirement | None = None
    change_capability: Requirement | None = None
    add_capability: Any = _SAME
    delete_capability: Any = _SAME

    model: type[models.Model]
    admin_site: admin.AdminSite

    # --- capabilities ---------------------------------------------------------------------------

    def _capability_for(self, operation: str) -> Requirement | None:
        value = getattr(self, f"{operation}_capability")
        return self.change_capability if value is _SAME else value

    def _members_may(self, operation: str) -> bool:
        """Non-superusers may never do an operation whose capability is ``None`` (except viewing)."""
        return operation == "view" or self._capability_for(operation) is not None

    def _may(self, request: HttpRequest, operation: str, npo_id: Any = None, any_npo: bool = False) -> bool:
        if authz.is_superuser(request.user):
            return True
        if not (request.user.is_active and request.user.is_authenticated) or not self._members_may(operation):
            return False
        capability = self.view_capability if operation == "view" else self._capability_for(operation)
        if any_npo:
            return authz.npo_ids_with(request.user, capability).exists()
        return authz.has_capability(request.user, npo_id, capability)

    def object_npo_id(self, obj: Any) -> Any:
        return npo_id_of(obj, self.npo_path)

    def _check(self, request: HttpRequest, operation: str, obj: Any = None) -> bool:
        if obj is None:
            return self._may(request, operation, any_npo=True)
        return self._may(request, operation, self.object_npo_id(obj))

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._check(request, "view")

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._check(request, "view", obj) or self._check(request, "change", obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._check(request, "change", obj)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # ModelAdmin passes no object; an inline passes the parent object.
        return self._check(request, "add", obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._check(request, "delete", obj)

    # --- private fields -------------------------------------------------------------------------

    def hidden_private_fields(self, request: HttpRequest, obj: Any = None) -> set[str]:
        """The :data:`PRIVATE_FIELDS` of this model that the user may not see on ``obj``'s page.

        ``obj`` is the row (a ModelAdmin) or the parent row (an inline); ``None`` on an add page,
        where the user can only add in NPOs where they hold ``change_capability``.
        """
        hidden: set[str] = set()
        for name, capability in PRIVATE_FIELDS.get(self.model._meta.label, {}).items():
            if capability is None or not self._holds(request, capability, obj):
                hidden.add(name)
        return hidden

    def _holds(self, request: HttpRequest, capability: str, obj: Any) -> bool:
        if authz.is_superuser(request.user):
            return True
        if obj is None:
            return authz.npo_ids_with(request.user, capability).exists()
        return authz.has_capability(request.user, self.object_npo_id(obj), capability)

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        fieldsets = super().get_fieldsets(request, obj)  # type: ignore[misc]
        hidden = self.hidden_private_fields(request, obj)
        if not hidden:
            return fieldsets
        return [
            (title, {**options, "fields": [f for f in options.get("fields", ()) if not set(field_names(f)) & hidden]})
            for title, options in fieldsets
        ]

    # --- querysets ------------------------------------------------------------------------------

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        qs = super().get_queryset(request)  # type: ignore[misc]
        if authz.is_superuser(request.user):
            return qs
        # A subquery filter (no join), so rows are never duplicated and delete() still works.
        return authz.scope(qs, request.user, self.view_capability, npo_path=self.npo_path)

    def scoped_choices(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        """``queryset`` of a related model limited to what the user may attach here."""
        if authz.is_superuser(request.user):
            return queryset
        capability = self.change_capability or self.view_capability
        related = queryset.model
        if related._meta.label == settings.AUTH_USER_MODEL:
            npo_ids = authz.npo_ids_with(request.user, capability)
            return queryset.filter(memberships__npo__in=npo_ids).distinct()
        path = npo_path_for(related, self.admin_site)
        if path is None:
            return queryset
        return authz.scope(queryset, request.user, capability, npo_path=path)

    def formfield_for_dbfield(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        # Money typed into a form is parsed as typed (apps.core.money.MoneyFormField): Django's own
        # DecimalField would read "\uff11\uff12\uff10" as 120 before the model's validate_money ever saw it.
        if validate_money in getattr(db_field, "validators", ()):
            kwargs.setdefault("form_class", MoneyFormField)
        return super().formfield_for_dbfield(db_field, request, **kwargs)  # type: ignore[misc]

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]
        if formfield is not None and hasattr(formfield, "queryset"):
            formfield.queryset = self.scoped_choices(request, formfield.queryset)
        return formfield

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        formfield = super().formfield_for_manytomany(db_field, request, **kwargs)  # type: ignore[misc]
        if formfield is not None and hasattr(formfield, "queryset"):
            formfield.queryset = self.scoped_choices(request, formfield.queryset)
        return formfield


class TenantScopedAdmin(
    EventLocalTimesMixin, MoneyColumnsMixin, DeclaredLookupsOnly, TenantScopedMixin, admin.ModelAdmin
):
    """Base of every ModelAdmin of a tenant-owned model (see the module docstring)."""

    def get_list_filter(self, request: HttpRequest) -> Any:
        filters = super().get_list_filter(request)
        if authz.is_superuser(request.user):
            return filters
        # A plain relation filter would list every NPO/event in the database; only offer the values
        # present in the user's own (scoped) changelist.
        scoped = []
        for entry in filters:
            if isinstance(entry, str):
                try:
                    field = self.model._meta.get_field(entry)
                except Exception:  # a lookup path like "event__npo"; leave it alone
                    field = None
                if field is not None and field.is_relation:
                    entry = (entry, RelatedOnlyFieldListFilter)
            scoped.append(entry)
        return scoped

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        if authz.is_superuser(request.user):
            return actions
        # Bulk hard deletion bypasses services (soft delete, audit); members delete one row at a time.
        actions.pop("delete_selected", None)
        for name in list(actions):
            func = actions[name][0]  # type: ignore[index]
            if getattr(func, "superuser_only", False):
                actions.pop(name)
                continue
            capability = getattr(func, "tenant_capability", _SAME)
            if capability is not _SAME and not authz.npo_ids_with(request.user, capability).exists():  # type: ignore[arg-type]
                actions.pop(name)
        return actions

    def changeform_view(
        self, request: HttpRequest, object_id: Any = None, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        # A service refusing the change (409 rules, a lost race) is shown as a message, not a 500;
        # Django's own transaction around the view has already rolled back.
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def delete_view(self, request: HttpRequest, object_id: str, extra_context: Any = None) -> HttpResponse:
        try:
            return super().delete_view(request, object_id, extra_context)
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path().rsplit("/delete/", 1)[0] + "/change/")

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        if not authz.is_superuser(request.user):
            queryset = authz.scope(queryset, request.user, self._capability_for("delete"), npo_path=self.npo_path)
        super().delete_queryset(request, queryset)


class TenantScopedInline(TenantScopedMixin, admin.options.InlineModelAdmin):
    """Base of inlines of tenant-owned models; permissions follow the parent object's NPO."""

    def object_npo_id(self, obj: Any) -> Any:
        # Inline permission methods (and ``get_fieldsets``) receive the *parent* object.
        parent_path = npo_path_for(type(obj), self.admin_site) or "npo"
        return npo_id_of(obj, parent_path)

    def _check(self, request: HttpRequest, operation: str, obj: Any = None) -> bool:
        if obj is None:
            return self._may(request, operation, any_npo=True)
        return self._may(request, operation, self.object_npo_id(obj))


class TenantScopedTabularInline(TenantScopedInline):
    template = "admin/edit_inline/tabular.html"


class TenantScopedStackedInline(TenantScopedInline):
    template = "admin/edit_inline/stacked.html"
