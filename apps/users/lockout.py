"""django-axes hooks (filled in by the accounts work)."""

from typing import Any


def axes_username(request: Any, credentials: dict[str, Any] | None = None) -> str:
    value = (credentials or {}).get("email") or (credentials or {}).get("username") or ""
    return str(value).strip().lower()


def lockout_response(request: Any, *args: Any, **kwargs: Any) -> Any:
    from django.http import JsonResponse

    from apps.core.api.exceptions import error_body

    response = JsonResponse(error_body("ACCOUNT_LOCKED", "Too many failed attempts; try again later."), status=429)
    response["Retry-After"] = "900"
    return response
