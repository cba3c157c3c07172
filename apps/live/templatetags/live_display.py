"""Formatting for the projector display (the same rules as static/live/display.js)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import template
from django.utils import timezone

from apps.core.money import money_format

register = template.Library()


@register.filter
def display_money(value: Any, currency: str = "USD") -> str:
    """``"12345.50"`` → ``$12,345.50``; whole amounts without cents (legible from the back):
    :func:`apps.core.money.money_format`'s ``"display"`` style."""
    return money_format(value, currency, style="display")


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
