"""CSV exports, made safe to open in a spreadsheet: the one helper every ``?format=csv`` answer uses.

Spreadsheets run a cell that starts with ``=``, ``+``, ``-``, ``@`` (or a tab / carriage return
before one) as a formula — guest names, e-mails and notes are typed by donors, so an export could
carry ``=HYPERLINK(...)`` to the staff member who opens it (CSV injection, OWASP). A spreadsheet
opened with another list separator (``;`` in much of Europe) also splits an unquoted cell at it, so
a formula may start *inside* a cell, after a ``;`` or ``,``. :func:`csv_safe_cell` therefore puts a
``'`` before every formula start — at the beginning and after each separator — so each piece reads
as text however the file is split. Phone numbers such as ``+14155550123`` stay as they are.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from typing import Any

from django.http import HttpResponse

_FORMULA_START = "=+-@\t\r"
#: A formula start after a separator inside the cell (spaces allowed in between).
_FORMULA_AFTER_SEPARATOR = re.compile(r"([;,])(\s*)([=+\-@\t\r])")
_PHONE = re.compile(r"[+-][0-9 ().-]*[0-9][0-9 ().-]*")


def csv_safe_cell(value: Any) -> Any:
    """``value`` with every spreadsheet formula neutralised; non-text values unchanged."""
    if not isinstance(value, str) or not value:
        return value
    if _PHONE.fullmatch(value):
        return value  # a phone number such as +1 (415) 555-0123, not a formula
    if not any(ch in value for ch in _FORMULA_START):
        return value
    value = _FORMULA_AFTER_SEPARATOR.sub(lambda m: f"{m.group(1)}{m.group(2)}'{m.group(3)}", value)
    if value[0] in _FORMULA_START or value.lstrip()[:1] in _FORMULA_START:
        value = "'" + value
    return value


def csv_response(filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> HttpResponse:
    """A ``text/csv`` attachment with every cell passed through :func:`csv_safe_cell`."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([csv_safe_cell(h) for h in header])
    for row in rows:
        writer.writerow(["" if value is None else csv_safe_cell(value) for value in row])
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
