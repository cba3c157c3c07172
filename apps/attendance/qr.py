"""QR codes of registration codes (issue 15), pure Python (segno). The QR code holds the code itself,
so a hardware scanner at the desk simply types it into the search box and presses Enter."""

from __future__ import annotations

import segno


def code_qr_svg(code: str, *, scale: int = 6) -> str:
    """An inline ``<svg>`` of the QR code of ``code`` (black on white, quiet zone included)."""
    return str(segno.make(code, error="m", micro=False).svg_inline(scale=scale, border=4, light="#fff"))


def code_qr_png(code: str, *, scale: int = 8) -> bytes:
    """The same QR code as PNG bytes (an e-mail attachment)."""
    import io

    out = io.BytesIO()
    segno.make(code, error="m", micro=False).save(out, kind="png", scale=scale, border=4)
    return out.getvalue()
