"""Logging filters: the request id on every line, and secrets never written out."""

from __future__ import annotations

import logging
import re
from contextvars import ContextVar

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")

_SECRET = re.compile(
    r"(?i)(\"?(?:password|current_password|new_password|token|refresh|access|authorization|secret|api[_-]?key)\"?"
    r"\s*[:=]\s*)(\"[^\"]*\"|'[^']*'|[^\s,&}]+)"
)
_BEARER = re.compile(r"(?i)bearer\s+[A-Za-z0-9._~+/=-]+")


def redact(text: str) -> str:
    return _BEARER.sub("Bearer [REDACTED]", _SECRET.sub(r"\1[REDACTED]", text))


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True


class RedactSecretsFilter(logging.Filter):
    """Last line of defence: code should not log secrets, but if a message carries one it is masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # pragma: no cover - a broken format string is logged as is
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True
