"""NPOs (tenants), their team memberships and invitations."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from apps.core.models import BaseModel, SoftDeleteModel
from apps.core.text import MarkdownFieldsMixin, markdown_validator
from apps.npos.capabilities import Role


class NPOStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PENDING_APPROVAL = "pending_approval", "Pending approval"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    SUSPENDED = "suspended", "Suspended"


class NPO(MarkdownFieldsMixin, SoftDeleteModel):
    """A nonprofit organisation: the tenant every event, item and membership belongs to.

    Its ``status`` moves only through :mod:`apps.npos.services` (the workflow of product.md §2);
    ``review_notes`` keeps the super admin's last decision notes (a rejection's reasons).
    ``description`` and ``mission`` are Markdown, rendered on save into the ``*_html`` columns.
    """

    markdown_fields = {"description": "description_html", "mission": "mission_html"}

    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, help_text="Markdown", validators=[markdown_validator])
    description_html = models.TextField(blank=True, editable=False)
    mission = models.TextField(blank=True, help_text="Markdown", validators=[markdown_validator])
    mission_html = models.TextField(blank=True, editable=False)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=20, blank=True)
    website = models.URLField(blank=True)
    tax_id = models.CharField(max_length=50, blank=True, help_text="EIN, printed on donation receipts")
    legal_name = models.CharField(
        max_length=200, blank=True, help_text="The name on donation receipts, when it differs from the name"
    )
    address_line1 = models.CharField(max_length=200, blank=True)
    address_line2 = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    country = models.CharField(max_length=2, blank=True)
    currency = models.CharField(max_length=3, default="USD")
    status = models.CharField(max_length=20, choices=NPOStatus.choices, default=NPOStatus.DRAFT, db_index=True)
    review_notes = models.TextField(blank=True)
    # Branding
    primary_color = models.CharField(max_length=7, blank=True)
    secondary_color = models.CharField(max_length=7, blank=True)
    accent_color = models.CharField(max_length=7, blank=True)
    background_color = models.CharField(max_length=7, blank=True)
    logo = models.ImageField(upload_to="npo-logos/", blank=True)
    social_links = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = "NPO"
        verbose_name_plural = "NPOs"
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                Lower("name"), condition=Q(deleted_at__isnull=True), name="npo_name_ci_unique_alive"
            ),
            models.CheckConstraint(condition=Q(status__in=NPOStatus.values), name="npo_status_valid"),
            models.CheckConstraint(condition=Q(currency__regex=r"^[A-Z]{3}$"), name="npo_currency_iso4217_shape"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_approved(self) -> bool:
        return self.status == NPOStatus.APPROVED


class MembershipStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    REMOVED = "removed", "Removed"


class Membership(BaseModel):
    """A user's role in one NPO. Only ``active`` memberships grant capabilities.

    A removed member keeps the row (status ``removed``) so the audit trail and history stay readable;
    re-inviting them reactivates it (one row per (npo, user)).
    """

    npo = models.ForeignKey(NPO, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)
    status = models.CharField(
        max_length=10, choices=MembershipStatus.choices, default=MembershipStatus.ACTIVE, db_index=True
    )

    class Meta:
        ordering = ["npo__name", "user__email"]
        constraints = [
            models.UniqueConstraint(fields=["npo", "user"], name="membership_unique_npo_user"),
            models.CheckConstraint(condition=Q(role__in=Role.values), name="membership_role_valid"),
            models.CheckConstraint(condition=Q(status__in=MembershipStatus.values), name="membership_status_valid"),
        ]
        indexes = [models.Index(fields=["user", "status", "role"])]

    def __str__(self) -> str:
        return f"{self.user} — {self.role} @ {self.npo}"


class InvitationStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    ACCEPTED = "accepted", "Accepted"
    REVOKED = "revoked", "Revoked"


class Invitation(BaseModel):
    """An invitation to join an NPO with a role, sent by e-mail.

    Only the SHA-256 of the token is stored: a database leak does not hand out memberships. The
    token is single-use (status leaves ``pending`` on accept) and expires after
    ``settings.INVITATION_TTL`` (7 days). "Expired" is not a stored status: ``expires_at`` decides.
    Resending issues a new token (the old one stops working) and a new expiry.
    """

    npo = models.ForeignKey(NPO, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(max_length=254)
    role = models.CharField(max_length=20, choices=Role.choices)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    status = models.CharField(
        max_length=10, choices=InvitationStatus.choices, default=InvitationStatus.PENDING, db_index=True
    )
    expires_at = models.DateTimeField()
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    accepted_at = models.DateTimeField(null=True, blank=True)
    sent_count = models.PositiveSmallIntegerField(default=1)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # At most one open invitation per address and NPO; inviting again replaces it.
            models.UniqueConstraint(
                "npo",
                Lower("email"),
                condition=Q(status="pending"),
                name="invitation_one_pending_per_npo_email",
            ),
            models.CheckConstraint(condition=Q(role__in=Role.values), name="invitation_role_valid"),
            models.CheckConstraint(condition=Q(status__in=InvitationStatus.values), name="invitation_status_valid"),
        ]
        indexes = [models.Index(fields=["npo", "status"])]

    def __str__(self) -> str:
        return f"{self.email} → {self.role} @ {self.npo}"

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()
