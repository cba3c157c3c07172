"""Every error code the API answers with, in one enum (api.md "Conventions", bidding.md, the other
specs; the README's "Error codes" lists them all with their statuses).

Raise sites name a member (``Conflict(ErrorCode.BID_TOO_LOW, "…")``), never a string: a typo is an
``AttributeError`` at import and a mypy error, not a new code a client has never heard of. Members are
``str`` (``StrEnum``), so the envelope, the logs and the tests see the plain code.
``apps/core/tests/test_error_codes.py`` fails for a literal code at a raise site and for a member the
README does not list.
"""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    # --- the envelope's generic codes (one per HTTP status) -------------------------------------
    VALIDATION_ERROR = "VALIDATION_ERROR"  # 400
    NOT_AUTHENTICATED = "NOT_AUTHENTICATED"  # 401
    PERMISSION_DENIED = "PERMISSION_DENIED"  # 403
    NOT_FOUND = "NOT_FOUND"  # 404
    METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"  # 405
    NOT_ACCEPTABLE = "NOT_ACCEPTABLE"  # 406
    CONFLICT = "CONFLICT"  # 409 without a more specific code
    GONE = "GONE"  # 410
    FILE_TOO_LARGE = "FILE_TOO_LARGE"  # 413
    UNSUPPORTED_MEDIA_TYPE = "UNSUPPORTED_MEDIA_TYPE"  # 415
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"  # 422
    THROTTLED = "THROTTLED"  # 429
    INTERNAL_ERROR = "INTERNAL_ERROR"  # 500
    SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"  # 503
    #: A DomainError raised without a code (a bug: every raise names one) and an unusual 4xx status.
    DOMAIN_ERROR = "DOMAIN_ERROR"
    ERROR = "ERROR"

    # --- accounts (users) -------------------------------------------------------------------------
    INVALID_CREDENTIALS = "INVALID_CREDENTIALS"  # 401
    TOKEN_INVALID = "TOKEN_INVALID"  # noqa: S105  (401: a bad or expired access/refresh token)
    INVALID_TOKEN = "INVALID_TOKEN"  # noqa: S105  (400: a bad e-mail verification or password-reset token)
    EMAIL_NOT_VERIFIED = "EMAIL_NOT_VERIFIED"  # 403
    ACCOUNT_LOCKED = "ACCOUNT_LOCKED"  # 429

    # --- any state machine ------------------------------------------------------------------------
    INVALID_TRANSITION = "INVALID_TRANSITION"
    ALREADY_UNDONE = "ALREADY_UNDONE"

    # --- NPOs and teams ---------------------------------------------------------------------------
    ALREADY_MEMBER = "ALREADY_MEMBER"
    LAST_ADMIN = "LAST_ADMIN"
    NPO_HAS_PUBLISHED_EVENTS = "NPO_HAS_PUBLISHED_EVENTS"
    NPO_NOT_APPROVED = "NPO_NOT_APPROVED"
    NPO_SUSPENDED = "NPO_SUSPENDED"

    # --- events -----------------------------------------------------------------------------------
    VERSION_CONFLICT = "VERSION_CONFLICT"
    CAPACITY_BELOW_OCCUPANCY = "CAPACITY_BELOW_OCCUPANCY"
    OPTION_IN_USE = "OPTION_IN_USE"
    DIRECT_UPLOAD_UNAVAILABLE = "DIRECT_UPLOAD_UNAVAILABLE"
    EVENT_NOT_PUBLISHED = "EVENT_NOT_PUBLISHED"
    EVENT_CLOSED = "EVENT_CLOSED"

    # --- attendance -------------------------------------------------------------------------------
    ALREADY_REGISTERED = "ALREADY_REGISTERED"
    REGISTRATION_CLOSED = "REGISTRATION_CLOSED"
    EVENT_FULL = "EVENT_FULL"
    NOT_REGISTERED = "NOT_REGISTERED"
    GUEST_HAS_ACTIVITY = "GUEST_HAS_ACTIVITY"
    BIDDER_NUMBER_TAKEN = "BIDDER_NUMBER_TAKEN"
    NOT_CHECKED_IN = "NOT_CHECKED_IN"
    TABLE_FULL = "TABLE_FULL"

    # --- auctions (bidding.md) --------------------------------------------------------------------
    ITEM_NOT_OPEN = "ITEM_NOT_OPEN"
    ITEM_CLOSED = "ITEM_CLOSED"
    ITEM_ALREADY_SOLD = "ITEM_ALREADY_SOLD"
    ITEM_HAS_BIDS = "ITEM_HAS_BIDS"
    BID_TOO_LOW = "BID_TOO_LOW"
    ALREADY_LEADING = "ALREADY_LEADING"
    CHECKIN_REQUIRED = "CHECKIN_REQUIRED"
    BIDDER_NUMBER_UNKNOWN = "BIDDER_NUMBER_UNKNOWN"
    LIVE_ITEM = "LIVE_ITEM"
    NOT_LIVE_ITEM = "NOT_LIVE_ITEM"
    BUY_NOW_ONLY = "BUY_NOW_ONLY"
    BUY_NOW_UNAVAILABLE = "BUY_NOW_UNAVAILABLE"
    SOLD_OUT = "SOLD_OUT"
    BELOW_RESERVE = "BELOW_RESERVE"
    PADDLE_RAISE_CLOSED = "PADDLE_RAISE_CLOSED"

    # --- checkout ---------------------------------------------------------------------------------
    NOTHING_DUE = "NOTHING_DUE"
    BALANCE_DUE = "BALANCE_DUE"
    PAYMENT_EXCEEDS_BALANCE = "PAYMENT_EXCEEDS_BALANCE"
    PAYMENT_NOT_REFUNDABLE = "PAYMENT_NOT_REFUNDABLE"
    REFUND_EXCEEDS_PAYMENT = "REFUND_EXCEEDS_PAYMENT"
    NO_CARD_ON_FILE = "NO_CARD_ON_FILE"
    CARD_DECLINED = "CARD_DECLINED"
    INVALID_SIGNATURE = "INVALID_SIGNATURE"  # 400: a payment webhook whose signature does not verify

    # --- legal ------------------------------------------------------------------------------------
    CONSENT_REQUIRED = "CONSENT_REQUIRED"
    DOCUMENT_PUBLISHED = "DOCUMENT_PUBLISHED"
    VERSION_EXISTS = "VERSION_EXISTS"
