"""Server-side SVG charts for the event dashboard: no JavaScript, no network, nothing to vendor, and
they work under the project's Content-Security-Policy (no inline script). Each function returns
safe SVG markup built from numbers only (labels are escaped)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from html import escape
from typing import Any

from django.utils.safestring import SafeString, mark_safe

from apps.core.money import money_format

PALETTE = ["#2f6fb0", "#d9822b", "#3a9d5d", "#8e5bb5", "#c8434e", "#5a6270"]


def _text(x: float, y: float, text: str, *, size: int = 13, fill: str = "#222", bold: bool = False) -> str:
    """A ``<text>`` element; ``text`` is escaped here, so callers pass plain strings."""
    weight = ' font-weight="bold"' if bold else ""
    return f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" fill="{fill}"{weight}>{escape(text)}</text>'


def _svg(
    width: float, height: float, label: str, parts: Sequence[str], *, css: str = "chart", fixed: bool = False
) -> str:
    size = f'width="{width}"' if fixed else 'width="100%"'
    return (
        f'<svg class="{css}" viewBox="0 0 {width} {height}" {size} role="img" aria-label="{escape(label)}" '
        f'xmlns="http://www.w3.org/2000/svg">{"".join(parts)}</svg>'
    )


def bars(rows: Sequence[tuple[str, Decimal]], *, currency: str, width: int = 520) -> SafeString:
    """Horizontal bars, one per (label, amount)."""
    row_h, label_w, pad = 34, 130, 8
    top = max((amount for _, amount in rows), default=Decimal("0")) or Decimal("1")
    chart_w = width - label_w - 120
    parts = []
    for i, (label, amount) in enumerate(rows):
        y = i * row_h + pad
        w = max(float(amount / top) * chart_w, 1.5 if amount else 0)
        colour = PALETTE[i % len(PALETTE)]
        parts.append(_text(0, y + 17, label, fill="#333"))
        parts.append(f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="20" rx="3" fill="{colour}"/>')
        parts.append(_text(label_w + w + 6, y + 17, money_format(amount, currency)))
    svg = _svg(width, row_h * len(rows) + pad, "Raised by source", parts)
    return mark_safe(svg)  # noqa: S308 - numbers and escaped labels only


def split_bar(collected: Decimal, outstanding: Decimal, *, currency: str, width: int = 520) -> SafeString:
    """One bar: collected vs outstanding, with a legend."""
    total = collected + outstanding
    share = float(collected / total) if total else 0.0
    w = width - 2
    half = width // 2
    parts = [
        f'<rect x="1" y="4" width="{w}" height="26" rx="4" fill="#e7c9a5"/>',
        f'<rect x="1" y="4" width="{share * w:.1f}" height="26" rx="4" fill="#3a9d5d"/>',
        '<rect x="1" y="44" width="12" height="12" fill="#3a9d5d"/>',
        _text(18, 55, f"Collected {money_format(collected, currency)} ({share * 100:.0f}%)"),
        f'<rect x="{half + 10}" y="44" width="12" height="12" fill="#e7c9a5"/>',
        _text(half + 28, 55, f"Outstanding {money_format(outstanding, currency)}"),
    ]
    return mark_safe(_svg(width, 70, "Collected vs outstanding", parts))  # noqa: S308


def thermometer(raised: Decimal, goal: Decimal | None, *, currency: str) -> SafeString:
    """A vertical thermometer of raised against the goal (full when there is no goal)."""
    height, tube_top, tube_bottom = 260, 14, 210
    share = float(min(raised / goal, Decimal("1"))) if goal else 1.0
    level = tube_bottom - share * (tube_bottom - tube_top)
    percent = f"{float(raised * 100 / goal):.0f}% of {money_format(goal, currency)}" if goal else "no goal set"
    label_y = max(level, 30)
    parts = [
        f'<rect x="40" y="{tube_top}" width="36" height="{tube_bottom - tube_top}" rx="18" '
        'fill="#f1f1f1" stroke="#999"/>',
        f'<rect x="46" y="{level:.1f}" width="24" height="{tube_bottom - level + 8:.1f}" fill="#c8434e"/>',
        f'<circle cx="58" cy="{tube_bottom + 16}" r="24" fill="#c8434e" stroke="#999"/>',
        _text(92, label_y, money_format(raised, currency), size=14, bold=True),
        _text(92, label_y + 18, percent, size=12, fill="#555"),
    ]
    svg = _svg(300, height, "Raised against the goal", parts, css="chart thermo", fixed=True)
    return mark_safe(svg)  # noqa: S308


def timeline(points: Sequence[tuple[Any, int]], *, width: int = 520, height: int = 180) -> SafeString:
    """Bids per hour as columns with the hour under each (at most 12 labels)."""
    if not points:
        return mark_safe('<p class="empty">No bids yet.</p>')
    left, bottom, top = 34, height - 26, 10
    peak = max(n for _, n in points) or 1
    step = (width - left) / len(points)
    parts = [
        f'<line x1="{left}" y1="{bottom}" x2="{width}" y2="{bottom}" stroke="#999"/>',
        _text(0, top + 10, str(peak), size=11, fill="#555"),
        _text(0, bottom, "0", size=11, fill="#555"),
    ]
    every = max(1, len(points) // 12)
    for i, (hour, n) in enumerate(points):
        h = (bottom - top) * n / peak
        bar = min(step * 0.7, 48)
        x = left + i * step + (step - bar) / 2
        when = hour.strftime("%b %d %H:00") if hasattr(hour, "strftime") else str(hour)
        parts.append(
            f'<rect x="{x:.1f}" y="{bottom - h:.1f}" width="{bar:.1f}" height="{h:.1f}" fill="#2f6fb0">'
            f"<title>{escape(when)}: {n} bids</title></rect>"
        )
        if i % every == 0 and hasattr(hour, "strftime"):
            parts.append(_text(x, height - 8, hour.strftime("%H:00"), size=10, fill="#555"))
    return mark_safe(_svg(width, height, "Bids per hour", parts))  # noqa: S308
