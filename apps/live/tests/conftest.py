"""Fixtures of the live tests: the channel layer under test (in-memory, and Redis pub/sub when
``REDIS_URL`` is set — the production path, through the publisher's background thread)."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings as django_settings

from augeo.settings.base import channel_layers


@pytest.fixture(
    params=[
        "memory",
        pytest.param("redis", marks=pytest.mark.redis),
    ]
)
def layer(request: Any, settings: Any) -> str:
    """Runs the test once on the in-memory layer and once on Redis pub/sub."""
    if request.param == "memory":
        settings.CHANNEL_LAYERS = channel_layers("")
    else:
        settings.CHANNEL_LAYERS = channel_layers(django_settings.REDIS_URL or "redis://127.0.0.1:1/0", "pubsub")
    return str(request.param)


@pytest.fixture
def memory_layer(settings: Any) -> None:
    settings.CHANNEL_LAYERS = channel_layers("")


@pytest.fixture(autouse=True)
def _socket_counts_fresh() -> Any:
    """The embedded default counts sockets in this process (apps.live.limits); each test starts at
    zero (Redis counts are emptied with the cache by the project's conftest)."""
    from apps.live.limits import local_counts

    local_counts.clear()
    yield
    local_counts.clear()
