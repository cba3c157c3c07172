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

import io
import logging
from typing import IO, Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from PIL import Image, ImageOps

from apps.core import uploads
from apps.core.exceptions import PermissionDenied, ValidationFailed
from apps.core.files import validate_image
from apps.core.services import audit_record
from apps.users import emails, hooks, tokens
from apps.users.models import AccountTokenPurpose, User, UserManager
from apps.users.services.account_tokens import account_token_consume
from apps.users.signals import access_cut_off_announce

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
        "timezone",  # the viewer's zone for times not tied to an event
        "social_links",
    }
)


def access_cut_off(user: User) -> None:
    """Every access token issued so far stops working (``tokens_valid_after``); refresh tokens are
    blacklisted by the callers that need it."""
    user.tokens_valid_after = timezone.now()
    user.save(update_fields=["tokens_valid_after", "updated_at"])
    access_cut_off_announce(user)


def normalize_email(email: str) -> str:
    return UserManager.normalize_email(email)


def password_check(password: str, user: User, field: str = "password") -> None:
    try:
        validate_password(password, user=user)
    except DjangoValidationError as exc:
        raise ValidationFailed(message=exc.messages[0], fields={field: list(exc.messages)}) from exc


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
    ip: str | None = None,
    user_agent: str = "",
    accept_terms_version: str | None = None,
    accept_privacy_version: str | None = None,
) -> User:
    """Create an unverified account and send the verification e-mail (after commit). While legal
    documents are published, the person must accept their current versions (400 otherwise)."""
    terms = hooks.signup_terms()  # apps.legal: the current terms and privacy policy
    accepted = terms.check(
        {"terms": accept_terms_version, "privacy": accept_privacy_version},
        fields={"terms": "accept_terms_version", "privacy": "accept_privacy_version"},
    )
    email = normalize_email(email)
    already = ValidationFailed(
        message="An account with this e-mail address already exists.",
        fields={"email": ["An account with this e-mail address already exists."]},
    )
    if User.objects.filter(email=email).exists():
        raise already
    # The verification mails to one address (sign-ups and resends) share the `register` budget.
    emails.mail_limit_check(emails.VERIFY_EMAIL, to=email, scope="register")
    user = User(email=email, first_name=first_name.strip(), last_name=last_name.strip())
    password_check(password, user)
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:  # a concurrent sign-up with the same address won the race
        raise already from exc
    terms.record(user=user, accepted=accepted, ip=ip, user_agent=user_agent)
    audit_record(actor=user, action="auth.register", obj=user, ip=ip)
    _verification_send(user)
    return user


@transaction.atomic
def user_create_without_password(
    *,
    email: str,
    first_name: str = "",
    last_name: str = "",
    phone: str = "",
    actor: Any = None,
    reason: str,
    ip: str | None = None,
) -> User:
    """An account for someone staff entered (a walk-in, a row of a guest import): no password, so
    nobody can sign in as them until they claim it with a password reset. The one place such
    accounts are made, audited with ``reason`` (``walk_in``, ``import``)."""
    user = User.objects.create_user(
        email=normalize_email(email), password=None, first_name=first_name, last_name=last_name, phone=phone
    )
    audit_record(actor=actor, action="user.created_without_password", obj=user, ip=ip, details={"reason": reason})
    return user


@transaction.atomic
def email_verification_resend(*, email: str) -> None:
    """Queue a fresh verification e-mail for the address; it goes out only when the address belongs
    to an active, unverified account (decided at send time, so every address takes the same path and
    time, and the API answers 202 whatever the address). The ``register`` scope's rate per address
    (sign-up and resends together), counted in the database: 429 ``THROTTLED`` beyond it."""
    email = normalize_email(email)
    user = User.objects.select_for_update().filter(email=email).first()
    emails.mail_limit_check(emails.VERIFY_EMAIL, to=email, scope="register")
    emails.email_queue(emails.VERIFY_EMAIL, to=email, user=user)


@transaction.atomic
def email_verify(*, token: Any, ip: str | None = None) -> User:
    row = account_token_consume(token=token, purpose=AccountTokenPurpose.EMAIL_VERIFICATION)
    user = row.user
    if user.email_verified_at is None:
        user.email_verified_at = timezone.now()
        user.save(update_fields=["email_verified_at", "updated_at"])
    audit_record(actor=user, action="auth.email_verified", obj=user, ip=ip)
    return user


@transaction.atomic
def user_mark_verified(*, user: User, actor: Any, ip: str | None = None) -> User:
    """An operator vouches for the address (admin action)."""
    if user.email_verified_at is None:
        user.email_verified_at = timezone.now()
        user.save(update_fields=["email_verified_at", "updated_at"])
        audit_record(actor=actor, action="user.email_verified_by_admin", obj=user, ip=ip)
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
def user_set_active(*, user: User, is_active: bool, actor: Any, ip: str | None = None) -> User:
    """Activate or deactivate an account (admin). Deactivation also ends every session."""
    if not is_active and actor is not None and getattr(actor, "pk", None) == user.pk:
        raise PermissionDenied(message="You cannot deactivate your own account.")
    if user.is_active == is_active:
        return user
    user.is_active = is_active
    user.save(update_fields=["is_active", "updated_at"])
    if not is_active:
        tokens.outstanding_blacklist(user=user)
        access_cut_off(user)
    audit_record(actor=actor, action="user.activated" if is_active else "user.deactivated", obj=user, ip=ip)
    return user
