"""The one CSV-safety helper: formulas are neutralised at the start of a cell and
after a ``;`` or ``,`` inside it, where a spreadsheet using that list separator would start a cell."""

from __future__ import annotations

import csv
import io

import pytest

from apps.core.csv_export import csv_response, csv_safe_cell


@pytest.mark.parametrize(
    ("raw", "safe"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("Ann;=cmd|' /C calc'!A0", "Ann;'=cmd|' /C calc'!A0"),
        ("Ann, +1+1", "Ann, '+1+1"),
        ("Bob,@SUM(A1)", "Bob,'@SUM(A1)"),
        ("a;-2;b", "a;'-2;b"),
        ("\t=1", "'\t=1"),
        ("+14155550123", "+14155550123"),
        ("+1 (415) 555-0123", "+1 (415) 555-0123"),
        ("Smith-Jones; Ann", "Smith-Jones; Ann"),
        ("plain", "plain"),
        ("", ""),
        (42, 42),
        (None, None),
    ],
)
def test_csv_safe_cell(raw, safe):
    assert csv_safe_cell(raw) == safe


def test_csv_response_neutralises_every_cell():
    response = csv_response("x.csv", ["name", "=header"], [["Ann;=1+1", None], [7, "-5,=2"]])
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows == [["name", "'=header"], ["Ann;'=1+1", ""], ["7", "'-5,'=2"]]
    assert response["Content-Disposition"] == 'attachment; filename="x.csv"'
