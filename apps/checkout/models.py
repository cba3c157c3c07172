"""Checkout (checkout.md): donations, payments, refunds, saved cards, receipts.

A statement is never stored: it is computed from the rows that exist (won items, sales, purchases,
pledges, donations) and from the payment rows here (``selectors``). Everything money-related is
append-only: a donation is undone (``undone_at``), a payment is corrected by a refund, never edited
or deleted. The one exception is the provider protocol of a card payment or refund, whose row is
written ``pending`` before the provider is called and moved once to ``succeeded`` or ``failed``
(:meth:`ProviderRowMixin.save` refuses every other change). Every row points at the paddle whose
statement it changes, and every writer locks that paddle row first (``apps.attendance.locks``).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q

from apps.core.models import BaseModel
from apps.core.money import money_format

MONEY: dict[str, Any] = {"max_digits": 12, "decimal_places": 2}


class ImmutableRowError(Exception):
    """An append-only row was edited or deleted."""


class PaymentMethod(models.TextChoices):
    CASH = "cash", "Cash"
    CHECK = "check", "Check"
    CARD_TERMINAL = "card_terminal", "Card (terminal)"
    CARD_ON_FILE = "card_on_file", "Card on file"
    OTHER = "other", "Other"


class ProviderStatus(models.TextChoices):
    """``pending`` only while a provider call is in flight (card on file); every other payment is
    written ``succeeded``. Only ``succeeded`` rows count as paid."""

    PENDING = "pending", "Pending"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


#: The fields the pending → succeeded/failed transition may write (nothing else ever changes).
_SETTLE_FIELDS = {"status", "failure_reason", "provider_reference", "settled_at", "updated_at"}


class AppendOnlyMixin(models.Model):
    """Rows that are written once. ``undo_fields`` may be set once (an audited undo)."""

    undo_fields: frozenset[str] = frozenset()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            fields = set(kwargs.get("update_fields") or ())
            if not fields or not fields <= (self.undo_fields | {"updated_at"}):
                raise ImmutableRowError(f"{type(self).__name__} rows are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ImmutableRowError(f"{type(self).__name__} rows are append-only.")


class ProviderRowMixin(AppendOnlyMixin):
    """A payment or refund: append-only except for its one settle transition."""

    undo_fields = frozenset(_SETTLE_FIELDS)

    class Meta:
        abstract = True


class DonationSource(models.TextChoices):
    CASHIER = "cashier", "Added by the cashier"
    DONOR = "donor", "Added by the donor"


class Donation(AppendOnlyMixin, BaseModel):
    """A gift added at checkout ("add a gift", "cover the fees"): a fully deductible statement line.
    Undone, never deleted (an audited action)."""

    undo_fields = frozenset({"undone_at", "undone_by"})

    event = models.ForeignKey("events.Event", on_delete=models.PROTECT, related_name="donations")
    paddle = models.ForeignKey("attendance.Paddle", on_delete=models.PROTECT, related_name="donations")
    amount = models.DecimalField(**MONEY)
    source = models.CharField(max_length=8, choices=DonationSource.choices, default=DonationSource.CASHIER)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["paddle", "undone_at"]), models.Index(fields=["event", "undone_at"])]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="donation_amount_positive"),
            models.CheckConstraint(condition=Q(source__in=DonationSource.values), name="donation_source_valid"),
        ]

    def __str__(self) -> str:
        return f"Donation {money_format(self.amount)}"


class Payment(ProviderRowMixin, BaseModel):
    """Money received for a paddle's statement. ``card_on_file`` payments go through the payment
    provider: written ``pending`` with a ``provider_key`` (the idempotency key the provider sees,
    one per payment, so a retry never charges twice), then settled."""

    event = models.ForeignKey("events.Event", on_delete=models.PROTECT, related_name="payments")
    paddle = models.ForeignKey("attendance.Paddle", on_delete=models.PROTECT, related_name="payments")
    amount = models.DecimalField(**MONEY)
    method = models.CharField(max_length=16, choices=PaymentMethod.choices)
    reference = models.CharField(max_length=100, blank=True, help_text="Check number, authorisation code, …")
    status = models.CharField(max_length=10, choices=ProviderStatus.choices, default=ProviderStatus.SUCCEEDED)
    provider = models.CharField(max_length=20, blank=True)
    provider_key = models.CharField(max_length=80, blank=True)
    provider_reference = models.CharField(max_length=120, blank=True)
    failure_reason = models.CharField(max_length=300, blank=True)
    settled_at = models.DateTimeField(null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["created_at"]
        indexes = [
            models.Index(fields=["paddle", "status"]),
            models.Index(fields=["event", "status", "method"]),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(condition=Q(method__in=PaymentMethod.values), name="payment_method_valid"),
            models.CheckConstraint(condition=Q(status__in=ProviderStatus.values), name="payment_status_valid"),
            models.CheckConstraint(
                condition=~Q(method="card_on_file") | ~Q(provider_key=""), name="payment_card_has_provider_key"
            ),
            models.UniqueConstraint(
                fields=["provider_key"], condition=~Q(provider_key=""), name="payment_provider_key_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_method_display()} {money_format(self.amount)}"


class Refund(ProviderRowMixin, BaseModel):
    """Money given back against one payment (at most what is left of it). A refund of a
    ``card_on_file`` payment goes through the provider with the same pending protocol."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    event = models.ForeignKey("events.Event", on_delete=models.PROTECT, related_name="refunds")
    paddle = models.ForeignKey("attendance.Paddle", on_delete=models.PROTECT, related_name="refunds")
    amount = models.DecimalField(**MONEY)
    reason = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=10, choices=ProviderStatus.choices, default=ProviderStatus.SUCCEEDED)
    provider_key = models.CharField(max_length=80, blank=True)
    provider_reference = models.CharField(max_length=120, blank=True)
    failure_reason = models.CharField(max_length=300, blank=True)
    settled_at = models.DateTimeField(null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["paddle", "status"]), models.Index(fields=["payment", "status"])]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive"),
            models.CheckConstraint(condition=Q(status__in=ProviderStatus.values), name="refund_status_valid"),
            models.UniqueConstraint(
                fields=["provider_key"], condition=~Q(provider_key=""), name="refund_provider_key_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"Refund {money_format(self.amount)}"


class CardStatus(models.TextChoices):
    PENDING = "pending", "Waiting for the donor"
    ACTIVE = "active", "Active"
    REPLACED = "replaced", "Replaced"


class SavedCard(BaseModel):
    """A card saved through the payment provider for a registration (express checkout).

    Stripe: ``customer_id`` + the SetupIntent; the card becomes ``active`` with its
    ``payment_method_id`` when the SetupIntent succeeds (webhook). The embedded provider activates
    it at once. Saving a new card replaces the previous one (one active card per registration)."""

    registration = models.ForeignKey("attendance.Registration", on_delete=models.PROTECT, related_name="cards")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    provider = models.CharField(max_length=20)
    status = models.CharField(max_length=10, choices=CardStatus.choices, default=CardStatus.PENDING)
    customer_id = models.CharField(max_length=120, blank=True)
    setup_intent_id = models.CharField(max_length=120, blank=True)
    payment_method_id = models.CharField(max_length=120, blank=True)
    brand = models.CharField(max_length=30, blank=True)
    last4 = models.CharField(max_length=4, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["setup_intent_id"])]
        constraints = [
            models.UniqueConstraint(
                fields=["registration"], condition=Q(status="active"), name="saved_card_one_active_per_registration"
            ),
            models.CheckConstraint(condition=Q(status__in=CardStatus.values), name="saved_card_status_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.brand or self.provider} •••• {self.last4}" if self.last4 else f"{self.provider} card"


class ReceiptCounter(models.Model):
    """The last receipt number issued per NPO, locked while a receipt is numbered (gapless)."""

    npo = models.OneToOneField("npos.NPO", on_delete=models.CASCADE, primary_key=True, related_name="+")
    last_number = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.npo_id}: {self.last_number}"


class Receipt(AppendOnlyMixin, BaseModel):
    """A numbered receipt: the statement as it was when issued (``snapshot``), so a printed receipt
    and a later download always agree. Numbers are sequential per NPO, never reused
    (:class:`ReceiptCounter`, unique constraint). ``fingerprint`` identifies the statement contents:
    asking again for an unchanged statement returns the same receipt."""

    npo = models.ForeignKey("npos.NPO", on_delete=models.PROTECT, related_name="receipts")
    event = models.ForeignKey("events.Event", on_delete=models.PROTECT, related_name="receipts")
    paddle = models.ForeignKey("attendance.Paddle", on_delete=models.PROTECT, related_name="receipts")
    number = models.PositiveIntegerField()
    fingerprint = models.CharField(max_length=64)
    snapshot = models.JSONField()
    total = models.DecimalField(**MONEY)
    deductible_total = models.DecimalField(**MONEY)
    paid = models.DecimalField(**MONEY)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["npo", "number"]
        indexes = [models.Index(fields=["paddle", "created_at"])]
        constraints = [
            models.UniqueConstraint(fields=["npo", "number"], name="receipt_number_unique_per_npo"),
            models.CheckConstraint(condition=Q(number__gt=0), name="receipt_number_positive"),
        ]

    def __str__(self) -> str:
        return f"Receipt {self.number}"


class ProviderEvent(BaseModel):
    """A provider webhook event already processed: a redelivery of the same id changes nothing."""

    provider = models.CharField(max_length=20)
    event_id = models.CharField(max_length=120)
    type = models.CharField(max_length=80)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "event_id"], name="provider_event_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.type} {self.event_id}"


class EmbeddedProviderCall(BaseModel):
    """Every call to the embedded payment provider, keyed by the idempotency key: the same key
    answers the same result, and ``lookup`` after a crash reads it back."""

    key = models.CharField(max_length=80, unique=True)
    kind = models.CharField(max_length=10)
    amount = models.DecimalField(**MONEY, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    status = models.CharField(max_length=10, choices=ProviderStatus.choices)
    reason = models.CharField(max_length=300, blank=True)
    reference = models.CharField(max_length=120)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.kind} {self.key} {self.status}"
