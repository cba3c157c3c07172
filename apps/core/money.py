"""Money input, in one place: the parser, the model/form validator and the API field every amount uses.

Every amount the platform accepts — bids and maximums, buy-now totals, live sales, pledges and
giving levels, item prices (starting bid, increment, reserve, buy-now, fair market value), event
goals, sponsor donations — goes through :func:`money_parse` (services), :class:`MoneyField` (API
serializers), :class:`MoneyFormField` (admin forms; ``TenantScopedAdmin`` gives it to every model
field validated by :func:`validate_money`) or :func:`validate_money` (model fields). Why one place:

* **a ceiling.** ``settings.AUGEO_MAX_AMOUNT`` (default 1,000,000.00) bounds every input, so no
  arithmetic on stored amounts can leave the ``DECIMAL(12, 2)`` columns: the largest derived value
  is the minimum next bid, at most two maximum amounts (current bid + an explicit increment), and
  the settings refuse a ceiling for which that would not fit. A 9,999,999,999.99 bid once made the
  next minimum unrepresentable and froze the item.
* **ASCII digits only.** ``\\d`` and ``Decimal()`` accept any Unicode digit (full-width
  ``"\\uff11\\uff12\\uff10"``, Arabic-Indic ``"\\u0661\\u0662\\u0660"``), which would let a
  look-alike amount through review; money text is ``[0-9]`` only.
* **exact decimals.** At most two places as written, no exponent, no NaN/Infinity; floats only by
  their shortest ``repr`` so ``12.5`` means 12.50.

Money out, in one place too:

* :func:`money_str` — the wire format (API JSON, CSV, receipt snapshots): a plain 2-place decimal
  string, ``"1234.50"``.
* :func:`money_format` — the one way an amount is written for people (pages, e-mails, the receipt
  PDF, admin columns, command output, messages): ``"USD 1,234.50"``; the template filter
  ``{{ value|money:currency }}`` (``apps.core.templatetags.augeo_money``) calls it, and the projector
  display calls its ``"display"`` style (``$1,234.50``, whole amounts without cents).
* :func:`money_sum`, :func:`money_subquery` and :class:`AsMoney` — money computed in SQL (sums,
  differences). SQLite, the embedded default, keeps ``DECIMAL`` values as binary floats: a ``SUM``
  comes back as ``425.13000000000005`` or as the integer ``4400``, and ``0.10 + 0.20 - 0.30`` is
  not 0, so a paid statement could filter as "balance due". These round to cents in SQL on SQLite
  (PostgreSQL's ``NUMERIC`` is exact and gets the expression unchanged) and read back as a
  ``Decimal`` with two places on every database.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Func, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from rest_framework import serializers

CENT = Decimal("0.01")
#: The largest value a ``DecimalField(max_digits=12, decimal_places=2)`` column holds.
COLUMN_MAX = Decimal("9999999999.99")
#: A plain decimal number as text ("125", "125.5", ".50"). ``[0-9]``, never ``\d``: see the module doc.
_MONEY_TEXT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
#: A positive whole number as text, ASCII digits only (``"²".isdigit()`` is True; ``int("١٢")`` is 12).
_INT_TEXT = re.compile(r"[0-9]+")


def max_amount() -> Decimal:
    """The ceiling for every money input (``AUGEO_MAX_AMOUNT``), read at call time so tests can
    override it."""
    return Decimal(str(getattr(settings, "AUGEO_MAX_AMOUNT", "1000000.00")))


ZERO = Decimal("0.00")
#: Currency symbols the projector display uses (legible from the back of the room); other
#: currencies are written with their code.
SYMBOLS = {"USD": "$", "CAD": "$", "AUD": "$", "NZD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹"}


def money(value: Decimal | int | float | str) -> Decimal:
    """``value`` with exactly two places (the storage and wire format), rounded half up.

    A float (what SQLite hands back for a sum) is read by its shortest ``repr``, so
    ``425.13000000000005`` is 425.13, never the binary expansion's tail."""
    if isinstance(value, float):
        value = repr(value)
    amount = value if isinstance(value, Decimal) else Decimal(value)
    amount = amount.quantize(CENT, rounding=ROUND_HALF_UP)
    return amount if amount else amount.copy_abs()  # never "-0.00"


def money_str(value: Decimal | int | float | str | None) -> str | None:
    """The wire format: a plain decimal string with exactly two places (``"1234.50"``), ``None``
    for no value (api.md). For JSON, CSV and stored snapshots; people read :func:`money_format`."""
    return None if value is None else f"{money(value):.2f}"


def money_format(value: Any, currency: str = "", *, style: str = "text") -> str:
    """An amount as people read it: ``money_format(Decimal("5450.125"), "USD")`` → ``"USD 5,450.13"``.

    Thousands separators, two decimals (rounded half up), the currency code first when given
    (``"5,450.13"`` without one, for a column whose header names the currency), a minus sign before
    the code for a credit (``"-USD 12.50"``); ``"—"`` for no value. A value that is not a number is
    returned as text rather than breaking a page.

    ``style="display"`` is the projector's: the currency's symbol where it has a common one
    (``"$3,500"``, ``"€12.50"``, else ``"3,500 CHF"``) and whole amounts without cents.
    """
    if value is None or value == "":
        return "—"
    try:
        amount = money(value)
    except (InvalidOperation, ValueError, TypeError):
        return str(value)
    sign = "-" if amount < 0 else ""
    amount = abs(amount)
    if style == "display":
        text = f"{amount:,.0f}" if amount == amount.to_integral_value() else f"{amount:,.2f}"
        symbol = SYMBOLS.get(currency)
        return f"{sign}{symbol}{text}" if symbol else f"{sign}{text} {currency}".rstrip()
    text = f"{amount:,.2f}"
    return f"{sign}{currency} {text}" if currency else f"{sign}{text}"


def money_parse(raw: Any, *, allow_zero: bool = False) -> Decimal:
    """An amount from a string, an int, a float or a Decimal: finite, at most 2 decimals as written,
    above zero (or zero with ``allow_zero``) and at most :func:`max_amount`.

    Raises ``ValueError`` with a human sentence otherwise; callers turn it into 400
    ``VALIDATION_ERROR`` naming their field.
    """
    if isinstance(raw, bool) or raw is None:
        raise ValueError("A valid amount is required.")
    if isinstance(raw, float):
        raw = repr(raw)
    if isinstance(raw, int):
        raw = str(raw)
    if isinstance(raw, str):
        raw = raw.strip()
        if not _MONEY_TEXT.fullmatch(raw):
            raise ValueError("A valid amount is required (digits 0-9 and one decimal point).")
    if not isinstance(raw, (str, Decimal)):
        raise ValueError("A valid amount is required.")
    try:
        value = Decimal(raw) if isinstance(raw, str) else raw
    except (InvalidOperation, ValueError):  # pragma: no cover - the pattern admits only valid text
        raise ValueError("A valid amount is required.") from None
    if not value.is_finite():
        raise ValueError("A valid amount is required.")
    if value < 0 or (value == 0 and not allow_zero):
        raise ValueError("The amount cannot be negative." if allow_zero else "The amount must be greater than zero.")
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2:
        raise ValueError("Use at most two decimal places.")
    ceiling = max_amount()
    if value > ceiling:
        raise ValueError(f"The amount cannot be more than {money_format(ceiling)}.")
    return money(value)


def int_parse(raw: Any) -> int | None:
    """A whole number from an int or from ASCII-digit text (optionally signed), else ``None``.

    ``int()`` alone would take ``"١٢٣"`` and ``" 12 "``; ``str.isdigit()`` passes ``"²"`` and then
    ``int()`` raises. Callers apply their own range."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    if not isinstance(raw, str):
        return None
    text = raw.strip()
    sign = -1 if text.startswith("-") else 1
    digits = text[1:] if text[:1] in "+-" else text
    if not _INT_TEXT.fullmatch(digits) or len(digits) > 18:
        return None
    return sign * int(digits)


def validate_money(value: Any) -> None:
    """Django validator for money model fields (so every admin form refuses what the API refuses)."""
    if value is None:
        return
    if not isinstance(value, Decimal) or not value.is_finite():
        raise ValidationError("Enter a valid amount.", code="invalid")
    ceiling = max_amount()
    if value > ceiling:
        raise ValidationError(
            "The amount cannot be more than %(max)s.", code="max_amount", params={"max": money_format(ceiling)}
        )


class MoneyField(serializers.DecimalField):
    """The API's money field: a 2-place decimal string out; in, :func:`money_parse` (ASCII digits,
    ≤ ``AUGEO_MAX_AMOUNT``, > 0 unless ``allow_zero``)."""

    def __init__(self, *, allow_zero: bool = False, **kwargs: Any) -> None:
        self.allow_zero = allow_zero
        kwargs.setdefault("max_digits", 12)
        kwargs.setdefault("decimal_places", 2)
        # Documented bounds (the schema); the check itself is money_parse, read at request time.
        kwargs.setdefault("min_value", Decimal("0") if allow_zero else CENT)
        kwargs.setdefault("max_value", max_amount())
        super().__init__(**kwargs)
        # DRF's own Min/MaxValueValidators would repeat the check with a setting frozen at import.
        self.validators = [v for v in self.validators if not hasattr(v, "limit_value")]

    def to_internal_value(self, data: Any) -> Decimal:
        try:
            return money_parse(data, allow_zero=self.allow_zero)
        except ValueError as exc:
            raise serializers.ValidationError(str(exc)) from None


class MoneyFormField(forms.DecimalField):
    """The admin's money field: the typed text goes to :func:`money_parse` as it was typed.

    Django's ``DecimalField`` turns full-width ``"\\uff11\\uff12\\uff10"`` into ``Decimal("120")``
    (``Decimal()`` reads every Unicode digit) before any validator runs, so a model validator alone
    cannot refuse it; this field parses the raw input instead, so the admin refuses what the API does.
    """

    def __init__(self, *, allow_zero: bool = True, **kwargs: Any) -> None:
        self.allow_zero = allow_zero
        kwargs.setdefault("max_digits", 12)
        kwargs.setdefault("decimal_places", 2)
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> Decimal | None:  # type: ignore[override]
        if value in self.empty_values:
            return None
        try:
            return money_parse(value, allow_zero=self.allow_zero)
        except ValueError as exc:
            raise ValidationError(str(exc), code="invalid") from None


class WholeNumberFormField(forms.IntegerField):
    """An admin form's whole number (bidder and item numbers) in ASCII digits, read by
    :func:`int_parse` as the API reads them (Django's ``IntegerField`` takes ``"\\uff11\\uff10\\uff11"`` as 101)."""

    def to_python(self, value: Any) -> int | None:
        if value in self.empty_values:
            return None
        number = int_parse(value)
        if number is None:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return number


# --- money computed in SQL ------------------------------------------------------------------------


class MoneySumField(models.DecimalField):  # type: ignore[type-arg]
    """The output field of money computed in SQL: ``DECIMAL(14, 2)`` (room for sums of
    ``DECIMAL(12, 2)`` columns), read back as a ``Decimal`` with exactly two places on every
    database (SQLite returns a sum as a float or an integer; Django quantises only plain columns)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", 14)
        kwargs.setdefault("decimal_places", 2)
        super().__init__(*args, **kwargs)

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Decimal | None:
        return None if value is None else money(value)


class AsMoney(Func):
    """``expression`` (a sum, a difference of sums) as money: rounded to cents in SQL where the
    database computes it in binary floating point (SQLite), so comparisons (``balance_due__gt=0``)
    and ordering see the cents the page shows; unchanged on PostgreSQL, whose ``NUMERIC`` is exact."""

    template = "%(expressions)s"
    output_field = MoneySumField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        # Through Func.as_sqlite, which casts the result AS NUMERIC: without that affinity SQLite
        # compares the float with the text Django binds for a Decimal ("0") and finds it smaller.
        return super().as_sqlite(compiler, connection, template="ROUND(%(expressions)s, 2)", **extra_context)


def money_sum(expression: Any, **kwargs: Any) -> AsMoney:
    """``SUM(expression)`` as money, 0.00 over no rows (an aggregate: ``.aggregate()``,
    ``.values(...).annotate()``). ``kwargs`` go to ``Sum`` (``filter=``)."""
    field = MoneySumField()
    return AsMoney(Coalesce(Sum(expression, output_field=field, **kwargs), Value(ZERO), output_field=field))


def money_subquery(queryset: Any) -> AsMoney:
    """A correlated subquery that selects one money sum, as money; 0.00 when it finds no row."""
    field = MoneySumField()
    return AsMoney(Coalesce(Subquery(queryset, output_field=field), Value(ZERO), output_field=field))
