"""The cache: Redis when ``REDIS_URL`` is set, else local memory."""

from __future__ import annotations

from .environment import env

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
