"""One error envelope for every error under ``/api/`` (api.md "Conventions").

``{"error": {"code": "...", "message": "...", "fields": {...}, ...extra}}``. DRF's own exceptions,
our ``DomainError`` family, Django's ``Http404``/``PermissionDenied``, database outages
(``OperationalError`` → 503) and anything unexpected (→ 500 without a traceback) all pass through
:func:`error_parts`, so a client only ever has to parse one shape. DRF views reach it through
:func:`exception_handler`; everything else under ``/api/`` (plain Django views, middleware, URL
resolution) through :class:`apps.core.middleware.ApiErrorMiddleware`.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation, TooManyFieldsSent
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, OperationalError
from django.http import Http404
from rest_framework import exceptions as drf
from rest_framework.response import Response
from rest_framework.settings import api_settings

from apps.core.errors import ErrorCode
from apps.core.exceptions import DomainError

logger = logging.getLogger("augeo.api")

#: Exact DRF class → code; subclasses fall back to the first ``isinstance`` match.
_CODES: dict[type[drf.APIException], str] = {
    drf.NotAuthenticated: ErrorCode.NOT_AUTHENTICATED,
    drf.AuthenticationFailed: ErrorCode.TOKEN_INVALID,
    drf.PermissionDenied: ErrorCode.PERMISSION_DENIED,
    drf.NotFound: ErrorCode.NOT_FOUND,
    drf.MethodNotAllowed: ErrorCode.METHOD_NOT_ALLOWED,
    drf.NotAcceptable: ErrorCode.NOT_ACCEPTABLE,
    drf.UnsupportedMediaType: ErrorCode.UNSUPPORTED_MEDIA_TYPE,
    drf.Throttled: ErrorCode.THROTTLED,
    drf.ParseError: ErrorCode.VALIDATION_ERROR,
    drf.ValidationError: ErrorCode.VALIDATION_ERROR,
}

#: The code for a bare status, used when a non-DRF response (Django's own 404 page, a 500) is
#: rewritten into the envelope.
STATUS_CODES: dict[int, tuple[str, str]] = {
    400: (ErrorCode.VALIDATION_ERROR, "Bad request."),
    401: (ErrorCode.NOT_AUTHENTICATED, "Authentication credentials were not provided."),
    403: (ErrorCode.PERMISSION_DENIED, "You may not do this."),
    404: (ErrorCode.NOT_FOUND, "Not found."),
    405: (ErrorCode.METHOD_NOT_ALLOWED, "Method not allowed."),
    406: (ErrorCode.NOT_ACCEPTABLE, "Could not satisfy the request Accept header."),
    409: (ErrorCode.CONFLICT, "The request conflicts with the current state."),
    410: (ErrorCode.GONE, "No longer available."),
    413: (ErrorCode.FILE_TOO_LARGE, "The request body is too large."),
    415: (ErrorCode.UNSUPPORTED_MEDIA_TYPE, "Unsupported media type."),
    429: (ErrorCode.THROTTLED, "Too many requests; retry later."),
    500: (ErrorCode.INTERNAL_ERROR, "An unexpected error occurred."),
    503: (ErrorCode.SERVICE_UNAVAILABLE, "The service is temporarily unavailable; retry shortly."),
}

#: Seconds a client should wait before retrying after a database outage.
SERVICE_RETRY_AFTER = "5"


def error_body(code: str, message: str, *, fields: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    """The envelope itself; also used by non-DRF views (health, 404/500 handlers, CSRF failures)."""
    error: dict[str, Any] = {"code": code, "message": message}
    if fields is not None:
        error["fields"] = fields
    error.update(extra)
    return {"error": error}


def status_body(status: int) -> dict[str, Any]:
    """The envelope for a bare HTTP status (no exception at hand)."""
    code, message = STATUS_CODES.get(status, ("INTERNAL_ERROR" if status >= 500 else "ERROR", "Request failed."))
    return error_body(code, message)


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


def _api_code(exc: drf.APIException) -> str:
    """Our code for a DRF exception. An exception raised with an explicit upper-case code (e.g.
    ``AuthenticationFailed(..., code="INVALID_CREDENTIALS")``) keeps it; DRF's and simplejwt's own
    lower-case codes (``token_not_valid``) map through ``_CODES``."""
    detail_code = exc.get_codes() if not isinstance(exc.detail, dict) else exc.detail.get("code")
    if isinstance(detail_code, str) and detail_code.isupper():
        return detail_code
    code = next((c for cls, c in _CODES.items() if type(exc) is cls), None)
    if code is None:
        code = next((c for cls, c in _CODES.items() if isinstance(exc, cls)), None)
    return code or STATUS_CODES.get(exc.status_code, (ErrorCode.ERROR, ""))[0]


def error_parts(exc: Exception) -> tuple[int, dict[str, Any], dict[str, str]]:
    """``(status, envelope, headers)`` for any exception. Unexpected ones are logged with their
    traceback (server side only) and answer a bare 500 ``INTERNAL_ERROR``."""
    if isinstance(exc, DomainError):
        return exc.status, error_body(exc.code, exc.message, fields=exc.fields, **exc.extra), dict(exc.headers)
    if isinstance(exc, DjangoValidationError):
        exc = drf.ValidationError(detail=exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    elif isinstance(exc, Http404):
        exc = drf.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf.PermissionDenied()
    elif isinstance(exc, RequestDataTooBig):
        return 413, error_body(ErrorCode.FILE_TOO_LARGE, "The request body is too large."), {}
    elif isinstance(exc, TooManyFieldsSent):
        return 400, error_body(ErrorCode.VALIDATION_ERROR, "Too many fields in the request.", fields={}), {}
    elif isinstance(exc, SuspiciousOperation):
        return 400, error_body(ErrorCode.VALIDATION_ERROR, "Bad request.", fields={}), {}
    elif isinstance(exc, DataError):
        # Input the database cannot store (a NUL inside JSON text, an out-of-range number) that
        # slipped past validation: the client's data, so 400 — never a 500.
        logger.warning("database refused the data: %s", exc.__class__.__name__)
        return (
            400,
            error_body(ErrorCode.VALIDATION_ERROR, "The request contains data that cannot be stored.", fields={}),
            {},
        )
    elif isinstance(exc, RecursionError) and "decoding a JSON" in str(exc):
        # A view that lists DRF's own JSONParser (not apps.core.api.parsers.JSONParser) met a body
        # like "[" * 200000: the decoder's recursion limit. Malformed input, so 400 — never a 500.
        message = "Malformed request body: JSON nested too deeply."
        return 400, error_body(ErrorCode.VALIDATION_ERROR, message, fields={"body": ["JSON nested too deeply."]}), {}
    elif isinstance(exc, OperationalError):
        # The message may carry host names or credentials: log the class only.
        logger.warning("database unavailable: %s", exc.__class__.__name__)
        return 503, status_body(503), {"Retry-After": SERVICE_RETRY_AFTER}

    if not isinstance(exc, drf.APIException):
        logger.error("unhandled error in API request", exc_info=exc)
        return 500, status_body(500), {}

    headers: dict[str, str] = {}
    auth_header = getattr(exc, "auth_header", None)
    if auth_header:
        headers["WWW-Authenticate"] = auth_header
    wait = getattr(exc, "wait", None)
    if wait is not None:
        headers["Retry-After"] = str(max(1, math.ceil(wait)))
    elif isinstance(exc, drf.Throttled):
        headers["Retry-After"] = "1"

    if isinstance(exc, drf.ValidationError):
        fields = _flatten_fields(exc.detail)
        return 400, error_body(ErrorCode.VALIDATION_ERROR, _first_message(fields), fields=fields), headers
    if isinstance(exc, drf.ParseError):
        message = f"Malformed request body: {exc.detail}"
        return 400, error_body(ErrorCode.VALIDATION_ERROR, message, fields={"body": [str(exc.detail)]}), headers

    detail = exc.detail
    if isinstance(detail, dict):
        message = str(detail.get("detail", detail))
    elif isinstance(detail, list):
        message = "; ".join(str(d) for d in detail)
    else:
        message = str(detail)
    return exc.status_code, error_body(_api_code(exc), message), headers


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    """DRF's ``EXCEPTION_HANDLER``: every exception raised in a DRF view becomes the envelope.

    Unlike DRF's default it never returns ``None`` (which would let Django render a 500 page).
    """
    status, body, headers = error_parts(exc)
    return Response(body, status=status, headers=headers)
