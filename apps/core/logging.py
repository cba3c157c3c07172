"""Logging filters: the request id on every line, secrets never written out, and a refusal (409) no
warning.

The first two sit on the root handler (settings ``LOGGING``), so every logger — ours, Django's
``django.request``, DRF, gunicorn's error log via propagation — goes through them; the conflicts
filter sits on the ``django.request`` logger, the query-string filter on uvicorn's loggers.
"""

from __future__ import annotations

import logging
import re
from contextvars import ContextVar
from typing import Any

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")

_SECRET_NAMES = (
    r"password|current_password|new_password|passwd|token|refresh|access|authorization|secret|api[_-]?key|cookie"  # noqa: S105 - names to redact
)
_SECRET = re.compile(
    rf"(?i)([\"']?[\w-]*(?:{_SECRET_NAMES})[\w-]*[\"']?\s*[:=]\s*)((?:bearer|basic)\s+[^\s,&}}]+|\"[^\"]*\"|'[^']*'|[^\s,&}}]+)"
)
_SECRET_KEY = re.compile(rf"(?i)(?:{_SECRET_NAMES})")
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+")
REDACTED = "[REDACTED]"

#: Attributes every LogRecord has; anything else was passed as ``extra=`` and is a candidate for
#: redaction (the JSON formatter writes extras out as fields).
_STANDARD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "request_id",
}


def redact(text: str) -> str:
    """Masks ``password=…``/``"token": "…"`` pairs and ``Bearer …``/``Basic …`` credentials."""
    return _SECRET.sub(rf"\1{REDACTED}", _BEARER.sub(lambda m: f"{m.group(1)} {REDACTED}", text))


def _redact_value(name: str, value: Any) -> Any:
    if _SECRET_KEY.search(name):
        return REDACTED
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: _redact_value(str(k), v) for k, v in value.items()}
    return value


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` (``-`` outside a request) to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        # Django's handler logs 4xx/5xx responses ("Not Found: /x") after the middleware chain has
        # returned, outside RequestIdMiddleware's context; those records carry the request itself.
        from_request = getattr(record.__dict__.get("request"), "request_id", None)
        record.request_id = from_request or request_id_var.get()
        return True


class RedactSecretsFilter(logging.Filter):
    """Last line of defence: code should not log secrets, but if a message carries one it is masked.

    Also replaces the ``request`` object Django attaches to ``django.request`` records by
    ``"METHOD /path"``: its repr holds the query string (verification and reset links carry tokens
    there), and nothing about the body or headers is ever written.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # pragma: no cover - a broken format string is logged as is
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        request = record.__dict__.get("request")
        if request is not None and not isinstance(request, str):
            record.request = f"{getattr(request, 'method', '')} {getattr(request, 'path', '')}".strip()
        for name, value in list(record.__dict__.items()):
            if name not in _STANDARD_ATTRS and name != "request":
                record.__dict__[name] = _redact_value(name, value)
        return True


class QueryStringFilter(logging.Filter):
    """On uvicorn's loggers (the WebSocket service): every path logged without its query string.

    uvicorn writes one line per WebSocket handshake on ``uvicorn.error`` (``'%s - "WebSocket %s"
    [accepted]'`` with the path *and* query) and one per HTTP request on ``uvicorn.access`` — the
    query of ``/ws/events/{id}/?ticket=…`` (or the deprecated ``?token=<JWT>``) would be written out.
    The gunicorn worker gives those loggers gunicorn's own handlers, which bypass the root handler's
    :class:`RedactSecretsFilter`; a filter on the logger itself runs whatever handlers it has. Only
    arguments that are paths (start with ``/``) are changed: ``/ws/events/1/?[REDACTED]``.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and any(_is_path_with_query(arg) for arg in args):
            record.args = tuple(_without_query(arg) for arg in args)
        return True


def _is_path_with_query(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("/") and "?" in value


def _without_query(value: Any) -> Any:
    """A path with a query → the path and ``?[REDACTED]``; anything else unchanged."""
    if not _is_path_with_query(value):
        return value
    return f"{value.split('?', 1)[0]}?{REDACTED}"


class ConflictsAtDebugFilter(logging.Filter):
    """On ``django.request``: a 409 response is logged at DEBUG, not as a WARNING.

    Django logs every 4xx answer as a warning. A 409 is the API refusing what the current state
    forbids — a bid under the asking price, a donor outbid by a proxy, a closed item, a repeated
    idempotency key with another body: an outcome the client is told and the metrics count
    (``augeo_bids_rejected_total``, django-prometheus' responses by status), not a fault of the
    server. In a hot-item war nine requests in ten are refused, so those lines were most of the
    log, and formatting and writing each cost 0.3-0.6 ms of a 6 ms refused bid. They are written
    when ``django.request`` is set to DEBUG; every other 4xx and 5xx is logged as before.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) != 409 or record.levelno < logging.WARNING:
            return True
        record.levelno, record.levelname = logging.DEBUG, logging.getLevelName(logging.DEBUG)
        return logging.getLogger(record.name).isEnabledFor(logging.DEBUG)
