"""``?format=csv`` support: a renderer DRF's content negotiation can select (so the query parameter is
accepted), while the views build the CSV themselves from *every* matching row, not one page, with the
platform's one CSV-safety helper (``apps.core.csv_export``)."""

from __future__ import annotations

from typing import Any

from rest_framework.renderers import BaseRenderer, JSONRenderer


class CSVRenderer(BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        # Only reached for errors (views return their own HttpResponse for the export): JSON text.
        return JSONRenderer().render(data)


class CSVExportMixin:
    """Errors on a ``?format=csv`` request are still the JSON envelope."""

    def handle_exception(self, exc: Exception) -> Any:
        response = super().handle_exception(exc)  # type: ignore[misc]
        request = self.request  # type: ignore[attr-defined]
        if isinstance(getattr(request, "accepted_renderer", None), CSVRenderer):
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = JSONRenderer.media_type
        return response
