"""WebSocket routes (api.md "Live updates") and the ASGI application of ``augeo/asgi.py``."""

from __future__ import annotations

from typing import Any

from channels.routing import ProtocolTypeRouter, URLRouter
from django.urls import path, re_path

from apps.live.auth import LiveAuthStack
from apps.live.consumers import EventConsumer, NoRouteConsumer

websocket_urlpatterns = [
    path("ws/events/<str:event_id>/", EventConsumer.as_asgi()),
    re_path(r"", NoRouteConsumer.as_asgi()),
]


def application_build(http_application: Any) -> Any:
    """HTTP to Django, WebSocket to the event consumer behind the live authentication."""
    return ProtocolTypeRouter({"http": http_application, "websocket": LiveAuthStack(URLRouter(websocket_urlpatterns))})
