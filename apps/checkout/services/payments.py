"""Payments (checkout.md "Payments and refunds", "Card on file").

Everything that changes a statement locks the paddle row first (level 4 of the lock order in
``apps.attendance.locks``; the live-sale and pledge undos take it too, so a payment and an undo of
the same paddle are decided one after the other), then reads the statement under the lock:

* a payment is > 0 and at most what is payable (balance due less card payments in flight) — more
  is 409 ``PAYMENT_EXCEEDS_BALANCE``; nothing due is 409 ``NOTHING_DUE``; two cashiers paying the
  same balance at once therefore get one payment and one 409;
* cash, check, terminal and other payments are written ``succeeded``; a ``card_on_file`` payment
  follows the provider protocol: :func:`payment_record` writes it ``pending`` with its own
  idempotency key and commits; :func:`payment_settle` calls the provider *outside* that transaction
  and then, under the lock again, marks it ``succeeded`` or ``failed`` (a decline keeps its reason;
  the balance stays due). A crash in between leaves a pending row that
  :func:`payment_resolve_pending` settles by asking the provider (``lookup``), never by charging.

A statement that a payment leaves fully paid gets its receipt issued and e-mailed (``receipts``).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from apps.attendance.models import Paddle
from apps.checkout import selectors
from apps.checkout.models import Payment, PaymentMethod, ProviderStatus, SavedCard
from apps.checkout.services.common import lock_statement_paddle, statement_audit
from apps.checkout.services.provider import ProviderResult, get_provider
from apps.checkout.services.receipts import receipt_issue, receipt_send
from apps.core.errors import ErrorCode
from apps.core.exceptions import Conflict, ValidationFailed
from apps.core.money import money_parse, money_str
from apps.events.models import Event

REFERENCE_MAX = 100


def amount_parse(raw: Any, field: str = "amount") -> Decimal:
    """400 ``VALIDATION_ERROR`` naming ``field`` for anything but a positive 2-place amount ≤ the ceiling."""
    try:
        return money_parse(raw)
    except ValueError as exc:
        raise ValidationFailed(message=f"{field}: {exc}", fields={field: [str(exc)]}) from None


def text_parse(raw: Any, field: str, max_length: int) -> str:
    if raw is None:
        return ""
    if not isinstance(raw, str):
        raise ValidationFailed(message=f"{field}: text expected.", fields={field: ["Text expected."]})
    value = " ".join(raw.split())
    if len(value) > max_length:
        raise ValidationFailed(message=f"{field}: too long.", fields={field: [f"At most {max_length} characters."]})
    return value


def method_parse(raw: Any) -> str:
    if not isinstance(raw, str) or raw not in PaymentMethod.values:
        raise ValidationFailed(
            message="method: unknown payment method.",
            fields={"method": [f"One of {', '.join(PaymentMethod.values)}."]},
        )
    return raw


@transaction.atomic
def payment_record(
    *,
    paddle: Paddle,
    amount: Any,
    method: Any,
    reference: Any = "",
    actor: Any,
    ip: str | None = None,
) -> Payment:
    """Record a payment on ``paddle``'s statement. A ``card_on_file`` payment is only *started*
    here (``pending``); call :func:`payment_settle` after this transaction commits."""
    value = amount_parse(amount)
    method = method_parse(method)
    reference = text_parse(reference, "reference", REFERENCE_MAX)
    paddle = lock_statement_paddle(paddle)
    statement = selectors.statement_for_paddle(paddle)
    if statement.balance_due <= 0:
        raise Conflict(
            ErrorCode.NOTHING_DUE, "Nothing is due on this statement.", balance_due=money_str(statement.balance_due)
        )
    if value > statement.payable:
        raise Conflict(
            ErrorCode.PAYMENT_EXCEEDS_BALANCE,
            "The payment is more than the balance due; add a donation line first to give more.",
            balance_due=money_str(statement.balance_due),
            payable=money_str(max(statement.payable, Decimal("0"))),
        )
    card: SavedCard | None = None
    if method == PaymentMethod.CARD_ON_FILE:
        card = selectors.active_card(paddle)
        if card is None:
            raise Conflict(ErrorCode.NO_CARD_ON_FILE, "This paddle's registration has no saved card.")
    payment = Payment(
        event_id=paddle.event_id,
        paddle=paddle,
        amount=value,
        method=method,
        reference=reference,
        recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    if card is not None:
        payment.status = ProviderStatus.PENDING
        payment.provider = card.provider
        payment.provider_key = f"augeo-payment-{payment.pk}"
        payment.reference = reference or str(card)
    payment.save()
    statement_audit(
        actor,
        "payment.start" if card is not None else "payment.record",
        payment,
        statement,
        ip,
        amount=str(value),
        method=method,
        reference=payment.reference,
    )
    if card is None:
        _after_payment(paddle=paddle, actor=actor, ip=ip)
    return payment


def payment_settle(*, payment: Payment, actor: Any = None, ip: str | None = None) -> Payment:
    """Charge a pending card payment through the provider, outside any row lock, then record the
    answer. Safe to call twice: the provider sees the payment's own idempotency key, and a payment
    no longer pending is returned as it is."""
    payment = Payment.objects.select_related("paddle").get(pk=payment.pk)
    if payment.status != ProviderStatus.PENDING:
        return payment
    card = selectors.active_card(payment.paddle)
    provider = get_provider(payment.provider or None)
    if card is None:
        result = ProviderResult(ProviderStatus.FAILED, "", "no_card: the saved card was replaced or removed")
    else:
        event = Event.objects.select_related("npo").get(pk=payment.event_id)
        result = provider.charge(
            key=payment.provider_key,
            amount=payment.amount,
            currency=event.npo.currency,
            card=card,
            description=f"{event.name} — bidder {payment.paddle.number}",
            metadata={
                "augeo_payment": str(payment.pk),
                "event": str(event.pk),
                "bidder_number": str(payment.paddle.number),
            },
        )
    return payment_apply_result(payment=payment, result=result, actor=actor, ip=ip)


@transaction.atomic
def payment_apply_result(
    *, payment: Payment, result: ProviderResult, actor: Any = None, ip: str | None = None
) -> Payment:
    """Move a pending payment to what the provider said (under the paddle lock); ``pending``
    answers leave it pending. Idempotent: a settled payment is not touched again."""
    paddle = lock_statement_paddle(Paddle(pk=payment.paddle_id))
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    if payment.status != ProviderStatus.PENDING or result.status == ProviderStatus.PENDING:
        return payment
    payment.status = result.status
    payment.provider_reference = result.reference[:120]
    payment.failure_reason = result.reason[:300]
    payment.settled_at = timezone.now()
    payment.save(update_fields=["status", "provider_reference", "failure_reason", "settled_at", "updated_at"])
    statement = selectors.statement_for_paddle(paddle)
    statement_audit(
        actor,
        "payment.succeeded" if result.status == ProviderStatus.SUCCEEDED else "payment.failed",
        payment,
        statement,
        ip,
        amount=str(payment.amount),
        method=payment.method,
        reason=payment.failure_reason,
    )
    if result.status == ProviderStatus.SUCCEEDED:
        _after_payment(paddle=paddle, actor=actor, ip=ip, statement=statement)
    return payment


def payment_take(
    *, paddle: Paddle, amount: Any, method: Any, reference: Any = "", actor: Any, ip: str | None = None
) -> Payment:
    """Record a payment and, for a card on file, charge it (the admin, the commands)."""
    payment = payment_record(paddle=paddle, amount=amount, method=method, reference=reference, actor=actor, ip=ip)
    if payment.status == ProviderStatus.PENDING:
        payment = payment_settle(payment=payment, actor=actor, ip=ip)
    return payment


def payment_resolve_pending(*, payment: Payment, actor: Any = None, ip: str | None = None) -> Payment:
    """Settle a pending payment left by a crash by *asking* the provider what happened to its key;
    a provider with no record of it never charged: the payment fails and the balance is free again."""
    payment = Payment.objects.get(pk=payment.pk)
    if payment.status != ProviderStatus.PENDING:
        return payment
    provider = get_provider(payment.provider or None)
    found = provider.lookup(key=payment.provider_key, kind="charge")
    result = found or ProviderResult(
        ProviderStatus.FAILED, "", "not_charged: the provider has no record of this payment"
    )
    return payment_apply_result(payment=payment, result=result, actor=actor, ip=ip)


def _after_payment(*, paddle: Paddle, actor: Any, ip: str | None, statement: selectors.Statement | None = None) -> None:
    """A statement paid in full gets its receipt, issued and e-mailed after commit."""
    statement = statement or selectors.statement_for_paddle(paddle)
    if statement.total > 0 and statement.balance_due == 0 and statement.pending == 0:
        receipt = receipt_issue(paddle=paddle, actor=actor, ip=ip, statement=statement)
        receipt_send(receipt=receipt, actor=actor, ip=ip)
