"""Production: PostgreSQL, Redis, Azure Blob Storage, behind a TLS-terminating load balancer.

Refuses to start without ``DJANGO_SECRET_KEY`` (at least 50 characters, not the development key),
``DJANGO_ALLOWED_HOSTS``, ``DATABASE_URL`` and ``PAYMENT_PROVIDER`` (``embedded`` approves every
charge, so it is never assumed here; set explicitly, it starts with a warning in the log).
``manage.py check --deploy --fail-level WARNING --settings=augeo.settings.production`` passes with
those set (a test runs it).

* HTTPS: the balancer terminates TLS and sets ``X-Forwarded-Proto`` (``SECURE_PROXY_SSL_HEADER``);
  plain HTTP is redirected except the health probes and ``/metrics``, which balancers and
  Prometheus call over plain HTTP inside the network. HSTS for a year with subdomains and preload
  (``DJANGO_HSTS_SECONDS``, ``DJANGO_HSTS_PRELOAD``), secure cookies.
* Client address: ``DJANGO_NUM_PROXIES`` (default 1 here) hops of ``X-Forwarded-For`` are believed when
  the direct peer is in ``DJANGO_TRUSTED_PROXIES`` (default: loopback and private ranges)
  (``apps.core.net.client_ip``), so throttles, the lockout and the audit log key on the client, never
  on the balancer, and a request that bypasses the balancer cannot forge its address.
* Logs: one JSON object per line with the request id (``DJANGO_LOG_JSON``, default on).
* Static files: served by WhiteNoise from ``collectstatic`` output (compressed, far-future cached).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import (
    LOGGING,
    MIDDLEWARE,
    PRIVATE_NETWORKS,
    SIMPLE_JWT,
    SPECTACULAR_SETTINGS,
    STORAGES,
    TASK_BACKENDS,
    cidr_list,
    env,
)

_DEV_KEY_PREFIX = "django-insecure"

DEBUG = False

SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
if len(SECRET_KEY) < 50 or SECRET_KEY.startswith(_DEV_KEY_PREFIX) or len(set(SECRET_KEY)) < 5:
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY must be set to a random value of at least 50 characters in production, e.g. "
        "`python -c 'import secrets; print(secrets.token_urlsafe(64))'`."
    )
SIMPLE_JWT = {**SIMPLE_JWT, "SIGNING_KEY": env.str("DJANGO_JWT_SIGNING_KEY", default=SECRET_KEY)}

ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=[])
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("DJANGO_ALLOWED_HOSTS must list the public host names in production.")
if not env.str("DATABASE_URL", default=""):
    raise ImproperlyConfigured("DATABASE_URL must point at PostgreSQL in production (no embedded SQLite).")

# --- Background work ----------------------------------------------------------------------------
# Tasks are rows in PostgreSQL run by `manage.py run_worker`; web processes never run them.
AUGEO_TASKS_BACKEND = env.str("AUGEO_TASKS_BACKEND", default="database")
if AUGEO_TASKS_BACKEND != "database":
    raise ImproperlyConfigured("Production runs tasks on workers: AUGEO_TASKS_BACKEND must be 'database'.")
TASKS = {"default": {"BACKEND": TASK_BACKENDS["database"], "QUEUES": ["default"]}}

# --- Payments -----------------------------------------------------------------------------------
# The embedded provider approves every charge (except amounts ending in .13): never production's
# default. PAYMENT_PROVIDER must be set; `embedded` (a demo or staging stack) is accepted only when
# set explicitly, and then every process logs a warning at start-up (apps.checkout.apps).
if not env.str("PAYMENT_PROVIDER", default=""):
    raise ImproperlyConfigured(
        "PAYMENT_PROVIDER must be set in production: 'stripe' (with STRIPE_SECRET_KEY and "
        "STRIPE_WEBHOOK_SECRET), or 'embedded' for a demo stack whose charges are not real."
    )
PAYMENT_PROVIDER_WARN_EMBEDDED = True

# --- HTTPS behind a load balancer ---------------------------------------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
# Patterns match the path without its leading slash (SecurityMiddleware).
SECURE_REDIRECT_EXEMPT = [r"^health/", r"^metrics$"]
SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env.bool("DJANGO_HSTS_PRELOAD", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

NUM_PROXIES = env.int("DJANGO_NUM_PROXIES", default=1)
TRUSTED_PROXIES = cidr_list("DJANGO_TRUSTED_PROXIES", PRIVATE_NETWORKS if NUM_PROXIES else [])

# --- Static files -------------------------------------------------------------------------------
MIDDLEWARE = list(MIDDLEWARE)
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1, "whitenoise.middleware.WhiteNoiseMiddleware"
)
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"}}

# --- Logging ------------------------------------------------------------------------------------
LOG_JSON = env.bool("DJANGO_LOG_JSON", default=True)
_handlers: dict[str, Any] = dict(LOGGING["handlers"])  # type: ignore[call-overload]
_handlers["console"] = {**_handlers["console"], "formatter": "json" if LOG_JSON else "plain"}
LOGGING = {**LOGGING, "handlers": _handlers}

# --- API docs -----------------------------------------------------------------------------------
# drf-spectacular would generate the whole schema inside `check --deploy` and fail the deploy on a
# documentation warning; the schema's quality is enforced by the test suite instead
# (apps/core/tests/test_schema.py runs `spectacular --validate --fail-on-warn`).
SPECTACULAR_SETTINGS = {**SPECTACULAR_SETTINGS, "ENABLE_DJANGO_DEPLOY_CHECK": False}
