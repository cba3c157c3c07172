"""Legal documents, the consent log, cookie preferences, privacy exports, the contact form and
testimonials (legal.md).

The rules live in ``apps.legal.services``; the database guarantees the invariants the services
check: one published document per type, unique versions, an append-only consent log (a trigger on
PostgreSQL, ``save``/``delete`` refusal everywhere), one cookie preference per user or visitor.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual
from django.utils import timezone

from apps.core.models import BaseModel
from apps.core.text import MarkdownFieldsMixin, markdown_validator


class DocumentType(models.TextChoices):
    TERMS = "terms", "Terms of service"
    PRIVACY = "privacy", "Privacy policy"


class DocumentStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"
    ARCHIVED = "archived", "Archived"


class ImmutableRowError(Exception):
    """A write the table never allows (a published document's text, a consent log row)."""


class LegalDocument(MarkdownFieldsMixin, BaseModel):
    """One version of the terms of service or the privacy policy: ``draft → published → archived``.

    The version is ``MAJOR.MINOR`` stored as two integers, so 1.10 sorts after 1.9 and "1.2" and
    "1.02" cannot both exist. Publishing archives the previous published version of the type
    (``services.documents.legal_document_publish``, under a lock); a partial unique constraint keeps
    exactly one published document per type whatever races. The text of a published or archived
    version never changes (a new version is the correction): ``save`` refuses it.
    """

    type = models.CharField(max_length=10, choices=DocumentType.choices)
    major = models.PositiveIntegerField()
    minor = models.PositiveIntegerField()
    body = models.TextField(help_text="Markdown", validators=[markdown_validator])
    body_html = models.TextField(blank=True, editable=False)
    status = models.CharField(max_length=10, choices=DocumentStatus.choices, default=DocumentStatus.DRAFT)
    published_at = models.DateTimeField(null=True, blank=True, editable=False)
    archived_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )

    markdown_fields: ClassVar[dict[str, str]] = {"body": "body_html"}
    #: Columns a published or archived version may still change (the publish/archive transitions).
    TRANSITION_FIELDS: ClassVar[frozenset[str]] = frozenset(
        {"status", "published_at", "archived_at", "published_by", "updated_at"}
    )

    class Meta:
        ordering = ["type", "-major", "-minor"]
        constraints = [
            models.UniqueConstraint(fields=["type", "major", "minor"], name="legal_document_version_unique"),
            models.UniqueConstraint(
                fields=["type"], condition=Q(status="published"), name="legal_document_one_published_per_type"
            ),
            models.CheckConstraint(condition=Q(type__in=DocumentType.values), name="legal_document_type_valid"),
            models.CheckConstraint(condition=Q(status__in=DocumentStatus.values), name="legal_document_status_valid"),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(published_at__isnull=False),
                name="legal_document_published_has_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_type_display()} {self.version} ({self.status})"

    @classmethod
    def from_db(cls, db: Any, field_names: Any, values: Any) -> Any:
        instance = super().from_db(db, field_names, values)
        instance._loaded_status = instance.__dict__.get("status")
        return instance

    @property
    def version(self) -> str:
        return f"{self.major}.{self.minor}"

    @property
    def is_draft(self) -> bool:
        return self.status == DocumentStatus.DRAFT

    def save(self, *args: Any, **kwargs: Any) -> None:
        loaded = getattr(self, "_loaded_status", None)
        if not self._state.adding and loaded not in (None, DocumentStatus.DRAFT):
            update_fields = kwargs.get("update_fields")
            if update_fields is None or not set(update_fields) <= self.TRANSITION_FIELDS:
                raise ImmutableRowError("A published or archived document is never edited; publish a new version.")
        super().save(*args, **kwargs)
        self._loaded_status = self.status

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        if getattr(self, "_loaded_status", self.status) != DocumentStatus.DRAFT:
            raise ImmutableRowError("A published or archived document is never deleted.")
        return super().delete(*args, **kwargs)


class ConsentAction(models.TextChoices):
    ACCEPT = "accept", "Accepted"
    WITHDRAW = "withdraw", "Withdrew"
    COOKIES = "cookies", "Cookie choices"


class ConsentRecordQuerySet(models.QuerySet):
    """Rows are never updated or deleted in bulk either; the one exception is
    :meth:`erase_network_details`, the retention rule of an account deletion (legal.md)."""

    def delete(self) -> Any:
        raise ImmutableRowError("The consent log is append-only.")

    def update(self, **kwargs: Any) -> int:
        raise ImmutableRowError("The consent log is append-only.")

    def erase_network_details(self) -> int:
        """Forget the IP address and user agent of these rows (the person deleted their account);
        what was agreed, by whom (the anonymised account) and when stays as proof."""
        return super().update(ip_address=None, user_agent="")


class ConsentRecord(models.Model):
    """The append-only consent log: one row per acceptance, withdrawal or cookie choice.

    ``user`` or ``visitor_id`` (or both: a visitor's cookie choice carried over at sign-in) says
    whose it is. Rows are never changed or deleted: ``save`` of an existing row and ``delete``
    raise, the queryset refuses bulk writes, and on PostgreSQL a trigger (migration 0002) refuses
    any UPDATE or DELETE except erasing ``ip_address``/``user_agent`` (account deletion).
    """

    id = models.BigAutoField(primary_key=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    visitor_id = models.UUIDField(null=True, blank=True, db_index=True, editable=False)
    action = models.CharField(max_length=10, choices=ConsentAction.choices, editable=False)
    document_type = models.CharField(max_length=10, choices=DocumentType.choices, blank=True, editable=False)
    version = models.CharField(max_length=11, blank=True, editable=False)
    choices = models.JSONField(default=dict, blank=True, editable=False, help_text="cookie choices")
    ip_address = models.GenericIPAddressField(null=True, blank=True, editable=False)
    user_agent = models.CharField(max_length=300, blank=True, editable=False)

    objects = ConsentRecordQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=False) | Q(visitor_id__isnull=False), name="consent_record_has_subject"
            ),
            models.CheckConstraint(condition=Q(action__in=ConsentAction.values), name="consent_record_action_valid"),
            models.CheckConstraint(
                condition=Q(action="cookies") | (~Q(document_type="") & ~Q(version="")),
                name="consent_record_document_named",
            ),
        ]

    def __str__(self) -> str:
        what = (self.version and f"{self.document_type} {self.version}") or "cookies"
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} {what}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ImmutableRowError("The consent log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ImmutableRowError("The consent log is append-only.")


class CookiePreference(BaseModel):
    """A visitor's or a user's cookie choices. ``essential`` cookies are always on (not stored).

    Visitors are keyed by the random id of the ``augeo_visitor`` cookie the server sets; users by
    their account. Exactly one of the two is set (a check constraint); each is unique.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="cookie_preference"
    )
    visitor_id = models.UUIDField(null=True, blank=True, unique=True)
    analytics = models.BooleanField(default=False)
    marketing = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(Q(user__isnull=False) & Q(visitor_id__isnull=True))
                | (Q(user__isnull=True) & Q(visitor_id__isnull=False)),
                name="cookie_preference_user_xor_visitor",
            )
        ]

    def __str__(self) -> str:
        return f"cookies of {self.user_id or self.visitor_id}"

    @property
    def essential(self) -> bool:
        return True


class ExportStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"
    EXPIRED = "expired", "Expired"


class PrivacyExport(BaseModel):
    """A person's request for their data, outbox style: the row is written with the request,
    the JSON is built after commit in the background (``pending → ready | failed``, with attempts
    and the last error), stored privately and linked by e-mail for 24 hours, then pruned
    (``expired``: the file is gone, the row stays as the record of the request)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="privacy_exports")
    status = models.CharField(max_length=10, choices=ExportStatus.choices, default=ExportStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    file_name = models.CharField(max_length=255, blank=True, help_text="name in the default storage")
    size = models.PositiveBigIntegerField(default=0)
    ready_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["user", "created_at"]),
            models.Index(fields=["status", "created_at"]),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=ExportStatus.values), name="privacy_export_status_valid"),
            models.CheckConstraint(
                condition=~Q(status="ready") | (~Q(file_name="") & Q(expires_at__isnull=False)),
                name="privacy_export_ready_has_file",
            ),
        ]

    def __str__(self) -> str:
        return f"export of {self.user_id} ({self.status})"

    @property
    def is_downloadable(self) -> bool:
        return (
            self.status == ExportStatus.READY
            and bool(self.file_name)
            and self.expires_at is not None
            and self.expires_at > timezone.now()
        )


#: Longest accepted contact form fields (characters); the database checks them too.
CONTACT_LIMITS = {"name": 100, "email": 254, "subject": 200, "message": 5000}
TESTIMONIAL_QUOTE_MAX = 1000


class ContactMessage(BaseModel):
    """A message sent through the public contact form; super admins mark it handled."""

    name = models.CharField(max_length=CONTACT_LIMITS["name"])
    email = models.EmailField(max_length=CONTACT_LIMITS["email"])
    subject = models.CharField(max_length=CONTACT_LIMITS["subject"])
    message = models.TextField(validators=[MaxLengthValidator(CONTACT_LIMITS["message"])])
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    handled = models.BooleanField(default=False, db_index=True)
    handled_at = models.DateTimeField(null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        # The contact scope counts one IP's recent messages (apps.legal.services.public).
        indexes = [models.Index(fields=["ip_address", "created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("message"), CONTACT_LIMITS["message"]), name="contact_message_length"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}: {self.subject}"


class Testimonial(BaseModel):
    """A quote shown on the public site; managed by super admins, listed publicly when published,
    by ``order`` (then age)."""

    quote = models.TextField(validators=[MaxLengthValidator(TESTIMONIAL_QUOTE_MAX)])
    author_name = models.CharField(max_length=120)
    author_role = models.CharField(max_length=120, blank=True)
    npo = models.ForeignKey("npos.NPO", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    published = models.BooleanField(default=False)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["order", "created_at"]
        indexes = [models.Index(fields=["published", "order", "created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("quote"), TESTIMONIAL_QUOTE_MAX), name="testimonial_quote_length"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.author_name}: {self.quote[:40]}"
