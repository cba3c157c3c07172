"""Settings shared by every environment.

Everything that differs between a laptop, CI and production is read from environment variables
(django-environ); the variable names are a contract listed in docs/configuration.md and product.md
"Configuration". ``local``, ``test`` and ``production`` only change defaults and hardening.
"""

from __future__ import annotations

import ipaddress
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()

SECRET_KEY = env("DJANGO_SECRET_KEY", default="django-insecure-dev-only-key-change-me-in-production-0123456789")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "augeo.backoffice.apps.AugeoAdminConfig",  # django.contrib.admin with the branded site (augeo/backoffice)
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_prometheus",
    "csp",
    "storages",
    # Background work: Django 6's task API (backport) and its database backend (apps/core/tasks.py).
    "django_tasks",
    "django_tasks_db",
    "apps.core",
    "apps.users",
    "apps.npos",
    "apps.events",
    "apps.attendance",
    "apps.auctions",
    "apps.checkout",
    "apps.live",
    "apps.legal",
    "augeo.backoffice.apps.BackofficeConfig",  # the project's back office (above every app)
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "apps.core.middleware.RequestIdMiddleware",
    "apps.core.middleware.ApiErrorMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "apps.core.middleware.CSPMiddleware",  # django-csp's, the headers built once
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "apps.npos.middleware.ViewerTimezoneMiddleware",  # times not tied to an event: the viewer's zone
    "django.contrib.messages.middleware.MessageMiddleware",
    # After authentication: a signed-in user who has to accept the legal documents is sent to a
    # consent page before any other page (the API's gate is a DRF hook, apps.legal.gate).
    "apps.legal.gate.ConsentMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "apps.core.middleware.NulByteGuardMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "augeo.urls"
WSGI_APPLICATION = "augeo.wsgi.application"
ASGI_APPLICATION = "augeo.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------------
# The embedded default is SQLite in WAL mode with IMMEDIATE transactions: concurrent writers queue
# on the write lock (up to the timeout) instead of failing with "database is locked".
SQLITE_PATH = BASE_DIR / "db.sqlite3"
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{SQLITE_PATH}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    DATABASES["default"]["ENGINE"] = "apps.core.db.postgresql"  # django-prometheus's, lighter health check
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = 5
    # Settings for this application's sessions, sent when a connection opens (no extra round trip).
    # PostgreSQL's default random_page_cost (4) prices a disk seek; a gala's database is a few hundred
    # MB in memory or on SSD, where 1.1 is the usual advice: the check-in search then reads the
    # trigram index for a common three letters instead of scanning every guest (docs/performance.md).
    # Empty it for a pooler that refuses startup options (PgBouncer without ignore_startup_parameters).
    # The fixed statements every request runs (apps.core.prepared) are kept prepared per connection
    # (apps.core.db.postgresql): false for a pooler that cannot keep them (PgBouncer < 1.21 in
    # transaction mode).
    DATABASE_PREPARED_STATEMENTS = env.bool("DATABASE_PREPARED_STATEMENTS", default=True)
    _SESSION_OPTIONS = env.str("DATABASE_SESSION_OPTIONS", default="-c random_page_cost=1.1")
    if _SESSION_OPTIONS:
        DATABASES["default"]["OPTIONS"].setdefault("options", _SESSION_OPTIONS)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache --------------------------------------------------------------------------------------
# Redis when REDIS_URL is set. IGNORE_EXCEPTIONS and short socket timeouts make a Redis outage
# degrade (throttling and caching stop) instead of turning every request into a 500. Nothing that
# must survive an outage (lockouts, idempotency keys) lives in the cache.
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.DefaultClient",
                "SOCKET_CONNECT_TIMEOUT": 0.5,
                "SOCKET_TIMEOUT": 0.5,
                "IGNORE_EXCEPTIONS": True,
            },
            "KEY_PREFIX": "augeo",
        }
    }
    DJANGO_REDIS_IGNORE_EXCEPTIONS = True
    DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "augeo"}}

# --- Channel layer (live updates, apps/live) ---------------------------------------------------
# With REDIS_URL every app instance publishes to and listens on Redis, so a bid placed through one
# instance reaches the sockets held by another. RedisPubSubChannelLayer (default) sends one PUBLISH
# per message and each process fans it out to its own sockets; RedisChannelLayer ("core") writes one
# copy per socket into Redis and pops them one by one — see docs/performance.md "Live updates" for the numbers.
# Without Redis (the embedded default) an in-memory layer serves the one runserver process.
CHANNEL_LAYER_KIND = env("AUGEO_CHANNEL_LAYER", default="pubsub")


def channel_layers(redis_url: str, kind: str = "pubsub") -> dict[str, Any]:
    """``CHANNEL_LAYERS`` for a Redis URL (or the in-memory layer without one).

    Redis pub/sub channels ignore the database number, so the prefix carries it: two deployments (or
    two test workers) on one Redis server with different databases never hear each other.
    """
    if not redis_url:
        return {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer", "CONFIG": {"capacity": 500}}}
    db = (urlsplit(redis_url).path or "/0").lstrip("/") or "0"
    host = {"address": redis_url, "socket_connect_timeout": 0.5, "socket_timeout": 2}
    if kind == "core":
        return {
            "default": {
                "BACKEND": "channels_redis.core.RedisChannelLayer",
                "CONFIG": {"hosts": [host], "prefix": f"augeo.{db}", "capacity": 500, "expiry": 30},
            }
        }
    return {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [host], "prefix": f"augeo.{db}."},
        }
    }


CHANNEL_LAYERS = channel_layers(REDIS_URL, CHANNEL_LAYER_KIND)

# --- Storage ------------------------------------------------------------------------------------
MEDIA_ROOT = env("DJANGO_MEDIA_ROOT", default=str(BASE_DIR / "media"))
MEDIA_URL = "/media/"
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]

AZURE_CONNECTION_STRING = env("AZURE_STORAGE_CONNECTION_STRING", default="")
AZURE_CONTAINER = env("AZURE_STORAGE_CONTAINER", default="augeo-media")
if AZURE_CONNECTION_STRING:
    STORAGES = {
        "default": {
            # apps.core.storage.AzureStorage: django-storages' backend, but client_options also
            # apply with a connection string (the stock one ignores them).
            "BACKEND": "apps.core.storage.AzureStorage",
            "OPTIONS": {
                "connection_string": AZURE_CONNECTION_STRING,
                "azure_container": AZURE_CONTAINER,
                # Private container: reads go through short-lived SAS URLs.
                "expiration_secs": 900,
                "overwrite_files": False,
                # The SDK's defaults retry for over a minute; an outage must answer 503 quickly.
                "timeout": 10,
                "client_options": {
                    "retry_total": 1,
                    "initial_backoff": 1,
                    "increment_base": 1,
                    "random_jitter_range": 0,
                    "connection_timeout": 3,
                    "read_timeout": 10,
                },
            },
        },
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
else:
    STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }

FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 30 * 1024 * 1024

# --- E-mail -------------------------------------------------------------------------------------
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env("DJANGO_DEFAULT_FROM_EMAIL", default="Augeo <no-reply@augeo.local>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
FRONTEND_URL = env("AUGEO_FRONTEND_URL", default="http://127.0.0.1:8000")

# --- Auth ---------------------------------------------------------------------------------------
AUTH_USER_MODEL = "users.User"
# Sign-in goes through apps.users.services.sessions.auth_login (API and admin), which adds the lockout.
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.BCryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ("email", "first_name", "last_name")},
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
EMAIL_VERIFICATION_TTL = timedelta(hours=24)
PASSWORD_RESET_TTL = timedelta(hours=1)
INVITATION_TTL = timedelta(days=7)

# Brute force (apps.users.lockout, OWASP "device cookies"): 5 failures lock the account for 15 minutes
# for clients without a device token; a device token (issued by a successful sign-in) has its own
# limit of 5 failures, after which it is invalid. Counters live in the database.
LOGIN_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
LOGIN_LOCK_DURATION = timedelta(seconds=env.int("LOGIN_LOCK_SECONDS", default=15 * 60))
DEVICE_TOKEN_TTL = timedelta(days=env.int("DEVICE_TOKEN_DAYS", default=180))
DEVICE_TOKEN_COOKIE_NAME = "augeo_device"

# Reverse proxies in front of the app (load balancer, ingress). X-Forwarded-For is believed only when
# the direct peer is in TRUSTED_PROXIES, and for at most NUM_PROXIES hops (apps.core.net.client_ip);
# a request that bypasses the proxies is keyed on its own address whatever header it forges.
NUM_PROXIES = env.int("DJANGO_NUM_PROXIES", default=0)
PRIVATE_NETWORKS = ["127.0.0.0/8", "::1/128", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"]


def cidr_list(variable: str, default: list[str]) -> list[str]:
    """A comma-separated CIDR list from the environment, checked at start-up (a typo must not
    silently trust or refuse everyone)."""
    values = env.list(variable, default=default)
    for value in values:
        try:
            ipaddress.ip_network(value.strip(), strict=False)
        except ValueError as exc:
            raise ImproperlyConfigured(f"{variable}: {value!r} is not an IP network (CIDR).") from exc
    return [value.strip() for value in values if value.strip()]


TRUSTED_PROXIES = cidr_list("DJANGO_TRUSTED_PROXIES", PRIVATE_NETWORKS if NUM_PROXIES else [])

# --- REST framework -----------------------------------------------------------------------------
THROTTLE_DEFAULTS = {
    "anon": "300/min",
    "user": "1200/min",
    "login_ip": "600/min",
    "register": "20/hour",
    "password_reset": "5/hour",
    "bid": "120/min",
    "contact": "5/hour",
}
THROTTLE_RATES = {
    scope: env(f"THROTTLE_RATE_{scope.upper()}", default=rate) for scope, rate in THROTTLE_DEFAULTS.items()
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "apps.users.authentication.JWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "apps.core.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 25,
    "DEFAULT_FILTER_BACKENDS": [
        "apps.core.api.filters.FilterBackend",  # django-filter; typed parameters may not be empty
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    # Ours, not DRF's: keyed on apps.core.net.client_ip (trusted proxies), failing open on cache errors.
    "DEFAULT_THROTTLE_CLASSES": [
        "apps.core.throttling.AnonIPRateThrottle",
        "apps.core.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": THROTTLE_RATES,
    # JSON in (api.md); JSON nested deeper than AUGEO_MAX_JSON_DEPTH is a 400, never a RecursionError.
    # Upload endpoints declare MultiPartParser themselves. Form bodies elsewhere let an empty field
    # ("food_option=") silently mean "not given", so a schema-violating request was accepted.
    "DEFAULT_PARSER_CLASSES": ["apps.core.api.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "apps.core.api.exceptions.exception_handler",
    "DEFAULT_METADATA_CLASS": "apps.core.api.metadata.Metadata",
    "DEFAULT_SCHEMA_CLASS": "apps.core.api.schema.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "COERCE_DECIMAL_TO_STRING": True,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=15),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=7),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    "ALGORITHM": "HS256",
    "SIGNING_KEY": env("DJANGO_JWT_SIGNING_KEY", default=SECRET_KEY),
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "user_id",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Augeo API",
    "DESCRIPTION": "Nonprofit fundraising galas: NPOs, events, attendance, auctions.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI and Redoc from drf-spectacular-sidecar's static files (pinned; no CDN).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "ENUM_NAME_OVERRIDES": {
        "EventStatusEnum": "apps.events.models.EventStatus",
        "EventMediaStatusEnum": "apps.events.models.MediaStatus",
        "EventMediaKindEnum": "apps.events.models.MediaKind",
        "EventLinkKindEnum": "apps.events.models.LinkKind",
        "SponsorLogoSizeEnum": "apps.events.models.LogoSize",
        "RegistrationStatusEnum": "apps.attendance.models.RegistrationStatus",
        "RegistrationSourceEnum": "apps.attendance.models.RegistrationSource",
        "ItemStatusEnum": "apps.auctions.models.ItemStatus",
        "ItemKindEnum": "apps.auctions.models.ItemKind",
        "PledgeSourceEnum": "apps.auctions.models.PledgeSource",
        "NPOStatusEnum": "apps.npos.models.NPOStatus",
        "MembershipStatusEnum": "apps.npos.models.MembershipStatus",
        "InvitationStatusEnum": "apps.npos.models.InvitationStatus",
        "PaymentMethodEnum": "apps.checkout.models.PaymentMethod",
        "ProviderStatusEnum": "apps.checkout.models.ProviderStatus",
        "DonationSourceEnum": "apps.checkout.models.DonationSource",
    },
}

# --- Internationalisation -----------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
FORMAT_MODULE_PATH = ["augeo.formats"]  # every formatted time carries its zone's abbreviation
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Security (production tightens further) -----------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True


def _blob_origin(connection_string: str) -> str | None:
    """The origin SAS image URLs point at (the admin shows item pictures, logos)."""
    parts = dict(p.split("=", 1) for p in connection_string.split(";") if "=" in p)
    if parts.get("BlobEndpoint"):
        endpoint = urlsplit(parts["BlobEndpoint"])
        return f"{endpoint.scheme}://{endpoint.netloc}"
    if parts.get("AccountName"):
        protocol = parts.get("DefaultEndpointsProtocol", "https")
        return f"{protocol}://{parts['AccountName']}.blob.{parts.get('EndpointSuffix', 'core.windows.net')}"
    return None


# Content-Security-Policy on every HTML page (django-csp): the admin, the browsable API and Swagger UI
# (served from drf-spectacular-sidecar, its start-up script a separate file) run without inline
# scripts. Styles allow 'unsafe-inline' (the admin and Swagger UI set style attributes); images may
# come from blob storage (SAS URLs) and data: URIs (Swagger UI's icons).
_IMG_SRC = [SELF, "data:"]
if _blob_origin(AZURE_CONNECTION_STRING):
    _IMG_SRC.append(str(_blob_origin(AZURE_CONNECTION_STRING)))
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, "'unsafe-inline'"],
        "img-src": _IMG_SRC,
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# --- Logging ------------------------------------------------------------------------------------
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

# --- Background work (docs/background-work.md, apps/core/tasks.py) ------------------------------
# "database": tasks are rows of django-tasks-db's table, written in the business transaction and run
# by `manage.py run_worker` processes (production, CI's worker tests). "immediate": the embedded
# default, a task runs in the process that enqueued it right after commit (nothing else to start).
TASK_BACKENDS = {
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
    "database": "django_tasks_db.DatabaseBackend",
}
AUGEO_TASKS_BACKEND = env.str("AUGEO_TASKS_BACKEND", default="immediate")
if AUGEO_TASKS_BACKEND not in TASK_BACKENDS:
    raise ImproperlyConfigured(f"AUGEO_TASKS_BACKEND must be one of {', '.join(TASK_BACKENDS)}.")
TASKS = {"default": {"BACKEND": TASK_BACKENDS[AUGEO_TASKS_BACKEND], "QUEUES": ["default"]}}
# The outbox (apps/core/outbox.py): attempts before a row ends `failed`, the retry backoff (doubling
# from the base, capped), how long a claimed row belongs to its worker before the sweep takes it back
# (longer than any SMTP exchange: every step has a 10 s timeout), and how old a pending row must be
# before the sweep believes its task lost.
AUGEO_OUTBOX_MAX_ATTEMPTS = env.int("AUGEO_OUTBOX_MAX_ATTEMPTS", default=8)
AUGEO_OUTBOX_RETRY_SECONDS = env.int("AUGEO_OUTBOX_RETRY_SECONDS", default=30)
AUGEO_OUTBOX_RETRY_MAX_SECONDS = env.int("AUGEO_OUTBOX_RETRY_MAX_SECONDS", default=3600)
AUGEO_OUTBOX_LEASE_SECONDS = env.int("AUGEO_OUTBOX_LEASE_SECONDS", default=300)
AUGEO_OUTBOX_REQUEUE_SECONDS = env.int("AUGEO_OUTBOX_REQUEUE_SECONDS", default=300)
# A task still RUNNING after this long lost its worker (killed, crashed): the sweep marks it FAILED.
AUGEO_TASK_LOST_SECONDS = env.int("AUGEO_TASK_LOST_SECONDS", default=900)
# What `manage.py run_scheduler` enqueues, and how often (seconds). Closing every 5 s keeps items
# closed within 15 s of `closes_at` (5 s + the worker's 1 s poll + the close itself).
AUGEO_SCHEDULE = {
    "close-due-items": {
        "task": "apps.auctions.tasks.close_due_items",
        "every": env.int("AUGEO_CLOSE_EVERY_SECONDS", default=5),
    },
    "sweep-outbox": {"task": "apps.core.tasks.sweep_outbox", "every": env.int("AUGEO_SWEEP_EVERY_SECONDS", default=30)},
    "retry-privacy-exports": {
        "task": "apps.legal.tasks.retry_privacy_exports",
        "every": env.int("AUGEO_EXPORT_RETRY_EVERY_SECONDS", default=300),
    },
    "prune-expired": {
        "task": "apps.core.tasks.prune_expired",
        "every": env.int("AUGEO_PRUNE_EVERY_SECONDS", default=3600),
    },
}

# --- Augeo --------------------------------------------------------------------------------------
AUGEO_MAX_IMAGE_BYTES = env.int("AUGEO_MAX_IMAGE_BYTES", default=5 * 1024 * 1024)
AUGEO_MAX_IMAGE_PIXELS = env.int("AUGEO_MAX_IMAGE_PIXELS", default=40_000_000)
AUGEO_MAX_MEDIA_BYTES = env.int("AUGEO_MAX_MEDIA_BYTES", default=25 * 1024 * 1024)
AUGEO_MAX_EVENT_MEDIA_BYTES = env.int("AUGEO_MAX_EVENT_MEDIA_BYTES", default=200 * 1024 * 1024)
# The anonymous catalogue and the event totals are served from the shared cache for at most this
# many seconds (apps/core/public_cache.py; invalidated by every committed bid/sale/pledge); 0 = off.
AUGEO_PUBLIC_CACHE_SECONDS = env.float("AUGEO_PUBLIC_CACHE_SECONDS", default=1.0)
if not 0 <= AUGEO_PUBLIC_CACHE_SECONDS <= 1:
    raise ImproperlyConfigured("AUGEO_PUBLIC_CACHE_SECONDS must be between 0 and 1 (issue 13: at most 1 s).")
# Markdown fields (event/item/NPO descriptions, legal documents): longer text is a 400; the HTML is
# rendered once on save (apps.core.text) with a nesting and a time bound.
AUGEO_MAX_MARKDOWN_CHARS = env.int("AUGEO_MAX_MARKDOWN_CHARS", default=20_000)
# Every money input (bids, sales, pledges, item prices, goals...) is at most this (apps/core/money.py).
# Twice the ceiling must fit a DECIMAL(12, 2) column: the minimum next bid is a current bid plus an
# increment, each at most the ceiling.
AUGEO_MAX_AMOUNT = Decimal(env.str("AUGEO_MAX_AMOUNT", default="1000000.00"))
if not Decimal("0") < AUGEO_MAX_AMOUNT <= Decimal("4999999999.99"):
    raise ImproperlyConfigured("AUGEO_MAX_AMOUNT must be between 0.01 and 4999999999.99.")
# How long the link in a guest's invitation e-mail can be accepted, and how many invitation e-mails
# one guest / one registration may trigger per 24 hours (apps/attendance/services/invitations.py).
GUEST_INVITATION_TTL = timedelta(days=env.int("GUEST_INVITATION_TTL_DAYS", default=30))
GUEST_INVITATIONS_PER_GUEST_PER_DAY = env.int("GUEST_INVITATIONS_PER_GUEST_PER_DAY", default=3)
GUEST_INVITATIONS_PER_REGISTRATION_PER_DAY = env.int("GUEST_INVITATIONS_PER_REGISTRATION_PER_DAY", default=20)
IDEMPOTENCY_KEY_TTL = timedelta(hours=24)
# Audit entries older than this are removed by `manage.py prune_expired` (product.md §10).
AUDIT_RETENTION_DAYS = env.int("AUDIT_RETENTION_DAYS", default=365)
# Seconds /health/ready/ waits for the cache and storage checks before reporting them as down.
HEALTH_CHECK_TIMEOUT = env.float("HEALTH_CHECK_TIMEOUT", default=2.0)
# Seconds a process reuses its /health/ready/ answer (a public path: its checks run at most once per
# period whatever the request rate); 0 runs them on every call.
HEALTH_READY_CACHE_SECONDS = env.float("HEALTH_READY_CACHE_SECONDS", default=5.0)
CSRF_FAILURE_VIEW = "apps.core.views.csrf_failure"
# Live updates (apps/live): a socket whose outgoing queue holds this many messages is a slow client
# and is dropped (it reconnects and re-reads the REST API); a broadcast waits at most
# LIVE_PUBLISH_TIMEOUT seconds for the channel layer, on a background thread, never in a request.
LIVE_SOCKET_QUEUE = env.int("AUGEO_LIVE_SOCKET_QUEUE", default=256)
LIVE_PUBLISH_TIMEOUT = env.float("AUGEO_LIVE_PUBLISH_TIMEOUT", default=1.0)
LIVE_PUBLISH_QUEUE = env.int("AUGEO_LIVE_PUBLISH_QUEUE", default=10_000)
# Joining a room (apps/live/auth.py, tickets.py): a connect ticket (POST /api/v1/live/tickets/) is
# valid this many seconds, once. The JWT in `?token=` is deprecated (it lands in access logs); false
# refuses it now (4401) instead of at the end of the deprecation period.
LIVE_TICKET_SECONDS = env.int("AUGEO_LIVE_TICKET_SECONDS", default=30)
LIVE_ACCEPT_TOKEN_PARAM = env.bool("AUGEO_LIVE_ACCEPT_TOKEN_PARAM", default=True)
# Open sockets (apps/live/limits.py): at most this many per signed-in user and per client IP (a gala
# room shares one public IP: hundreds of guests with a phone each, a second tab, the projector, the
# clerks' screens), counted across processes in Redis; over the cap the socket closes with 4429.
# Every LIVE_RECHECK_SECONDS a socket re-checks its user (active, not signed out everywhere, session
# alive, consent) and the event's visibility, and renews its place in the count (a crashed process's
# sockets drop out of the count after three missed renewals). A client sending more than
# LIVE_CLIENT_FRAMES frames in 10 seconds (a ping every 25 s is the protocol) is closed with 1008.
LIVE_MAX_SOCKETS_PER_USER = env.int("AUGEO_LIVE_MAX_SOCKETS_PER_USER", default=10)
LIVE_MAX_SOCKETS_PER_IP = env.int("AUGEO_LIVE_MAX_SOCKETS_PER_IP", default=1000)
LIVE_RECHECK_SECONDS = env.float("AUGEO_LIVE_RECHECK_SECONDS", default=60.0)
LIVE_CLIENT_FRAMES = env.int("AUGEO_LIVE_CLIENT_FRAMES", default=20)
# Checkout (apps/checkout): the payment provider for cards on file. `embedded` records every call in
# the database and succeeds, except for amounts ending in .13 (declined, so demos and tests can show a
# decline); `stripe` uses the stripe library with these keys. STRIPE_API_BASE points the library at
# another host (the tests' local fake Stripe). A pending card payment older than
# PAYMENT_PENDING_RESOLVE_SECONDS is resolved by asking the provider (charge_balances).
PAYMENT_PROVIDER = env.str("PAYMENT_PROVIDER", default="embedded")
if PAYMENT_PROVIDER not in ("embedded", "stripe"):
    raise ImproperlyConfigured("PAYMENT_PROVIDER must be 'embedded' or 'stripe'.")
# Production settings turn this on: every process then logs a warning at start-up while the embedded
# provider (which approves every charge) is in use (apps.checkout.apps).
PAYMENT_PROVIDER_WARN_EMBEDDED = False
STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY", default="")
STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET", default="")
STRIPE_API_BASE = env.str("STRIPE_API_BASE", default="")
STRIPE_TIMEOUT_SECONDS = env.float("STRIPE_TIMEOUT_SECONDS", default=20.0)
PAYMENT_PENDING_RESOLVE_SECONDS = env.int("PAYMENT_PENDING_RESOLVE_SECONDS", default=600)
# JSON bodies nested deeper than this are refused (400) before any view sees them.
AUGEO_MAX_JSON_DEPTH = env.int("AUGEO_MAX_JSON_DEPTH", default=32)

# Legal (apps.legal): where contact-form messages are e-mailed (empty: stored only), and how long a
# process keeps the current document versions the consent gate compares against (a publish in
# another process is enforced within this many seconds).
AUGEO_CONTACT_EMAIL = env.str("AUGEO_CONTACT_EMAIL", default="contact@augeo.local")
AUGEO_LEGAL_CACHE_SECONDS = env.float("AUGEO_LEGAL_CACHE_SECONDS", default=10.0)

# /metrics: a bearer token (Prometheus `authorization: credentials`) or a source network.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
METRICS_ALLOWED_CIDRS = cidr_list("METRICS_ALLOWED_CIDRS", ["127.0.0.0/8", "::1/128"])
