"""Statements (checkout.md "Statements"): computed from the rows that exist, never stored.

Two ways to read them, which must agree to the cent (``manage.py reconcile`` compares them):

* :func:`statements_of_event` — the list: one ``Paddle`` query annotated with a correlated
  aggregate per source (``SUM`` of won silent items, live sales, purchases, pledges, donations,
  payments, refunds), so a page costs the same few queries at any page size and the CSV of every
  statement is one query plus the holders' names;
* :func:`statement_for_paddle` — one statement with its lines and payments (a fixed number of
  queries), what the detail, the receipt and the services' checks under the paddle lock read.

Money columns are ``DECIMAL(12, 2)``; sums are computed as ``DECIMAL(14, 2)`` in SQL, rounded to
cents in SQL on SQLite and read back with two places (``apps.core.money.AsMoney``), so a filter on
``balance_due`` sees the cents the page shows on both databases. A line's deductible amount is
``max(0, amount - FMV)``; an item without a fair market value gives 0 (an unknown value is never
claimed as a gift) and ``fmv_known: false``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import Case, Exists, ExpressionWrapper, F, OuterRef, Prefetch, Q, QuerySet, Sum, Value, When
from django.db.models.lookups import GreaterThan

from apps.attendance.models import Guest, Paddle
from apps.auctions.models import Item, ItemKind, ItemStatus, Pledge, Purchase, Sale
from apps.checkout.models import Donation, Payment, PaymentMethod, ProviderStatus, Refund, SavedCard
from apps.core.exceptions import NotFound
from apps.core.money import ZERO, AsMoney, MoneySumField, money, money_subquery
from apps.events.models import Event
from apps.events.selectors import EventAccess, event_for

SUM_FIELD = MoneySumField()

LINE_KINDS = ("silent", "live", "buy_now", "pledge", "donation")


# --- the aggregate building blocks -------------------------------------------------------------


def _deductible(amount: Any, fmv: Any, *, fmv_null: str) -> Case:
    """``max(0, amount - fmv)``; 0 where the FMV is unknown."""
    return Case(
        When(**{f"{fmv_null}__isnull": True}, then=Value(ZERO)),
        When(GreaterThan(amount, fmv), then=ExpressionWrapper(amount - fmv, output_field=SUM_FIELD)),
        default=Value(ZERO),
        output_field=SUM_FIELD,
    )


def silent_won() -> QuerySet[Item]:
    """Silent items won by bidding (a silent item bought now is a purchase line instead)."""
    return Item.objects.filter(
        kind=ItemKind.SILENT, status=ItemStatus.SOLD, winning_amount__isnull=False, winner_paddle__isnull=False
    )


def live_sales() -> QuerySet[Sale]:
    return Sale.objects.filter(undone_at__isnull=True)


def live_pledges() -> QuerySet[Pledge]:
    return Pledge.objects.filter(undone_at__isnull=True)


def live_donations() -> QuerySet[Donation]:
    return Donation.objects.filter(undone_at__isnull=True)


#: source → (queryset factory, the paddle field, amount expression, deductible expression)
def _sources() -> dict[str, tuple[QuerySet[Any], str, Any, Any]]:
    fmv = F("item__fair_market_value")
    return {
        "silent": (
            silent_won(),
            "winner_paddle",
            F("winning_amount"),
            _deductible(F("winning_amount"), F("fair_market_value"), fmv_null="fair_market_value"),
        ),
        "live": (
            live_sales(),
            "paddle",
            F("amount"),
            _deductible(F("amount"), fmv, fmv_null="item__fair_market_value"),
        ),
        "buy_now": (
            Purchase.objects.all(),
            "paddle",
            F("amount"),
            _deductible(F("amount"), fmv * F("quantity"), fmv_null="item__fair_market_value"),
        ),
        "pledge": (live_pledges(), "paddle", F("amount"), F("amount")),
        "donation": (live_donations(), "paddle", F("amount"), F("amount")),
    }


def _correlated_sum(qs: QuerySet[Any], paddle_field: str, expr: Any) -> AsMoney:
    sub = (
        qs.filter(**{paddle_field: OuterRef("pk")})
        .order_by()
        .values(paddle_field)
        .annotate(s=Sum(expr, output_field=SUM_FIELD))
        .values("s")
    )
    return money_subquery(sub)


def with_statement_figures(qs: QuerySet[Paddle]) -> QuerySet[Any]:
    # Returns ``QuerySet[Any]``: the rows carry annotations the type checker does not know about.
    """Annotate each paddle with its statement figures: ``total``, ``deductible_total``, ``paid``,
    ``balance_due``, ``pending`` (card payments in flight, reserved against the balance), plus one
    ``<source>_total`` per line kind."""
    annotations: dict[str, Any] = {}
    totals = []
    deductibles = []
    for kind, (source, paddle_field, amount, deductible) in _sources().items():
        annotations[f"{kind}_total"] = _correlated_sum(source, paddle_field, amount)
        totals.append(F(f"{kind}_total"))
        if kind in ("pledge", "donation"):
            deductibles.append(F(f"{kind}_total"))
        else:
            annotations[f"{kind}_deductible"] = _correlated_sum(source, paddle_field, deductible)
            deductibles.append(F(f"{kind}_deductible"))
    annotations["payments_in"] = _correlated_sum(
        Payment.objects.filter(status=ProviderStatus.SUCCEEDED), "paddle", F("amount")
    )
    annotations["refunds_out"] = _correlated_sum(
        Refund.objects.filter(status=ProviderStatus.SUCCEEDED), "paddle", F("amount")
    )
    annotations["pending"] = _correlated_sum(
        Payment.objects.filter(status=ProviderStatus.PENDING), "paddle", F("amount")
    )
    qs = qs.annotate(**annotations)
    total = sum(totals[1:], start=totals[0])
    deductible_total = sum(deductibles[1:], start=deductibles[0])
    return qs.annotate(
        total=AsMoney(total),
        deductible_total=AsMoney(deductible_total),
        paid=AsMoney(F("payments_in") - F("refunds_out")),
    ).annotate(balance_due=AsMoney(F("total") - F("paid")))


def _has_statement_q() -> Q:
    """A paddle has a statement when it has at least one line or payment."""
    checks = [
        Exists(source.filter(**{paddle_field: OuterRef("pk")})) for source, paddle_field, _, _ in _sources().values()
    ]
    checks.append(Exists(Payment.objects.filter(paddle=OuterRef("pk"))))
    q = Q(checks[0])
    for check in checks[1:]:
        q |= Q(check)
    return q


# --- events a checkout reader may open ----------------------------------------------------------


def event_for_member(user: Any, event_id: Any) -> EventAccess:
    """``event_for``, narrowed to members of the event's NPO (any role) and super admins: 404 for
    everyone else. Statements and reports are the NPO's own records: an outsider — a donor, another
    NPO's cashier — gets 404 whether or not the event is public (permissions.md: ids are not
    confirmed to outsiders); a member without the capability gets 403 from the caller."""
    access = event_for(user, event_id)
    if not access.is_member:
        raise NotFound(message="Event not found.")
    return access


# --- the list -----------------------------------------------------------------------------------


def statements_of_event(
    event: Event, *, balance: str | None = None, search: str = "", ordering: str = "bidder_number"
) -> QuerySet[Any]:
    """Every paddle of ``event`` with a statement, annotated with its figures, holders prefetched.

    ``balance``: ``due`` (> 0), ``paid`` (= 0), ``credit`` (< 0). ``search``: an exact bidder number
    (``342`` or ``#342``), else every word must match a holder's first or last name.
    """
    qs = with_statement_figures(Paddle.objects.filter(event=event).filter(_has_statement_q()))
    if balance == "due":
        qs = qs.filter(balance_due__gt=0)
    elif balance == "paid":
        qs = qs.filter(balance_due=0)
    elif balance == "credit":
        qs = qs.filter(balance_due__lt=0)
    term = (search or "").strip()
    if term:
        digits = term.lstrip("#")
        if digits.isascii() and digits.isdigit() and len(digits) <= 9:
            qs = qs.filter(number=int(digits))
        else:
            for word in term.split()[:5]:
                qs = qs.filter(
                    Exists(
                        Guest.objects.filter(paddle=OuterRef("pk")).filter(
                            Q(first_name__icontains=word) | Q(last_name__icontains=word)
                        )
                    )
                )
    orderings = {
        "bidder_number": ("number",),
        "-bidder_number": ("-number",),
        "balance_due": ("balance_due", "number"),
        "-balance_due": ("-balance_due", "number"),
        "total": ("total", "number"),
        "-total": ("-total", "number"),
    }
    return qs.order_by(*orderings.get(ordering, ("number",))).prefetch_related(holders_prefetch())


def page_rows(qs: QuerySet[Any], ids: Iterable[Any]) -> list[Any]:
    """The rows of ``qs`` whose pks are ``ids`` (one page of ``qs.values_list("pk", flat=True)``), in
    that order. Paging the pks first matters: PostgreSQL computes the select list of every row an
    OFFSET skips, so a deep page of the annotated query cost as much as the whole list; this way the
    figures are computed for the page's rows only (one more query, whatever the page)."""
    ids = list(ids)
    by_pk = {row.pk: row for row in qs.filter(pk__in=ids).order_by()}
    return [by_pk[pk] for pk in ids if pk in by_pk]


def holders_prefetch() -> Any:
    return Prefetch(
        "guests",
        queryset=Guest.objects.only("id", "paddle_id", "first_name", "last_name", "is_registrant", "email").order_by(
            "-is_registrant", "last_name", "first_name"
        ),
        to_attr="holder_rows",
    )


def holder_names(paddle: Paddle) -> list[str]:
    rows = getattr(paddle, "holder_rows", None)
    if rows is None:
        rows = list(paddle.guests.order_by("-is_registrant", "last_name", "first_name"))
    return [g.full_name for g in rows if g.full_name]


# --- one statement -----------------------------------------------------------------------------


@dataclass
class Line:
    kind: str
    description: str
    amount: Decimal
    fair_market_value: Decimal | None
    fmv_known: bool
    deductible: Decimal
    source_id: Any
    at: datetime | None


@dataclass
class StatementRefund:
    id: Any
    amount: Decimal
    status: str
    reason: str
    created_at: datetime


@dataclass
class StatementPayment:
    id: Any
    method: str
    amount: Decimal
    reference: str
    status: str
    failure_reason: str
    refunded: Decimal
    refundable: Decimal
    created_at: datetime
    refunds: list[StatementRefund] = field(default_factory=list)

    @property
    def method_label(self) -> str:
        return str(dict(PaymentMethod.choices).get(self.method, self.method))


@dataclass
class Statement:
    event: Event
    paddle: Paddle
    holders: list[str]
    lines: list[Line]
    payments: list[StatementPayment]
    total: Decimal
    deductible_total: Decimal
    fmv_total: Decimal
    paid: Decimal
    pending: Decimal
    donations: list[Donation]

    @property
    def balance_due(self) -> Decimal:
        return money(self.total - self.paid)

    @property
    def payable(self) -> Decimal:
        """What a new payment may be at most: the balance less card payments in flight."""
        return money(self.total - self.paid - self.pending)

    @property
    def currency(self) -> str:
        return self.event.npo.currency

    @property
    def number(self) -> int:
        return self.paddle.number


def _line(kind: str, description: str, amount: Decimal, fmv: Decimal | None, source_id: Any, at: Any) -> Line:
    if kind in ("pledge", "donation"):
        return Line(kind, description, money(amount), ZERO, True, money(amount), source_id, at)
    known = fmv is not None
    deductible = money(max(amount - fmv, ZERO)) if fmv is not None else ZERO
    return Line(
        kind, description, money(amount), money(fmv) if fmv is not None else None, known, deductible, source_id, at
    )


def statement_lines(paddle: Paddle) -> tuple[list[Line], list[Donation]]:
    """The lines of ``paddle``'s statement in the order they happened (five queries)."""
    lines: list[Line] = []
    for item in (
        silent_won()
        .filter(winner_paddle=paddle)
        .only("id", "number", "title", "winning_amount", "fair_market_value", "closed_at")
    ):
        assert item.winning_amount is not None
        lines.append(
            _line(
                "silent",
                f"#{item.number} {item.title}",
                item.winning_amount,
                item.fair_market_value,
                item.pk,
                item.closed_at,
            )
        )
    for sale in live_sales().filter(paddle=paddle).select_related("item"):
        lines.append(
            _line(
                "live",
                f"#{sale.item.number} {sale.item.title}",
                sale.amount,
                sale.item.fair_market_value,
                sale.pk,
                sale.created_at,
            )
        )
    for purchase in Purchase.objects.filter(paddle=paddle).select_related("item"):
        fmv = purchase.item.fair_market_value
        label = f"#{purchase.item.number} {purchase.item.title}"
        if purchase.quantity > 1:
            label += f" \u00d7 {purchase.quantity}"
        lines.append(
            _line(
                "buy_now",
                label,
                purchase.amount,
                fmv * purchase.quantity if fmv is not None else None,
                purchase.pk,
                purchase.created_at,
            )
        )
    for pledge in live_pledges().filter(paddle=paddle):
        lines.append(_line("pledge", "Paddle raise pledge", pledge.amount, ZERO, pledge.pk, pledge.created_at))
    donations = list(live_donations().filter(paddle=paddle))
    for donation in donations:
        lines.append(_line("donation", "Donation", donation.amount, ZERO, donation.pk, donation.created_at))
    lines.sort(key=lambda line: (line.at is None, line.at or datetime.min))
    return lines, donations


def statement_payments(paddle: Paddle) -> list[StatementPayment]:
    """Every payment of the paddle (failed and pending included) with its refunds (two queries)."""
    result = []
    for p in Payment.objects.filter(paddle=paddle).prefetch_related("refunds").order_by("created_at"):
        refunds = sorted(p.refunds.all(), key=lambda r: r.created_at)
        done = sum((r.amount for r in refunds if r.status == ProviderStatus.SUCCEEDED), start=ZERO)
        held = sum((r.amount for r in refunds if r.status != ProviderStatus.FAILED), start=ZERO)
        refundable = money(p.amount - held) if p.status == ProviderStatus.SUCCEEDED else ZERO
        result.append(
            StatementPayment(
                id=p.pk,
                method=p.method,
                amount=p.amount,
                reference=p.reference,
                status=p.status,
                failure_reason=p.failure_reason,
                refunded=money(done),
                refundable=refundable,
                created_at=p.created_at,
                refunds=[StatementRefund(r.pk, r.amount, r.status, r.reason, r.created_at) for r in refunds],
            )
        )
    return result


def statement_for_paddle(paddle: Paddle, *, event: Event | None = None) -> Statement:
    """``paddle``'s statement, computed from its rows (about eight queries, whatever its size)."""
    event = event or Event.objects.select_related("npo").get(pk=paddle.event_id)
    lines, donations = statement_lines(paddle)
    payments = statement_payments(paddle)
    total = money(sum((line.amount for line in lines), start=ZERO))
    deductible = money(sum((line.deductible for line in lines), start=ZERO))
    fmv_total = money(sum((line.fair_market_value or ZERO for line in lines), start=ZERO))
    paid = money(
        sum((p.amount for p in payments if p.status == ProviderStatus.SUCCEEDED), start=ZERO)
        - sum((p.refunded for p in payments), start=ZERO)
    )
    pending = money(sum((p.amount for p in payments if p.status == ProviderStatus.PENDING), start=ZERO))
    return Statement(
        event=event,
        paddle=paddle,
        holders=holder_names(paddle),
        lines=lines,
        payments=payments,
        total=total,
        deductible_total=deductible,
        fmv_total=fmv_total,
        paid=paid,
        pending=pending,
        donations=donations,
    )


def paddle_of_event(event: Event, number: Any) -> Paddle:
    """The paddle ``number`` of ``event`` (404 when no such paddle)."""
    paddle = (
        Paddle.objects.filter(event=event, number=number)
        .select_related("registration__user")
        .prefetch_related(holders_prefetch())
        .first()
        if isinstance(number, int)
        else None
    )
    if paddle is None:
        raise NotFound(message="No statement for this bidder number.")
    return paddle


def paddle_of_user(user: Any, event: Event) -> Paddle:
    """The caller's paddle in ``event`` (their own guest row's), else 404."""
    guest = (
        Guest.objects.filter(event=event, user=user, paddle__isnull=False, registration__status="confirmed")
        .select_related("paddle")
        .order_by("-is_registrant")
        .first()
    )
    if guest is None:
        # A cancelled party's paddle with activity keeps its statement: still the donor's own.
        guest = (
            Guest.objects.filter(event=event, user=user, paddle__isnull=False).select_related("paddle").first()
            if getattr(user, "is_authenticated", False)
            else None
        )
    if guest is None or guest.paddle is None:
        raise NotFound(message="You have no bidder number in this event.")
    return Paddle.objects.filter(pk=guest.paddle.pk).prefetch_related(holders_prefetch()).get()


def active_card(paddle: Paddle) -> SavedCard | None:
    """The active saved card of the paddle's registration, if any."""
    if paddle.registration_id is None:
        return None
    return SavedCard.objects.filter(registration_id=paddle.registration_id, status="active").first()


def registrant_email(paddle: Paddle) -> tuple[str, Any]:
    """Where the paddle's receipt goes: the registration's account, else the registrant guest's
    address (a walk-in without an account)."""
    registration = paddle.registration
    if registration is None:
        return "", None
    if registration.user_id is not None and registration.user is not None and registration.user.email:
        return registration.user.email, registration.user
    guest = registration.guests.filter(is_registrant=True).only("email").first()
    return (guest.email if guest else ""), None


def payments_of_event(event: Event) -> QuerySet[Any]:
    return (
        Payment.objects.filter(event=event)
        .select_related("paddle", "recorded_by")
        .annotate(
            refunded=money_subquery(
                Refund.objects.filter(payment=OuterRef("pk"), status=ProviderStatus.SUCCEEDED)
                .order_by()
                .values("payment")
                .annotate(s=Sum("amount"))
                .values("s")
            )
        )
        .order_by("created_at")
    )


def statement_sums(rows: Iterable[Paddle]) -> dict[str, Decimal]:
    """Σ of the annotated figures over ``rows`` (reconcile, reports)."""
    sums = {"total": ZERO, "paid": ZERO, "balance_due": ZERO, "deductible_total": ZERO}
    for row in rows:
        for key in sums:
            sums[key] += getattr(row, key)
    return {k: money(v) for k, v in sums.items()}
