"""QR codes of registration codes, pure Python (segno). The QR code holds the code itself,
so a hardware scanner at the desk simply types it into the search box and presses Enter."""

from __future__ import annotations

import io
from typing import Any

import segno

from apps.attendance.models import Registration
from apps.core import outbox


def code_qr_svg(code: str, *, scale: int = 6) -> str:
    """An inline ``<svg>`` of the QR code of ``code`` (black on white, quiet zone included)."""
    return str(segno.make(code, error="m", micro=False).svg_inline(scale=scale, border=4, light="#fff"))


def code_qr_png(code: str, *, scale: int = 8) -> bytes:
    """The same QR code as PNG bytes (an e-mail attachment)."""
    out = io.BytesIO()
    segno.make(code, error="m", micro=False).save(out, kind="png", scale=scale, border=4)
    return out.getvalue()


#: The outbox attachment kind of a registration's QR code (``ref`` = the registration's id).
QR_ATTACHMENT = "attendance/registration_qr"


@outbox.attachment_builder(QR_ATTACHMENT)
def _registration_qr_attachment(row: Any, ref: str) -> tuple[str, bytes, str]:
    """Built by the mail worker at send time from the registration as it is then."""
    registration = Registration.objects.filter(pk=ref).first()
    if registration is None:
        raise outbox.Cancel(f"registration {ref} no longer exists")
    return f"registration-{registration.code}.png", code_qr_png(registration.code), "image/png"
