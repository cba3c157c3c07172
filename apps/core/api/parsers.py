"""The JSON parser of every API view: DRF's, plus a bound on nesting.

``"[" * 200000`` made Python's decoder raise ``RecursionError`` (a 500, on any endpoint that reads a
body); and a structure just under the interpreter's limit still parses, only to blow up later in
validation, the JSON field's encoder or the database. Nesting deeper than ``AUGEO_MAX_JSON_DEPTH``
(32 — no body of this API needs more than a few levels) is refused as malformed: 400
``VALIDATION_ERROR`` with ``fields.body``, before any view sees the data.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework import parsers
from rest_framework.exceptions import ParseError


def json_depth_exceeds(data: Any, limit: int) -> bool:
    """Iterative (an explicit stack), so checking a deep document cannot recurse either."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children: Any = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser with the nesting bound of the module docstring."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        limit = int(getattr(settings, "AUGEO_MAX_JSON_DEPTH", 32))
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise ParseError(f"JSON nested deeper than {limit} levels.") from exc
        if json_depth_exceeds(data, limit):
            raise ParseError(f"JSON nested deeper than {limit} levels.")
        return data


class MultiPartParser(parsers.MultiPartParser):
    """DRF's multipart parser, refusing a body without a single part.

    Django's parser reads a malformed body (``--boundary\\r\\nFalse--boundary--``) as an empty form, so
    a PATCH carrying garbage was answered 200 as "nothing to change". An upload endpoint that means
    "no change" can be sent ``{}`` as JSON.
    """

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        result = super().parse(stream, media_type, parser_context)
        if not result.data and not result.files:
            raise ParseError("The multipart body has no parts.")
        return result
