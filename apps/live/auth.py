"""Who is on the other end of a WebSocket (live.md "Transport"): checked at the handshake, and again
while the socket is open (:func:`socket_recheck`, called by the consumer's timer).

Three ways in, the first one present wins:

* ``?ticket=<connect ticket>`` — from ``POST /api/v1/live/tickets/`` (:mod:`apps.live.tickets`):
  single use, 30 seconds, bound to the user. A ticket that does not redeem (unknown, used, expired,
  Redis unreachable) or whose user has since been deactivated or signed out everywhere is remembered
  as ``scope["live_auth_error"]`` and the consumer closes with 4401.
* ``?token=<JWT access token>`` — **deprecated** (the JWT lands in access logs): still honoured while
  ``LIVE_ACCEPT_TOKEN_PARAM`` is true, through the API's own
  :class:`apps.users.authentication.JWTAuthentication` (signature, expiry, access type, active user,
  the "log out everywhere" cut-off); every use is logged (at most once a minute per process) and
  counted in ``augeo_live_token_param_total``. A token that does not pass closes with 4401; it never
  falls back to anonymous, so a client learns its credential is bad.
* the session cookie (the admin, the display page of a member previewing a draft) — honoured only
  when the handshake comes from this site: a browser sends cookies with a WebSocket opened by *any*
  page, so a foreign ``Origin`` would otherwise read a member's drafts and personal messages
  (cross-site WebSocket hijacking). A foreign origin is treated as anonymous. Clients that send no
  ``Origin`` (not browsers) may use the cookie. The session is read as Django reads it for a page
  (``django.contrib.auth.get_user``: the session's password/cut-off hash must still match).

Then the consent gate (:func:`apps.legal.gate.consent_required`): a signed-in user who has to accept
a published document first is treated as anonymous (no personal messages, no drafts) until they do.

What the socket was opened with is kept as ``scope["live_credential"]`` (a :class:`Credential`),
so the consumer can ask again later whether it still holds.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qs, urlsplit

from channels.db import database_sync_to_async
from channels.sessions import CookieMiddleware
from django.conf import settings
from django.contrib import auth
from django.contrib.auth.models import AnonymousUser
from django.utils.module_loading import import_string
from rest_framework_simplejwt.settings import api_settings

from apps.core.net import client_address
from apps.legal.gate import consent_required
from apps.live import metrics
from apps.live.selectors import event_visible_id
from apps.live.tickets import ticket_redeem
from apps.users.authentication import JWTAuthentication
from apps.users.tokens import ISSUED_CLAIM

logger = logging.getLogger("augeo.live")


def socket_gated(user: Any) -> bool:
    """True when the consent gate holds the signed-in ``user`` back (anonymous on the socket). Runs
    in a worker thread, so it may read the database."""
    return bool(getattr(user, "is_authenticated", False)) and consent_required(user)


@dataclass(frozen=True)
class Credential:
    """What opened the socket: ``kind`` ``ticket``, ``token`` or ``session``, the user it named,
    the ticket's issue time, the raw access token, or the session key."""

    kind: str
    user_id: Any
    issued_at: float | None = None
    token: str | None = None
    session_key: str | None = None


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


def scope_client_ip(scope: dict[str, Any]) -> str | None:
    """The client's address as the HTTP side computes it (``apps.core.net``: trusted proxies)."""
    client = scope.get("client")
    remote = str(client[0]) if client else None
    return client_address(remote, _header(scope, b"x-forwarded-for") or "")


# --- checking a credential ---------------------------------------------------------------------------


def _token_user(raw: str) -> tuple[Any, float | None]:
    """The user of a valid access token and its expiry (epoch seconds); raises when invalid."""
    authentication = JWTAuthentication()
    validated = authentication.get_validated_token(raw.encode())
    user = authentication.get_user(validated)
    expires = validated.get("exp")
    return user, float(expires) if isinstance(expires, int | float) else None


def _ticket_user(user_id: Any, issued_at: float) -> Any:
    """The ticket's user, held to the same rule as an access token issued when the ticket was
    (active, issued after the "log out everywhere" cut-off): the API's authentication checks it, on
    the claims such a token would carry. Raises when the user no longer qualifies."""
    return JWTAuthentication().get_user({api_settings.USER_ID_CLAIM: user_id, ISSUED_CLAIM: issued_at})  # type: ignore[arg-type]


def _session_user(session_key: str | None) -> Any:
    """The signed-in user of a session, as Django reads it for a page; ``None`` when signed out,
    expired, or cut off (the session hash mixes in the password and the revocation cut-off)."""
    if not session_key:
        return None
    store = import_string(f"{settings.SESSION_ENGINE}.SessionStore")(session_key)
    user = auth.get_user(SimpleNamespace(session=store))  # type: ignore[arg-type]
    return user if user.is_authenticated else None


def credential_user(credential: Credential) -> Any:
    """The credential's user if it still holds (active, not signed out everywhere since, the session
    alive), else ``None``."""
    try:
        if credential.kind == "session":
            user = _session_user(credential.session_key)
        elif credential.kind == "token" and credential.token is not None:
            user, _ = _token_user(credential.token)
        else:
            user = _ticket_user(credential.user_id, credential.issued_at or 0.0)
    except Exception:  # invalid, revoked, unknown or inactive user
        return None
    return user if user is not None and str(user.pk) == str(credential.user_id) else None


# --- the handshake -------------------------------------------------------------------------------


@dataclass
class Handshake:
    user: Any
    credential: Credential | None = None
    error: str | None = None
    token_expires: float | None = None


class _DeprecationLog:
    """One warning a minute per process for the deprecated ``?token=``, with how many were seen."""

    EVERY_SECONDS = 60.0

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last = 0.0
        self._unlogged = 0

    def seen(self) -> None:
        metrics.token_param_used()
        with self._lock:
            self._unlogged += 1
            now = time.monotonic()
            if self._last and now - self._last < self.EVERY_SECONDS:
                return
            count, self._unlogged, self._last = self._unlogged, 0, now
        logger.warning(
            "deprecated WebSocket authentication: %d handshake(s) carried the access token in the URL, "
            "where access logs keep it; clients should POST /api/v1/live/tickets/ and open the socket "
            "with the ticket instead",
            count,
        )


deprecation_log = _DeprecationLog()


def handshake(query: dict[str, list[str]], session_key: str | None) -> Handshake:
    """Who opens this socket (see the module docstring). Runs in a worker thread (database reads)."""
    anonymous = AnonymousUser()
    result = Handshake(user=anonymous)
    if "ticket" in query:
        claim = ticket_redeem(query["ticket"][0])
        if claim is None:
            return Handshake(user=anonymous, error="bad_ticket")
        credential = Credential("ticket", claim.user_id, issued_at=claim.issued_at)
        user = credential_user(credential)
        if user is None:
            return Handshake(user=anonymous, error="bad_ticket")
        result = Handshake(user=user, credential=credential)
    elif "token" in query:
        deprecation_log.seen()
        if not settings.LIVE_ACCEPT_TOKEN_PARAM:
            return Handshake(user=anonymous, error="bad_token")
        try:
            user, expires = _token_user(query["token"][0])
        except Exception:  # invalid, expired, revoked, unknown or inactive user
            return Handshake(user=anonymous, error="bad_token")
        if expires is not None and expires <= time.time():  # pragma: no cover - simplejwt checks it
            return Handshake(user=anonymous, error="bad_token")
        credential = Credential("token", user.pk, token=query["token"][0])
        result = Handshake(user=user, credential=credential, token_expires=expires)
    elif session_key:
        user = _session_user(session_key)
        if user is not None:
            result = Handshake(user=user, credential=Credential("session", user.pk, session_key=session_key))
    if socket_gated(result.user):
        return Handshake(user=anonymous)
    return result


def socket_recheck(credential: Credential | None, event_id: Any) -> tuple[str, Any]:
    """``(outcome, user)`` for an open socket: ``revoked`` (its credential no longer holds: close
    4401), ``invisible`` (the event is no longer visible to the user: close 4404), or ``ok`` with the
    user it now counts as — anonymous when a socket gate holds them back."""
    user: Any = AnonymousUser()
    if credential is not None:
        found = credential_user(credential)
        if found is None:
            return "revoked", None
        if not socket_gated(found):
            user = found
    if event_visible_id(user, event_id) is None:
        return "invisible", user
    return "ok", user


class LiveAuthMiddleware:
    """Sets ``scope["user"]`` (anonymous when nobody signed in or a gate holds them back),
    ``scope["live_credential"]``, ``scope["live_token_expires"]`` for a JWT, and
    ``scope["live_auth_error"]`` (``bad_ticket``/``bad_token``) for a credential that does not pass."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        scope = dict(scope)
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        session_key = None
        if origin_allowed(scope):
            session_key = scope.get("cookies", {}).get(settings.SESSION_COOKIE_NAME) or None
        if "ticket" in query or "token" in query or session_key:
            result = await database_sync_to_async(handshake)(query, session_key)
        else:  # nobody signed in: no thread hop (a room is mostly anonymous phones and screens)
            result = Handshake(user=AnonymousUser())
        scope["user"] = result.user
        scope["live_credential"] = result.credential
        scope["live_token_expires"] = result.token_expires
        if result.error:
            scope["live_auth_error"] = result.error
        return await self.inner(scope, receive, send)


def LiveAuthStack(inner: Any) -> Any:
    """Cookies → :class:`LiveAuthMiddleware` → ``inner`` (named like Channels' ``AuthMiddlewareStack``)."""
    return CookieMiddleware(LiveAuthMiddleware(inner))
