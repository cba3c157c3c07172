"""The five invariants of checkout.md, checked against the rows (``manage.py reconcile`` runs 1-2;
the PostgreSQL race tests run all five). Each check returns a list of human-readable problems; an
empty list means the invariant holds.

1. Σ statement totals = raised (the totals endpoint) + donations, to the cent.
2. Every statement: paid = Σ payments - Σ refunds (recomputed from the raw rows, not the SQL
   aggregates the list uses); balance_due = total - paid; and the list agrees with the detail.
3. No payment made the balance negative at the moment it was recorded (the paddle's history is
   replayed in time order: lines appear and are undone, payments and refunds land); no refund
   exceeded its payment.
4. No double charge: every card payment has its own provider key, and the provider was asked to
   charge each key at most once — for the embedded provider, the recorded successful charges are
   exactly the succeeded card payments.
5. Receipt numbers are unique per NPO and gapless in the order they were issued.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db.models import Count

from apps.attendance.models import Paddle
from apps.auctions.models import Pledge, Purchase, Sale
from apps.auctions.selectors import event_totals
from apps.checkout import reports, selectors
from apps.checkout.models import (
    EmbeddedProviderCall,
    Payment,
    PaymentMethod,
    ProviderStatus,
    Receipt,
    ReceiptCounter,
    Refund,
)
from apps.core.money import money_format
from apps.events.models import Event

ZERO = Decimal("0.00")


def figures(event: Event) -> dict[str, Any]:
    """What ``reconcile`` prints."""
    totals = event_totals(event)
    rows = list(selectors.statements_of_event(event))
    sums = selectors.statement_sums(rows)
    donations = reports.raised_by_source(event)["donations"]
    return {
        "raised": Decimal(totals["raised"]),
        "donations": donations,
        "statements": len(rows),
        "statement_total": sums["total"],
        "paid": sums["paid"],
        "balance_due": sums["balance_due"],
        "outstanding": sum((r.balance_due for r in rows if r.balance_due > 0), start=ZERO),
        "credit": sum((-r.balance_due for r in rows if r.balance_due < 0), start=ZERO),
    }


def check_totals(event: Event) -> list[str]:
    """Invariant 1."""
    data = figures(event)
    expected = data["raised"] + data["donations"]
    if data["statement_total"] != expected:
        m = money_format
        return [
            f"Σ statement totals {m(data['statement_total'])} ≠ raised {m(data['raised'])} + donations "
            f"{m(data['donations'])} = {m(expected)}"
        ]
    return []


def check_statements(event: Event) -> list[str]:
    """Invariant 2, for every paddle of the event."""
    problems = []
    received: dict[Any, Decimal] = defaultdict(lambda: ZERO)
    for got in Payment.objects.filter(event=event, status=ProviderStatus.SUCCEEDED).values("paddle_id", "amount"):
        received[got["paddle_id"]] += got["amount"]
    returned: dict[Any, Decimal] = defaultdict(lambda: ZERO)
    for back in Refund.objects.filter(event=event, status=ProviderStatus.SUCCEEDED).values("paddle_id", "amount"):
        returned[back["paddle_id"]] += back["amount"]
    listed: dict[Any, Any] = {p.pk: p for p in selectors.statements_of_event(event)}
    for paddle in Paddle.objects.filter(event=event).order_by("number"):
        row = listed.get(paddle.pk)
        paid = received[paddle.pk] - returned[paddle.pk]
        if row is None:
            if paid:
                problems.append(f"#{paddle.number}: payments {money_format(paid)} but no statement")
            continue
        m = money_format
        if row.paid != paid:
            problems.append(f"#{paddle.number}: paid {m(row.paid)} ≠ Σ payments - Σ refunds {m(paid)}")
        if row.balance_due != row.total - row.paid:
            problems.append(
                f"#{paddle.number}: balance {m(row.balance_due)} ≠ total {m(row.total)} - paid {m(row.paid)}"
            )
        detail = selectors.statement_for_paddle(paddle, event=event)
        if (detail.total, detail.paid, detail.deductible_total) != (row.total, row.paid, row.deductible_total):
            problems.append(
                f"#{paddle.number}: detail (total {m(detail.total)}, paid {m(detail.paid)}, deductible "
                f"{m(detail.deductible_total)}) ≠ list ({m(row.total)}, {m(row.paid)}, {m(row.deductible_total)})"
            )
    return problems


def _history(paddle: Paddle) -> list[tuple[Any, int, str, Decimal, Any]]:
    """(time, order, kind, signed amount, row) of everything that moved the paddle's balance."""
    steps: list[tuple[Any, int, str, Decimal, Any]] = []

    def line(at: Any, amount: Decimal, row: Any, undone: Any = None) -> None:
        steps.append((at, 0, "line", amount, row))
        if undone is not None:
            steps.append((undone, 0, "line", -amount, row))

    for item in selectors.silent_won().filter(winner_paddle=paddle):
        line(item.closed_at, item.winning_amount or ZERO, item)
    for sale in Sale.objects.filter(paddle=paddle):
        line(sale.created_at, sale.amount, sale, sale.undone_at)
    for purchase in Purchase.objects.filter(paddle=paddle):
        line(purchase.created_at, purchase.amount, purchase)
    for pledge in Pledge.objects.filter(paddle=paddle):
        line(pledge.created_at, pledge.amount, pledge, pledge.undone_at)
    for donation in paddle.donations.all():
        line(donation.created_at, donation.amount, donation, donation.undone_at)
    for payment in Payment.objects.filter(paddle=paddle).exclude(status=ProviderStatus.FAILED):
        steps.append((payment.created_at, 1, "payment", -payment.amount, payment))
    for refund in Refund.objects.filter(paddle=paddle).exclude(status=ProviderStatus.FAILED):
        steps.append((refund.created_at, 1, "refund", refund.amount, refund))
    steps.sort(key=lambda s: (s[0], s[1]))
    return steps


def check_no_overpayment(event: Event) -> list[str]:
    """Invariant 3."""
    problems = []
    for paddle in Paddle.objects.filter(event=event).order_by("number"):
        balance = ZERO
        for at, _, kind, amount, row in _history(paddle):
            balance += amount
            if kind == "payment" and balance < 0:
                problems.append(
                    f"#{paddle.number}: payment {row.pk} of {money_format(-amount)} at {at} left the balance at "
                    f"{money_format(balance)}"
                )
    for payment in Payment.objects.filter(event=event).prefetch_related("refunds"):
        taken = sum((r.amount for r in payment.refunds.all() if r.status != ProviderStatus.FAILED), start=ZERO)
        if taken > payment.amount:
            problems.append(
                f"payment {payment.pk}: refunds {money_format(taken)} exceed {money_format(payment.amount)}"
            )
    return problems


def check_no_double_charge(event: Event) -> list[str]:
    """Invariant 4."""
    problems = []
    cards = Payment.objects.filter(event=event, method=PaymentMethod.CARD_ON_FILE)
    dupes = cards.values("provider_key").annotate(n=Count("id")).filter(n__gt=1)
    problems += [f"provider key {row['provider_key']} used by {row['n']} payments" for row in dupes]
    embedded = cards.filter(provider="embedded")
    keys = list(embedded.values_list("provider_key", flat=True))
    calls = {c.key: c for c in EmbeddedProviderCall.objects.filter(key__in=keys, kind="charge")}
    for payment in embedded:
        call = calls.get(payment.provider_key)
        if payment.status == ProviderStatus.SUCCEEDED and (call is None or call.status != ProviderStatus.SUCCEEDED):
            problems.append(f"payment {payment.pk} succeeded without a successful provider charge")
        if call is not None and call.status == ProviderStatus.SUCCEEDED and payment.status == ProviderStatus.FAILED:
            problems.append(f"payment {payment.pk} failed although the provider charged it")
    return problems


def check_receipts(npo_id: Any) -> list[str]:
    """Invariant 5 for one NPO."""
    receipts = list(
        Receipt.objects.filter(npo_id=npo_id).order_by("created_at", "number").values_list("number", flat=True)
    )
    problems = []
    if sorted(receipts) != list(range(1, len(receipts) + 1)):
        problems.append(f"receipt numbers are not 1..{len(receipts)} without gaps: {sorted(receipts)[:20]}…")
    if receipts != sorted(receipts):
        problems.append("receipt numbers are not in the order the receipts were issued")
    counter = ReceiptCounter.objects.filter(npo_id=npo_id).first()
    if receipts and (counter is None or counter.last_number != len(receipts)):
        problems.append(f"the counter says {counter.last_number if counter else None}, {len(receipts)} issued")
    return problems


def check_all(event: Event) -> list[str]:
    return [
        *check_totals(event),
        *check_statements(event),
        *check_no_overpayment(event),
        *check_no_double_charge(event),
        *check_receipts(event.npo_id),
    ]
