"""Input and output shapes of the legal, consent, privacy and public endpoints (api.md "Legal,
consent, privacy, public"). Inputs are strict (a number where a string is expected is a 400);
business rules live in ``apps.legal.services``."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.core.api.fields import StrictBooleanField
from apps.legal.models import CONTACT_LIMITS, DocumentType, LegalDocument, PrivacyExport, Testimonial
from apps.legal.services.exports import export_download_url
from apps.legal.versions import parse_version
from apps.users.api.serializers import DetailSerializer, StrictCharField, StrictEmailField

__all__ = ["DetailSerializer"]

VERSION_MAX = 20


class VersionField(StrictCharField):
    """``MAJOR.MINOR`` (``1.0``, ``2.13``); ``1``, ``1.2.3``, ``a.b`` are 400."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", VERSION_MAX)
        kwargs.setdefault("help_text", "MAJOR.MINOR, e.g. 1.0 or 2.13")
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        value = super().to_internal_value(data)
        try:
            return str(parse_version(value))
        except ValueError as exc:
            raise serializers.ValidationError(str(exc)) from exc


# --- documents -------------------------------------------------------------------------------------


class LegalDocumentSerializer(serializers.ModelSerializer):
    """A document version: ``body`` is the Markdown source, ``body_html`` the sanitised HTML."""

    version = serializers.CharField(read_only=True)

    class Meta:
        model = LegalDocument
        fields = ["id", "type", "version", "status", "body", "body_html", "published_at", "archived_at", "created_at"]
        read_only_fields = fields


class LegalDocumentCreateSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=DocumentType.choices)
    version = VersionField()
    body = StrictCharField(trim_whitespace=False, help_text="Markdown")

    def validate_body(self, value: str) -> str:
        limit = settings.AUGEO_MAX_MARKDOWN_CHARS
        if len(value) > limit:
            raise serializers.ValidationError(f"Ensure this text has at most {limit} characters.")
        return value


class LegalDocumentUpdateSerializer(LegalDocumentCreateSerializer):
    """``PATCH`` of a draft: any of the three fields."""

    type = serializers.ChoiceField(choices=DocumentType.choices, required=False)
    version = VersionField(required=False)
    body = StrictCharField(trim_whitespace=False, required=False, help_text="Markdown")


class VersionQuerySerializer(serializers.Serializer):
    version = VersionField(required=False, help_text="An older (archived) version, e.g. 1.0")


# --- consent ---------------------------------------------------------------------------------------


class ConsentAcceptSerializer(serializers.Serializer):
    terms_version = VersionField(required=False, help_text="The current terms of service version")
    privacy_version = VersionField(required=False, help_text="The current privacy policy version")


class ConsentTypeStatusSerializer(serializers.Serializer):
    accepted = serializers.CharField(allow_null=True, help_text="The version the user accepted (null: none)")
    current = serializers.CharField(allow_null=True, help_text="The published version (null: none published)")
    up_to_date = serializers.BooleanField(
        read_only=True, help_text="Accepted the current version or one with the same MAJOR"
    )


class ConsentStatusSerializer(serializers.Serializer):
    terms = ConsentTypeStatusSerializer()
    privacy = ConsentTypeStatusSerializer()
    required = serializers.BooleanField(  # type: ignore[assignment]  # a field named like Field.required
        read_only=True, help_text="true: the API answers CONSENT_REQUIRED until the user accepts"
    )
    required_versions = serializers.DictField(
        child=serializers.CharField(), help_text="type → version to accept (what CONSENT_REQUIRED lists)"
    )


# --- cookies ---------------------------------------------------------------------------------------


class CookieConsentSerializer(serializers.Serializer):
    essential = StrictBooleanField(default=True, help_text="Always true; essential cookies cannot be turned off")
    analytics = StrictBooleanField()
    marketing = StrictBooleanField()

    def validate_essential(self, value: bool) -> bool:
        if value is not True:
            raise serializers.ValidationError("Essential cookies cannot be turned off.")
        return value


class CookieConsentStateSerializer(serializers.Serializer):
    essential = serializers.BooleanField(read_only=True)
    analytics = serializers.BooleanField(read_only=True)
    marketing = serializers.BooleanField(read_only=True)
    chosen = serializers.BooleanField(read_only=True, help_text="false: nothing chosen yet (these are the defaults)")


# --- privacy ---------------------------------------------------------------------------------------


class PrivacyExportSerializer(serializers.ModelSerializer):
    """An export request: ``link`` is set while the file can be downloaded (24 hours)."""

    link = serializers.SerializerMethodField()

    class Meta:
        model = PrivacyExport
        fields = ["id", "status", "created_at", "ready_at", "expires_at", "size", "link"]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_link(self, export: PrivacyExport) -> str | None:
        return export_download_url(export)


class DeleteAccountSerializer(serializers.Serializer):
    password = StrictCharField(write_only=True, trim_whitespace=False, max_length=256, style={"input_type": "password"})


# --- public ----------------------------------------------------------------------------------------


class ContactSerializer(serializers.Serializer):
    name = StrictCharField(max_length=CONTACT_LIMITS["name"])
    email = StrictEmailField(max_length=CONTACT_LIMITS["email"])
    subject = StrictCharField(max_length=CONTACT_LIMITS["subject"])
    message = StrictCharField(max_length=CONTACT_LIMITS["message"])
    website = StrictCharField(
        required=False, allow_blank=True, max_length=500, help_text="Leave empty (a field people never see)."
    )


class TestimonialNPOSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()


class TestimonialSerializer(serializers.ModelSerializer):
    npo = serializers.SerializerMethodField()

    class Meta:
        model = Testimonial
        fields = ["id", "quote", "author_name", "author_role", "npo", "order"]
        read_only_fields = fields

    @extend_schema_field(TestimonialNPOSerializer(allow_null=True))
    def get_npo(self, testimonial: Testimonial) -> dict[str, Any] | None:
        if testimonial.npo_id is None or testimonial.npo is None or testimonial.npo.deleted_at is not None:
            return None
        return {"id": testimonial.npo_id, "name": testimonial.npo.name}
