"""The API root (the browsable entry point at ``/api/v1/``) and the served OpenAPI schema."""

from __future__ import annotations

import threading
from typing import Any

from django.core.signals import setting_changed
from django.dispatch import receiver
from drf_spectacular.settings import patched_settings
from drf_spectacular.utils import OpenApiResponse, extend_schema
from drf_spectacular.views import SpectacularAPIView
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from apps.core.api.base import APIView

ENTRY_POINTS = {
    "auth_login": "auth/login/",
    "auth_register": "auth/register/",
    "me": "users/me/",
    "npos": "npos/",
    "events": "events/",
    "public_events": "public/events/",
    "registrations": "registrations/",
    "legal_documents": "legal/documents/",
    "consent_status": "consent/status/",
    "schema": "/api/schema/",
    "docs": "/api/docs/",
}


class ApiRootView(APIView):
    """Links to the main collections, so a browser landing on ``/api/v1/`` can navigate the API.

    Public: it reveals nothing but the shape of the API, which the schema documents anyway.
    """

    permission_classes = [AllowAny]

    @extend_schema(responses={200: OpenApiResponse(description="Links to the main collections.")})
    def get(self, request: Request) -> Response:
        base = request.build_absolute_uri("/api/v1/")
        return Response(
            {
                name: request.build_absolute_uri(path) if path.startswith("/") else f"{base}{path}"
                for name, path in ENTRY_POINTS.items()
            }
        )


# --- the served schema -----------------------------------------------------------------------------

_schema_cache: dict[str, Any] = {}
_schema_lock = threading.Lock()


@receiver(setting_changed)
def _schema_cache_clear(**kwargs: Any) -> None:
    """Tests that change settings (throttles, auth classes) must not read a stale schema."""
    _schema_cache.clear()


class CachedSchemaView(SpectacularAPIView):
    """``/api/schema/``: generated once per process on first use, then served from memory.

    Generating it costs about a second of CPU, and the document is the same for everyone (it is built
    with ``public=True`` and documents no per-user state), so regenerating it on every anonymous
    request handed out free CPU. ``?lang=`` and ``?version=`` are ignored (the API has neither
    translations nor versions), which also keeps the cache at one entry.
    """

    @extend_schema(exclude=True)
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        schema = _schema_cache.get("schema")
        if schema is None:
            with _schema_lock:
                schema = _schema_cache.get("schema")
                if schema is None:
                    with patched_settings(self.custom_settings):
                        generator = self.generator_class(urlconf=self.urlconf, patterns=self.patterns)
                        schema = generator.get_schema(request=request, public=self.serve_public)
                    _schema_cache["schema"] = schema
        filename = self._get_filename(request, None)
        return Response(
            data=schema,
            headers={"Content-Disposition": f'inline; filename="{filename}"', "Cache-Control": "public, max-age=300"},
        )
