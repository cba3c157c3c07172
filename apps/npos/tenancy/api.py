"""The base viewset every tenant-owned endpoint uses (NetBox style): scoping happens once, here.

Subclasses set:

* ``npo_path`` — the ORM path from the model to its NPO (``"npo"``, ``"event__npo"``, …);
* ``capabilities`` — action → capability needed in the object's NPO (a tuple: any one of them;
  missing: visibility is enough): one of the named maps of the app's ``permissions.py``
  (``capabilities = permissions.ITEM``), which the admin reads too (``permissions.ITEM["open"]``),
  so the API and the admin cannot disagree. Keys are the viewset action (``"open"``), the action
  and HTTP method when they differ (``"pledges:get"``), the HTTP method for a plain API view
  (``"post"``), or a named sub-case checked explicitly (``"bids:clerk"``);
* ``get_queryset`` — what the caller may *see* (use :func:`apps.npos.authz.scope` /
  ``scope_q`` plus any public rows). An object outside it answers 404.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from django.core.exceptions import ImproperlyConfigured
from rest_framework.exceptions import NotAuthenticated
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request

from apps.core.api.base import GenericViewSet, ModelViewSet
from apps.npos import authz
from apps.npos.capabilities import Requirement


def resolve_npo_id(obj: Any, npo_path: str) -> Any:
    """Follow ``npo_path`` (``"event__npo"``) from ``obj`` to the NPO id without extra queries
    where the intermediate objects are already loaded (``select_related`` them in the queryset)."""
    parts = npo_path.split("__")
    for part in parts[:-1]:
        obj = getattr(obj, part)
    return getattr(obj, f"{parts[-1]}_id")


class HasObjectCapability(BasePermission):
    """The capability the view maps to the current action, held in the object's NPO."""

    message = "You do not have permission to do this in this NPO."

    def has_permission(self, request: Request, view: Any) -> bool:
        return True

    def has_object_permission(self, request: Request, view: Any, obj: Any) -> bool:
        if view.declared_capability() is None:
            return True
        return view.holds_capability(view.npo_id_of(obj))


class DeclaredCapabilities:
    """Reads the view's ``capabilities`` declaration (see the module docstring); used by every API
    view, viewsets and plain views alike, so there is one way to say what an endpoint needs."""

    capabilities: ClassVar[Mapping[str, Requirement]] = {}

    request: Any

    def capability_key(self) -> str:
        method = (getattr(self.request, "method", "") or "").lower()
        action = getattr(self, "action", None)
        if not action:
            return method
        with_method = f"{action}:{method}"
        return with_method if with_method in self.capabilities else str(action)

    def declared_capability(self, key: str | None = None) -> Requirement | None:
        return self.capabilities.get(key or self.capability_key())

    def holds_capability(self, npo_id: Any, key: str | None = None) -> bool:
        """Whether the caller holds the declared capability (any of a tuple) in ``npo_id``."""
        requirement = self.declared_capability(key)
        if requirement is None:
            return True
        return authz.has_capability(self.request.user, npo_id, requirement)

    def check_capability(self, npo_id: Any, key: str | None = None) -> None:
        """401 for an anonymous caller, 403 unless they hold what is declared for this action (or for
        ``key``) in ``npo_id``. Checking an undeclared key is a programming error, raised loudly."""
        key = key or self.capability_key()
        requirement = self.capabilities.get(key)
        if requirement is None:
            raise ImproperlyConfigured(f"{type(self).__name__} declares no capability for {key!r}.")
        if not getattr(self.request.user, "is_authenticated", False):
            raise NotAuthenticated()
        authz.check_capability(self.request.user, npo_id, requirement)


class TenantMixin(DeclaredCapabilities):
    npo_path: ClassVar[str] = "npo"

    action: Any

    def npo_id_of(self, obj: Any) -> Any:
        return resolve_npo_id(obj, self.npo_path)


class TenantModelViewSet(TenantMixin, ModelViewSet):
    permission_classes = [IsAuthenticated & HasObjectCapability]  # type: ignore[operator]


class TenantGenericViewSet(TenantMixin, GenericViewSet):
    permission_classes = [IsAuthenticated & HasObjectCapability]  # type: ignore[operator]
