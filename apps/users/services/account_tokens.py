"""One-time e-mail tokens (verification, password reset): minted when the mail is built
(:mod:`apps.users.emails`), spent by the services that verify an address or reset a password
(:mod:`apps.users.services.accounts`, :mod:`apps.users.services.sessions`). Only the hash is stored."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from django.utils import timezone

from apps.users.errors import InvalidToken
from apps.users.models import AccountToken, User


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def account_token_issue(*, user: User, purpose: str, ttl: timedelta) -> str:
    """Create a single-use token for ``user``; returns the secret (only its hash is stored)."""
    secret = secrets.token_urlsafe(32)
    now = timezone.now()
    AccountToken.objects.create(
        user=user, purpose=purpose, token_hash=_hash(secret), created_at=now, expires_at=now + ttl
    )
    return secret


def account_token_consume(*, token: Any, purpose: str) -> AccountToken:
    """Spend a token (row locked): unknown, tampered, expired or already used → ``INVALID_TOKEN``."""
    invalid = InvalidToken(message="This link is invalid or has expired; request a new one.")
    if not isinstance(token, str) or not token or len(token) > 256:
        raise invalid
    row = (
        AccountToken.objects.select_for_update()
        .select_related("user")
        .filter(token_hash=_hash(token), purpose=purpose)
        .first()
    )
    if row is None or not row.is_usable or not row.user.is_active:
        raise invalid
    now = timezone.now()
    # Spend this one and every sibling: an older link must not work after a newer one was used.
    AccountToken.objects.filter(user=row.user, purpose=purpose, used_at__isnull=True).update(used_at=now)
    row.used_at = now
    return row
