"""Money out (apps.core.money): the one formatter people read, the wire strings, the template filter."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.template import Context, Template

from apps.core.money import money, money_format, money_str

D = Decimal


@pytest.mark.parametrize(
    ("value", "currency", "expected"),
    [
        (D("5450.13"), "USD", "USD 5,450.13"),
        (D("1234567.5"), "EUR", "EUR 1,234,567.50"),  # thousands, two decimals
        (D("0"), "USD", "USD 0.00"),
        (D("999.999"), "USD", "USD 1,000.00"),  # rounded half up to the cent
        (D("0.005"), "USD", "USD 0.01"),
        (D("0.004"), "USD", "USD 0.00"),
        (D("-12.5"), "USD", "-USD 12.50"),  # a credit
        (D("-1234.5"), "GBP", "-GBP 1,234.50"),
        (D("-0.001"), "USD", "USD 0.00"),  # never "-USD 0.00"
        (D("4400"), "USD", "USD 4,400.00"),  # what SQLite hands back for a whole sum
        (D("425.130000000000"), "USD", "USD 425.13"),  # ...and for a float's sum
        (425.13000000000005, "USD", "USD 425.13"),  # a raw float: its shortest repr, not its binary tail
        (4400, "USD", "USD 4,400.00"),
        ("1234.50", "USD", "USD 1,234.50"),  # a receipt snapshot's string
        (D("1234.5"), "", "1,234.50"),  # a column whose header names the currency
        (None, "USD", "—"),
        ("", "USD", "—"),
        ("n/a", "USD", "n/a"),  # not a number: shown as it is, never a broken page
    ],
)
def test_money_format(value: object, currency: str, expected: str) -> None:
    assert money_format(value, currency) == expected


@pytest.mark.parametrize(
    ("value", "currency", "expected"),
    [
        ("3500.00", "USD", "$3,500"),  # whole amounts without cents, legible from the back
        ("12345.5", "USD", "$12,345.50"),
        ("1000", "EUR", "€1,000"),
        ("5", "CHF", "5 CHF"),  # no common symbol: the code after the amount
        ("-20", "USD", "-$20"),
        (None, "USD", "—"),
    ],
)
def test_money_format_display_style(value: object, currency: str, expected: str) -> None:
    assert money_format(value, currency, style="display") == expected


def test_money_str_is_the_wire_format() -> None:
    assert money_str(D("125")) == "125.00" and money_str(D("1234567.5")) == "1234567.50"  # no separators
    assert money_str(425.13000000000005) == "425.13" and money_str(4400) == "4400.00"
    assert money_str(D("-0.001")) == "0.00" and money_str(D("-5")) == "-5.00"
    assert money_str(None) is None
    assert money(D("1E+3")) == D("1000.00") and str(money(D("1E+3"))) == "1000.00"


def test_template_filter() -> None:
    template = Template("{% load augeo_money %}{{ a|money:cur }} | {{ b|money }} | {{ c|money:cur }}")
    html = template.render(Context({"a": D("1234.5"), "b": "99.9", "c": None, "cur": "USD"}))
    assert html == "USD 1,234.50 | 99.90 | —"
