"""Money stays exact on both databases, and people read it one way ("USD 1,234.50").

SQLite (the embedded default) keeps DECIMAL values as binary floats: 1134.30 + 100.10 is summed as
1234.3999999999999, and whole amounts come back as integers (4000 + 400 → 4400). The figures below
are chosen so that, before the sums were rounded in SQL and read back quantised, the checkout queue
printed "USD 1234.50000000000", the dashboard "USD 4400", a paid statement filtered as a credit and
``charge_balances`` wrote "USD 4400". On PostgreSQL the same tests pass as they should.
"""

from __future__ import annotations

import io
import re
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from apps.auctions import selectors as auction_selectors
from apps.checkout import reports, selectors
from apps.checkout.models import Receipt
from apps.checkout.services import payments, receipts
from apps.checkout.services.donations import donation_add
from apps.checkout.tests import factories as f
from apps.core.exceptions import Conflict
from apps.legal.services.deletion import account_delete
from apps.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

WIRE = re.compile(r"-?[0-9]+\.[0-9]{2}")
#: How people read an amount: thousands separators, exactly two decimals.
SHOWN = re.compile(r"[0-9]{1,3}(,[0-9]{3})*\.[0-9]{2}")


def _amounts_shown(text: str) -> list[str]:
    """Every amount written after the currency code in ``text``; each must be in :data:`SHOWN` form."""
    return re.findall(r"USD (-?[0-9][0-9,.]*[0-9])", text)


@pytest.fixture
def world() -> dict[str, Any]:
    """#101 paid in full (1134.30 + 100.10 pledged, a 0.10 donation, 1234.50 paid); #102 owes
    1234.50 (the same pledges and a 0.10 live sale); #103 owes 4400.00 (4000 + 400 pledged)."""
    event = f.gala()
    cashier = f.member(event.npo, "cashier")
    _, a = f.donor_paddle(event, 101)
    donor_b, b = f.donor_paddle(event, 102)
    _, c = f.donor_paddle(event, 103)
    for paddle in (a, b):
        f.pledge(paddle, "1134.30")
        f.pledge(paddle, "100.10")
    donation_add(paddle=a, amount="0.10", actor=cashier)
    payments.payment_record(paddle=a, amount="1234.50", method="cash", actor=cashier)
    f.live_sale(b, "0.10")
    f.pledge(c, "4000")
    f.pledge(c, "400")
    client = Client()
    client.force_login(cashier)
    return {"event": event, "cashier": cashier, "paddles": (a, b, c), "donor_b": donor_b, "client": client}


def _exact(value: Any, expected: str) -> bool:
    return isinstance(value, Decimal) and value.as_tuple().exponent == -2 and str(value) == expected


def test_statement_figures_are_decimals_in_cents(world: dict[str, Any]) -> None:
    rows = {p.number: p for p in selectors.statements_of_event(world["event"])}
    expected = {
        101: ("1234.50", "1234.50", "0.00"),
        102: ("1234.50", "0.00", "1234.50"),
        103: ("4400.00", "0.00", "4400.00"),
    }
    for number, (total, paid, due) in expected.items():
        row = rows[number]
        assert _exact(row.total, total) and _exact(row.paid, paid) and _exact(row.balance_due, due), number
        assert _exact(row.pledge_total, {101: "1234.40", 102: "1234.40", 103: "4400.00"}[number])
    assert selectors.statement_sums(rows.values())["balance_due"] == Decimal("5634.50")


def test_balance_filters_see_the_cents_the_page_shows(world: dict[str, Any]) -> None:
    """A paid statement is paid, not a credit of -0.0000000000002 (nor due when the error goes up)."""
    numbers = {
        balance: [p.number for p in selectors.statements_of_event(world["event"], balance=balance)]
        for balance in ("due", "paid", "credit")
    }
    assert numbers == {"due": [102, 103], "paid": [101], "credit": []}


def test_reports_totals_and_paddle_raise_answer_two_place_strings(world: dict[str, Any]) -> None:
    event = world["event"]
    summary = reports.report_summary(event)
    assert (summary["raised"], summary["collected"], summary["outstanding"], summary["credit"]) == (
        "6869.00",
        "1234.50",
        "5634.50",
        "0.00",
    )
    assert (summary["paid_in_full"], summary["with_balance"], summary["with_credit"]) == (1, 2, 0)
    assert summary["by_source"]["paddle_raise"] == "6868.80" and summary["by_source"]["donations"] == "0.10"
    cash = next(m for m in summary["payments_by_method"] if m["method"] == "cash")
    assert (cash["received"], cash["net"]) == ("1234.50", "1234.50")
    totals = auction_selectors.event_totals(event)
    assert totals["raised"] == "6868.90" and totals["by_source"]["paddle_raise"] == "6868.80"
    raise_totals = auction_selectors.paddle_raise_totals(event)
    assert raise_totals["total"] == "6868.80"
    assert all(WIRE.fullmatch(row["total"]) for row in raise_totals["totals_by_level"])
    summary_rows = auction_selectors.paddle_raise_summary(event.pk)
    assert _exact(summary_rows.total, "6868.80")
    for name in ("donors", "payments", "items"):
        header, rows = reports.report_csv(event, name)
        money_columns = [i for i, h in enumerate(header) if h in {"total", "paid", "balance_due", "amount"}]
        for row in rows:
            assert all(row[i] is None or WIRE.fullmatch(row[i]) for i in money_columns), (name, row)


def test_checkout_queue_prints_exact_amounts(world: dict[str, Any]) -> None:
    page = world["client"].get(reverse("admin:checkout_queue"), {"event": world["event"].pk}).content.decode()
    assert "USD 1,234.50" in page and "USD 4,400.00" in page
    assert all(SHOWN.fullmatch(amount) for amount in _amounts_shown(page)), _amounts_shown(page)


def test_dashboard_prints_exact_amounts(world: dict[str, Any]) -> None:
    admin = Client()
    admin.force_login(UserFactory(is_staff=True, is_superuser=True))
    page = admin.get(reverse("admin:checkout_dashboard"), {"event": world["event"].pk}).content.decode()
    for text in ("USD 6,869.00", "USD 1,234.50", "USD 5,634.50", "USD 4,400.00"):
        assert text in page, text
    assert all(SHOWN.fullmatch(amount) for amount in _amounts_shown(page)), _amounts_shown(page)


def test_statement_page_prints_exact_amounts(world: dict[str, Any]) -> None:
    page = (
        world["client"]
        .get(reverse("admin:checkout_statement"), {"event": world["event"].pk, "number": 103})
        .content.decode()
    )
    assert "USD 4,400.00" in page and "4,000.00" in page


def test_reconcile_prints_exact_amounts(world: dict[str, Any]) -> None:
    out = io.StringIO()
    call_command("reconcile", world["event"].slug, stdout=out)
    text = out.getvalue()
    for figure in ("USD 6,868.90", "USD 0.10", "USD 6,869.00", "USD 1,234.50", "USD 5,634.50"):
        assert figure in text, figure
    assert all(SHOWN.fullmatch(amount) for amount in _amounts_shown(text)) and "reconciled" in text


def test_charge_balances_prints_exact_amounts(world: dict[str, Any]) -> None:
    _, b, c = world["paddles"]
    f.saved_card(b)
    f.saved_card(c)
    out = io.StringIO()
    call_command("charge_balances", world["event"].slug, "--dry-run", stdout=out)
    assert "would charge #102: USD 1,234.50" in out.getvalue() and "would charge #103: USD 4,400.00" in out.getvalue()
    out = io.StringIO()
    call_command("charge_balances", world["event"].slug, stdout=out)
    text = out.getvalue()
    assert "charged #102: USD 1,234.50" in text and "charged #103: USD 4,400.00" in text
    assert "charged 2 paddle(s), USD 5,634.50;" in text
    assert all(SHOWN.fullmatch(amount) for amount in _amounts_shown(text))


def test_deletion_blocker_names_the_exact_balance(world: dict[str, Any]) -> None:
    with pytest.raises(Conflict) as exc:
        account_delete(user=world["donor_b"], actor=world["donor_b"])
    assert exc.value.code == "BALANCE_DUE"
    assert "a balance due of USD 1,234.50;" in exc.value.message
    assert exc.value.extra["balance_due"] == "1234.50"


def test_admin_money_columns_use_the_npo_currency(world: dict[str, Any]) -> None:
    admin = Client()
    admin.force_login(UserFactory(is_staff=True, is_superuser=True))
    pledges = admin.get(reverse("admin:auctions_pledge_changelist")).content.decode()
    assert "USD 1,134.30" in pledges and "USD 4,000.00" in pledges
    assert "USD 1,234.50" in admin.get(reverse("admin:checkout_payment_changelist")).content.decode()
    assert "USD 0.10" in admin.get(reverse("admin:checkout_donation_changelist")).content.decode()


def test_receipt_prints_exact_amounts(world: dict[str, Any]) -> None:
    receipt = Receipt.objects.get(paddle=world["paddles"][0])
    assert receipt.snapshot["total"] == "1234.50"  # the stored snapshot keeps the wire format
    text = " ".join(PdfReader(io.BytesIO(receipts.receipt_render_pdf(receipt))).pages[0].extract_text().split())
    assert "Paid USD 1,234.50" in text and "Deductible amount: USD 1,234.50" in text and "1,134.30" in text
