"""The channel layer of the live updates (apps/live): Redis when ``REDIS_URL`` is set."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from .cache import REDIS_URL
from .environment import env

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
