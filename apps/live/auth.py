"""Who is on the other end of a WebSocket (live.md "Transport").

Two ways in, checked once at the handshake:

* ``?token=<JWT access token>`` — the API's own :class:`apps.users.authentication.JWTAuthentication`
  (signature, expiry, access type, active user, the "log out everywhere" cut-off). A token that does
  not pass is remembered as ``scope["live_auth_error"]`` and the consumer closes with 4401; it never
  falls back to anonymous, so a client learns its token is bad.
* the session cookie (the admin, the display page of a member previewing a draft) — honoured only
  when the handshake comes from this site: a browser sends cookies with a WebSocket opened by *any*
  page, so a foreign ``Origin`` would otherwise read a member's drafts and personal messages
  (cross-site WebSocket hijacking). A foreign origin is treated as anonymous. Clients that send no
  ``Origin`` (not browsers) may use the cookie.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

from channels.auth import get_user
from channels.db import database_sync_to_async
from channels.sessions import CookieMiddleware, SessionMiddleware
from django.conf import settings
from django.contrib.auth.models import AnonymousUser


def _header(scope: dict[str, Any], name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return value.decode("latin-1")
    return None


def origin_allowed(scope: dict[str, Any]) -> bool:
    """True when the handshake carries no ``Origin`` or one of this site: the same host as the
    ``Host`` header (what Django's CSRF check compares) or one of ``CSRF_TRUSTED_ORIGINS``."""
    origin = _header(scope, b"origin")
    if origin is None:
        return True
    if origin in getattr(settings, "CSRF_TRUSTED_ORIGINS", []):
        return True
    host = _header(scope, b"host") or ""
    return bool(host) and urlsplit(origin).netloc.lower() == host.lower()


@database_sync_to_async
def _user_for_token(raw: str) -> tuple[Any, float | None]:
    """The user of a valid access token and its expiry (epoch seconds); raises when invalid."""
    from apps.users.authentication import JWTAuthentication

    auth = JWTAuthentication()
    validated = auth.get_validated_token(raw.encode())
    user = auth.get_user(validated)
    expires = validated.get("exp")
    return user, float(expires) if isinstance(expires, int | float) else None


class LiveAuthMiddleware:
    """Sets ``scope["user"]`` (anonymous when nobody signed in), ``scope["live_token_expires"]`` for a
    JWT, and ``scope["live_auth_error"]`` for a token that does not pass."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        scope = dict(scope)
        scope["user"] = AnonymousUser()
        tokens = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("token")
        if tokens:
            try:
                user, expires = await _user_for_token(tokens[0])
            except Exception:  # invalid, expired, revoked, unknown or inactive user
                scope["live_auth_error"] = "token"
            else:
                if expires is not None and expires <= time.time():  # pragma: no cover - simplejwt checks it
                    scope["live_auth_error"] = "token"
                else:
                    scope["user"] = user
                    scope["live_token_expires"] = expires
        elif origin_allowed(scope) and "session" in scope:
            scope["user"] = await get_user(scope)
        return await self.inner(scope, receive, send)


def LiveAuthStack(inner: Any) -> Any:
    """Cookies → session → :class:`LiveAuthMiddleware` → ``inner`` (named like Channels'
    ``AuthMiddlewareStack``)."""
    return CookieMiddleware(SessionMiddleware(LiveAuthMiddleware(inner)))
