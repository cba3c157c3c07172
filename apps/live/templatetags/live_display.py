"""Formatting for the projector display (the same rules as static/live/display.js)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django import template
from django.utils import timezone

register = template.Library()

SYMBOLS = {"USD": "$", "CAD": "$", "AUD": "$", "NZD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹"}


@register.filter
def money(value: Any, currency: str = "USD") -> str:
    """``"12345.50"`` → ``$12,345.50``; whole amounts without cents (legible from the back)."""
    if value in (None, ""):
        return "—"
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    text = f"{amount:,.0f}" if amount == amount.to_integral_value() else f"{amount:,.2f}"
    symbol = SYMBOLS.get(currency)
    return f"{symbol}{text}" if symbol else f"{text} {currency}"


@register.filter
def countdown(value: Any) -> str:
    """Time left until an ISO datetime: ``1:02:03`` / ``4:05``; ``closing`` once it has passed."""
    if not value:
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    seconds = int((moment - timezone.now()).total_seconds())
    if seconds <= 0:
        return "closing"
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@register.filter
def percent_width(value: Any) -> str:
    """The thermometer's fill, 0-100 (a goal can be passed)."""
    try:
        return str(max(0.0, min(float(value or 0), 100.0)))
    except (TypeError, ValueError):
        return "0"
