"""Checkout races on PostgreSQL with real threads (checkout.md "Concurrency", invariants 1-5).

Two cashiers paying the same balance, a payment racing a late sale undo, ``charge_balances`` run
twice at once, a retried payment with the same ``Idempotency-Key`` — then the five invariants hold
and ``manage.py reconcile`` passes.
"""

from __future__ import annotations

import io
import uuid
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command

from apps.auctions.services.live import sale_undo
from apps.checkout import invariants, selectors
from apps.checkout.models import EmbeddedProviderCall, Payment, PaymentMethod, ProviderStatus
from apps.checkout.services import charging, payments
from apps.checkout.tests import factories as f
from apps.core.tests.race import codes, race
from conftest import client_for

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
D = Decimal
ROUNDS = 6


def assert_invariants(event: Any) -> None:
    assert invariants.check_all(event) == []
    out = io.StringIO()
    call_command("reconcile", str(event.pk), stdout=out)  # raises (exit 1) on a mismatch
    assert "reconciled" in out.getvalue()


def test_two_cashiers_paying_the_same_balance_one_wins() -> None:
    event = f.gala()
    cashiers = [f.member(event.npo, "cashier") for _ in range(2)]
    for n in range(ROUNDS):
        _, paddle = f.donor_paddle(event, 200 + n)
        f.won_silent(paddle, "300", fmv="100")
        f.pledge(paddle, "200")
        results = race(
            *[
                lambda c=c, p=paddle, m=m: payments.payment_take(paddle=p, amount="500.00", method=m, actor=c)
                for c, m in zip(cashiers, ("cash", "check"), strict=True)
            ]
        )
        answers = sorted(codes(results))
        assert answers[1] == "ok" and answers[0] in ("NOTHING_DUE", "PAYMENT_EXCEEDS_BALANCE"), answers
        assert Payment.objects.filter(paddle=paddle, status=ProviderStatus.SUCCEEDED).count() == 1
    assert_invariants(event)


def test_a_payment_racing_a_late_sale_undo() -> None:
    """Either the payment lands first (the undo then leaves a credit, settled by a refund) or the
    undo does (the payment is then more than the balance: 409). Never a payment above the balance
    at the moment it was recorded (invariant 3)."""
    event = f.gala()
    cashier = f.member(event.npo, "cashier")
    clerk = f.member(event.npo, "admin")
    seen = set()
    for n in range(ROUNDS):
        _, paddle = f.donor_paddle(event, 300 + n)
        sale = f.live_sale(paddle, "300", fmv="50")
        f.pledge(paddle, "200")
        results = race(
            lambda p=paddle: payments.payment_take(paddle=p, amount="500.00", method="cash", actor=cashier),
            lambda s=sale: sale_undo(sale=s, actor=clerk),
        )
        paid, undone = codes(results)
        assert undone == "ok"
        assert paid in ("ok", "PAYMENT_EXCEEDS_BALANCE"), paid
        seen.add(paid)
        statement = selectors.statement_for_paddle(paddle)
        assert statement.balance_due == (D("-300.00") if paid == "ok" else D("200.00"))
    assert seen  # which order won varies by run; both are checked above
    assert_invariants(event)


def test_charge_balances_twice_at_once_charges_each_balance_once() -> None:
    event = f.gala()
    paddles = []
    for n in range(8):
        _, paddle = f.donor_paddle(event, 400 + n)
        f.won_silent(paddle, f"{100 + n * 10}", fmv="20")
        f.saved_card(paddle)
        paddles.append(paddle)
    results = race(lambda: charging.balances_charge(event=event), lambda: charging.balances_charge(event=event))
    assert all(not isinstance(r, BaseException) for r in results), results
    charged = [number for report in results for number, _ in report.charged]
    assert sorted(charged) == [p.number for p in paddles]  # each once, between the two runs
    succeeded = Payment.objects.filter(event=event, method=PaymentMethod.CARD_ON_FILE, status=ProviderStatus.SUCCEEDED)
    assert succeeded.count() == len(paddles)
    assert EmbeddedProviderCall.objects.filter(kind="charge", status=ProviderStatus.SUCCEEDED).count() == len(paddles)
    # A third run finds nothing due.
    assert charging.balances_charge(event=event).charged == []
    assert_invariants(event)


def test_a_retried_payment_with_the_same_key_is_recorded_once() -> None:
    event = f.gala()
    cashier = f.member(event.npo, "cashier")
    _, paddle = f.donor_paddle(event, 501)
    f.won_silent(paddle, "300", fmv="100")
    f.saved_card(paddle)
    url = f"/api/v1/events/{event.pk}/statements/501/payments/"
    for method, amount in (("cash", "100.00"), ("card_on_file", "150.00")):
        key = str(uuid.uuid4())

        def post(method: str = method, amount: str = amount, key: str = key) -> Any:
            response = client_for(cashier).post(
                url, {"amount": amount, "method": method}, format="json", headers={"Idempotency-Key": key}
            )
            return response.status_code, response.json()

        results = race(post, post, post)
        assert all(not isinstance(r, BaseException) for r in results), results
        assert {status for status, _ in results} == {201}, results
        assert len({body["id"] for _, body in results}) == 1  # the same payment, answered three times
        assert Payment.objects.filter(paddle=paddle, method=method).count() == 1
    assert EmbeddedProviderCall.objects.filter(kind="charge").count() == 1  # the card was charged once
    assert_invariants(event)
