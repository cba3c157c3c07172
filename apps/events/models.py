"""Events (galas) and what hangs off them: media gallery, external links, meal options, sponsors.

Files (event logo, media, sponsor logos and thumbnails) live in Django's default storage under
server-generated names (``apps.core.files.server_name``); the storage is the local disk on the
embedded default and a private Azure Blob container in production. Rows only keep the name.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower

from apps.core.models import BaseModel, SoftDeleteModel
from apps.core.money import validate_money
from apps.core.text import MarkdownFieldsMixin, markdown_validator


class EventStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"
    CLOSED = "closed", "Closed"


class Event(MarkdownFieldsMixin, SoftDeleteModel):
    """A gala run by one NPO: ``draft → published → closed`` (``published → draft`` while unused).

    ``version`` is bumped on every update so concurrent edits are caught (optimistic concurrency,
    api.md "Conventions"). Colours and the logo are optional here: responses fall back to the NPO's
    branding. ``next_bidder_number`` is the first bidder (paddle) number attendance hands out.
    ``description_html`` is the description rendered on save (``apps.core.text``); reads serve it.
    """

    markdown_fields = {"description": "description_html"}

    npo = models.ForeignKey("npos.NPO", on_delete=models.PROTECT, related_name="events")
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=220, unique=True)
    status = models.CharField(max_length=12, choices=EventStatus.choices, default=EventStatus.DRAFT, db_index=True)
    tagline = models.CharField(max_length=250, blank=True)
    description = models.TextField(blank=True, help_text="Markdown", validators=[markdown_validator])
    description_html = models.TextField(blank=True, editable=False)

    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    timezone = models.CharField(max_length=64, default="UTC", help_text="IANA time zone name, e.g. America/Chicago")

    # Venue
    venue_name = models.CharField(max_length=200, blank=True)
    venue_address = models.CharField(max_length=250, blank=True)
    venue_city = models.CharField(max_length=100, blank=True)
    venue_state = models.CharField(max_length=100, blank=True)
    venue_postal_code = models.CharField(max_length=20, blank=True)
    attire = models.CharField(max_length=120, blank=True)

    # Primary contact
    contact_name = models.CharField(max_length=150, blank=True)
    contact_email = models.EmailField(blank=True)
    contact_phone = models.CharField(max_length=30, blank=True)

    # Branding (blank → the NPO's branding)
    primary_color = models.CharField(max_length=7, blank=True)
    secondary_color = models.CharField(max_length=7, blank=True)
    accent_color = models.CharField(max_length=7, blank=True)
    background_color = models.CharField(max_length=7, blank=True)
    logo = models.FileField(max_length=255, blank=True)

    # Fundraising and ticketing settings
    goal_amount = models.DecimalField(
        max_digits=12, decimal_places=2, null=True, blank=True, validators=[validate_money]
    )
    capacity = models.PositiveIntegerField(null=True, blank=True, help_text="Empty = unlimited")
    checkin_required_to_bid = models.BooleanField(default=False)
    soft_close_minutes = models.PositiveIntegerField(default=0)
    next_bidder_number = models.PositiveIntegerField(default=100, help_text="The first bidder number handed out")

    version = models.PositiveIntegerField(default=1)
    published_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["starts_at", "name"]
        indexes = [
            models.Index(fields=["npo", "status"]),
            models.Index(fields=["status", "starts_at"]),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="event_ends_after_start"),
            models.CheckConstraint(condition=Q(version__gte=1), name="event_version_positive"),
            models.CheckConstraint(condition=Q(status__in=EventStatus.values), name="event_status_valid"),
        ]

    def __str__(self) -> str:
        return self.name


class MediaKind(models.TextChoices):
    IMAGE = "image", "Image"
    VIDEO = "video", "Video"
    DOCUMENT = "document", "Document (PDF)"


class MediaStatus(models.TextChoices):
    """``pending``: a direct-to-blob upload not yet confirmed (never listed). ``ready``: visible."""

    PENDING = "pending", "Pending upload"
    READY = "ready", "Ready"


class EventMedia(BaseModel):
    """One file of an event's gallery: an image, a video or a PDF flyer, checked by content.

    ``size`` counts towards the per-event cap (``AUGEO_MAX_EVENT_MEDIA_BYTES``); pending rows count
    with their announced size so parallel direct uploads cannot overshoot it.
    """

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="media")
    file = models.FileField(max_length=255)
    kind = models.CharField(max_length=10, choices=MediaKind.choices)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField(default=0)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    original_name = models.CharField(max_length=255, blank=True)
    caption = models.CharField(max_length=250, blank=True)
    display_order = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=10, choices=MediaStatus.choices, default=MediaStatus.READY)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name_plural = "event media"
        ordering = ["display_order", "created_at"]
        indexes = [models.Index(fields=["event", "status", "display_order"])]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=MediaStatus.values), name="eventmedia_status_valid"),
            models.CheckConstraint(condition=Q(kind__in=MediaKind.values), name="eventmedia_kind_valid"),
        ]

    def __str__(self) -> str:
        return self.original_name or self.file.name


class LinkKind(models.TextChoices):
    WEBSITE = "website", "Website"
    VIDEO = "video", "Video"
    SOCIAL = "social", "Social"


class EventLink(BaseModel):
    """An external link shown on the event page; ``video`` links must point at YouTube or Vimeo."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="links")
    kind = models.CharField(max_length=10, choices=LinkKind.choices)
    url = models.URLField(max_length=500)
    label = models.CharField(max_length=120, blank=True)
    display_order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["display_order", "created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=LinkKind.values), name="eventlink_kind_valid"),
        ]

    def __str__(self) -> str:
        return self.label or self.url


class FoodOption(BaseModel):
    """A meal choice guests pick when registering. Names are unique per event, case-insensitively."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="food_options")
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    display_order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["display_order", "name"]
        constraints = [
            models.UniqueConstraint("event", Lower("name"), name="foodoption_name_ci_unique_per_event"),
        ]

    def __str__(self) -> str:
        return self.name


class LogoSize(models.TextChoices):
    SMALL = "small", "Small"
    MEDIUM = "medium", "Medium"
    LARGE = "large", "Large"
    XLARGE = "xlarge", "Extra large"


class Sponsor(BaseModel):
    """A sponsor of an event, shown on the event page by ``display_order`` (reorderable).

    The uploaded logo is kept as validated; ``logo_thumbnail`` is a server-made PNG (Pillow) so lists
    never load the full-size file.
    """

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="sponsors")
    name = models.CharField(max_length=200)
    # Free text on purpose: every NPO names its own tiers ("Presenting", "Gold", "Table sponsor").
    level = models.CharField(max_length=50, blank=True)
    logo = models.FileField(max_length=255, blank=True)
    logo_thumbnail = models.FileField(max_length=255, blank=True)
    logo_size = models.CharField(max_length=8, choices=LogoSize.choices, default=LogoSize.MEDIUM)
    website = models.URLField(max_length=500, blank=True)
    contact_name = models.CharField(max_length=150, blank=True)
    contact_email = models.EmailField(blank=True)
    contact_phone = models.CharField(max_length=30, blank=True)
    donation_amount = models.DecimalField(
        max_digits=12, decimal_places=2, null=True, blank=True, validators=[validate_money]
    )
    display_order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["display_order", "name"]
        indexes = [models.Index(fields=["event", "display_order"])]
        constraints = [
            models.UniqueConstraint("event", Lower("name"), name="sponsor_name_ci_unique_per_event"),
            models.CheckConstraint(
                condition=Q(donation_amount__isnull=True) | Q(donation_amount__gte=0),
                name="sponsor_donation_not_negative",
            ),
            models.CheckConstraint(condition=Q(logo_size__in=LogoSize.values), name="sponsor_logo_size_valid"),
        ]

    def __str__(self) -> str:
        return self.name
