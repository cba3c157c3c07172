"""Schemathesis hooks for ``scripts/fuzz.sh`` (loaded through ``SCHEMATHESIS_HOOKS``).

Adds the ``error_envelope`` check: api.md "Conventions" promises one error shape under ``/api/``,
``{"error": {"code": str, "message": str, "fields"?: {...}}}`` with a JSON content type, for every
4xx/5xx — never an HTML page, never DRF's bare ``{"detail": ...}``.
"""

from __future__ import annotations

import json
from typing import Any

import schemathesis


@schemathesis.check
def error_envelope(ctx: Any, response: Any, case: Any) -> None:
    """Every error answer under /api/ is the JSON envelope of api.md."""
    if response.status_code < 400:
        return
    content_type = response.headers.get("Content-Type", response.headers.get("content-type", ""))
    if isinstance(content_type, list):
        content_type = content_type[0] if content_type else ""
    if "json" not in content_type:
        raise AssertionError(f"error {response.status_code} is not JSON (Content-Type: {content_type!r})")
    try:
        body = json.loads(response.content)
    except ValueError as exc:
        raise AssertionError(f"error {response.status_code} body is not valid JSON") from exc
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        raise AssertionError(f"error {response.status_code} has no 'error' object: {str(body)[:200]}")
    if not isinstance(error.get("code"), str) or not isinstance(error.get("message"), str):
        raise AssertionError(f"error {response.status_code} lacks a string code/message: {str(error)[:200]}")
    if "fields" in error and not isinstance(error["fields"], dict):
        raise AssertionError(f"error {response.status_code} has non-object 'fields': {str(error)[:200]}")
