"""The visitor cookie: a random id the server sets so a visitor's cookie choices can be stored
(legal.md). ``HttpOnly`` (no script reads it), ``Secure`` wherever the session cookie is (production),
``SameSite=Lax``, kept for a year. The id is random, so it names nobody; it is read back only as a
well-formed UUID.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.http import HttpResponse

VISITOR_COOKIE = "augeo_visitor"
VISITOR_COOKIE_MAX_AGE = 365 * 24 * 3600


def visitor_id_from(request: Any) -> uuid.UUID | None:
    """The visitor id of the request's cookie, or ``None`` (absent or malformed)."""
    raw = getattr(request, "COOKIES", {}).get(VISITOR_COOKIE, "")
    if not raw or len(raw) > 64:
        return None
    try:
        return uuid.UUID(raw)
    except ValueError:
        return None


def visitor_cookie_set(response: HttpResponse, visitor_id: uuid.UUID) -> None:
    response.set_cookie(
        VISITOR_COOKIE,
        str(visitor_id),
        max_age=VISITOR_COOKIE_MAX_AGE,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
