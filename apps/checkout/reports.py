"""Reports of an event (checkout.md "Reports", ``reports.view``): reads only, each a fixed number of
aggregate queries whatever the event's size. The API answers them as JSON or CSV, the admin's event
dashboard draws them, ``manage.py export_reports`` writes the CSVs.

* ``summary`` — raised by source (silent, live, buy-now, paddle raise, donations), collected vs
  outstanding (and credits), the goal, counts of statements, top paddles, payments by method;
* ``items`` — every item that was offered, sold or unsold, with its price against FMV and the
  starting bid;
* ``donors`` — every statement, largest total first (top paddles, unpaid balances);
* ``payments`` — every payment with its refunds, and totals by method.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.db.models import Count, OuterRef, Sum
from django.db.models.functions import TruncHour

from apps.auctions.models import Bid, Item, ItemStatus, Purchase, Sale
from apps.checkout import selectors
from apps.checkout.models import Payment, PaymentMethod, ProviderStatus, Refund
from apps.core.money import ZERO, money_str, money_subquery, money_sum
from apps.events.models import Event

REPORTS = ("summary", "items", "donors", "payments")
SOURCES = ("silent", "live", "buy_now", "paddle_raise", "donations")
SOURCE_LABELS = {
    "silent": "Silent auction",
    "live": "Live auction",
    "buy_now": "Buy now",
    "paddle_raise": "Paddle raise",
    "donations": "Donations",
}


def _sum(qs: Any, field: str = "amount") -> Decimal:
    return qs.aggregate(s=money_sum(field))["s"]


def raised_by_source(event: Event) -> dict[str, Decimal]:
    """What the statements are made of, per source (the totals endpoint's figures plus donations)."""
    return {
        "silent": _sum(selectors.silent_won().filter(event=event), "winning_amount"),
        "live": _sum(selectors.live_sales().filter(item__event=event)),
        "buy_now": _sum(Purchase.objects.filter(item__event=event)),
        "paddle_raise": _sum(selectors.live_pledges().filter(event=event)),
        "donations": _sum(selectors.live_donations().filter(event=event)),
    }


def payments_by_method(event: Event) -> list[dict[str, Any]]:
    received = {
        row["method"]: (row["n"], row["s"])
        for row in Payment.objects.filter(event=event, status=ProviderStatus.SUCCEEDED)
        .values("method")
        .annotate(n=Count("id"), s=money_sum("amount"))
    }
    refunded = {
        row["payment__method"]: row["s"]
        for row in Refund.objects.filter(event=event, status=ProviderStatus.SUCCEEDED)
        .values("payment__method")
        .annotate(s=money_sum("amount"))
    }
    rows = []
    for method, label in PaymentMethod.choices:
        count, amount = received.get(method, (0, ZERO))
        back = refunded.get(method) or ZERO
        rows.append(
            {
                "method": method,
                "label": label,
                "count": count,
                "received": money_str(amount),
                "refunded": money_str(back),
                "net": money_str(amount - back),
            }
        )
    return rows


def report_summary(event: Event) -> dict[str, Any]:
    by_source = raised_by_source(event)
    raised = sum(by_source.values(), start=ZERO)
    # One pass over the (one row per paddle) figures, counted and summed here: aggregating the
    # annotated figures again in SQL would evaluate every correlated sum a second time.
    rows = list(
        selectors.statements_of_event(event).prefetch_related(None).values("number", "total", "paid", "balance_due")
    )
    totals = {
        "statements": len(rows),
        "paid_in_full": sum(1 for r in rows if r["balance_due"] == 0),
        "with_balance": sum(1 for r in rows if r["balance_due"] > 0),
        "with_credit": sum(1 for r in rows if r["balance_due"] < 0),
    }
    collected = sum((r["paid"] for r in rows), start=ZERO)
    outstanding = sum((r["balance_due"] for r in rows if r["balance_due"] > 0), start=ZERO)
    credit = sum((-r["balance_due"] for r in rows if r["balance_due"] < 0), start=ZERO)
    pending = _sum(Payment.objects.filter(event=event, status=ProviderStatus.PENDING))
    goal = event.goal_amount
    top = sorted(rows, key=lambda r: (-r["total"], r["number"]))[:10]
    return {
        "event": {"id": str(event.pk), "name": event.name, "currency": event.npo.currency},
        "raised": money_str(raised),
        "by_source": {k: money_str(v) for k, v in by_source.items()},
        "goal": money_str(goal),
        "percent": float(round(raised * 100 / goal, 1)) if goal else None,
        "collected": money_str(collected),
        "outstanding": money_str(outstanding),
        "credit": money_str(credit),
        "pending": money_str(pending),
        "statements": totals["statements"],
        "paid_in_full": totals["paid_in_full"],
        "with_balance": totals["with_balance"],
        "with_credit": totals["with_credit"],
        "top_paddles": [{"bidder_number": r["number"], "total": money_str(r["total"])} for r in top],
        "payments_by_method": payments_by_method(event),
    }


def report_items(event: Event) -> list[dict[str, Any]]:
    sales = (
        Sale.objects.filter(item=OuterRef("pk"), undone_at__isnull=True)
        .order_by()
        .values("item")
        .annotate(s=Sum("amount"))
        .values("s")
    )
    purchases = (
        Purchase.objects.filter(item=OuterRef("pk")).order_by().values("item").annotate(s=Sum("amount")).values("s")
    )
    qs = (
        Item.objects.filter(event=event)
        .exclude(status__in=[ItemStatus.DRAFT, ItemStatus.WITHDRAWN])
        .select_related("winner_paddle")
        .annotate(
            sales_total=money_subquery(sales),
            purchases_total=money_subquery(purchases),
        )
        .order_by("number")
    )
    rows = []
    for item in qs:
        price = (item.winning_amount or ZERO) + item.sales_total + item.purchases_total
        fmv = item.fair_market_value
        sold = item.status == ItemStatus.SOLD or price > 0
        rows.append(
            {
                "number": item.number,
                "title": item.title,
                "kind": item.kind,
                "status": item.status,
                "sold": sold,
                "units_sold": item.quantity_sold,
                "quantity": item.quantity,
                "starting_bid": money_str(item.starting_bid),
                "fair_market_value": money_str(fmv),
                "price": money_str(price) if sold else None,
                "over_fmv": money_str(price - fmv) if sold and fmv is not None else None,
                "percent_of_fmv": float(round(price * 100 / fmv, 1)) if sold and fmv else None,
                "winner": item.winner_paddle.number if item.winner_paddle else None,
            }
        )
    return rows


def report_donors(event: Event) -> list[dict[str, Any]]:
    rows = selectors.statements_of_event(event, ordering="-total")
    return [
        {
            "bidder_number": p.number,
            "holders": selectors.holder_names(p),
            "total": money_str(p.total),
            "deductible_total": money_str(p.deductible_total),
            "paid": money_str(p.paid),
            "balance_due": money_str(p.balance_due),
        }
        for p in rows
    ]


def report_payments(event: Event) -> dict[str, Any]:
    return {
        "by_method": payments_by_method(event),
        "results": [
            {
                "id": str(p.pk),
                "created_at": p.created_at.isoformat(),
                "bidder_number": p.paddle.number,
                "method": p.method,
                "amount": money_str(p.amount),
                "status": p.status,
                "refunded": money_str(p.refunded),
                "reference": p.reference,
                "failure_reason": p.failure_reason,
                "recorded_by": p.recorded_by.email if p.recorded_by else "",
            }
            for p in selectors.payments_of_event(event)
        ],
    }


def report(event: Event, name: str) -> Any:
    return {"summary": report_summary, "items": report_items, "donors": report_donors, "payments": report_payments}[
        name
    ](event)


def report_csv(event: Event, name: str) -> tuple[list[str], Iterable[Sequence[Any]]]:
    """Header and rows of report ``name`` as a CSV."""
    data = report(event, name)
    if name == "summary":
        rows: list[list[Any]] = [[f"raised: {SOURCE_LABELS[k]}", v] for k, v in data["by_source"].items()]
        rows += [
            [key, data[key]] for key in ("raised", "goal", "percent", "collected", "outstanding", "credit", "pending")
        ]
        rows += [[key, data[key]] for key in ("statements", "paid_in_full", "with_balance", "with_credit")]
        rows += [[f"payments: {m['label']}", m["net"]] for m in data["payments_by_method"]]
        return ["figure", "value"], rows
    if name == "payments":
        results = data["results"]
        header = list(results[0].keys()) if results else ["id", "created_at", "bidder_number", "method", "amount"]
        return header, [list(r.values()) for r in results]
    if name == "donors":
        header = ["bidder_number", "holders", "total", "deductible_total", "paid", "balance_due"]
        return header, [[r["bidder_number"], "; ".join(r["holders"]), *[r[k] for k in header[2:]]] for r in data]
    header = list(data[0].keys()) if data else ["number", "title"]
    return header, [list(r.values()) for r in data]


def bids_over_time(event: Event) -> list[tuple[Any, int]]:
    """Visible bids per hour (the dashboard's line)."""
    return [
        (row["hour"], row["n"])
        for row in Bid.objects.filter(item__event=event, visible=True)
        .annotate(hour=TruncHour("created_at"))
        .values("hour")
        .annotate(n=Count("id"))
        .order_by("hour")
    ]


def statements_csv_rows(event: Event, qs: Any) -> tuple[list[str], Iterable[Sequence[Any]]]:
    header = ["bidder_number", "holders", "total", "deductible_total", "paid", "balance_due"]

    def rows() -> Iterable[Sequence[Any]]:
        for p in qs:
            yield [
                p.number,
                "; ".join(selectors.holder_names(p)),
                money_str(p.total),
                money_str(p.deductible_total),
                money_str(p.paid),
                money_str(p.balance_due),
            ]

    return header, rows()
