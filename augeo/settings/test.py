"""Test settings: fast hashing, e-mail kept in memory, throttles out of the way by default.

Service variables (DATABASE_URL, REDIS_URL, AZURE_STORAGE_CONNECTION_STRING) are honoured, so the
same suite runs on the embedded default and on the real services that ``.ci/run`` starts.
"""

from .base import *  # noqa: F403
from .base import REST_FRAMEWORK, THROTTLE_RATES

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = "/tmp/augeo-test-media"  # noqa: S108 - tests only; conftest isolates per test
# Throttling is tested explicitly (tests override these); high defaults keep other tests stable.
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": dict.fromkeys(THROTTLE_RATES, "100000/min"),
}
# Inline, so tests can assert on mail.outbox right after the request (one test covers the pool).
AUGEO_NOTIFICATIONS_ASYNC = False
