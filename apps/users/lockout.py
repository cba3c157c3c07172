"""Brute-force lockout on top of django-axes (database handler).

5 consecutive failed logins for one (account, client IP) pair lock that pair for
``AXES_COOLOFF_TIME`` (15 minutes); a success resets the count. The attempts live in the database
(``axes.models.AccessAttempt``), never in the cache, so the lock holds during a Redis outage.

The API login view checks the lock itself before authenticating (so a right password does not get
through while locked, and a locked attempt does not extend the cool-off) and answers 429
``ACCOUNT_LOCKED`` with ``Retry-After``. ``lockout_response`` is what ``AxesMiddleware`` answers for
other login paths (the admin's login form).
"""

from __future__ import annotations

import math
from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from django.db.models import Max
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone


def axes_username(request: Any, credentials: dict[str, Any] | None = None) -> str:
    """The account half of the lock key: the normalised e-mail (API body) or username (admin form)."""
    value = (credentials or {}).get("email") or (credentials or {}).get("username") or ""
    return str(value).strip().lower()


def _credentials(email: str) -> dict[str, Any]:
    return {"email": email}


def lock_seconds_left(request: HttpRequest, email: str) -> int | None:
    """Seconds until the (``email``, client IP) pair may try again, or ``None`` when not locked."""
    credentials = _credentials(email)
    if not AxesProxyHandler.is_locked(request, credentials):
        return None
    return _seconds_left(request, credentials)


def _seconds_left(request: HttpRequest, credentials: dict[str, Any] | None) -> int:
    cool_off = get_cool_off(request)
    if cool_off is None:  # permanent lock (not our configuration): ask for the full default wait
        return 900
    last = AccessAttempt.objects.filter(
        username=axes_username(request, credentials),
        ip_address=getattr(request, "axes_ip_address", None),
    ).aggregate(last=Max("attempt_time"))["last"]
    if last is None:
        return int(cool_off.total_seconds())
    remaining = (last + cool_off - timezone.now()).total_seconds()
    return max(1, math.ceil(remaining))


def lockout_reset(*, email: str, ip_address: str | None = None) -> int:
    """Forget the failures of ``email`` (from one IP, or every IP); returns the rows removed."""
    email = axes_username(None, {"email": email})
    if ip_address:
        return AxesProxyHandler.reset_attempts(username=email, ip_address=ip_address)
    return AxesProxyHandler.reset_attempts(username=email)


def lockout_response(
    request: HttpRequest, credentials: dict[str, Any] | None = None, *args: Any, **kwargs: Any
) -> HttpResponse:
    """AxesMiddleware's answer for a locked pair: the API envelope under /api/, plain text elsewhere."""
    from apps.core.api.exceptions import error_body

    retry_after = _seconds_left(request, credentials)
    message = "Too many failed sign-in attempts; try again later."
    response: HttpResponse
    if request.path.startswith("/api/"):
        response = JsonResponse(error_body("ACCOUNT_LOCKED", message, retry_after=retry_after), status=429)
    else:
        response = HttpResponse(message, status=429, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(retry_after)
    return response
