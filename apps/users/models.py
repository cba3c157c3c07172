"""The custom user: e-mail is the login, stored lower-case and unique case-insensitively."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.crypto import salted_hmac

from apps.core.models import BaseModel


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    @classmethod
    def normalize_email(cls, email: str | None) -> str:
        return (email or "").strip().lower()

    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(email__iexact=self.normalize_email(username))

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        # Superusers are created verified: `createsuperuser --noinput` must yield a usable login.
        extra.setdefault("email_verified_at", timezone.now())
        return self.create_user(email, password, **extra)


class User(BaseModel, AbstractBaseUser, PermissionsMixin):
    """A person with an account: donor, NPO member or platform super admin.

    What a user may do in an NPO follows only from their memberships (permissions.md); ``is_staff``
    merely lets members into ``/admin/`` and is kept in step with memberships automatically.
    """

    email = models.EmailField(max_length=254, unique=True)
    first_name = models.CharField(max_length=150, blank=True)
    last_name = models.CharField(max_length=150, blank=True)
    phone = models.CharField(max_length=20, blank=True, help_text="E.164, e.g. +14155550123")
    address_line1 = models.CharField(max_length=200, blank=True)
    address_line2 = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    country = models.CharField(max_length=2, blank=True)
    organization = models.CharField(max_length=200, blank=True)
    social_links = models.JSONField(default=dict, blank=True)
    profile_picture = models.ImageField(upload_to="profile-pictures/", blank=True)
    email_verified_at = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)
    # "Log out everywhere" and a password reset move this cut-off: access tokens issued before it
    # are refused (apps.users.authentication), refresh tokens are blacklisted by the service.
    tokens_valid_after = models.DateTimeField(null=True, blank=True, editable=False)
    # The versions of the terms and the privacy policy this person last accepted, written only by
    # apps.legal (which also keeps the append-only consent log). The consent gate runs on every API
    # call and reads them from this row, which authentication has already loaded: no extra query.
    consent_terms_version = models.CharField(max_length=11, blank=True, editable=False)
    consent_privacy_version = models.CharField(max_length=11, blank=True, editable=False)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        ordering = ["email"]
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_ci_unique")]

    def __str__(self) -> str:
        return self.email

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.email = UserManager.normalize_email(self.email)
        super().save(*args, **kwargs)

    @property
    def is_email_verified(self) -> bool:
        return self.email_verified_at is not None

    # Django signs every session with this hash and drops a session whose hash no longer matches
    # (checked on each request). Mixing in the revocation cut-off makes "log out everywhere" and a
    # password reset end admin and browsable-API sessions too, not only JWTs; a password change
    # ends them through the password hash (the caller's own session is re-signed by the view).
    _SESSION_HASH_SALT = "apps.users.models.User.get_session_auth_hash"

    def _session_auth_hash(self, secret: str | bytes) -> str:
        cut_off = self.tokens_valid_after.isoformat() if self.tokens_valid_after else ""
        return salted_hmac(
            self._SESSION_HASH_SALT, f"{self.password}|{cut_off}", secret=secret, algorithm="sha256"
        ).hexdigest()

    def get_session_auth_hash(self) -> str:
        return self._session_auth_hash(settings.SECRET_KEY)

    def get_session_auth_fallback_hash(self) -> Iterator[str]:
        for fallback_secret in settings.SECRET_KEY_FALLBACKS:
            yield self._session_auth_hash(fallback_secret)

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip() or self.email

    def get_short_name(self) -> str:
        return self.first_name or self.email


class AccountTokenPurpose(models.TextChoices):
    EMAIL_VERIFICATION = "email_verification", "E-mail verification"
    PASSWORD_RESET = "password_reset", "Password reset"


class AccountToken(models.Model):
    """A single-use secret sent by e-mail (verification, password reset).

    Only the SHA-256 of the token is stored: a leaked database (or backup) hands out no usable link.
    A token is spent by setting ``used_at``; the row is kept until pruned so a reuse is recognised
    as such. The 256-bit random token makes a salted/slow hash unnecessary.
    """

    id = models.BigAutoField(primary_key=True)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="account_tokens")
    purpose = models.CharField(max_length=32, choices=AccountTokenPurpose.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(db_index=True)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "purpose", "used_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("created_at")), name="account_token_expires_after_creation"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.purpose} token for {self.user_id}"

    @property
    def is_usable(self) -> bool:
        return self.used_at is None and self.expires_at > timezone.now()


class LoginLockScope(models.TextChoices):
    ACCOUNT = "account", "Account (clients without a device token)"
    DEVICE = "device", "Device token"


class LoginLock(models.Model):
    """Consecutive failed sign-ins, per account or per device token (OWASP "device cookies").

    ``scope=account``: failures of clients *without* a valid device token for the account, from any
    IP; at the limit the account is locked for them (``locked_until``). ``scope=device``: failures
    of one device token; at the limit the token is invalid (``locked_until`` = when it would have
    expired anyway), so that client falls back to the account rules. ``key`` is a SHA-256 digest
    (of the normalised e-mail, or of the token's nonce): the table names nobody, and an unknown
    address is counted exactly like a real one (no enumeration through the lock).

    The counters live in the database, never in the cache, so the lock holds during a Redis
    outage. Rows are written by ``apps.users.lockout`` only, under a row lock.
    """

    id = models.BigAutoField(primary_key=True)
    scope = models.CharField(max_length=8, choices=LoginLockScope.choices)
    key = models.CharField(max_length=64)
    failures = models.PositiveIntegerField(default=0)
    last_failure_at = models.DateTimeField(null=True, blank=True)
    locked_until = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["scope", "key"], name="login_lock_scope_key_unique")]

    def __str__(self) -> str:
        return f"{self.scope} {self.key[:12]}…: {self.failures} failure(s)"
