"""DRF permission classes that know nothing of tenants (the tenant's capability check is
:class:`apps.npos.tenancy.api.HasObjectCapability`)."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request


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
