"""Serializer fields with the project's input rules, for every API body.

``StrictBooleanField``: a boolean in a request body is a JSON ``true`` or ``false`` (api.md: JSON in).
DRF's ``BooleanField`` also takes ``"yes"``, ``"on"``, ``1``, ``"0"`` and ``"True"`` — a client sending
``{"open": "no"}`` or ``{"phone_pledges": 1}`` was understood instead of told; here anything else is
400 ``VALIDATION_ERROR`` naming the field. A multipart upload (its form has no JSON types) may say
exactly ``true`` or ``false``, the spelling the API's query parameters use too.
"""

from __future__ import annotations

from typing import Any

from django.http import QueryDict
from rest_framework import serializers

from apps.core.exceptions import ValidationFailed


class StrictBooleanField(serializers.BooleanField):
    """``true``/``false`` as JSON booleans (as the strings ``"true"``/``"false"`` in a multipart form)."""

    default_error_messages = {"invalid": 'Must be true or false (a JSON boolean), not "{input}".'}

    def to_internal_value(self, data: Any) -> bool:
        if data is True or data is False:  # (``1 in {True}`` is true: compare identities, not values)
            return data
        if isinstance(data, str) and data in ("true", "false") and self._from_form():
            return data == "true"
        self.fail("invalid", input=str(data)[:20])
        raise AssertionError("unreachable")  # pragma: no cover - fail() raises

    def _from_form(self) -> bool:
        return isinstance(getattr(self.root, "initial_data", None), QueryDict)


def strict_bool(raw: Any, field: str, *, form: bool = False) -> bool:
    """An optional boolean read outside a serializer (absent or ``null`` = false), by the same rule."""
    if raw is None:
        return False
    if raw is True or raw is False:
        return raw
    if form and raw in ("true", "false"):
        return raw == "true"
    raise ValidationFailed(message=f"{field}: must be true or false.", fields={field: ["Must be true or false."]})
