"""The base viewset every tenant-owned endpoint uses (NetBox style): scoping happens once, here.

Subclasses set:

* ``npo_path`` — the ORM path from the model to its NPO (``"npo"``, ``"event__npo"``, …);
* ``capabilities`` — action name → capability needed on the object's NPO (missing: visibility is
  enough);
* ``get_queryset`` — what the caller may *see* (use :func:`apps.npos.authz.scope` /
  ``scope_q`` plus any public rows). An object outside it answers 404.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rest_framework import viewsets
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request

from apps.core.exceptions import PermissionDenied
from apps.npos import authz


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
        capability = view.required_capability()
        if capability is None:
            return True
        return authz.has_capability(request.user, view.npo_id_of(obj), capability)


class TenantMixin:
    npo_path: ClassVar[str] = "npo"
    capabilities: ClassVar[dict[str, str | None]] = {}

    request: Any
    action: Any

    def required_capability(self) -> str | None:
        return self.capabilities.get(self.action or "", None)

    def npo_id_of(self, obj: Any) -> Any:
        return resolve_npo_id(obj, self.npo_path)

    def require_capability(self, npo_id: Any, capability: str) -> None:
        """Explicit check for cases with no object yet (create under a parent, create with ``npo`` in
        the body). Raises 403 ``PERMISSION_DENIED``."""
        if not authz.has_capability(self.request.user, npo_id, capability):
            raise PermissionDenied(message="You do not have permission to do this in this NPO.")


class TenantModelViewSet(TenantMixin, viewsets.ModelViewSet):
    permission_classes = [IsAuthenticated & HasObjectCapability]  # type: ignore[operator]


class TenantGenericViewSet(TenantMixin, viewsets.GenericViewSet):
    permission_classes = [IsAuthenticated & HasObjectCapability]  # type: ignore[operator]
