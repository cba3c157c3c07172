"""Attendance: registrations, their guests, bidder numbers (paddles) and seating tables.

A **registration** is one party (the registrant and the people they bring) for one event. Every
person attending is a **guest** row — the registrant included — so check-in, meals, seats and bidder
numbers are all per guest. A **paddle** is a bidder number within an event; one or more guests of the
same party may hold it (a household). Auction rows (bids, purchases, sales, pledges) point at a
paddle, which is why a paddle with any such row is never released or reused (bidding.md).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models import Value as V
from django.db.models.functions import Concat, Upper

from apps.core.models import BaseModel


class RegistrationStatus(models.TextChoices):
    CONFIRMED = "confirmed", "Confirmed"
    CANCELLED = "cancelled", "Cancelled"


class RegistrationSource(models.TextChoices):
    """How the registration came in; walk-ins ignore capacity and may have no account."""

    ONLINE = "online", "Online"
    WALK_IN = "walk_in", "Walk-in"
    IMPORT = "import", "Imported"
    STAFF = "staff", "Added by staff"


class Registration(BaseModel):
    """One party's registration for one event: ``confirmed`` → ``cancelled`` (terminal, never deleted).

    ``user`` is the account that owns the registration; it is empty only for walk-ins who gave no
    e-mail address or the address of an existing account (that account owns it once it accepts the
    guest invitation: an address typed at the desk never links an account). One *confirmed*
    registration per user per event (partial unique constraint), so a donor may register again after
    cancelling. ``code`` is the short human code printed in the confirmation e-mail and read out at
    the check-in desk.
    """

    event = models.ForeignKey("events.Event", on_delete=models.PROTECT, related_name="registrations")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="registrations"
    )
    code = models.CharField(max_length=8)
    status = models.CharField(max_length=10, choices=RegistrationStatus.choices, default=RegistrationStatus.CONFIRMED)
    source = models.CharField(max_length=10, choices=RegistrationSource.choices, default=RegistrationSource.ONLINE)
    notes = models.TextField(blank=True, help_text="Special requests, accessibility needs")
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["event", "status"])]
        constraints = [
            models.UniqueConstraint(fields=["event", "code"], name="registration_code_unique_per_event"),
            models.UniqueConstraint(
                fields=["event", "user"],
                condition=Q(status="confirmed"),
                name="registration_one_confirmed_per_user",
            ),
            models.CheckConstraint(condition=Q(status__in=RegistrationStatus.values), name="registration_status_valid"),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def is_active(self) -> bool:
        return self.status == RegistrationStatus.CONFIRMED


class Paddle(BaseModel):
    """A bidder number within an event, held by one or more guests of one party.

    ``(event, number)`` is unique in the database — the last line of defence behind the allocation
    lock. ``registration`` is the party holding it; it stays set after a cancellation when the paddle
    has auction activity, because that statement must remain the party's own.
    """

    event = models.ForeignKey("events.Event", on_delete=models.PROTECT, related_name="paddles")
    number = models.PositiveIntegerField()
    registration = models.ForeignKey(
        Registration, null=True, blank=True, on_delete=models.SET_NULL, related_name="paddles"
    )

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["event", "number"], name="paddle_number_unique_per_event"),
            models.CheckConstraint(condition=Q(number__gt=0), name="paddle_number_positive"),
        ]

    def __str__(self) -> str:
        return f"#{self.number}"


class Table(BaseModel):
    """A seating table. ``number`` is unique per event; ``capacity`` is enforced by the seating
    services (409 ``TABLE_FULL``) under a row lock; the captain must be a guest seated here."""

    event = models.ForeignKey("events.Event", on_delete=models.CASCADE, related_name="tables")
    number = models.PositiveIntegerField()
    name = models.CharField(max_length=120, blank=True)
    capacity = models.PositiveIntegerField()
    captain = models.ForeignKey("attendance.Guest", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["event", "number"], name="table_number_unique_per_event"),
            models.CheckConstraint(condition=Q(capacity__gt=0), name="table_capacity_positive"),
        ]

    def __str__(self) -> str:
        return f"Table {self.number}" + (f" ({self.name})" if self.name else "")


class Guest(BaseModel):
    """A person attending under a registration; may be a placeholder (no name yet) and may have no
    account. ``user`` is set for the registrant and, for an invited guest, only when that account
    accepts the guest invitation (the single-use link in the invitation e-mail, see
    :class:`GuestInvitation`) — never because an address matches. That is what lets them bid from
    their own phone.

    ``event`` is denormalised from the registration so the check-in list and its search index are a
    single-table scan. ``search_text`` is the four searched columns upper-cased in one stored
    generated column, with one trigram GIN index on PostgreSQL (migration 0004): a search word is
    matched with a single ``LIKE`` per row instead of four ``UPPER(col) LIKE`` (the old form cost
    ~20 ms per keystroke at 10,000 guests when the planner chose a scan; bench/checkin.py). The
    parts are joined by spaces and a search word never contains one, so a word still has to lie
    within one column.
    """

    registration = models.ForeignKey(Registration, on_delete=models.CASCADE, related_name="guests")
    event = models.ForeignKey("events.Event", on_delete=models.PROTECT, related_name="guests")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="guest_records"
    )
    first_name = models.CharField(max_length=150, blank=True)
    last_name = models.CharField(max_length=150, blank=True)
    email = models.EmailField(max_length=254, blank=True)
    phone = models.CharField(max_length=30, blank=True)
    # PROTECT: a meal that guests chose cannot disappear silently (events answers OPTION_IN_USE).
    food_option = models.ForeignKey(
        "events.FoodOption", null=True, blank=True, on_delete=models.PROTECT, related_name="guests"
    )
    is_registrant = models.BooleanField(default=False)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    paddle = models.ForeignKey(Paddle, null=True, blank=True, on_delete=models.SET_NULL, related_name="guests")
    table = models.ForeignKey(Table, null=True, blank=True, on_delete=models.SET_NULL, related_name="guests")
    invited_at = models.DateTimeField(null=True, blank=True)
    search_text = models.GeneratedField(
        expression=Upper(
            Concat("first_name", V(" "), "last_name", V(" "), "email", V(" "), "phone", output_field=models.TextField())
        ),
        output_field=models.TextField(),
        db_persist=True,
    )

    class Meta:
        ordering = ["last_name", "first_name", "created_at"]
        indexes = [
            models.Index(fields=["event", "last_name", "first_name"]),
            models.Index(fields=["event", "checked_in_at"]),
            models.Index(Upper("email"), name="guest_email_upper_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["registration"], condition=Q(is_registrant=True), name="guest_one_registrant_per_registration"
            ),
        ]

    def __str__(self) -> str:
        return self.full_name or "(guest to be named)"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def is_placeholder(self) -> bool:
        return not self.full_name

    @property
    def bidder_number(self) -> int | None:
        return self.paddle.number if self.paddle_id and self.paddle else None


class GuestInvitationStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    ACCEPTED = "accepted", "Accepted"
    REVOKED = "revoked", "Revoked"


class GuestInvitation(BaseModel):
    """One invitation e-mail sent to a guest's address, with the single-use token its link carries.

    Accepting it (``POST /api/v1/guest-invitations/accept/``) is the only way an account is linked to
    an invited guest. Only the SHA-256 of the token is stored. A newer invitation to the same guest,
    or a change of the guest's e-mail, revokes the pending one (410 afterwards); "expired" is not a
    status, ``expires_at`` decides.

    The rows are also the send log the daily limits count (per guest and per registration,
    ``apps.attendance.services.invitations``), which is why they stay when the guest is removed
    (``guest`` becomes NULL): deleting and re-adding a guest does not reset the count.
    """

    registration = models.ForeignKey(Registration, on_delete=models.CASCADE, related_name="invitations")
    guest = models.ForeignKey(Guest, null=True, blank=True, on_delete=models.SET_NULL, related_name="invitations")
    email = models.EmailField(max_length=254)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    status = models.CharField(
        max_length=10, choices=GuestInvitationStatus.choices, default=GuestInvitationStatus.PENDING
    )
    expires_at = models.DateTimeField()
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["registration", "created_at"]),
            models.Index(fields=["guest", "created_at"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["guest"], condition=Q(status="pending"), name="guest_invitation_one_pending_per_guest"
            ),
            models.CheckConstraint(
                condition=Q(status__in=GuestInvitationStatus.values), name="guest_invitation_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} ({self.status})"
