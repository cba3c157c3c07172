"""Refunds (checkout.md "Payments and refunds"): a refund points at one succeeded payment and is at
most what is left of it (409 ``REFUND_EXCEEDS_PAYMENT``; pending refunds count as taken). A refund
of a ``card_on_file`` payment goes through the provider with the payment's protocol: written
``pending`` with its own idempotency key, the provider called after commit, then settled.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from apps.attendance.models import Paddle
from apps.checkout import selectors
from apps.checkout.models import Payment, PaymentMethod, ProviderStatus, Refund
from apps.checkout.services.common import lock_statement_paddle, statement_audit
from apps.checkout.services.payments import amount_parse, text_parse
from apps.checkout.services.provider import ProviderResult, get_provider
from apps.core.errors import ErrorCode
from apps.core.exceptions import Conflict
from apps.core.money import money_str, money_sum
from apps.events.models import Event

REASON_MAX = 300


def refundable(payment: Payment) -> Decimal:
    """What is left of ``payment`` to refund (succeeded and pending refunds are taken)."""
    if payment.status != ProviderStatus.SUCCEEDED:
        return Decimal("0.00")
    taken = (
        Refund.objects.filter(payment=payment)
        .exclude(status=ProviderStatus.FAILED)
        .aggregate(s=money_sum("amount"))["s"]
    )
    return payment.amount - taken


@transaction.atomic
def refund_record(*, payment: Payment, amount: Any, reason: Any = "", actor: Any, ip: str | None = None) -> Refund:
    """Record a refund of ``payment``; a card refund is only started here (call
    :func:`refund_settle` after commit)."""
    value = amount_parse(amount)
    reason = text_parse(reason, "reason", REASON_MAX)
    paddle = lock_statement_paddle(Paddle(pk=payment.paddle_id))
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    if payment.status != ProviderStatus.SUCCEEDED:
        raise Conflict(ErrorCode.PAYMENT_NOT_REFUNDABLE, f"A {payment.status} payment cannot be refunded.")
    left = refundable(payment)
    if value > left:
        raise Conflict(
            ErrorCode.REFUND_EXCEEDS_PAYMENT,
            "The refund is more than what is left of this payment.",
            refundable=money_str(max(left, Decimal("0"))),
        )
    refund = Refund(
        payment=payment,
        event_id=payment.event_id,
        paddle=paddle,
        amount=value,
        reason=reason,
        recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    if payment.method == PaymentMethod.CARD_ON_FILE:
        refund.status = ProviderStatus.PENDING
        refund.provider_key = f"augeo-refund-{refund.pk}"
    refund.save()
    statement = selectors.statement_for_paddle(paddle)
    statement_audit(
        actor,
        "refund.start" if refund.status == ProviderStatus.PENDING else "refund.record",
        refund,
        statement,
        ip,
        amount=str(value),
        payment=str(payment.pk),
        method=payment.method,
        reason=reason,
    )
    return refund


def refund_settle(*, refund: Refund, actor: Any = None, ip: str | None = None) -> Refund:
    """Ask the provider to refund a pending card refund (outside any lock), then record it."""
    refund = Refund.objects.select_related("payment").get(pk=refund.pk)
    if refund.status != ProviderStatus.PENDING:
        return refund

    currency = Event.objects.select_related("npo").get(pk=refund.event_id).npo.currency
    provider = get_provider(refund.payment.provider or None)
    result = provider.refund(
        key=refund.provider_key,
        amount=refund.amount,
        currency=currency,
        payment_reference=refund.payment.provider_reference,
    )
    return refund_apply_result(refund=refund, result=result, actor=actor, ip=ip)


def refund_resolve_pending(*, refund: Refund, actor: Any = None, ip: str | None = None) -> Refund:
    """Settle a pending refund left by a crash by asking the provider about its key."""
    refund = Refund.objects.select_related("payment").get(pk=refund.pk)
    if refund.status != ProviderStatus.PENDING:
        return refund
    provider = get_provider(refund.payment.provider or None)
    found = provider.lookup(key=refund.provider_key, kind="refund", payment_reference=refund.payment.provider_reference)
    result = found or ProviderResult(
        ProviderStatus.FAILED, "", "not_refunded: the provider has no record of this refund"
    )
    return refund_apply_result(refund=refund, result=result, actor=actor, ip=ip)


@transaction.atomic
def refund_apply_result(*, refund: Refund, result: ProviderResult, actor: Any = None, ip: str | None = None) -> Refund:
    paddle = lock_statement_paddle(Paddle(pk=refund.paddle_id))
    refund = Refund.objects.select_for_update().get(pk=refund.pk)
    if refund.status != ProviderStatus.PENDING or result.status == ProviderStatus.PENDING:
        return refund
    refund.status = result.status
    refund.provider_reference = result.reference[:120]
    refund.failure_reason = result.reason[:300]
    refund.settled_at = timezone.now()
    refund.save(update_fields=["status", "provider_reference", "failure_reason", "settled_at", "updated_at"])
    statement = selectors.statement_for_paddle(paddle)
    statement_audit(
        actor,
        "refund.succeeded" if result.status == ProviderStatus.SUCCEEDED else "refund.failed",
        refund,
        statement,
        ip,
        amount=str(refund.amount),
        reason=refund.failure_reason,
    )
    return refund


def refund_take(*, payment: Payment, amount: Any, reason: Any = "", actor: Any, ip: str | None = None) -> Refund:
    """Record a refund and, for a card payment, have the provider refund it (admin, commands)."""
    refund = refund_record(payment=payment, amount=amount, reason=reason, actor=actor, ip=ip)
    if refund.status == ProviderStatus.PENDING:
        refund = refund_settle(refund=refund, actor=actor, ip=ip)
    return refund
