"""Login (device-cookie lockout, OWASP), JWT sessions (refresh with rotation, logout, revoke all)
and passwords (reset by e-mail token, change). Audit actions: ``auth.login*``, ``auth.lockout``,
``auth.device_token_invalidated``, ``auth.logout_all``, ``auth.password_*``."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import authenticate
from django.contrib.auth.models import update_last_login
from django.db import transaction
from django.utils import timezone
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from apps.core.exceptions import ValidationFailed
from apps.core.services import audit_record
from apps.users import emails, lockout, tokens
from apps.users.errors import AccountLocked, EmailNotVerified, InvalidCredentials, TokenRefused
from apps.users.models import AccountToken, AccountTokenPurpose, LoginLockScope, User
from apps.users.services.accounts import access_cut_off, account_token_consume, normalize_email, password_check
from apps.users.signals import access_cut_off_announce

logger = logging.getLogger("augeo.users")
# --- login and sessions ---------------------------------------------------------------------------


@dataclass(frozen=True)
class LoginResult:
    """A successful sign-in: the user and a fresh device token for the client to keep."""

    user: User
    device_token: str


def auth_login(*, email: str, password: str, ip: str | None = None, device_token: str | None = None) -> LoginResult:
    """The one sign-in service (API login and the admin's login form); rules in ``apps.users.lockout``.

    Not atomic on purpose: a refused sign-in must leave its counted failure and audit entry behind.
    Order: a client with a valid device token for the account is charged to that token, any other to
    the account (locked → 429 even with the right password; the attempt is not counted) → wrong
    password, unknown or deactivated account → 401 → right password but unverified e-mail → 403 (the
    streak ends: the password was right) → success: the streak ends, ``last_login`` is stamped and a
    new device token is issued.
    """
    email = normalize_email(email)
    user_id = User.objects.filter(email=email).values_list("pk", flat=True).first()
    device = lockout.device_key(device_token, user_id=user_id)
    attempt: lockout.Attempt | None = None
    if device is not None and lockout.device_is_trusted(device):
        try:
            attempt = lockout.attempt_reserve(scope=LoginLockScope.DEVICE, key=device)
        except lockout.DeviceSpent:  # a parallel attempt just finished the token
            attempt = None
    details: dict[str, Any] = {"email": email, "device": attempt is not None}
    if attempt is None:
        try:
            attempt = lockout.attempt_reserve(scope=LoginLockScope.ACCOUNT, key=lockout.account_key(email))
        except lockout.Locked as exc:
            audit_record(actor=None, action="auth.login_locked", ip=ip, details=details)
            raise AccountLocked(exc.seconds_left) from exc
    scope = attempt.scope

    user = authenticate(request=None, email=email, password=password)
    if user is None:
        if attempt.reached_limit:
            # This failure started a lock (or finished the device token): from the next attempt on.
            action = "auth.lockout" if scope == LoginLockScope.ACCOUNT else "auth.device_token_invalidated"
            audit_record(actor=None, action=action, ip=ip, details=details)
        audit_record(actor=None, action="auth.login_failed", ip=ip, details=details)
        raise InvalidCredentials(message="The e-mail address or password is wrong.")

    assert isinstance(user, User)
    lockout.attempt_succeeded(attempt)  # the password was right
    if not user.is_email_verified:
        audit_record(actor=user, action="auth.login_unverified", obj=user, ip=ip)
        raise EmailNotVerified(message="Verify your e-mail address first; we can send the link again.")
    update_last_login(User, user)
    audit_record(actor=user, action="auth.login", obj=user, ip=ip, details={"device": details["device"]})
    return LoginResult(user=user, device_token=lockout.device_token_issue(user_id=user.pk))


def session_start(*, user: User) -> dict[str, str]:
    """A new session for ``user``: ``{access, refresh}``."""
    return tokens.token_pair(tokens.refresh_token_mint(user))


@transaction.atomic
def session_refresh(*, refresh: Any) -> dict[str, str]:
    """Rotate a refresh token: the old one is blacklisted, a new pair for the same session returned.

    The outstanding row is locked, so two concurrent uses of one refresh token cannot both succeed.
    """
    refused = TokenRefused(message="The refresh token is invalid, expired or revoked.")
    if not isinstance(refresh, str):
        raise refused
    try:
        token = RefreshToken(refresh)  # type: ignore[arg-type]  # signature, algorithm, expiry, type, blacklist
    except TokenError as exc:
        raise refused from exc
    # order_by("pk"): the model's default ordering joins the (nullable) user, which FOR UPDATE refuses.
    outstanding = (
        OutstandingToken.objects.select_for_update().filter(jti=token[jwt_settings.JTI_CLAIM]).order_by("pk").first()
    )
    if outstanding is None or BlacklistedToken.objects.filter(token=outstanding).exists():
        raise refused
    user = User.objects.filter(pk=token.get(jwt_settings.USER_ID_CLAIM), is_active=True).first()
    if user is None or outstanding.user_id != user.pk:
        raise refused
    BlacklistedToken.objects.create(token=outstanding)
    return tokens.token_pair(tokens.refresh_token_rotate(token, user))


@transaction.atomic
def session_logout(*, refresh: Any) -> None:
    """Blacklist one refresh token (this device's session)."""
    if not isinstance(refresh, str):
        raise TokenRefused(message="The refresh token is invalid, expired or revoked.")
    try:
        token = RefreshToken(refresh)  # type: ignore[arg-type]  # simplejwt accepts the encoded text
        token.blacklist()
    except TokenError as exc:
        raise TokenRefused(message="The refresh token is invalid, expired or revoked.") from exc


@transaction.atomic
def sessions_revoke_all(*, user: User, ip: str | None = None, actor: Any = None) -> int:
    """Log out everywhere: every refresh token blacklisted, every access token issued before now refused."""
    count = tokens.outstanding_blacklist(user=user)
    access_cut_off(user)
    audit_record(
        actor=actor or user,
        action="auth.logout_all",
        obj=user,
        ip=ip,
        details={"refresh_tokens_revoked": count},
    )
    return count


# --- passwords ------------------------------------------------------------------------------------


@transaction.atomic
def password_reset_request(*, email: str, ip: str | None = None, actor: Any = None) -> None:
    """Queue a reset link for the address. Existing and unknown addresses take the same path and
    time — one lookup, one audit entry, one outbox row, no mail work in the request —; whether a mail
    goes out (an active account) is decided when the row is sent, after the answer."""
    email = normalize_email(email)
    user = User.objects.filter(email=email).first()
    audit_record(actor=actor, action="auth.password_reset_requested", obj=user, ip=ip, details={"email": email})
    emails.email_queue(emails.PASSWORD_RESET, to=email, user=user)


@transaction.atomic
def password_reset_confirm(*, token: Any, password: str, ip: str | None = None) -> User:
    """Set a new password with a reset token. Revokes every session (refresh tokens blacklisted,
    older access tokens refused) and clears the lockout; the mailbox is proven, so the address
    counts as verified too."""
    row = account_token_consume(token=token, purpose=AccountTokenPurpose.PASSWORD_RESET)
    user = User.objects.select_for_update().get(pk=row.user_id)
    password_check(password, user)
    user.set_password(password)
    if user.email_verified_at is None:
        user.email_verified_at = timezone.now()
    user.tokens_valid_after = timezone.now()
    user.save(update_fields=["password", "email_verified_at", "tokens_valid_after", "updated_at"])
    access_cut_off_announce(user)
    revoked = tokens.outstanding_blacklist(user=user)
    lockout.lockout_reset(email=user.email)
    audit_record(actor=user, action="auth.password_reset", obj=user, ip=ip, details={"refresh_tokens_revoked": revoked})
    return user


@transaction.atomic
def password_change(
    *,
    user: User,
    current_password: str,
    new_password: str,
    keep_session: str | None = None,
    ip: str | None = None,
) -> User:
    """Change the password (the current one is required). Every other session is revoked: their
    refresh tokens are blacklisted; the caller's session (``keep_session``) continues."""
    user = User.objects.select_for_update().get(pk=user.pk)
    if not user.check_password(current_password):
        raise ValidationFailed(
            message="The current password is wrong.", fields={"current_password": ["The current password is wrong."]}
        )
    password_check(new_password, user, field="new_password")
    user.set_password(new_password)
    user.save(update_fields=["password", "updated_at"])
    revoked = tokens.outstanding_blacklist(user=user, keep_session=keep_session)
    # An outstanding reset link must not undo the change.
    AccountToken.objects.filter(user=user, purpose=AccountTokenPurpose.PASSWORD_RESET, used_at__isnull=True).update(
        used_at=timezone.now()
    )
    audit_record(
        actor=user,
        action="auth.password_change",
        obj=user,
        ip=ip,
        details={"refresh_tokens_revoked": revoked},
    )
    return user
