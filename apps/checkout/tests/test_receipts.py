"""Receipts: numbering (sequential, gapless per NPO), the PDF read back, the e-mail as received."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core import mail
from pypdf import PdfReader

from apps.checkout import invariants
from apps.checkout.models import Receipt
from apps.checkout.services import payments, receipts
from apps.checkout.tests import factories as f
from conftest import client_for

pytestmark = pytest.mark.django_db


def _paid_paddle(event, number, cashier):  # type: ignore[no-untyped-def]
    donor, paddle = f.donor_paddle(event, number)
    f.won_silent(paddle, "500", fmv="150")
    f.live_sale(paddle, "90")  # FMV not known
    f.pledge(paddle, "100")
    payments.payment_record(paddle=paddle, amount="690", method="check", reference="5521", actor=cashier)
    return donor, paddle


def test_pdf_text_has_the_number_deductible_and_statement() -> None:
    event = f.gala()
    cashier = f.member(event.npo, "cashier")
    _, paddle = _paid_paddle(event, 101, cashier)
    receipt = Receipt.objects.get(paddle=paddle)
    pages = PdfReader(io.BytesIO(receipts.receipt_render_pdf(receipt))).pages
    text = " ".join(" ".join(page.extract_text().split()) for page in pages)
    assert "Receipt number" in text and str(receipt.number) in text
    assert "Hope Foundation Inc." in text and "12-3456789" in text and "1 Charity Way" in text
    assert "Deductible amount: USD 450.00" in text  # 350 on the silent item + 100 pledge, 0 for the unknown FMV
    assert "not known" in text
    assert "Quid pro quo" in text and "limited to the excess" in text
    assert "Inc.." not in text  # a legal name ending in a period is not doubled
    assert "5521" in text


def test_numbers_are_sequential_per_npo_and_reused_only_for_an_unchanged_statement() -> None:
    event = f.gala()
    cashier = f.member(event.npo, "cashier")
    _paid_paddle(event, 101, cashier)
    _, second = _paid_paddle(event, 102, cashier)
    other_npo_event = f.gala()
    _paid_paddle(other_npo_event, 101, f.member(other_npo_event.npo, "cashier"))
    assert sorted(Receipt.objects.filter(npo=event.npo).values_list("number", flat=True)) == [1, 2]
    assert list(Receipt.objects.filter(npo=other_npo_event.npo).values_list("number", flat=True)) == [1]
    same = receipts.receipt_issue(paddle=second, actor=cashier)
    assert same.number == 2  # nothing changed: the same receipt
    from apps.checkout.services.donations import donation_add

    donation_add(paddle=second, amount="10", actor=cashier)
    assert receipts.receipt_issue(paddle=second, actor=cashier).number == 3
    assert invariants.check_receipts(event.npo_id) == []


def test_receipt_html_pdf_and_send_through_the_api(django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    event = f.gala()
    cashier = f.member(event.npo, "cashier")
    donor, paddle = f.donor_paddle(event, 101)
    f.won_silent(paddle, "120", fmv="20")
    base = f"/api/v1/events/{event.pk}/statements/101/receipt/"
    html = client_for(cashier).get(base)
    assert html.status_code == 200 and html["Content-Type"].startswith("text/html")
    body = html.content.decode()
    assert "Receipt number" in body and "Deductible amount: USD 100.00" in body and "Balance due" in body
    pdf = client_for(cashier).get(base, {"format": "pdf"})
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    mine = client_for(donor).get(f"/api/v1/events/{event.pk}/my-statement/receipt/", {"format": "pdf"})
    assert mine.status_code == 200 and mine.content.startswith(b"%PDF")
    with django_capture_on_commit_callbacks(execute=True):
        sent = client_for(cashier).post(f"{base}send/")
    assert sent.status_code == 202 and sent.json() == {"receipt_number": 1, "queued": True}
    message = mail.outbox[-1]
    assert message.to == [donor.email] and message.subject == "Your receipt 1 from Hope Foundation Inc."
    assert "Deductible amount: USD 100.00" in message.body
    html_part = message.alternatives[0][0]
    assert "Deductible amount: USD 100.00" in html_part
    name, content, mimetype = message.attachments[0]
    assert (name, mimetype) == ("receipt-1.pdf", "application/pdf")
    assert "USD 100.00" in PdfReader(io.BytesIO(content)).pages[0].extract_text()


def test_a_paddle_without_an_email_gets_no_mail() -> None:
    event = f.gala()
    _, paddle = f.donor_paddle(event, 101)
    paddle.registration.user = None
    paddle.registration.save(update_fields=["user"])
    paddle.registration.guests.update(email="")
    f.pledge(paddle, "10")
    receipt = receipts.receipt_issue(paddle=paddle, actor=None)
    assert receipts.receipt_send(receipt=receipt, actor=None) is False
    assert receipt.total == Decimal("10.00")
