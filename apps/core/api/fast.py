"""Value formatting for the hand-written read paths of the hottest answers.

A DRF ``ModelSerializer`` builds its fields per instance (``get_fields``: a deep copy of the
declared fields plus model introspection) and then spends two method calls per field per row
(``get_attribute`` + ``to_representation``): for a catalogue page of 20 items with 28 fields that
was most of the request. The hot read serializers (items, the bid answer, ``users/me``, guest
search rows) therefore build their dicts directly with these helpers, which format exactly as
DRF's fields do under this project's settings (``COERCE_DECIMAL_TO_STRING``, ISO 8601 with ``Z``),
and each keeps its declared fields for the schema and writes. Every hand-written path has a test
comparing it with DRF's generic output for the same rows, so a field added to the serializer and
not to the fast path fails the suite.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone

_CENT = Decimal("0.01")


def money(value: Any) -> str | None:
    """A 2-place decimal as DRF's ``DecimalField(decimal_places=2)`` renders it (None stays None)."""
    if value is None:
        return None
    if not isinstance(value, Decimal):
        value = Decimal(str(value).strip())
    return f"{value.quantize(_CENT):f}"


def instant(value: datetime.datetime | None) -> str | None:
    """A datetime as DRF's ``DateTimeField`` renders it: current time zone, ISO 8601, ``Z`` for UTC."""
    if not value:
        return None
    if timezone.is_aware(value):
        value = value.astimezone(timezone.get_current_timezone())
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def day(value: datetime.date | None) -> str | None:
    """A date as DRF's ``DateField`` renders it."""
    return value.isoformat() if value else None


def uid(value: Any) -> str | None:
    """A UUID (primary key or foreign key id) as a string; None stays None."""
    return None if value is None else str(value)
