"""The checkout API: bad input with its codes, 409 rules, Idempotency-Key, query counts, CSV."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.core import mail

from apps.checkout.models import Payment, ProviderStatus, Receipt, Refund
from apps.checkout.tests import factories as f
from apps.core.models import AuditEntry
from conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> dict:
    event = f.gala()
    cashier = f.member(event.npo, "cashier")
    donor, paddle = f.donor_paddle(event, 101)
    f.won_silent(paddle, "300", fmv="100")
    f.pledge(paddle, "200")
    return {"event": event, "cashier": cashier, "donor": donor, "paddle": paddle, "client": client_for(cashier)}


def url(world: dict, tail: str = "", number: int = 101) -> str:
    return f"/api/v1/events/{world['event'].pk}/statements/{number}/{tail}"


def pay(world: dict, body: dict, **headers: str):  # type: ignore[no-untyped-def]
    return world["client"].post(url(world, "payments/"), body, format="json", headers=headers)


@pytest.mark.parametrize(
    "body, field",
    [
        ({"amount": "-5", "method": "cash"}, "amount"),
        ({"amount": "0", "method": "cash"}, "amount"),
        ({"amount": "0.00", "method": "cash"}, "amount"),
        ({"amount": "1000000.01", "method": "cash"}, "amount"),
        ({"amount": "10.001", "method": "cash"}, "amount"),
        ({"amount": "\uff11\uff10", "method": "cash"}, "amount"),
        ({"amount": "abc", "method": "cash"}, "amount"),
        ({"amount": None, "method": "cash"}, "amount"),
        ({"amount": "10", "method": "bitcoin"}, "method"),
        ({"amount": "10"}, "method"),
        ({"amount": "10", "method": "check", "reference": "x" * 101}, "reference"),
        ({"amount": "10", "method": "check", "reference": 12}, "reference"),
    ],
)
def test_bad_payment_input_is_400_and_writes_nothing(world: dict, body: dict, field: str) -> None:
    response = pay(world, body)
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR" and field in error["fields"]
    assert not Payment.objects.exists()


def test_payment_rules_exceeds_nothing_due_and_receipt_when_paid(
    world: dict, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    response = pay(world, {"amount": "500.01", "method": "cash"})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "PAYMENT_EXCEEDS_BALANCE"
    assert response.json()["error"]["balance_due"] == "500.00"
    response = pay(world, {"amount": "200", "method": "check", "reference": "1001"})
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "succeeded" and response.json()["amount"] == "200.00"
    assert not Receipt.objects.exists()  # not paid in full yet
    with django_capture_on_commit_callbacks(execute=True):
        response = pay(world, {"amount": "300", "method": "card_terminal", "reference": "AUTH42"})
    assert response.status_code == 201
    receipt = Receipt.objects.get()
    assert receipt.number == 1 and receipt.paid == Decimal("500.00")
    # the e-mail went to the registrant with the PDF attached
    sent = [m for m in mail.outbox if "receipt" in m.subject.lower()]
    assert sent and sent[0].to == [world["donor"].email]
    assert sent[0].attachments[0][0] == "receipt-1.pdf" and sent[0].attachments[0][2] == "application/pdf"
    response = pay(world, {"amount": "1", "method": "cash"})
    assert response.status_code == 409 and response.json()["error"]["code"] == "NOTHING_DUE"
    statement = world["client"].get(url(world)).json()
    assert (statement["paid"], statement["balance_due"]) == ("500.00", "0.00")
    assert AuditEntry.objects.filter(action="payment.record").count() == 2


def test_retried_payment_with_the_same_key_records_one(world: dict) -> None:
    first = pay(world, {"amount": "100", "method": "cash"}, **{"Idempotency-Key": "pay-1"})
    again = pay(world, {"amount": "100", "method": "cash"}, **{"Idempotency-Key": "pay-1"})
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true" and again.json()["id"] == first.json()["id"]
    other = pay(world, {"amount": "101", "method": "cash"}, **{"Idempotency-Key": "pay-1"})
    assert other.status_code == 422 and other.json()["error"]["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert Payment.objects.count() == 1


def test_refunds_codes_and_another_paddles_payment(world: dict) -> None:
    payment = pay(world, {"amount": "100", "method": "cash"}).json()
    refund_url = url(world, f"payments/{payment['id']}/refund/")
    response = world["client"].post(refund_url, {"amount": "100.01"}, format="json")
    assert response.status_code == 409 and response.json()["error"]["code"] == "REFUND_EXCEEDS_PAYMENT"
    assert world["client"].post(refund_url, {"amount": "-1"}, format="json").status_code == 400
    response = world["client"].post(refund_url, {"amount": "60", "reason": "wrong item"}, format="json")
    assert response.status_code == 201 and response.json()["amount"] == "60.00"
    response = world["client"].post(refund_url, {"amount": "40.01"}, format="json")
    assert response.json()["error"]["code"] == "REFUND_EXCEEDS_PAYMENT"
    assert response.json()["error"]["refundable"] == "40.00"
    # the same payment through another paddle's statement: 404
    _, other = f.donor_paddle(world["event"], 102)
    f.pledge(other, "50")
    response = world["client"].post(
        url(world, f"payments/{payment['id']}/refund/", number=102), {"amount": "1"}, format="json"
    )
    assert response.status_code == 404
    assert (
        world["client"].post(url(world, "payments/not-a-uuid/refund/"), {"amount": "1"}, format="json").status_code
        == 404
    )
    assert Refund.objects.count() == 1


def test_unknown_paddle_other_npo_and_donor_get_404(world: dict) -> None:
    assert world["client"].get(url(world, number=999)).status_code == 404
    other_event = f.gala()
    _, other_paddle = f.donor_paddle(other_event, 101)
    f.pledge(other_paddle, "10")
    response = world["client"].post(
        f"/api/v1/events/{other_event.pk}/statements/101/payments/", {"amount": "1", "method": "cash"}, format="json"
    )
    assert response.status_code == 404  # a payment on another NPO's event
    other_cashier = f.member(other_event.npo, "cashier")
    assert client_for(other_cashier).get(url(world)).status_code == 404  # a cashier of another NPO
    assert client_for(world["donor"]).get(url(world)).status_code == 404  # a donor reading statements
    stranger = f.donor_paddle(world["event"], 150)[0]
    assert client_for(stranger).get(url(world)).status_code == 404
    staff = f.member(world["event"].npo, "staff")
    assert client_for(staff).get(url(world)).status_code == 403


def test_my_statement_is_the_donors_own(world: dict) -> None:
    mine = client_for(world["donor"]).get(f"/api/v1/events/{world['event'].pk}/my-statement/")
    assert mine.status_code == 200 and mine.json()["bidder_number"] == 101
    assert mine.json()["total"] == "500.00"
    kinds = {line["kind"]: line for line in mine.json()["lines"]}
    assert kinds["silent"]["deductible"] == "200.00" and kinds["pledge"]["deductible"] == "200.00"
    nobody = client_for(f.member(f.gala().npo, "cashier"))
    assert nobody.get(f"/api/v1/events/{world['event'].pk}/my-statement/").status_code == 404
    response = client_for(world["donor"]).post(
        f"/api/v1/events/{world['event'].pk}/my-statement/donations/", {"amount": "25"}, format="json"
    )
    assert response.status_code == 201 and response.json()["source"] == "donor"
    assert (
        client_for(world["donor"]).get(f"/api/v1/events/{world['event'].pk}/my-statement/").json()["total"] == "525.00"
    )


def test_donation_line_and_undo(world: dict) -> None:
    response = world["client"].post(url(world, "donations/"), {"amount": "50"}, format="json")
    assert response.status_code == 201
    donation_id = response.json()["id"]
    lines = world["client"].get(url(world)).json()["lines"]
    assert [line["donation_id"] for line in lines if line["kind"] == "donation"] == [donation_id]
    undo = url(world, f"donations/{donation_id}/undo/")
    assert world["client"].post(undo).status_code == 200
    response = world["client"].post(undo)
    assert response.status_code == 409 and response.json()["error"]["code"] == "ALREADY_UNDONE"
    assert world["client"].post(url(world, "donations/"), {"amount": "0"}, format="json").status_code == 400


def test_list_filters_csv_and_constant_queries(world: dict, django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    event = world["event"]
    for number in range(200, 240):
        _, paddle = f.donor_paddle(event, number)
        f.pledge(paddle, "10")
    base = f"/api/v1/events/{event.pk}/statements/"
    with django_assert_num_queries(5):
        small = world["client"].get(base, {"page_size": 5})
    with django_assert_num_queries(5):
        large = world["client"].get(base, {"page_size": 40})
    assert small.json()["count"] == large.json()["count"] == 41
    assert len(large.json()["results"]) == 40
    row = large.json()["results"][0]
    assert set(row) == {"bidder_number", "holders", "total", "deductible_total", "paid", "balance_due"}
    assert world["client"].get(base, {"balance": "nope"}).status_code == 400
    assert world["client"].get(base, {"ordering": "nope"}).status_code == 400
    assert world["client"].get(base, {"search": "#101"}).json()["count"] == 1
    assert world["client"].get(base, {"balance": "paid"}).json()["count"] == 0
    response = world["client"].get(base, {"format": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][0] == "bidder_number" and len(rows) == 42
    with django_assert_num_queries(10):
        world["client"].get(url(world))


def test_card_on_file_payment_and_decline(world: dict) -> None:
    f.saved_card(world["paddle"])
    response = pay(world, {"amount": "100.13", "method": "card_on_file"}, **{"Idempotency-Key": "card-1"})
    assert response.status_code == 409 and response.json()["error"]["code"] == "CARD_DECLINED"
    failed = Payment.objects.get()
    assert failed.status == ProviderStatus.FAILED and "declined" in failed.failure_reason
    replay = pay(world, {"amount": "100.13", "method": "card_on_file"}, **{"Idempotency-Key": "card-1"})
    assert replay.status_code == 409 and Payment.objects.count() == 1
    response = pay(world, {"amount": "100", "method": "card_on_file"})
    assert response.status_code == 201 and response.json()["status"] == "succeeded"
    statement = world["client"].get(url(world)).json()
    assert statement["paid"] == "100.00" and statement["card_on_file"]
    # a refund of a card payment goes through the provider
    card_payment = Payment.objects.get(status="succeeded")
    response = world["client"].post(url(world, f"payments/{card_payment.pk}/refund/"), {"amount": "10"}, format="json")
    assert response.status_code == 201 and response.json()["status"] == "succeeded"
    assert Refund.objects.get().provider_key.startswith("augeo-refund-")


def test_card_on_file_without_a_card(world: dict) -> None:
    response = pay(world, {"amount": "10", "method": "card_on_file"})
    assert response.status_code == 409 and response.json()["error"]["code"] == "NO_CARD_ON_FILE"


def test_save_a_card_on_a_registration(world: dict) -> None:
    registration = world["paddle"].registration
    response = client_for(world["donor"]).post(f"/api/v1/registrations/{registration.pk}/card/")
    assert response.status_code == 200
    body = response.json()
    assert body["provider"] == "embedded" and body["client_secret"] and body["card"] == "embedded •••• 4242"
    # a second card replaces the first
    client_for(world["donor"]).post(f"/api/v1/registrations/{registration.pk}/card/")
    assert registration.cards.filter(status="active").count() == 1
    assert client_for(world["cashier"]).post(f"/api/v1/registrations/{registration.pk}/card/").status_code == 403
