"""Domain errors: raised by services, turned into the API's error envelope by the handler.

A service raises ``Conflict("BID_TOO_LOW", "…", min_bid="260.00")``; the API answers
``409 {"error": {"code": "BID_TOO_LOW", "message": "…", "min_bid": "260.00"}}``. The admin catches the
same class and shows the message. Services never import DRF.
"""

from __future__ import annotations

from typing import Any

from apps.core.errors import ErrorCode


class DomainError(Exception):
    """A business rule refused the operation. ``status`` is the HTTP status the API answers with.

    ``headers`` are HTTP headers the API adds to the error answer (e.g. ``Retry-After`` on a 429);
    pass ``headers={...}`` (a subclass passes them on to ``super().__init__``).
    """

    status = 400
    default_code = ErrorCode.DOMAIN_ERROR

    def __init__(
        self,
        code: str | None = None,
        message: str = "",
        *,
        fields: dict[str, list[str]] | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        self.code = code or self.default_code
        self.message = message or self.code.replace("_", " ").capitalize()
        self.fields = fields
        self.extra = extra
        self.headers: dict[str, str] = dict(headers or {})
        super().__init__(self.message)


class ValidationFailed(DomainError):
    """Input that is well-formed JSON but breaks a rule on a field (400 ``VALIDATION_ERROR``)."""

    status = 400
    default_code = ErrorCode.VALIDATION_ERROR


class Conflict(DomainError):
    """A business rule or state machine refused the operation (409 with a specific code)."""

    status = 409
    default_code = ErrorCode.CONFLICT


class NotAuthenticated(DomainError):
    """The operation needs a signed-in caller (401, with the bearer challenge simplejwt sends)."""

    status = 401
    default_code = ErrorCode.NOT_AUTHENTICATED

    def __init__(self, message: str = "Authentication credentials were not provided.", **extra: Any) -> None:
        super().__init__(message=message, headers={"WWW-Authenticate": 'Bearer realm="api"'}, **extra)


class PermissionDenied(DomainError):
    """The caller may see the object but may not do this (403)."""

    status = 403
    default_code = ErrorCode.PERMISSION_DENIED


class NotFound(DomainError):
    """The object does not exist or is not visible to the caller (404)."""

    status = 404
    default_code = ErrorCode.NOT_FOUND


class Gone(DomainError):
    """The object existed but is no longer usable, e.g. an expired invitation (410)."""

    status = 410
    default_code = ErrorCode.GONE


class FileTooLarge(DomainError):
    status = 413
    default_code = ErrorCode.FILE_TOO_LARGE


class ServiceUnavailable(DomainError):
    """A dependency (database, storage) is down; clients should retry later (503)."""

    status = 503
    default_code = ErrorCode.SERVICE_UNAVAILABLE


class IdempotencyKeyReused(DomainError):
    """The same ``Idempotency-Key`` was sent with a different request body (422)."""

    status = 422
    default_code = ErrorCode.IDEMPOTENCY_KEY_REUSED


class Throttled(DomainError):
    """Too many of something within a time window (429 ``THROTTLED``); ``Retry-After`` says when the
    next one will be accepted."""

    status = 429
    default_code = ErrorCode.THROTTLED

    def __init__(self, message: str, *, retry_after: int, **extra: Any) -> None:
        self.retry_after = max(1, int(retry_after))
        super().__init__(
            message=message,
            headers={"Retry-After": str(self.retry_after)},
            retry_after=self.retry_after,
            **extra,
        )
