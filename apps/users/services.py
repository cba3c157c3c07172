"""Every write of the accounts area: sign-up, e-mail verification, login, sessions, passwords,
profile. The API views, the admin and the commands call these; none of them touches the models.

Audit actions written here: ``auth.register``, ``auth.email_verified``, ``auth.login``,
``auth.login_failed``, ``auth.login_unverified``, ``auth.login_locked`` (attempt while locked),
``auth.lockout`` (the failure that started a lock), ``auth.device_token_invalidated`` (the failure
that finished a device token), ``auth.logout_all``,
``auth.password_reset_requested``, ``auth.password_reset``, ``auth.password_change``,
``user.activated`` / ``user.deactivated``, ``user.email_verified_by_admin``.
"""

from __future__ import annotations

import hashlib
import io
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import IO, Any

from django.contrib.auth import authenticate
from django.contrib.auth.models import update_last_login
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from PIL import Image, ImageOps
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from apps.core import uploads
from apps.core.exceptions import PermissionDenied, ValidationFailed
from apps.core.files import validate_image
from apps.core.net import client_ip
from apps.core.services import audit_record
from apps.legal.services import consent as legal_consent
from apps.users import emails, lockout, tokens
from apps.users.errors import AccountLocked, EmailNotVerified, InvalidCredentials, InvalidToken, TokenRefused
from apps.users.models import AccountToken, AccountTokenPurpose, LoginLockScope, User, UserManager

logger = logging.getLogger("augeo.users")

PROFILE_PICTURE_MAX_SIDE = 1024
PROFILE_FIELDS = frozenset(
    {
        "first_name",
        "last_name",
        "phone",
        "address_line1",
        "address_line2",
        "city",
        "state",
        "postal_code",
        "country",
        "organization",
        "social_links",
    }
)


def normalize_email(email: str) -> str:
    return UserManager.normalize_email(email)


def _password_check(password: str, user: User, field: str = "password") -> None:
    try:
        validate_password(password, user=user)
    except DjangoValidationError as exc:
        raise ValidationFailed(message=exc.messages[0], fields={field: list(exc.messages)}) from exc


# --- one-time e-mail tokens -----------------------------------------------------------------------


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


def _account_token_consume(*, token: Any, purpose: str) -> AccountToken:
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


# --- sign-up and e-mail verification --------------------------------------------------------------


def _verification_send(user: User) -> None:
    """Queue the verification mail (its token is minted when the mail is built, after commit)."""
    emails.email_queue(emails.VERIFY_EMAIL, to=user.email, user=user)


@transaction.atomic
def user_register(
    *,
    email: str,
    password: str,
    first_name: str,
    last_name: str,
    request: HttpRequest | None = None,
    accept_terms_version: str | None = None,
    accept_privacy_version: str | None = None,
) -> User:
    """Create an unverified account and send the verification e-mail (after commit). While legal
    documents are published, the person must accept their current versions (400 otherwise)."""
    accepted = legal_consent.documents_to_accept(
        {"terms": accept_terms_version, "privacy": accept_privacy_version},
        fields={"terms": "accept_terms_version", "privacy": "accept_privacy_version"},
        require_all=True,
    )
    email = normalize_email(email)
    already = ValidationFailed(
        message="An account with this e-mail address already exists.",
        fields={"email": ["An account with this e-mail address already exists."]},
    )
    if User.objects.filter(email=email).exists():
        raise already
    user = User(email=email, first_name=first_name.strip(), last_name=last_name.strip())
    _password_check(password, user)
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:  # a concurrent sign-up with the same address won the race
        raise already from exc
    legal_consent.consent_on_register(
        user=user,
        documents=accepted,
        ip=client_ip(request) if request is not None else None,
        user_agent=request.META.get("HTTP_USER_AGENT", "") if request is not None else "",
    )
    audit_record(actor=user, action="auth.register", obj=user, request=request)
    _verification_send(user)
    return user


@transaction.atomic
def email_verification_resend(*, email: str) -> None:
    """Queue a fresh verification e-mail for the address; it goes out only when the address belongs
    to an active, unverified account (decided at send time, so every address takes the same path and
    time, and the API answers 202 whatever the address)."""
    email = normalize_email(email)
    user = User.objects.filter(email=email).first()
    emails.email_queue(emails.VERIFY_EMAIL, to=email, user=user)


@transaction.atomic
def email_verify(*, token: Any, request: HttpRequest | None = None) -> User:
    row = _account_token_consume(token=token, purpose=AccountTokenPurpose.EMAIL_VERIFICATION)
    user = row.user
    if user.email_verified_at is None:
        user.email_verified_at = timezone.now()
        user.save(update_fields=["email_verified_at", "updated_at"])
    audit_record(actor=user, action="auth.email_verified", obj=user, request=request)
    return user


@transaction.atomic
def user_mark_verified(*, user: User, actor: Any, request: HttpRequest | None = None) -> User:
    """An operator vouches for the address (admin action)."""
    if user.email_verified_at is None:
        user.email_verified_at = timezone.now()
        user.save(update_fields=["email_verified_at", "updated_at"])
        audit_record(actor=actor, action="user.email_verified_by_admin", obj=user, request=request)
    return user


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
            audit_record(actor=None, action="auth.login_locked", ip_address=ip, details=details)
            raise AccountLocked(exc.seconds_left) from exc
    scope = attempt.scope

    user = authenticate(request=None, email=email, password=password)
    if user is None:
        if attempt.reached_limit:
            # This failure started a lock (or finished the device token): from the next attempt on.
            action = "auth.lockout" if scope == LoginLockScope.ACCOUNT else "auth.device_token_invalidated"
            audit_record(actor=None, action=action, ip_address=ip, details=details)
        audit_record(actor=None, action="auth.login_failed", ip_address=ip, details=details)
        raise InvalidCredentials(message="The e-mail address or password is wrong.")

    assert isinstance(user, User)
    lockout.attempt_succeeded(attempt)  # the password was right
    if not user.is_email_verified:
        audit_record(actor=user, action="auth.login_unverified", obj=user, ip_address=ip)
        raise EmailNotVerified(message="Verify your e-mail address first; we can send the link again.")
    update_last_login(User, user)
    audit_record(actor=user, action="auth.login", obj=user, ip_address=ip, details={"device": details["device"]})
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


def _cut_off_access(user: User) -> None:
    user.tokens_valid_after = timezone.now()
    user.save(update_fields=["tokens_valid_after", "updated_at"])


@transaction.atomic
def sessions_revoke_all(*, user: User, request: HttpRequest | None = None, actor: Any = None) -> int:
    """Log out everywhere: every refresh token blacklisted, every access token issued before now refused."""
    count = tokens.outstanding_blacklist(user=user)
    _cut_off_access(user)
    audit_record(
        actor=actor or user,
        action="auth.logout_all",
        obj=user,
        request=request,
        details={"refresh_tokens_revoked": count},
    )
    return count


# --- passwords ------------------------------------------------------------------------------------


@transaction.atomic
def password_reset_request(*, email: str, request: HttpRequest | None = None, actor: Any = None) -> None:
    """Queue a reset link for the address. Existing and unknown addresses take the same path and
    time — one lookup, one audit entry, one outbox row, no mail work in the request —; whether a mail
    goes out (an active account) is decided when the row is sent, after the answer."""
    email = normalize_email(email)
    user = User.objects.filter(email=email).first()
    audit_record(
        actor=actor, action="auth.password_reset_requested", obj=user, request=request, details={"email": email}
    )
    emails.email_queue(emails.PASSWORD_RESET, to=email, user=user)


@transaction.atomic
def password_reset_confirm(*, token: Any, password: str, request: HttpRequest | None = None) -> User:
    """Set a new password with a reset token. Revokes every session (refresh tokens blacklisted,
    older access tokens refused) and clears the lockout; the mailbox is proven, so the address
    counts as verified too."""
    row = _account_token_consume(token=token, purpose=AccountTokenPurpose.PASSWORD_RESET)
    user = User.objects.select_for_update().get(pk=row.user_id)
    _password_check(password, user)
    user.set_password(password)
    if user.email_verified_at is None:
        user.email_verified_at = timezone.now()
    user.tokens_valid_after = timezone.now()
    user.save(update_fields=["password", "email_verified_at", "tokens_valid_after", "updated_at"])
    revoked = tokens.outstanding_blacklist(user=user)
    lockout.lockout_reset(email=user.email)
    audit_record(
        actor=user, action="auth.password_reset", obj=user, request=request, details={"refresh_tokens_revoked": revoked}
    )
    return user


@transaction.atomic
def password_change(
    *,
    user: User,
    current_password: str,
    new_password: str,
    keep_session: str | None = None,
    request: HttpRequest | None = None,
) -> User:
    """Change the password (the current one is required). Every other session is revoked: their
    refresh tokens are blacklisted; the caller's session (``keep_session``) continues."""
    user = User.objects.select_for_update().get(pk=user.pk)
    if not user.check_password(current_password):
        raise ValidationFailed(
            message="The current password is wrong.", fields={"current_password": ["The current password is wrong."]}
        )
    _password_check(new_password, user, field="new_password")
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
        request=request,
        details={"refresh_tokens_revoked": revoked},
    )
    return user


# --- profile and administration -------------------------------------------------------------------


@transaction.atomic
def user_profile_update(*, user: User, data: dict[str, Any]) -> User:
    """Update the profile fields in ``data`` (already validated by the API or a form)."""
    changed = [name for name in data if name in PROFILE_FIELDS]
    for name in changed:
        setattr(user, name, data[name])
    if changed:
        user.save(update_fields=[*changed, "updated_at"])
    return user


def _normalised_image(upload: IO[bytes], extension: str) -> tuple[bytes, str]:
    """Re-encode the picture: EXIF (often GPS) dropped, orientation applied, at most 1024 px a side."""
    with Image.open(upload) as original:
        image = ImageOps.exif_transpose(original)
        image.thumbnail((PROFILE_PICTURE_MAX_SIDE, PROFILE_PICTURE_MAX_SIDE))
        if extension in ("jpg", "jpeg"):
            fmt, ext = "JPEG", "jpg"
            image = image.convert("RGB")
        elif extension == "webp":
            fmt, ext = "WEBP", "webp"
        else:  # PNG, and GIF (first frame) as PNG
            fmt, ext = "PNG", "png"
            if image.mode not in ("RGB", "RGBA", "L", "LA"):
                image = image.convert("RGBA")
        out = io.BytesIO()
        image.save(out, format=fmt, quality=88) if fmt != "PNG" else image.save(out, format=fmt)
    return out.getvalue(), ext


@transaction.atomic
def user_picture_set(*, user: User, upload: IO[bytes] | Any) -> User:
    """Validate (decode) the upload, store it under a server-generated name, replace the old one."""
    checked = validate_image(upload, field="file")
    try:
        content, ext = _normalised_image(upload, checked.extension)
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise ValidationFailed(
            message="The file is not a valid image.", fields={"file": ["Upload a JPEG, PNG, WebP or GIF image."]}
        ) from exc
    content_type = "image/jpeg" if ext == "jpg" else f"image/{ext}"
    saved = uploads.store_bytes(content, prefix="profile-pictures", extension=ext, content_type=content_type)
    old = user.profile_picture.name
    user.profile_picture.name = saved
    user.save(update_fields=["profile_picture", "updated_at"])
    if old:
        uploads.delete_on_commit(old)
    return user


@transaction.atomic
def user_picture_remove(*, user: User) -> User:
    old = user.profile_picture.name
    if old:
        user.profile_picture.name = ""
        user.save(update_fields=["profile_picture", "updated_at"])
        uploads.delete_on_commit(old)
    return user


@transaction.atomic
def user_set_active(*, user: User, is_active: bool, actor: Any, request: HttpRequest | None = None) -> User:
    """Activate or deactivate an account (admin). Deactivation also ends every session."""
    if not is_active and actor is not None and getattr(actor, "pk", None) == user.pk:
        raise PermissionDenied(message="You cannot deactivate your own account.")
    if user.is_active == is_active:
        return user
    user.is_active = is_active
    user.save(update_fields=["is_active", "updated_at"])
    if not is_active:
        tokens.outstanding_blacklist(user=user)
        _cut_off_access(user)
    audit_record(actor=actor, action="user.activated" if is_active else "user.deactivated", obj=user, request=request)
    return user
