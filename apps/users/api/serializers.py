"""Input and output shapes of the accounts endpoints (api.md "Accounts").

Input fields are strict: a number or list where a string is expected is a 400, not silently
stringified. Business rules (unique e-mail, password validators) live in the services.
"""

from __future__ import annotations

import re
import zoneinfo
from typing import Any
from urllib.parse import urlparse

import phonenumbers
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.core.api.fast import CompiledRepresentation
from apps.users.hooks import membership_summaries
from apps.users.models import User

MAX_PASSWORD_LENGTH = 256  # Argon2 takes any length; a cap keeps hashing cost bounded


class StrictCharField(serializers.CharField):
    """A ``CharField`` that refuses non-string JSON values (DRF would accept ``123`` as ``"123"``)."""

    default_error_messages = {"invalid": "Not a valid string."}

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictEmailField(serializers.EmailField):
    default_error_messages = {"invalid": "Enter a valid e-mail address."}

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data).strip().lower()


def _password_field(**kwargs: Any) -> StrictCharField:
    return StrictCharField(
        write_only=True,
        trim_whitespace=False,
        max_length=MAX_PASSWORD_LENGTH,
        style={"input_type": "password"},
        **kwargs,
    )


class RegisterSerializer(serializers.Serializer):
    email = StrictEmailField(max_length=254)
    password = _password_field()
    first_name = StrictCharField(max_length=150)
    last_name = StrictCharField(max_length=150)
    # Required while documents are published: the current versions (GET /api/v1/legal/documents/).
    accept_terms_version = StrictCharField(
        max_length=20, required=False, help_text="The current terms of service version the person accepts"
    )
    accept_privacy_version = StrictCharField(
        max_length=20, required=False, help_text="The current privacy policy version the person accepts"
    )


class TokenSerializer(serializers.Serializer):
    token = StrictCharField(max_length=256, trim_whitespace=True)


class EmailSerializer(serializers.Serializer):
    email = StrictEmailField(max_length=254)


class LoginSerializer(serializers.Serializer):
    email = StrictEmailField(max_length=254)
    password = _password_field()


class RefreshSerializer(serializers.Serializer):
    refresh = StrictCharField(max_length=4096)


class TokenPairSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()


class PasswordResetConfirmSerializer(serializers.Serializer):
    token = StrictCharField(max_length=256)
    password = _password_field()


class PasswordChangeSerializer(serializers.Serializer):
    current_password = _password_field()
    new_password = _password_field()


class DetailSerializer(serializers.Serializer):
    detail = serializers.CharField()


@extend_schema_field({"$ref": "#/components/schemas/RoleEnum"})
class RoleField(serializers.CharField):
    """A member's role; in the schema, the ``RoleEnum`` component of apps.npos's API (users does not
    import npos, which sits above it; the schema test fails if the component disappears)."""


class MembershipSummarySerializer(serializers.Serializer):
    """One item of ``memberships``: exactly ``{npo, role}`` as api.md names it (the NPO's id and the
    role in it); apps read the NPO's name from ``GET /npos/{id}/``."""

    # The schema only: the items come from apps.npos through apps.users.hooks.membership_summaries.

    npo = serializers.UUIDField(read_only=True)
    role = RoleField(read_only=True)


_COUNTRY = re.compile(r"^[A-Z]{2}$")
SOCIAL_LINKS_MAX = 10


class UserSerializer(CompiledRepresentation, serializers.ModelSerializer):
    """The own profile (``/users/me/``) and the ``user`` of a login or sign-up answer.

    ``memberships`` lists the active memberships of NPOs that are not deleted, exactly as
    ``{npo, role}``. ``phone`` is stored in E.164; ``social_links`` is an object of
    network name → http(s) URL.
    """

    first_name = StrictCharField(max_length=150, required=False, allow_blank=True)
    last_name = StrictCharField(max_length=150, required=False, allow_blank=True)
    phone = StrictCharField(max_length=32, required=False, allow_blank=True)
    address_line1 = StrictCharField(max_length=200, required=False, allow_blank=True)
    address_line2 = StrictCharField(max_length=200, required=False, allow_blank=True)
    city = StrictCharField(max_length=100, required=False, allow_blank=True)
    state = StrictCharField(max_length=100, required=False, allow_blank=True)
    postal_code = StrictCharField(max_length=20, required=False, allow_blank=True)
    country = StrictCharField(max_length=2, required=False, allow_blank=True, help_text="ISO 3166-1 alpha-2, e.g. US")
    organization = StrictCharField(max_length=200, required=False, allow_blank=True)
    social_links = serializers.DictField(
        child=serializers.URLField(max_length=500),
        required=False,
        help_text='network name → URL, e.g. {"linkedin": "https://…"}',
    )
    email_verified = serializers.BooleanField(source="is_email_verified", read_only=True)
    profile_picture = serializers.ImageField(read_only=True, allow_null=True)
    memberships = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = [
            "id",
            "email",
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
            "timezone",
            "profile_picture",
            "email_verified",
            "is_superuser",
            "memberships",
            "date_joined",
        ]
        read_only_fields = ["id", "email", "is_superuser", "date_joined"]

    @extend_schema_field(MembershipSummarySerializer(many=True))
    def get_memberships(self, user: User) -> list[dict[str, Any]]:
        return membership_summaries(user)

    def validate_phone(self, value: str) -> str:
        if not value:
            return ""
        try:
            number = phonenumbers.parse(value, None)
        except phonenumbers.NumberParseException as exc:
            raise serializers.ValidationError("Enter the number in international format, e.g. +14155550123.") from exc
        if not phonenumbers.is_valid_number(number):
            raise serializers.ValidationError("This is not a valid phone number.")
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)

    def validate_timezone(self, value: str) -> str:
        """Times not tied to an event are shown in this zone (empty: the NPO's); IANA names only."""
        value = value.strip()
        if value and value not in zoneinfo.available_timezones():
            raise serializers.ValidationError("Use an IANA time zone name, e.g. America/Chicago.")
        return value

    def validate_country(self, value: str) -> str:
        value = value.strip().upper()
        if value and not _COUNTRY.match(value):
            raise serializers.ValidationError("Use a two-letter ISO country code, e.g. US.")
        return value

    def validate_social_links(self, value: dict[str, str]) -> dict[str, str]:
        if len(value) > SOCIAL_LINKS_MAX:
            raise serializers.ValidationError(f"At most {SOCIAL_LINKS_MAX} links.")
        for name, url in value.items():
            if not name or len(name) > 40 or not name.isprintable():
                raise serializers.ValidationError("Link names must be 1 to 40 characters.")
            if urlparse(url).scheme not in ("http", "https"):
                raise serializers.ValidationError(f"{name}: only http(s) links are allowed.")
        return value


class LoginResponseSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()
    device_token = serializers.CharField(
        help_text="Keep it and send it as `X-Device-Token` when signing in to this account again: this "
        "client is then not subject to the account lock (only to its own limit of 5 failures)."
    )
    user = UserSerializer()


class PictureUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="JPEG, PNG, WebP or GIF; decoded and re-encoded by the server")
