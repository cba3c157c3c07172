"""Checkout's part in account deletion and the privacy export (apps.legal.hooks, legal.md).

* :func:`balance_due_blocker` refuses to delete an account that holds a paddle with a balance due
  (409 ``BALANCE_DUE``): the NPO could no longer send that person a statement or a receipt. The
  paddle rows are locked (the lock every statement change takes), so a sale recorded while the
  account is being deleted waits, and is then a line on a paddle whose holder is anonymised — as
  for any other deleted donor.
* :func:`saved_cards_erase` forgets the provider tokens of the person's saved cards.
* The ``statements`` and ``payments`` sections of the export list the person's paddles' statements
  and the payments on them.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from apps.attendance.models import Paddle
from apps.checkout import selectors
from apps.checkout.models import CardStatus, SavedCard
from apps.core.exceptions import Conflict
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
            "BALANCE_DUE",
            f"Bidder number {due.number} at {due.event.name} has a balance due of "
            f"{money_format(due.balance_due, due.event.npo.currency)}; "
            "settle it with the organisers before deleting your account.",
            event=str(due.event_id),
            bidder_number=due.number,
            balance_due=money_str(due.balance_due),
        )


def saved_cards_erase(user: Any, old_email: str) -> None:
    SavedCard.objects.filter(Q(user=user) | Q(registration__user=user)).update(
        status=CardStatus.REPLACED, customer_id="", setup_intent_id="", payment_method_id=""
    )


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
