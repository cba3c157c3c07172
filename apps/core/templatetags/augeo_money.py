"""``{{ value|money:currency }}`` → ``USD 1,234.50``; ``{{ value|money }}`` → ``1,234.50`` (a column
whose header names the currency). One formatter, :func:`apps.core.money.money_format`, for every
page, e-mail and printed receipt; the value may be a ``Decimal`` or a snapshot's ``"1234.50"``."""

from __future__ import annotations

from typing import Any

from django import template

from apps.core.money import money_format

register = template.Library()


@register.filter
def money(value: Any, currency: str = "") -> str:
    return money_format(value, currency or "")
