"""Checkout in account deletion and the privacy export (apps.legal.hooks): 409 ``BALANCE_DUE`` while
a paddle of the person has a balance due; saved-card tokens forgotten; statements and payments in
the export."""

from __future__ import annotations

import pytest

from apps.checkout.models import SavedCard
from apps.checkout.services import payments
from apps.checkout.tests import factories as f
from apps.core.exceptions import Conflict
from apps.legal.hooks import export_sections
from apps.legal.services.deletion import account_delete

pytestmark = pytest.mark.django_db


def test_balance_due_blocks_deletion_until_paid() -> None:
    event = f.gala()
    cashier = f.member(event.npo, "cashier")
    donor, paddle = f.donor_paddle(event, 101)
    f.won_silent(paddle, "300", fmv="100")
    card = f.saved_card(paddle)
    with pytest.raises(Conflict) as exc:
        account_delete(user=donor, actor=donor)
    assert exc.value.code == "BALANCE_DUE" and "300.00" in exc.value.message
    donor.refresh_from_db()
    assert donor.is_active

    payments.payment_take(paddle=paddle, amount="300.00", method="cash", actor=cashier)
    sections = export_sections()
    [statement] = sections["statements"](donor)  # type: ignore[misc]
    assert (statement["bidder_number"], statement["total"], statement["balance_due"]) == (101, "300.00", "0.00")
    assert statement["lines"][0]["deductible"] == "200.00"
    [payment] = sections["payments"](donor)  # type: ignore[misc]
    assert (payment["method"], payment["amount"]) == ("cash", "300.00")

    account_delete(user=donor, actor=donor)
    card = SavedCard.objects.get(pk=card.pk)
    assert (card.status, card.customer_id, card.payment_method_id) == ("replaced", "", "")


def test_a_person_without_a_paddle_is_not_blocked() -> None:
    from apps.users.tests.factories import UserFactory

    user = UserFactory()
    account_delete(user=user, actor=user)
    assert export_sections()["statements"](user) == []  # type: ignore[misc]
