"""One error envelope for every error under ``/api/`` (api.md "Conventions").

``{"error": {"code": "...", "message": "...", "fields": {...}, ...extra}}``. DRF's own exceptions,
our ``DomainError`` family, Django's ``Http404``/``PermissionDenied``, database outages
(``OperationalError`` → 503) and anything unexpected (→ 500 without a traceback) all pass through
here, so a client only ever has to parse one shape.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import OperationalError
from django.http import Http404
from rest_framework import exceptions as drf
from rest_framework.response import Response
from rest_framework.settings import api_settings

from apps.core.exceptions import DomainError

logger = logging.getLogger("augeo.api")

_CODES: dict[type[drf.APIException], str] = {
    drf.NotAuthenticated: "NOT_AUTHENTICATED",
    drf.AuthenticationFailed: "TOKEN_INVALID",
    drf.PermissionDenied: "PERMISSION_DENIED",
    drf.NotFound: "NOT_FOUND",
    drf.MethodNotAllowed: "METHOD_NOT_ALLOWED",
    drf.NotAcceptable: "NOT_ACCEPTABLE",
    drf.UnsupportedMediaType: "UNSUPPORTED_MEDIA_TYPE",
    drf.Throttled: "THROTTLED",
    drf.ParseError: "VALIDATION_ERROR",
    drf.ValidationError: "VALIDATION_ERROR",
}


def error_body(code: str, message: str, *, fields: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    """The envelope itself; also used by non-DRF views (health, 404/500 handlers, CSRF failures)."""
    error: dict[str, Any] = {"code": code, "message": message}
    if fields is not None:
        error["fields"] = fields
    error.update(extra)
    return {"error": error}


def _flatten_fields(detail: Any) -> dict[str, Any]:
    """DRF's ``ValidationError.detail`` as ``field → [messages]`` (nested serializers keep nesting)."""
    if isinstance(detail, dict):
        return {str(k): _field_messages(v) for k, v in detail.items()}
    return {api_settings.NON_FIELD_ERRORS_KEY: _field_messages(detail)}


def _field_messages(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _field_messages(v) for k, v in value.items()}
    if isinstance(value, list):
        if value and all(isinstance(v, dict) for v in value):
            return [_field_messages(v) for v in value]
        return [str(v) for v in value]
    return [str(value)]


def _first_message(fields: dict[str, Any]) -> str:
    for name, messages in fields.items():
        if isinstance(messages, list) and messages and isinstance(messages[0], str):
            prefix = "" if name == api_settings.NON_FIELD_ERRORS_KEY else f"{name}: "
            return f"{prefix}{messages[0]}"
    return "The request is invalid."


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    headers: dict[str, str] = {}
    if isinstance(exc, DomainError):
        return Response(
            error_body(exc.code, exc.message, fields=exc.fields, **exc.extra), status=exc.status
        )
    if isinstance(exc, DjangoValidationError):
        exc = drf.ValidationError(detail=exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    if isinstance(exc, Http404):
        exc = drf.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf.PermissionDenied()
    elif isinstance(exc, RequestDataTooBig):
        return Response(error_body("FILE_TOO_LARGE", "The request body is too large."), status=413)
    elif isinstance(exc, OperationalError):
        logger.warning("database unavailable: %s", exc.__class__.__name__)
        return Response(
            error_body("SERVICE_UNAVAILABLE", "The service is temporarily unavailable; retry shortly."),
            status=503,
            headers={"Retry-After": "5"},
        )

    if not isinstance(exc, drf.APIException):
        logger.exception("unhandled error in API view")
        return Response(error_body("INTERNAL_ERROR", "An unexpected error occurred."), status=500)

    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header  # type: ignore[attr-defined]
    if getattr(exc, "wait", None) is not None:
        headers["Retry-After"] = str(int(exc.wait) + 1)  # type: ignore[attr-defined]

    code = next((c for cls, c in _CODES.items() if type(exc) is cls), None)
    if code is None:
        code = next((c for cls, c in _CODES.items() if isinstance(exc, cls)), "ERROR")
    # simplejwt's InvalidToken is an AuthenticationFailed subclass with its own payload.
    if isinstance(exc, drf.AuthenticationFailed):
        code = "TOKEN_INVALID"

    if isinstance(exc, drf.ValidationError):
        fields = _flatten_fields(exc.detail)
        return Response(error_body("VALIDATION_ERROR", _first_message(fields), fields=fields), status=400,
                        headers=headers)
    if isinstance(exc, drf.ParseError):
        return Response(
            error_body("VALIDATION_ERROR", f"Malformed request body: {exc.detail}", fields={"body": [str(exc.detail)]}),
            status=400,
        )
    detail = exc.detail
    if isinstance(detail, dict):
        message = str(detail.get("detail", detail))
    elif isinstance(detail, list):
        message = "; ".join(str(d) for d in detail)
    else:
        message = str(detail)
    return Response(error_body(code, message), status=exc.status_code, headers=headers)
