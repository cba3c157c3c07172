"""Serializers of the NPO and team endpoints: shape and input checks only; rules live in services."""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from apps.npos.capabilities import Role
from apps.npos.models import NPO, Invitation, InvitationStatus, Membership
from apps.npos.validators import (
    clean_social_links,
    normalise_phone,
    validate_country,
    validate_currency,
    validate_hex_colour,
    validate_phone,
)


def _run(validator: Any, value: Any) -> Any:
    try:
        return validator(value)
    except DjangoValidationError as exc:
        raise serializers.ValidationError(exc.messages) from exc


class NPOSerializer(serializers.ModelSerializer):
    """An NPO's details. ``status`` and ``review_notes`` change only through the workflow actions."""

    logo_url = serializers.SerializerMethodField()

    class Meta:
        model = NPO
        fields = [
            "id",
            "name",
            "description",
            "description_html",
            "mission",
            "mission_html",
            "email",
            "phone",
            "website",
            "tax_id",
            "legal_name",
            "address_line1",
            "address_line2",
            "city",
            "state",
            "postal_code",
            "country",
            "currency",
            "status",
            "review_notes",
            "logo_url",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "id",
            "description_html",
            "mission_html",
            "status",
            "review_notes",
            "logo_url",
            "created_at",
            "updated_at",
        ]
        extra_kwargs = {"name": {"required": True, "allow_blank": False}, "currency": {"required": False}}

    def get_logo_url(self, obj: NPO) -> str | None:
        return logo_url(obj, self.context.get("request"))

    def validate_name(self, value: str) -> str:
        value = value.strip()
        if not value:
            raise serializers.ValidationError("This field may not be blank.")
        return value

    def validate_currency(self, value: str) -> str:
        value = value.strip().upper()
        _run(validate_currency, value)
        return value

    def validate_country(self, value: str) -> str:
        value = value.strip().upper()
        _run(validate_country, value)
        return value

    def validate_phone(self, value: str) -> str:
        value = value.strip()
        _run(validate_phone, value)
        return normalise_phone(value)


def logo_url(npo: NPO, request: Any) -> str | None:
    if not npo.logo:
        return None
    url = npo.logo.url
    if request is not None and url.startswith("/"):
        return request.build_absolute_uri(url)
    return url


class SocialLinksField(serializers.JSONField):
    """``{platform: url}``; accepts a JSON string too (multipart requests carry text)."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, str):
            try:
                data = json.loads(data) if data.strip() else {}
            except ValueError as exc:
                raise serializers.ValidationError("Send a JSON object of platform → URL.") from exc
        return _run(clean_social_links, data)


class BrandingSerializer(serializers.ModelSerializer):
    """Colours (``#RRGGBB``; empty clears), social links and the logo (multipart field ``logo``;
    ``null`` or an empty value removes it). ``logo_url`` is read-only."""

    logo = serializers.FileField(write_only=True, required=False, allow_null=True, allow_empty_file=True)
    logo_url = serializers.SerializerMethodField()
    social_links = SocialLinksField(required=False)

    class Meta:
        model = NPO
        fields = [
            "primary_color",
            "secondary_color",
            "accent_color",
            "background_color",
            "social_links",
            "logo",
            "logo_url",
        ]
        extra_kwargs = {
            field: {"validators": [validate_hex_colour], "required": False}
            for field in ("primary_color", "secondary_color", "accent_color", "background_color")
        }

    def get_logo_url(self, obj: NPO) -> str | None:
        return logo_url(obj, self.context.get("request"))

    def to_internal_value(self, data: Any) -> Any:
        # An empty multipart value or JSON null for ``logo`` means "remove the logo".
        if hasattr(data, "get") and "logo" in data and data.get("logo") in (None, ""):
            data = {k: v for k, v in data.items() if k != "logo"}
            validated = super().to_internal_value(data)
            validated["remove_logo"] = True
            return validated
        return super().to_internal_value(data)


class MemberUserSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    email = serializers.EmailField(read_only=True)
    first_name = serializers.CharField(read_only=True)
    last_name = serializers.CharField(read_only=True)


class MemberSerializer(serializers.ModelSerializer):
    """A team member. Only ``role`` is writable (``PATCH``)."""

    user = MemberUserSerializer(read_only=True)
    role = serializers.ChoiceField(choices=Role.choices)
    joined_at = serializers.DateTimeField(source="created_at", read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "user", "role", "status", "joined_at"]
        read_only_fields = ["id", "user", "status", "joined_at"]


class InvitationSerializer(serializers.ModelSerializer):
    """An invitation; the token itself is never returned (it is only e-mailed)."""

    role = serializers.ChoiceField(choices=Role.choices)
    email = serializers.EmailField(max_length=254)
    status = serializers.SerializerMethodField()
    invited_by = MemberUserSerializer(read_only=True)

    class Meta:
        model = Invitation
        fields = ["id", "email", "role", "status", "expires_at", "sent_count", "invited_by", "created_at"]
        read_only_fields = ["id", "status", "expires_at", "sent_count", "invited_by", "created_at"]

    def get_status(self, obj: Invitation) -> str:
        """``pending``, ``accepted``, ``revoked`` or ``expired`` (a pending invitation past its date)."""
        if obj.status == InvitationStatus.PENDING and obj.is_expired:
            return "expired"
        return obj.status


class InvitationAcceptSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=200, trim_whitespace=True)


class NPOBriefSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    name = serializers.CharField(read_only=True)
    status = serializers.CharField(read_only=True)


class MembershipSerializer(serializers.ModelSerializer):
    """The caller's membership after accepting an invitation."""

    npo = NPOBriefSerializer(read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "npo", "role", "status"]
        read_only_fields = fields


class DecisionSerializer(serializers.Serializer):
    """Optional notes of a super admin's decision (approve, suspend, reinstate)."""

    notes = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)


class RejectSerializer(serializers.Serializer):
    """Why the application is rejected; kept on the NPO and e-mailed to its admins."""

    notes = serializers.CharField(max_length=5000)
