"""Shared model pieces: the base model every table inherits, the audit log and idempotency keys."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models


class BaseModel(models.Model):
    """UUID primary key (ids in URLs confirm nothing about row counts) and timestamps."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class SoftDeleteQuerySet(models.QuerySet):
    def alive(self) -> SoftDeleteQuerySet:
        return self.filter(deleted_at__isnull=True)


class SoftDeleteManager(models.Manager.from_queryset(SoftDeleteQuerySet)):  # type: ignore[misc]
    """Default manager of soft-deletable models: deleted rows are hidden everywhere by default."""

    def get_queryset(self) -> SoftDeleteQuerySet:
        return super().get_queryset().filter(deleted_at__isnull=True)


class SoftDeleteModel(BaseModel):
    """Rows that must never be hard-deleted once they matter (product.md §9)."""

    deleted_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = SoftDeleteManager()
    all_objects = models.Manager()  # noqa: DJ012 - the soft-delete manager must stay the default (first)

    class Meta:
        abstract = True


class AuditEntry(models.Model):
    """Append-only record of a security- or money-relevant action: who, what, on which object, from where.

    The object is kept as (type label, id, text) rather than a generic foreign key so entries survive
    the deletion of their object and can be read without joins.
    """

    id = models.BigAutoField(primary_key=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=64, db_index=True)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True, db_index=True)
    object_repr = models.CharField(max_length=200, blank=True)
    npo_id = models.UUIDField(null=True, blank=True, db_index=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    details = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "audit entries"
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} {self.object_repr}"


class IdempotencyKey(models.Model):
    """A stored answer to a request sent with an ``Idempotency-Key`` header (bidding.md "Retries").

    Kept in the database, never only in the cache: a cache outage must not double-charge. The row is
    created (and locked) before the work runs, so a retry racing the first request waits on the row.
    """

    id = models.BigAutoField(primary_key=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    scope = models.CharField(max_length=200, help_text="method and path the key was used on")
    request_hash = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_unique_per_user")]

    def __str__(self) -> str:
        return f"{self.key} ({self.scope})"


class OutboxStatus(models.TextChoices):
    PENDING = "pending", "Pending (a delivery task is queued)"
    SENDING = "sending", "Sending (claimed by a worker)"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed (retried at next attempt; none: gave up)"
    CANCELLED = "cancelled", "Cancelled (nothing to send)"


class OutboxEmail(BaseModel):
    """The e-mail outbox: one row per message, written in the transaction of the change that causes
    it (a sign-up, a reset request, a bid), delivered by a task after commit (``apps.core.outbox``).

    The row, not the task, is the source of truth: a task only moves it forward. ``pending`` → a
    worker claims it with a conditional update (``sending``, ``claimed_until`` a lease, ``attempts``
    + 1, so two tasks never both send it) → ``sent``, ``cancelled`` or ``failed`` with
    ``last_error`` and ``next_attempt_at`` (exponential backoff; empty once ``attempts`` reached the
    cap: the row gave up). The periodic sweep turns due ``failed`` rows, ``sending`` rows whose lease
    ran out (the worker died) and ``pending`` rows whose task was lost back into queued work.

    The message is rendered at send time from ``template`` (``templates/emails/<template>…``) and
    ``context`` (model instances and dates are stored as references and loaded again), so the
    request does no template or SMTP work. ``context`` never holds a secret: a mail that carries one
    mints it at send time (a context builder) or seals it in ``sealed`` (encrypted with a key derived
    from ``SECRET_KEY``, erased once the row is final). ``attachments`` name files built at send time
    (``[{"kind", "ref"}]``, e.g. a receipt PDF). ``ref`` names the domain object the mail is about
    (``"auctions.item:<uuid>"``) for admins and invariant checks.
    """

    template = models.CharField(max_length=100)
    to = models.EmailField(max_length=254)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    ref = models.CharField(max_length=100, blank=True, db_index=True)
    context = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    sealed = models.TextField(blank=True, default="")
    attachments = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=10, choices=OutboxStatus.choices, default=OutboxStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        verbose_name = "outbox e-mail"
        indexes = [
            models.Index(fields=["status", "created_at"]),
            # The mail limits count one address's recent rows (apps.core.outbox.queued_to).
            models.Index(fields=["to", "created_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["pending", "sending", "sent", "failed", "cancelled"]),
                name="outbox_email_status_valid",
            ),
            # A claimed row always carries its lease (the sweep relies on it to take the row back).
            models.CheckConstraint(
                condition=~models.Q(status="sending") | models.Q(claimed_until__isnull=False),
                name="outbox_email_sending_has_lease",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.template} → {self.to}"


class ScheduledJob(models.Model):
    """One line of the schedule (``AUGEO_SCHEDULE``) and when it is next due.

    ``manage.py run_scheduler`` claims a due line with a conditional update (``next_run_at`` moves
    forward only if it is still in the past) and enqueues the job in the same transaction, so two
    schedulers running by mistake enqueue each tick once.
    """

    name = models.CharField(max_length=100, primary_key=True)
    next_run_at = models.DateTimeField()
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_scheduler = models.CharField(max_length=100, blank=True, help_text="host:pid of the scheduler that ran it")
    runs = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
