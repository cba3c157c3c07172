"""Money columns in the admin, written as people read money everywhere else.

Mixed into the tenant-scoped admin base: in a changelist every ``DecimalField`` column (every one in
the project is money) is written per row in its NPO's currency by
:func:`apps.core.money.money_format` (``USD 1,234.50``), still sortable by the field. The NPO is
reached through the admin's ``npo_path`` and joined into the changelist's query.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import models
from django.http import HttpRequest

from apps.core.money import money_format


def npo_of(obj: Any, npo_path: str) -> Any:
    """The NPO reached from ``obj`` through ``npo_path`` (``"pk"``: ``obj`` is the NPO)."""
    if npo_path in ("", "pk", "id"):
        return obj
    for part in npo_path.split("__"):
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    return obj


def _money_column(name: str, label: str, npo_path: str) -> Any:
    @admin.display(description=label, ordering=name)
    def column(obj: Any) -> str:
        return money_format(getattr(obj, name), getattr(npo_of(obj, npo_path), "currency", ""))

    column.__name__ = name
    return column


class MoneyColumnsMixin:
    """See the module docstring."""

    model: type[models.Model]
    npo_path: str = "npo"

    def _money_fields(self) -> dict[str, models.Field[Any, Any]]:
        return {f.name: f for f in self.model._meta.concrete_fields if isinstance(f, models.DecimalField)}

    def get_list_display(self, request: HttpRequest) -> Any:
        columns = list(super().get_list_display(request))  # type: ignore[misc]
        money = self._money_fields()
        return [
            _money_column(c, str(money[c].verbose_name).capitalize(), self.npo_path)
            if isinstance(c, str) and c in money
            else c
            for c in columns
        ]

    def get_queryset(self, request: HttpRequest) -> Any:
        qs = super().get_queryset(request)  # type: ignore[misc]
        if self.npo_path in ("", "pk", "id") or not self._money_fields():
            return qs
        return qs.select_related(self.npo_path)
