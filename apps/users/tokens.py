"""JWT sessions on top of simplejwt and its blacklist app.

A login mints a refresh token carrying a session id (``sid``); rotation keeps the ``sid``, and access
tokens copy it, so "revoke the other sessions" (password change) can spare the caller's own session.
Every refresh token is recorded as an ``OutstandingToken`` (with its final, signed text) so it can be
blacklisted later: on rotation, logout, "log out everywhere", a password reset or change.
"""

from __future__ import annotations

import uuid
from typing import Any

import jwt
from django.utils import timezone
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.utils import datetime_from_epoch

from apps.users.models import User

SESSION_CLAIM = "sid"
#: Issue time with sub-second precision (``iat`` has whole seconds), copied into the access tokens, so
#: the revocation cut-off refuses a token minted a moment before it and accepts one minted right after.
ISSUED_CLAIM = "iat_precise"


def _record(token: RefreshToken, user: User) -> OutstandingToken:
    return OutstandingToken.objects.create(
        user=user,
        jti=token[jwt_settings.JTI_CLAIM],
        token=str(token),
        created_at=token.current_time,
        expires_at=datetime_from_epoch(token["exp"]),
    )


def token_pair(token: RefreshToken) -> dict[str, str]:
    return {"access": str(token.access_token), "refresh": str(token)}


def refresh_token_mint(user: User, *, session_id: str | None = None) -> RefreshToken:
    """A new refresh token for ``user`` (a new session unless ``session_id`` is given), recorded."""
    token = RefreshToken()
    token[jwt_settings.USER_ID_CLAIM] = str(getattr(user, jwt_settings.USER_ID_FIELD))
    token[SESSION_CLAIM] = session_id or uuid.uuid4().hex
    token[ISSUED_CLAIM] = token.current_time.timestamp()
    _record(token, user)
    return token


def refresh_token_rotate(token: RefreshToken, user: User) -> RefreshToken:
    """The successor of a (validated, already blacklisted) refresh token: same claims and session,
    new id, expiry and issue time."""
    token.set_jti()
    token.set_exp()
    token.set_iat()
    token[ISSUED_CLAIM] = timezone.now().timestamp()
    _record(token, user)
    return token


def session_id_of(raw: str) -> str | None:
    """The ``sid`` claim of a stored token (signature already checked when it was issued)."""
    try:
        payload: dict[str, Any] = jwt.decode(raw, options={"verify_signature": False})
    except jwt.PyJWTError:
        return None
    value = payload.get(SESSION_CLAIM)
    return str(value) if value else None


def outstanding_blacklist(*, user: User, keep_session: str | None = None) -> int:
    """Blacklist every unexpired, not yet blacklisted refresh token of ``user`` (except those of
    ``keep_session``). Returns how many were blacklisted."""
    live = OutstandingToken.objects.filter(
        user=user, blacklistedtoken__isnull=True, expires_at__gt=timezone.now()
    ).only("id", "token")
    doomed = [t for t in live if keep_session is None or session_id_of(t.token) != keep_session]
    BlacklistedToken.objects.bulk_create([BlacklistedToken(token=t) for t in doomed], ignore_conflicts=True)
    return len(doomed)
