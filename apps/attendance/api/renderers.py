"""``?format=csv`` support: a renderer DRF's content negotiation can select (so the query parameter is
accepted), while the views build the CSV themselves from *every* matching row, not one page."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from django.http import HttpResponse
from rest_framework.renderers import BaseRenderer, JSONRenderer


class CSVRenderer(BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        # Only reached for errors (views return their own HttpResponse for the export): JSON text.
        return JSONRenderer().render(data)


def csv_response(filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> HttpResponse:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if value is None else _safe(value) for value in row])
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _safe(value: Any) -> Any:
    """Neutralise spreadsheet formulas in user-entered text (CSV injection)."""
    if not isinstance(value, str) or not value:
        return value
    if value[0] in "+-" and value[1:].translate(_PHONE_PUNCTUATION).isdigit():
        return value  # a phone number such as +14155550123
    if value[0] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


_PHONE_PUNCTUATION = str.maketrans("", "", " -().")


class CSVExportMixin:
    """Errors on a ``?format=csv`` request are still the JSON envelope."""

    def handle_exception(self, exc: Exception) -> Any:
        response = super().handle_exception(exc)  # type: ignore[misc]
        request = self.request  # type: ignore[attr-defined]
        if isinstance(getattr(request, "accepted_renderer", None), CSVRenderer):
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = JSONRenderer.media_type
        return response
