"""Serializers of the events API: input shapes (types and formats only — the rules live in
``apps.events.services``) and output shapes (branding resolved, file names turned into read URLs)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.core import uploads
from apps.core.api.fields import StrictBooleanField
from apps.core.money import MoneyField
from apps.core.text import markdown_validator
from apps.events.models import Event, EventLink, EventMedia, FoodOption, LinkKind, LogoSize, Sponsor

COLOR_FIELDS = ("primary_color", "secondary_color", "accent_color", "background_color")
#: File URLs are null while there is no file (no logo, media not yet confirmed).
NULLABLE_URI: dict[str, Any] = {"type": "string", "format": "uri", "nullable": True}


def _absolute(context: dict[str, Any], url: str | None) -> str | None:
    """Disk storage answers ``/media/…``; make it absolute for API clients. SAS URLs already are."""
    request = context.get("request")
    if url and url.startswith("/") and request is not None:
        return request.build_absolute_uri(url)
    return url


# --- Events -------------------------------------------------------------------------------------


class EventSerializer(serializers.ModelSerializer):
    """An event as clients see it. Colours and ``logo`` are resolved: the event's own value, else
    the NPO's branding (``branding_inherited`` lists what came from the NPO)."""

    npo_name = serializers.CharField(source="npo.name", read_only=True)
    description_html = serializers.CharField(
        read_only=True, help_text="The Markdown description, rendered and sanitised (stored on save)."
    )
    primary_color = serializers.SerializerMethodField()
    secondary_color = serializers.SerializerMethodField()
    accent_color = serializers.SerializerMethodField()
    background_color = serializers.SerializerMethodField()
    logo = serializers.SerializerMethodField(help_text="Read URL of the event's logo, else the NPO's (or null).")
    branding_inherited = serializers.SerializerMethodField(
        help_text="Branding fields whose value comes from the NPO because the event has none."
    )

    class Meta:
        model = Event
        fields = [
            "id",
            "npo",
            "npo_name",
            "name",
            "slug",
            "status",
            "tagline",
            "description",
            "description_html",
            "starts_at",
            "ends_at",
            "timezone",
            "venue_name",
            "venue_address",
            "venue_city",
            "venue_state",
            "venue_postal_code",
            "attire",
            "contact_name",
            "contact_email",
            "contact_phone",
            *COLOR_FIELDS,
            "logo",
            "branding_inherited",
            "goal_amount",
            "capacity",
            "checkin_required_to_bid",
            "soft_close_minutes",
            "next_bidder_number",
            "version",
            "published_at",
            "closed_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def _color(self, event: Event, field: str) -> str:
        return getattr(event, field) or getattr(event.npo, field, "") or ""

    def get_primary_color(self, event: Event) -> str:
        return self._color(event, "primary_color")

    def get_secondary_color(self, event: Event) -> str:
        return self._color(event, "secondary_color")

    def get_accent_color(self, event: Event) -> str:
        return self._color(event, "accent_color")

    def get_background_color(self, event: Event) -> str:
        return self._color(event, "background_color")

    @extend_schema_field(NULLABLE_URI)
    def get_logo(self, event: Event) -> str | None:
        name = event.logo.name or (event.npo.logo.name if event.npo.logo else "")
        return _absolute(self.context, uploads.file_url(name))

    def get_branding_inherited(self, event: Event) -> list[str]:
        inherited = [f for f in COLOR_FIELDS if not getattr(event, f) and getattr(event.npo, f, None)]
        if not event.logo.name and event.npo.logo:
            inherited.append("logo")
        return inherited


class _EventInputBase(serializers.Serializer):
    """Types and formats of the writable event fields (rules: ``services._validate_event``)."""

    name = serializers.CharField(max_length=200)
    slug = serializers.CharField(max_length=220, required=False, help_text="Generated from the name when omitted.")
    tagline = serializers.CharField(max_length=250, required=False, allow_blank=True)
    description = serializers.CharField(
        required=False, allow_blank=True, validators=[markdown_validator], help_text="Markdown."
    )
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    timezone = serializers.CharField(max_length=64, required=False, help_text="IANA name, e.g. America/Chicago.")
    venue_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    venue_address = serializers.CharField(max_length=250, required=False, allow_blank=True)
    venue_city = serializers.CharField(max_length=100, required=False, allow_blank=True)
    venue_state = serializers.CharField(max_length=100, required=False, allow_blank=True)
    venue_postal_code = serializers.CharField(max_length=20, required=False, allow_blank=True)
    attire = serializers.CharField(max_length=120, required=False, allow_blank=True)
    contact_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    contact_email = serializers.EmailField(required=False, allow_blank=True)
    contact_phone = serializers.CharField(max_length=30, required=False, allow_blank=True)
    primary_color = serializers.CharField(max_length=7, required=False, allow_blank=True, help_text="#RRGGBB")
    secondary_color = serializers.CharField(max_length=7, required=False, allow_blank=True, help_text="#RRGGBB")
    accent_color = serializers.CharField(max_length=7, required=False, allow_blank=True, help_text="#RRGGBB")
    background_color = serializers.CharField(max_length=7, required=False, allow_blank=True, help_text="#RRGGBB")
    logo = serializers.FileField(
        required=False, allow_null=True, allow_empty_file=True, help_text="Image (multipart); null or empty removes."
    )
    goal_amount = MoneyField(required=False, allow_null=True, allow_zero=True)
    capacity = serializers.IntegerField(min_value=1, max_value=1_000_000, required=False, allow_null=True)
    checkin_required_to_bid = StrictBooleanField(required=False)
    soft_close_minutes = serializers.IntegerField(min_value=0, max_value=120, required=False)
    next_bidder_number = serializers.IntegerField(min_value=1, max_value=99_999_999, required=False)


class EventCreateSerializer(_EventInputBase):
    npo = serializers.UUIDField()


class EventUpdateSerializer(_EventInputBase):
    version = serializers.IntegerField(
        min_value=1, required=False, help_text="The version you edited; a stale one answers 409 VERSION_CONFLICT."
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False

    def to_internal_value(self, data: Any) -> Any:
        # A multipart form can only send "" for "no logo": treat it as removal.
        if hasattr(data, "get") and data.get("logo") == "":
            data = data.copy()
            data["logo"] = None
        return super().to_internal_value(data)


class VersionSerializer(serializers.Serializer):
    version = serializers.IntegerField(min_value=1, required=False, help_text="Optional optimistic-concurrency check.")


# --- Media --------------------------------------------------------------------------------------


class EventMediaSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField(help_text="Short-lived read URL (SAS on Azure).")

    class Meta:
        model = EventMedia
        fields = [
            "id",
            "event",
            "kind",
            "content_type",
            "size",
            "width",
            "height",
            "url",
            "original_name",
            "caption",
            "display_order",
            "status",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(NULLABLE_URI)
    def get_url(self, media: EventMedia) -> str | None:
        if media.status != "ready":
            return None
        return _absolute(self.context, uploads.file_url(media.file.name))


class MediaUploadSerializer(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=True, help_text="Image (JPEG, PNG, WebP, GIF), PDF or video (MP4).")
    caption = serializers.CharField(max_length=250, required=False, allow_blank=True)
    display_order = serializers.IntegerField(min_value=0, max_value=1_000_000, required=False)


class MediaUpdateSerializer(serializers.Serializer):
    caption = serializers.CharField(max_length=250, required=False, allow_blank=True)
    display_order = serializers.IntegerField(min_value=0, max_value=1_000_000, required=False)


class UploadUrlRequestSerializer(serializers.Serializer):
    size = serializers.IntegerField(min_value=1, help_text="Size of the file in bytes (reserved against the caps).")
    filename = serializers.CharField(max_length=255, required=False, allow_blank=True)
    content_type = serializers.CharField(max_length=100, required=False, allow_blank=True)


class UploadUrlResponseSerializer(serializers.Serializer):
    media = EventMediaSerializer()
    upload_url = serializers.URLField(help_text="Write-only SAS URL; PUT the file there.")
    method = serializers.CharField()
    headers = serializers.DictField(child=serializers.CharField(), help_text="Headers the PUT must carry.")
    expires_at = serializers.DateTimeField()
    max_bytes = serializers.IntegerField()


# --- Links, meal options ------------------------------------------------------------------------


class EventLinkSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=LinkKind.choices)
    url = serializers.URLField(max_length=500)
    label = serializers.CharField(max_length=120, required=False, allow_blank=True)  # type: ignore[assignment]
    display_order = serializers.IntegerField(min_value=0, max_value=1_000_000, required=False)

    class Meta:
        model = EventLink
        fields = ["id", "kind", "url", "label", "display_order"]
        read_only_fields = ["id"]


class FoodOptionSerializer(serializers.ModelSerializer):
    name = serializers.CharField(max_length=120)
    description = serializers.CharField(required=False, allow_blank=True)
    display_order = serializers.IntegerField(min_value=0, max_value=1_000_000, required=False)

    class Meta:
        model = FoodOption
        fields = ["id", "name", "description", "display_order"]
        read_only_fields = ["id"]


# --- Sponsors -----------------------------------------------------------------------------------


class SponsorSerializer(serializers.ModelSerializer):
    """A sponsor. Contact details and the donation amount are the NPO's business: they appear only
    for callers with ``events.manage`` (context ``private=True``), never on public pages."""

    logo = serializers.SerializerMethodField()
    logo_thumbnail = serializers.SerializerMethodField()

    PRIVATE_FIELDS = ("contact_name", "contact_email", "contact_phone", "donation_amount")
    SCHEMA_OPTIONAL_FIELDS = PRIVATE_FIELDS  # apps.core.api.schema: absent for the public

    class Meta:
        model = Sponsor
        fields = [
            "id",
            "name",
            "level",
            "logo",
            "logo_thumbnail",
            "logo_size",
            "website",
            "contact_name",
            "contact_email",
            "contact_phone",
            "donation_amount",
            "display_order",
        ]
        read_only_fields = fields

    @extend_schema_field(NULLABLE_URI)
    def get_logo(self, sponsor: Sponsor) -> str | None:
        return _absolute(self.context, uploads.file_url(sponsor.logo.name))

    @extend_schema_field(NULLABLE_URI)
    def get_logo_thumbnail(self, sponsor: Sponsor) -> str | None:
        return _absolute(self.context, uploads.file_url(sponsor.logo_thumbnail.name))

    def to_representation(self, instance: Sponsor) -> dict[str, Any]:
        data = super().to_representation(instance)
        if not self.context.get("private"):
            for field in self.PRIVATE_FIELDS:
                data.pop(field, None)
        return data


class SponsorInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    level = serializers.CharField(max_length=50, required=False, allow_blank=True)
    logo = serializers.FileField(allow_empty_file=True, help_text="Image (multipart); a thumbnail is generated.")
    logo_size = serializers.ChoiceField(choices=LogoSize.choices, required=False)
    website = serializers.URLField(max_length=500, required=False, allow_blank=True)
    contact_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    contact_email = serializers.EmailField(required=False, allow_blank=True)
    contact_phone = serializers.CharField(max_length=30, required=False, allow_blank=True)
    donation_amount = MoneyField(required=False, allow_null=True, allow_zero=True)
    display_order = serializers.IntegerField(min_value=0, max_value=1_000_000, required=False)


class SponsorUpdateSerializer(SponsorInputSerializer):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False
        self.fields["logo"].allow_null = True

    def to_internal_value(self, data: Any) -> Any:
        if hasattr(data, "get") and data.get("logo") == "":
            data = data.copy()
            data["logo"] = None
        return super().to_internal_value(data)


class SponsorReorderSerializer(serializers.Serializer):
    order = serializers.ListField(
        child=serializers.UUIDField(), allow_empty=True, help_text="Every sponsor id of the event, in display order."
    )


# --- Public -------------------------------------------------------------------------------------


class PublicEventSerializer(EventSerializer):
    """The public event page: the event plus its gallery, links, meal options and sponsors."""

    media = serializers.SerializerMethodField()
    links = EventLinkSerializer(many=True, read_only=True)
    food_options = FoodOptionSerializer(many=True, read_only=True)
    meals = FoodOptionSerializer(many=True, read_only=True, source="food_options", help_text="Alias of food_options.")
    sponsors = serializers.SerializerMethodField()

    class Meta(EventSerializer.Meta):
        fields = [*EventSerializer.Meta.fields, "media", "links", "food_options", "meals", "sponsors"]
        read_only_fields = fields

    @extend_schema_field(EventMediaSerializer(many=True))
    def get_media(self, event: Event) -> Any:
        return EventMediaSerializer(event.media.all(), many=True, context=self.context).data

    @extend_schema_field(SponsorSerializer(many=True))
    def get_sponsors(self, event: Event) -> Any:
        return SponsorSerializer(event.sponsors.all(), many=True, context={**self.context, "private": False}).data
