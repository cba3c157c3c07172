"""Express checkout: charge every paddle that has a saved card and a balance due (``manage.py
charge_balances EVENT``, the checkout queue's "Charge cards on file" button).

Once per balance, safe to re-run and to run twice at once: each paddle is charged by
:func:`balance_charge`, which records a ``pending`` payment for what is payable under the paddle
lock — a second run (or a concurrent one) sees that payment (pending or succeeded) and finds
nothing payable — and then charges it with the payment's own idempotency key. A paddle whose last
card attempt was declined is skipped unless ``retry_declined`` (the decline is in the queue for the
cashier). Pending payments older than ``PAYMENT_PENDING_RESOLVE_SECONDS`` (a crash between the
provider call and its record) are resolved first, by asking the provider.

Each paddle's charge is a task (:func:`apps.checkout.tasks.charge_balance`): with the immediate
backend (``make run``, tests) it runs at once and the report says how each went; with the database
backend a worker runs it and the report lists the charges as queued.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from apps.attendance.models import Paddle
from apps.checkout import selectors
from apps.checkout.models import CardStatus, Payment, PaymentMethod, ProviderStatus, Refund, SavedCard
from apps.checkout.services.payments import payment_record, payment_resolve_pending, payment_settle
from apps.checkout.services.refunds import refund_resolve_pending
from apps.checkout.tasks import charge_balance
from apps.core.exceptions import Conflict
from apps.core.tasks import TaskResultStatus
from apps.events.models import Event


@dataclass
class ChargeReport:
    charged: list[tuple[int, Decimal]] = field(default_factory=list)
    declined: list[tuple[int, Decimal, str]] = field(default_factory=list)
    pending: list[tuple[int, Decimal]] = field(default_factory=list)
    queued: list[tuple[int, Decimal]] = field(default_factory=list)
    skipped: list[tuple[int, str]] = field(default_factory=list)
    resolved: int = 0
    would_charge: list[tuple[int, Decimal]] = field(default_factory=list)

    @property
    def total_charged(self) -> Decimal:
        return sum((amount for _, amount in self.charged), start=Decimal("0.00"))


def pending_resolve(*, event: Event, older_than: timedelta | None = None, actor: Any = None) -> int:
    """Settle the event's pending card payments and refunds older than ``older_than`` by asking the
    provider. Returns how many were settled."""
    cutoff = timezone.now() - (
        older_than if older_than is not None else timedelta(seconds=settings.PAYMENT_PENDING_RESOLVE_SECONDS)
    )
    settled = 0
    for payment in Payment.objects.filter(event=event, status=ProviderStatus.PENDING, created_at__lte=cutoff):
        if payment_resolve_pending(payment=payment, actor=actor).status != ProviderStatus.PENDING:
            settled += 1
    for refund in Refund.objects.filter(event=event, status=ProviderStatus.PENDING, created_at__lte=cutoff):
        if refund_resolve_pending(refund=refund, actor=actor).status != ProviderStatus.PENDING:
            settled += 1
    return settled


def paddles_to_charge(event: Event) -> list[Any]:
    """Paddles of ``event`` with an active saved card and a balance due, with their figures."""
    has_card = SavedCard.objects.filter(registration_id=OuterRef("registration_id"), status=CardStatus.ACTIVE)
    last_card_status = (
        Payment.objects.filter(paddle=OuterRef("pk"), method=PaymentMethod.CARD_ON_FILE)
        .order_by("-created_at")
        .values("status")[:1]
    )
    qs = (
        selectors.with_statement_figures(Paddle.objects.filter(event=event, registration__isnull=False))
        .filter(registration__cards__in=has_card.values("pk"))
        .annotate(last_card_status=Subquery(last_card_status))
        .filter(balance_due__gt=0)
        .distinct()
        .order_by("number")
    )
    return list(qs)


def balance_charge(*, paddle: Paddle, actor: Any = None, ip: str | None = None) -> Payment | None:
    """Charge what is payable on one paddle's statement to its saved card; ``None`` when nothing is
    payable (already charged, paid, or a charge in flight)."""
    try:
        statement = selectors.statement_for_paddle(paddle)
        if statement.payable <= 0:
            return None
        payment = payment_record(
            paddle=paddle, amount=statement.payable, method=PaymentMethod.CARD_ON_FILE, actor=actor, ip=ip
        )
    except Conflict as exc:
        if exc.code in ("NOTHING_DUE", "PAYMENT_EXCEEDS_BALANCE", "NO_CARD_ON_FILE"):
            return None  # another run (or the cashier) got there first
        raise
    return payment_settle(payment=payment, actor=actor, ip=ip)


def balances_charge(
    *, event: Event, actor: Any = None, dry_run: bool = False, retry_declined: bool = False
) -> ChargeReport:
    report = ChargeReport()
    if not dry_run:
        report.resolved = pending_resolve(event=event, actor=actor)
    for paddle in paddles_to_charge(event):
        payable = paddle.balance_due - paddle.pending
        if payable <= 0:
            report.skipped.append((paddle.number, "a card payment is in flight"))
            continue
        if paddle.last_card_status == ProviderStatus.FAILED and not retry_declined:
            report.skipped.append((paddle.number, "last card attempt declined"))
            continue
        if dry_run:
            report.would_charge.append((paddle.number, payable))
            continue
        result = charge_balance.enqueue(str(paddle.pk), str(actor.pk) if getattr(actor, "pk", None) else None)
        if result.status == TaskResultStatus.READY:  # the database backend: a worker charges it
            report.queued.append((paddle.number, payable))
            continue
        done = result.return_value if result.status == TaskResultStatus.SUCCESSFUL else None
        payment = Payment.objects.filter(pk=done["payment"]).first() if done and done.get("payment") else None
        if result.status != TaskResultStatus.SUCCESSFUL:
            report.skipped.append((paddle.number, "the charge task failed (see the task results)"))
        elif payment is None:
            report.skipped.append((paddle.number, "nothing payable"))
        elif payment.status == ProviderStatus.SUCCEEDED:
            report.charged.append((paddle.number, payment.amount))
        elif payment.status == ProviderStatus.FAILED:
            report.declined.append((paddle.number, payment.amount, payment.failure_reason))
        else:
            report.pending.append((paddle.number, payment.amount))
    return report
