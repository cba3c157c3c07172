"""Logging: one line per record with the request id, secrets redacted; JSON with ``DJANGO_LOG_JSON``."""

from __future__ import annotations

from .environment import env

LOG_LEVEL = env("DJANGO_LOG_LEVEL", default="INFO")
LOG_JSON = env.bool("DJANGO_LOG_JSON", default=False)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "apps.core.logging.RequestIdFilter"},
        "redact": {"()": "apps.core.logging.RedactSecretsFilter"},
        "conflicts_at_debug": {"()": "apps.core.logging.ConflictsAtDebugFilter"},
        "no_query_string": {"()": "apps.core.logging.QueryStringFilter"},
    },
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id", "redact"],
            "formatter": "json" if LOG_JSON else "plain",
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Replaces Django's default handlers for "django" (a DEBUG-only console without our filters,
        # and mail_admins, whose e-mail would carry the request's POST data): records propagate to
        # the root handler, which adds the request id and redacts secrets.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        # A 409 (a refused bid, a state conflict) is an outcome, not a warning: DEBUG (the filter's docstring).
        "django.request": {"filters": ["conflicts_at_debug"]},
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
        # The Azure SDK logs every request and response header at INFO.
        "azure": {"level": "WARNING"},
        # One INFO line per task start and end; `run_worker` turns them on for its own process.
        "django_tasks": {"level": "WARNING"},
        # The WebSocket service (uvicorn workers): its handshake and access lines carry the URL's
        # query (?ticket=, the deprecated ?token=<JWT>). The filter on the logger strips it whatever
        # handler writes the line; the lines go to the root handler (request id, redaction) instead of
        # the gunicorn handlers the worker attached, which had neither.
        "uvicorn": {"handlers": [], "propagate": True},
        "uvicorn.error": {"handlers": [], "propagate": True, "filters": ["no_query_string"]},
        "uvicorn.access": {"handlers": [], "propagate": True, "filters": ["no_query_string"]},
    },
}
