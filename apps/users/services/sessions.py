"""Login (device-cookie lockout, OWASP), JWT sessions (refresh with rotation, logout, revoke all)
and passwords (reset by e-mail token, change, the current-password check). Audit actions:
``auth.login*``, ``auth.lockout``, ``auth.device_token_invalidated``, ``auth.logout_all``,
``auth.password_*``."""

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
from apps.users.services.account_tokens import account_token_consume
from apps.users.services.accounts import access_cut_off, normalize_email, password_check
from apps.users.signals import access_cut_off_announce

logger = logging.getLogger("augeo.users")
# --- login and sessions ---------------------------------------------------------------------------


@dataclass(frozen=True)
class LoginResult:
    """A successful sign-in: the user and a fresh device token for the client to keep."""

    user: User
    device_token: str


def _attempt_charge(
    *, email: str, user_id: Any, device_token: str | None, ip: str | None, details: dict[str, Any], locked_action: str
) -> lockout.Attempt:
    """Charge one password attempt before the password is checked (``apps.users.lockout``): to the
    client's device token when it presents a valid one for the account, else to the account — which
    may be locked: then ``AccountLocked`` (429, ``Retry-After``), the attempt not counted, audited as
    ``locked_action``. Sets ``details["device"]``."""
    device = lockout.device_key(device_token, user_id=user_id)
    attempt: lockout.Attempt | None = None
    if device is not None and lockout.device_is_trusted(device):
        try:
            attempt = lockout.attempt_reserve(scope=LoginLockScope.DEVICE, key=device)
        except lockout.DeviceSpent:  # a parallel attempt just finished the token
            attempt = None
    details["device"] = attempt is not None
    if attempt is None:
        try:
            attempt = lockout.attempt_reserve(scope=LoginLockScope.ACCOUNT, key=lockout.account_key(email))
        except lockout.Locked as exc:
            audit_record(actor=None, action=locked_action, ip=ip, details=details)
            raise AccountLocked(exc.seconds_left) from exc
    return attempt


def _attempt_failed(attempt: lockout.Attempt, *, ip: str | None, details: dict[str, Any]) -> None:
    """The password was wrong: when this failure started a lock (or finished the device token), say
    so in the audit log — the lock applies from the next attempt on."""
    if attempt.reached_limit:
        action = "auth.lockout" if attempt.scope == LoginLockScope.ACCOUNT else "auth.device_token_invalidated"
        audit_record(actor=None, action=action, ip=ip, details=details)


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
    details: dict[str, Any] = {"email": email}
    attempt = _attempt_charge(
        email=email,
        user_id=user_id,
        device_token=device_token,
        ip=ip,
        details=details,
        locked_action="auth.login_locked",
    )

    user = authenticate(request=None, email=email, password=password)
    if user is None:
        _attempt_failed(attempt, ip=ip, details=details)
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
    time — one lookup, one count, one audit entry, one outbox row, no mail work in the request —;
    whether a mail goes out (an active account) is decided when the row is sent, after the answer.

    At most the ``password_reset`` rate (5 an hour) per address: 429 ``THROTTLED`` beyond it, counted
    over the address's outbox rows (``emails.mail_limit_check``), so it holds while the cache is down;
    the account row's lock makes the count exact for a real account."""
    email = normalize_email(email)
    user = User.objects.select_for_update().filter(email=email).first()
    emails.mail_limit_check(emails.PASSWORD_RESET, to=email, scope="password_reset")
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


def current_password_verify(
    *,
    user: User,
    password: Any,
    field: str = "current_password",
    ip: str | None = None,
    device_token: str | None = None,
) -> None:
    """Every "confirm with your password" of a signed-in person (password change, account deletion,
    the admin's "Change password" page) is a password guess like a sign-in, so it counts with the
    sign-in lockout, on the same counters: 5 wrong passwords lock the account for untrusted clients
    (429 ``ACCOUNT_LOCKED`` with ``Retry-After`` from the 6th, even with the right password), and a
    client with the account's device token has its own 5. A wrong password is 400 on ``field``.

    Not atomic on purpose, and called before the caller's transaction: a failure must stay counted
    when the caller's write is rolled back by the error."""
    details: dict[str, Any] = {"email": user.email, "check": field}
    attempt = _attempt_charge(
        email=user.email,
        user_id=user.pk,
        device_token=device_token,
        ip=ip,
        details=details,
        locked_action="auth.password_check_locked",
    )
    if not isinstance(password, str) or not password or not user.check_password(password):
        _attempt_failed(attempt, ip=ip, details=details)
        audit_record(actor=user, action="auth.password_check_failed", obj=user, ip=ip, details=details)
        message = "The current password is wrong." if field == "current_password" else "The password is wrong."
        raise ValidationFailed(message=message, fields={field: [message]})
    lockout.attempt_succeeded(attempt)


def password_change(
    *,
    user: User,
    current_password: str,
    new_password: str,
    keep_session: str | None = None,
    ip: str | None = None,
    device_token: str | None = None,
) -> User:
    """Change the password: the current one is checked first (:func:`current_password_verify`,
    counted with the sign-in lockout), then :func:`_password_replace`."""
    current_password_verify(user=user, password=current_password, ip=ip, device_token=device_token)
    return _password_replace(user=user, new_password=new_password, keep_session=keep_session, ip=ip)


@transaction.atomic
def _password_replace(*, user: User, new_password: str, keep_session: str | None, ip: str | None) -> User:
    """Set the new password. Every other session is revoked: their refresh tokens are blacklisted;
    the caller's session (``keep_session``) continues."""
    user = User.objects.select_for_update().get(pk=user.pk)
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
