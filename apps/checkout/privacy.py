"""Checkout's part in account deletion and the privacy export (apps.legal.hooks, legal.md; registered
by ``LegalConfig.ready``: legal sits above checkout and asks it).

* :func:`balance_due_blocker` refuses to delete an account that holds a paddle with a balance due
  (409 ``BALANCE_DUE``): the NPO could no longer send that person a statement or a receipt. The
  paddle rows are locked (the lock every statement change takes), so a sale recorded while the
  account is being deleted waits, and is then a line on a paddle whose holder is anonymised — as
  for any other deleted donor.
* :func:`provider_customers_delete` deletes, at the payment provider, every customer the person's
  saved cards created (Stripe keeps the name, e-mail and cards with it) — before anything local is
  written: once ``customer_id`` is blanked the customer could never be found again. A provider that
  fails refuses the deletion (503 ``SERVICE_UNAVAILABLE``) with nothing changed; a retry deletes
  again (a customer already gone counts as deleted).
* :func:`saved_cards_erase` then forgets the provider tokens of the person's saved cards.
* The ``statements`` and ``payments`` sections of the export list the person's paddles' statements
  and the payments on them.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from apps.attendance.models import Paddle
from apps.checkout import selectors
from apps.checkout.models import CardStatus, SavedCard
from apps.checkout.services.provider import ProviderError, get_provider
from apps.core.errors import ErrorCode
from apps.core.exceptions import Conflict, ServiceUnavailable
from apps.core.money import money_format, money_str


def _paddles_of(user: Any) -> Any:
    return Paddle.objects.filter(Q(registration__user=user) | Q(guests__user=user)).distinct()


def balance_due_blocker(user: Any) -> None:
    ids = list(_paddles_of(user).values_list("pk", flat=True))
    if not ids:
        return
    list(Paddle.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk", flat=True))
    due = (
        selectors.with_statement_figures(Paddle.objects.filter(pk__in=ids))
        .filter(balance_due__gt=0)
        .select_related("event__npo")
        .order_by("number")
        .first()
    )
    if due is not None:
        raise Conflict(
            ErrorCode.BALANCE_DUE,
            f"Bidder number {due.number} at {due.event.name} has a balance due of "
            f"{money_format(due.balance_due, due.event.npo.currency)}; "
            "settle it with the organisers before deleting your account.",
            event=str(due.event_id),
            bidder_number=due.number,
            balance_due=money_str(due.balance_due),
        )


def _cards_of(user: Any) -> Any:
    return SavedCard.objects.filter(Q(user=user) | Q(registration__user=user))


def provider_customers_delete(user: Any) -> None:
    """Delete each provider customer of the person's saved cards (a legal.hooks remote eraser).

    It runs inside the deletion's transaction, after the blockers and before any write, so a
    refusal (``BALANCE_DUE``) never deletes a customer and a provider failure leaves everything as it
    was. Unlike a charge (checkout.md: provider calls outside row locks), nothing here is recorded
    as pending first: the call is idempotent and an account deletion is rare, so the person's own
    rows stay locked for the provider's timeout at worst."""
    customers = sorted(set(_cards_of(user).exclude(customer_id="").values_list("provider", "customer_id")))
    for provider_name, customer_id in customers:
        try:
            get_provider(provider_name).delete_customer(customer_id=customer_id)
        except ProviderError as exc:
            raise ServiceUnavailable(
                message=(
                    "The payment provider could not delete the saved card details, so the account was "
                    "not deleted and nothing changed. Please try again later."
                ),
                provider=provider_name,
            ) from exc


def saved_cards_erase(user: Any, old_email: str) -> None:
    _cards_of(user).update(status=CardStatus.REPLACED, customer_id="", setup_intent_id="", payment_method_id="")


def statements_for_export(user: Any) -> list[dict[str, Any]]:
    out = []
    for paddle in _paddles_of(user).select_related("event__npo").order_by("created_at"):
        statement = selectors.statement_for_paddle(paddle, event=paddle.event)
        out.append(
            {
                "event": paddle.event.name,
                "bidder_number": paddle.number,
                "currency": statement.currency,
                "lines": [
                    {
                        "kind": line.kind,
                        "description": line.description,
                        "amount": money_str(line.amount),
                        "fair_market_value": money_str(line.fair_market_value),
                        "deductible": money_str(line.deductible),
                    }
                    for line in statement.lines
                ],
                "total": money_str(statement.total),
                "deductible_total": money_str(statement.deductible_total),
                "paid": money_str(statement.paid),
                "balance_due": money_str(statement.balance_due),
            }
        )
    return out


def payments_for_export(user: Any) -> list[dict[str, Any]]:
    out = []
    for paddle in _paddles_of(user).select_related("event").order_by("created_at"):
        for payment in selectors.statement_payments(paddle):
            out.append(
                {
                    "event": paddle.event.name,
                    "bidder_number": paddle.number,
                    "created_at": payment.created_at.isoformat(),
                    "method": payment.method,
                    "amount": money_str(payment.amount),
                    "status": payment.status,
                    "refunded": money_str(payment.refunded),
                }
            )
    return out
