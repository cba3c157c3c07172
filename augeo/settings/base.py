"""Settings shared by every environment.

Everything that differs between a laptop, CI and production is read from environment variables
(django-environ); the variable names are a contract listed in docs/configuration.md and product.md
"Configuration". ``local``, ``test`` and ``production`` only change defaults and hardening.

Each integration has its own module, imported here: ``environment`` (the environment, the secret key),
``database``, ``cache`` (Redis), ``channels``, ``storage`` (Azure Blob Storage), ``mail``, ``jwt``,
``logging``, ``tasks`` (background work), ``live`` (the sockets), ``payments``. This module keeps
what is the project's own: apps, middleware, auth, the REST framework and the API schema, security
headers and the application's limits.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

# The integrations, one module each (augeo/settings/<name>.py); ``local``, ``test`` and
# ``production`` import everything from here.
from .cache import *  # noqa: F403
from .channels import *  # noqa: F403
from .database import *  # noqa: F403
from .environment import *  # noqa: F403
from .environment import BASE_DIR, cidr_list, env
from .jwt import *  # noqa: F403
from .live import *  # noqa: F403
from .logging import *  # noqa: F403
from .mail import *  # noqa: F403
from .payments import *  # noqa: F403
from .storage import *  # noqa: F403
from .storage import AZURE_CONNECTION_STRING
from .tasks import *  # noqa: F403

DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "augeo.backoffice.apps.AugeoAdminConfig",  # django.contrib.admin with the branded site (augeo/backoffice)
    "augeo.backoffice.apps.BackofficeConfig",  # the project's back office (above every app)
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
        from urllib.parse import urlsplit

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

# --- Augeo --------------------------------------------------------------------------------------
AUGEO_MAX_IMAGE_BYTES = env.int("AUGEO_MAX_IMAGE_BYTES", default=5 * 1024 * 1024)
AUGEO_MAX_IMAGE_PIXELS = env.int("AUGEO_MAX_IMAGE_PIXELS", default=40_000_000)
AUGEO_MAX_MEDIA_BYTES = env.int("AUGEO_MAX_MEDIA_BYTES", default=25 * 1024 * 1024)
AUGEO_MAX_EVENT_MEDIA_BYTES = env.int("AUGEO_MAX_EVENT_MEDIA_BYTES", default=200 * 1024 * 1024)
# The anonymous catalogue and the event totals are served from the shared cache for at most this
# many seconds (apps/core/public_cache.py; invalidated by every committed bid/sale/pledge); 0 = off.
AUGEO_PUBLIC_CACHE_SECONDS = env.float("AUGEO_PUBLIC_CACHE_SECONDS", default=1.0)
if not 0 <= AUGEO_PUBLIC_CACHE_SECONDS <= 1:
    raise ImproperlyConfigured("AUGEO_PUBLIC_CACHE_SECONDS must be between 0 and 1 (a public read is at most 1 s old).")
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
