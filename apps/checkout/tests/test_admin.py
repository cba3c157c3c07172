"""The cashier's admin pages: the checkout queue (one click + confirm for a full payment, the short
forms for a partial payment, refund, donation and receipt), express checkout, the event dashboard,
and the links to them — each behind the same capability checks as the API."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from apps.checkout import charts
from apps.checkout.models import Donation, Payment, ProviderStatus, Receipt, Refund
from apps.checkout.services import payments
from apps.checkout.tests import factories as f
from apps.core.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> dict:
    event = f.gala()
    cashier = f.member(event.npo, "cashier")
    _, paddle = f.donor_paddle(event, 101)
    f.won_silent(paddle, "300", fmv="100")
    f.pledge(paddle, "200")
    _, other = f.donor_paddle(event, 102)
    f.live_sale(other, "80")
    client = Client()
    client.force_login(cashier)
    return {"event": event, "cashier": cashier, "paddle": paddle, "other": other, "client": client}


def test_queue_lists_balances_due_searchable_and_drops_paid(world: dict) -> None:
    client, event = world["client"], world["event"]
    url = reverse("admin:checkout_queue")
    page = client.get(url, {"event": event.pk})
    assert page.status_code == 200
    assert [p.number for p in page.context["page"]] == [101, 102]
    assert [p.number for p in client.get(url, {"event": event.pk, "o": "-balance_due"}).context["page"]] == [101, 102]
    assert [p.number for p in client.get(url, {"event": event.pk, "q": "102"}).context["page"]] == [102]
    f.saved_card(world["paddle"])
    payments.payment_take(paddle=world["paddle"], amount="0.13", method="card_on_file", actor=world["cashier"])
    assert "card declined" in client.get(url, {"event": event.pk}).content.decode()  # the embedded .13 rule
    payments.payment_take(paddle=world["other"], amount="80", method="cash", actor=world["cashier"])
    assert [p.number for p in client.get(url, {"event": event.pk}).context["page"]] == [101]


def test_full_payment_is_one_click_and_a_confirmation(world: dict) -> None:
    client, event = world["client"], world["event"]
    confirm = client.get(reverse("admin:checkout_quick_pay"), {"event": event.pk, "number": 101, "method": "check"})
    assert confirm.status_code == 200 and b"500.00" in confirm.content
    assert not Payment.objects.exists()  # the GET only asks
    response = client.post(
        reverse("admin:checkout_quick_pay"),
        {"event": event.pk, "number": 101, "method": "check", "amount": "500.00", "reference": "1234"},
    )
    assert response.status_code == 302
    payment = Payment.objects.get()
    assert (payment.amount, payment.method, payment.reference, payment.status) == (
        Decimal("500.00"),
        "check",
        "1234",
        ProviderStatus.SUCCEEDED,
    )
    assert payment.recorded_by == world["cashier"]
    assert Receipt.objects.filter(paddle=world["paddle"]).exists()  # paid in full → receipt
    assert AuditEntry.objects.filter(action="payment.record").exists()


def test_full_payment_with_a_stale_amount_asks_again(world: dict) -> None:
    """The balance changed between the confirmation page and the click: nothing is recorded."""
    response = world["client"].post(
        reverse("admin:checkout_quick_pay"),
        {"event": world["event"].pk, "number": 101, "method": "cash", "amount": "400.00"},
    )
    assert response.status_code == 200 and not Payment.objects.exists()
    assert "changed meanwhile" in response.content.decode()


def test_quick_pay_refuses_unknown_methods_paddles_and_events(world: dict) -> None:
    client, event = world["client"], world["event"]
    foreign = f.gala()
    f.donor_paddle(foreign, 101)
    for query in (
        {"event": event.pk, "number": 101, "method": "card_on_file"},
        {"event": event.pk, "number": 999, "method": "cash"},
        {"event": event.pk, "number": "1e3", "method": "cash"},
        {"event": foreign.pk, "number": 101, "method": "cash"},
        {"event": "not-a-uuid", "number": 101, "method": "cash"},
    ):
        response = client.post(reverse("admin:checkout_quick_pay"), {**query, "amount": "500.00"})
        assert response.status_code == 302, query
    assert not Payment.objects.exists()


def test_statement_forms_partial_payment_refund_donation_receipt(world: dict, mailoutbox: list) -> None:
    client, event = world["client"], world["event"]
    url = reverse("admin:checkout_statement")
    base = {"event": event.pk, "number": 101}
    page = client.get(url, base)
    assert page.status_code == 200 and page.context["statement"].balance_due == Decimal("500.00")

    assert client.post(url, {**base, "action": "pay", "amount": "120.50", "method": "cash"}).status_code == 302
    payment = Payment.objects.get()
    assert payment.amount == Decimal("120.50")

    # Too much: a form-level error, nothing written.
    page = client.post(url, {**base, "action": "pay", "amount": "9999", "method": "cash"})
    assert page.status_code == 200 and Payment.objects.count() == 1
    assert "more than the balance" in page.content.decode() or "exceeds" in page.content.decode().lower()
    page = client.post(url, {**base, "action": "pay", "amount": "1.001", "method": "cash"})
    assert page.status_code == 200 and Payment.objects.count() == 1

    assert client.post(url, {**base, "action": "refund", "payment": payment.pk, "amount": "20.50"}).status_code == 302
    assert Refund.objects.get().amount == Decimal("20.50")
    page = client.post(url, {**base, "action": "refund", "payment": payment.pk, "amount": "100.01"})
    assert page.status_code == 200 and Refund.objects.count() == 1

    assert client.post(url, {**base, "action": "donate", "amount": "25"}).status_code == 302
    donation = Donation.objects.get()
    assert client.post(url, {**base, "action": "undo-donation", "donation": donation.pk}).status_code == 302
    donation.refresh_from_db()
    assert donation.undone_at is not None
    page = client.post(url, {**base, "action": "undo-donation", "donation": donation.pk})
    assert page.status_code == 200  # already undone: a message, not a 500

    assert client.post(url, {**base, "action": "send-receipt"}).status_code == 302
    assert Receipt.objects.filter(paddle=world["paddle"]).count() == 1
    assert client.get(url, {"event": event.pk, "number": 999}).status_code == 302


def test_refund_of_another_paddles_payment_is_refused(world: dict) -> None:
    other_payment = payments.payment_take(paddle=world["other"], amount="80", method="cash", actor=world["cashier"])
    payments.payment_take(paddle=world["paddle"], amount="10", method="cash", actor=world["cashier"])
    page = world["client"].post(
        reverse("admin:checkout_statement"),
        {"event": world["event"].pk, "number": 101, "action": "refund", "payment": other_payment.pk, "amount": "5"},
    )
    assert page.status_code == 200 and not Refund.objects.exists()


def test_charge_cards_preview_then_charge(world: dict) -> None:
    f.saved_card(world["paddle"])
    url = reverse("admin:checkout_charge_cards")
    preview = world["client"].get(url, {"event": world["event"].pk})
    assert preview.status_code == 200 and b"#101" in preview.content and not Payment.objects.exists()
    assert world["client"].post(url, {"event": world["event"].pk}).status_code == 302
    payment = Payment.objects.get()
    assert (payment.method, payment.amount, payment.status) == (
        "card_on_file",
        Decimal("500.00"),
        ProviderStatus.SUCCEEDED,
    )
    world["client"].post(url, {"event": world["event"].pk})
    assert Payment.objects.count() == 1  # once per balance


def test_dashboard_figures_and_svg_charts(world: dict) -> None:
    payments.payment_take(paddle=world["other"], amount="80", method="cash", actor=world["cashier"])
    page = world["client"].get(reverse("admin:checkout_dashboard"), {"event": world["event"].pk})
    assert page.status_code == 200
    html = page.content.decode()
    charts_html = [page.context[k] for k in ("raised_chart", "collected_chart", "thermometer", "bids_chart")]
    assert html.count("<svg") >= 3 and not any(
        "<script" in c or "http" in c.replace("http://www.w3.org", "") for c in charts_html
    )
    summary = page.context["summary"]
    assert (summary["raised"], summary["collected"], summary["outstanding"]) == ("580.00", "80.00", "500.00")
    assert 'aria-label="Raised by source"' in html and 'aria-label="Raised against the goal"' in html


def test_staff_and_other_npo_cashiers_are_refused(world: dict) -> None:
    staff = Client()
    staff.force_login(f.member(world["event"].npo, "staff"))
    for name in ("checkout_queue", "checkout_dashboard", "checkout_statement", "checkout_charge_cards"):
        assert staff.get(reverse(f"admin:{name}"), {"event": world["event"].pk}).status_code == 403
    stranger = Client()
    stranger.force_login(f.member(f.npo_with_receipt_details(), "cashier"))
    page = stranger.get(reverse("admin:checkout_queue"), {"event": world["event"].pk})
    assert page.status_code == 200 and page.context["event"] is None  # another NPO's event is not offered
    response = stranger.post(
        reverse("admin:checkout_quick_pay"),
        {"event": world["event"].pk, "number": 101, "method": "cash", "amount": "500.00"},
    )
    assert response.status_code == 302 and not Payment.objects.exists()


def test_links_on_the_admin_index_and_the_event_page(world: dict) -> None:
    index = world["client"].get(reverse("admin:index")).content.decode()
    assert reverse("admin:checkout_queue") in index and reverse("admin:checkout_dashboard") in index
    staff = Client()
    staff.force_login(f.member(world["event"].npo, "staff"))
    assert reverse("admin:checkout_queue") not in staff.get(reverse("admin:index")).content.decode()
    admin_user = f.member(world["event"].npo, "admin")
    client = Client()
    client.force_login(admin_user)
    page = client.get(reverse("admin:events_event_change", args=[world["event"].pk])).content.decode()
    assert f"{reverse('admin:checkout_queue')}?event={world['event'].pk}" in page


def test_charts_escape_labels_and_handle_zero() -> None:
    svg = charts.bars([("<b>x</b>", Decimal("0")), ("y", Decimal("10"))], currency="USD")
    assert "<b>" not in svg and "&lt;b&gt;" in svg
    assert "no goal set" in charts.thermometer(Decimal("5"), None, currency="USD")
    assert "100%" in charts.thermometer(Decimal("10"), Decimal("10"), currency="USD")
    assert "(0%)" in charts.split_bar(Decimal("0"), Decimal("0"), currency="USD")
    assert "No bids yet" in charts.timeline([])
