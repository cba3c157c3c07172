"""Test settings: fast hashing, e-mail kept in memory, throttles out of the way by default.

Service variables (DATABASE_URL, REDIS_URL, AZURE_STORAGE_CONNECTION_STRING) are honoured, so the
same suite runs on the embedded default and on the real services that ``.ci/run`` starts.
"""

import os
from urllib.parse import urlsplit, urlunsplit

from .base import *  # noqa: F403
from .base import CACHES, CHANNEL_LAYER_KIND, REDIS_URL, REST_FRAMEWORK, THROTTLE_RATES, channel_layers

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = "/tmp/augeo-test-media"  # noqa: S108 - tests only; conftest isolates per test
# Throttling is tested explicitly (tests override these); high defaults keep other tests stable.
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": dict.fromkeys(THROTTLE_RATES, "100000/min"),
}
# Reads of state a test has just changed through the ORM must not come from the public cache; its
# own tests (apps/auctions/tests/test_public_cache.py) turn it on.
AUGEO_PUBLIC_CACHE_SECONDS = 0
# Likewise the readiness probe's reused answer (its own test turns it on).
HEALTH_READY_CACHE_SECONDS = 0
# Worker and scheduler processes started by the queue tests (apps/core/tests/test_queue_pg.py)
# deliver to the test's local SMTP server; the test process itself keeps the locmem backend.
if os.environ.get("AUGEO_TEST_SMTP_PORT"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = "127.0.0.1"
    EMAIL_PORT = int(os.environ["AUGEO_TEST_SMTP_PORT"])
    EMAIL_USE_TLS = EMAIL_USE_SSL = False
    EMAIL_HOST_USER = EMAIL_HOST_PASSWORD = ""

# pytest-xdist: each worker gets its own Redis database, because tests clear the cache (FLUSHDB)
# and one worker's flush must not wipe another's throttle or cache state mid-test. Databases are
# already separate (pytest-django suffixes the test database name per worker).
_XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
if REDIS_URL and _XDIST_WORKER.startswith("gw"):
    _parts = urlsplit(REDIS_URL)
    _base_db = int((_parts.path or "/0").lstrip("/") or 0)
    REDIS_URL = urlunsplit(_parts._replace(path=f"/{_base_db + 1 + int(_XDIST_WORKER[2:])}"))
    CACHES["default"]["LOCATION"] = REDIS_URL
# The channel layer follows (its pub/sub prefix carries the database number, so workers never
# hear each other's broadcasts).
CHANNEL_LAYERS = channel_layers(REDIS_URL, CHANNEL_LAYER_KIND)
