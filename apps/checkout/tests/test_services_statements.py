"""Statements computed from the rows (checkout.md "Statements"), and the list and detail agree."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from apps.checkout import selectors
from apps.checkout.models import Payment, ProviderStatus, Refund
from apps.checkout.services import donations, payments
from apps.checkout.tests import factories as f

pytestmark = pytest.mark.django_db
D = Decimal


def test_lines_amounts_fmv_and_deductible() -> None:
    event = f.gala()
    _, paddle = f.donor_paddle(event, 101)
    f.won_silent(paddle, "500", fmv="300")  # deductible 200
    f.won_silent(paddle, "80", fmv="120")  # paid under value: 0
    f.won_silent(paddle, "90")  # no FMV: 0, fmv_known false
    f.live_sale(paddle, "1000", fmv="400")  # 600
    f.purchase(paddle, "100", quantity=2, fmv="60")  # 200 - 120 = 80
    f.pledge(paddle, "250")  # fully deductible
    statement = selectors.statement_for_paddle(paddle)
    by_amount = {line.amount: line for line in statement.lines}
    assert by_amount[D("500.00")].deductible == D("200.00")
    assert by_amount[D("80.00")].deductible == D("0.00")
    unknown = by_amount[D("90.00")]
    assert (unknown.fmv_known, unknown.fair_market_value, unknown.deductible) == (False, None, D("0.00"))
    assert by_amount[D("1000.00")].deductible == D("600.00")
    bought = by_amount[D("200.00")]
    assert (bought.kind, bought.fair_market_value, bought.deductible) == ("buy_now", D("120.00"), D("80.00"))
    assert by_amount[D("250.00")].deductible == D("250.00")
    assert statement.total == D("2120.00")
    assert statement.deductible_total == D("1130.00")
    assert statement.balance_due == D("2120.00")
    row = selectors.statements_of_event(event).get()
    assert (row.total, row.deductible_total, row.paid, row.balance_due) == (
        D("2120.00"),
        D("1130.00"),
        D("0.00"),
        D("2120.00"),
    )


def test_open_items_undone_sales_and_pledges_are_not_lines() -> None:
    event = f.gala()
    _, paddle = f.donor_paddle(event, 102)
    f.item(event)  # open item, nobody won it
    sale = f.live_sale(paddle, "300")
    pledge = f.pledge(paddle, "100")
    type(sale).objects.filter(pk=sale.pk).update(undone_at=timezone.now())
    type(pledge).objects.filter(pk=pledge.pk).update(undone_at=timezone.now())
    statement = selectors.statement_for_paddle(paddle)
    assert statement.lines == [] and statement.total == 0
    assert list(selectors.statements_of_event(event)) == []  # no line, no payment: no statement


def test_paid_is_payments_minus_refunds_and_a_credit_after_an_undo() -> None:
    event = f.gala()
    cashier = f.member(event.npo, "cashier")
    _, paddle = f.donor_paddle(event, 103)
    sale = f.live_sale(paddle, "400")
    f.pledge(paddle, "100")
    payment = payments.payment_record(paddle=paddle, amount="500", method="cash", actor=cashier)
    assert payment.status == ProviderStatus.SUCCEEDED
    from apps.checkout.services.refunds import refund_record

    refund_record(payment=payment, amount="50", reason="oops", actor=cashier)
    statement = selectors.statement_for_paddle(paddle)
    assert (statement.paid, statement.balance_due) == (D("450.00"), D("50.00"))
    # the sale is undone after the payment: the balance becomes a credit, shown as such
    from apps.auctions.services.live import sale_undo

    sale_undo(sale=sale, actor=f.member(event.npo, "auctioneer"))
    statement = selectors.statement_for_paddle(paddle)
    assert statement.balance_due == D("-350.00")
    assert [p.number for p in selectors.statements_of_event(event, balance="credit")] == [103]
    assert list(selectors.statements_of_event(event, balance="due")) == []
    assert Payment.objects.count() == 1 and Refund.objects.count() == 1


def test_search_by_number_and_name_and_filters() -> None:
    event = f.gala()
    ann, p1 = f.donor_paddle(event, 110)
    _, p2 = f.donor_paddle(event, 111)
    f.pledge(p1, "100")
    f.pledge(p2, "100")
    cashier = f.member(event.npo, "cashier")
    payments.payment_record(paddle=p2, amount="100", method="check", reference="1001", actor=cashier)
    assert [p.number for p in selectors.statements_of_event(event, search="#110")] == [110]
    assert [p.number for p in selectors.statements_of_event(event, search=ann.last_name)] == [110]
    assert [p.number for p in selectors.statements_of_event(event, balance="paid")] == [111]
    assert [p.number for p in selectors.statements_of_event(event, ordering="-bidder_number")] == [111, 110]


def test_donations_add_and_undo() -> None:
    event = f.gala()
    cashier = f.member(event.npo, "cashier")
    _, paddle = f.donor_paddle(event, 120)
    donation = donations.donation_add(paddle=paddle, amount="25", actor=cashier)
    assert selectors.statement_for_paddle(paddle).total == D("25.00")
    donations.donation_undo(donation=donation, actor=cashier)
    assert selectors.statement_for_paddle(paddle).total == D("0.00")
    from apps.core.exceptions import Conflict

    with pytest.raises(Conflict) as exc:
        donations.donation_undo(donation=donation, actor=cashier)
    assert exc.value.code == "ALREADY_UNDONE"
