"""DRF permission classes on top of the one capability model (apps.npos.authz).

A view declares which capability each action needs (``capabilities = {"update": C.EVENTS_MANAGE}``;
an action missing from the map needs only visibility). Visibility itself is the view's
``get_queryset`` (404 for what the caller may not see); this class then answers 403 for objects the
caller can see but may not change — the order api.md fixes: 401 → 404 → 403 → 400 → 409.
"""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from apps.npos import authz


class IsVerifiedUser(BasePermission):
    """Signed in with a verified e-mail address (creating NPOs, registering for events)."""

    message = "Verify your e-mail address first."

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and getattr(user, "email_verified_at", None))


class ReadOnly(BasePermission):
    """Safe methods only (combine with ``|`` to open reads to anonymous callers)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        return request.method in SAFE_METHODS


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
