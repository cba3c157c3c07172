"""The client's IP address, trusting exactly ``NUM_PROXIES`` reverse proxies.

Used by throttles, the lockout (django-axes) and the audit log so they all agree on who the
client is. With N trusted proxies the client is the N-th address from the right of
``X-Forwarded-For``; entries further left are client-controlled and ignored.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    remote = request.META.get("REMOTE_ADDR")
    num_proxies = getattr(settings, "NUM_PROXIES", 0)
    if num_proxies:
        forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if a.strip()]
        if forwarded:
            return forwarded[-min(num_proxies, len(forwarded))]
    return remote
