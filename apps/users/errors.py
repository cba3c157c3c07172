"""Domain errors of the accounts flows (api.md "Accounts"); the API maps ``status`` and ``code``."""

from __future__ import annotations

from apps.core.errors import ErrorCode
from apps.core.exceptions import DomainError


class InvalidCredentials(DomainError):
    """Wrong e-mail or password (or a deactivated account: never say which)."""

    status = 401
    default_code = ErrorCode.INVALID_CREDENTIALS


class EmailNotVerified(DomainError):
    """Right password, but the e-mail address has not been verified yet."""

    status = 403
    default_code = ErrorCode.EMAIL_NOT_VERIFIED


class AccountLocked(DomainError):
    """Too many failed sign-ins for this account from clients without a device token (any IP;
    ``apps.users.lockout``, counted in the database)."""

    status = 429
    default_code = ErrorCode.ACCOUNT_LOCKED

    def __init__(self, retry_after: int) -> None:
        self.retry_after = max(1, int(retry_after))
        super().__init__(
            message="Too many failed sign-in attempts; try again later.",
            headers={"Retry-After": str(self.retry_after)},
            retry_after=self.retry_after,
        )


class InvalidToken(DomainError):
    """An e-mail token that is unknown, tampered with, expired or already used (400)."""

    status = 400
    default_code = ErrorCode.INVALID_TOKEN


class TokenRefused(DomainError):
    """A JWT refresh token that is invalid, expired or revoked (401 ``TOKEN_INVALID``)."""

    status = 401
    default_code = ErrorCode.TOKEN_INVALID
