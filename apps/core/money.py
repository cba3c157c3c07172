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
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
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


def money(value: Decimal) -> Decimal:
    """``value`` with exactly two places (the storage and wire format)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


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
        raise ValueError(f"The amount cannot be more than {money(ceiling)}.")
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
            "The amount cannot be more than %(max)s.", code="max_amount", params={"max": money(ceiling)}
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
