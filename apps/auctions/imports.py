"""CSV import of auction items (``manage.py import_items``, the admin's import page; product.md §10).

The file has a header row (names case-insensitive): ``title`` (required), ``description``,
``category``, ``kind`` (``silent`` — the default —, ``live``, ``buy_now_only``), ``donated_by``,
``starting_bid``, ``bid_increment``, ``fair_market_value``, ``buy_now_price``, ``reserve``,
``quantity``. Amounts are parsed as everywhere else (ASCII digits, at most 2 decimals, the money
ceiling).

Every row goes through ``item_create`` — the service the API and the admin use, with its validation,
numbering and audit — inside one transaction, each row in its own savepoint so every bad row is
reported. Then all or nothing: with any error, or with ``dry_run``, the transaction is rolled back
and the report tells what *would* have been created. Items are created as drafts.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import IO, Any

from django.db import transaction

from apps.auctions.models import ItemKind
from apps.auctions.services import items as services
from apps.core.exceptions import DomainError
from apps.core.money import int_parse, money_parse
from apps.core.services import audit_record

COLUMNS = [
    "title",
    "description",
    "category",
    "kind",
    "donated_by",
    "starting_bid",
    "bid_increment",
    "fair_market_value",
    "buy_now_price",
    "reserve",
    "quantity",
]
MONEY = ("starting_bid", "bid_increment", "fair_market_value", "buy_now_price", "reserve")
MAX_ROWS = 5_000
LIMITS = {"title": 200, "category": 100, "donated_by": 200, "description": 20_000}


@dataclass
class ItemImportReport:
    items: int = 0
    rows: list[dict[str, Any]] = field(default_factory=list)  # what is (or would be) created
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


class _Rollback(Exception):
    """Raised inside the import transaction to undo it (a dry run, or any row refused)."""


def _read(stream: IO[Any]) -> tuple[list[dict[str, str]], list[str]]:
    raw = stream.read()
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            return [], ["The file is not UTF-8 text."]
    try:
        reader = csv.DictReader(io.StringIO(raw.lstrip("\ufeff")))
        reader.fieldnames = [h.strip().lower() for h in (reader.fieldnames or [])]
        rows = list(reader)
    except csv.Error as exc:
        return [], [f"The file is not valid CSV: {exc}."]
    header = reader.fieldnames or []
    if "title" not in header:
        return [], ["row 1: the header must include title."]
    unknown = sorted(set(header) - set(COLUMNS) - {""})
    if unknown:
        return [], [f"row 1: unknown column(s): {', '.join(unknown)}."]
    if len(rows) > MAX_ROWS:
        return [], [f"At most {MAX_ROWS} rows per file."]
    return rows, []


def _row_data(cell: dict[str, str]) -> tuple[dict[str, Any], list[str]]:
    """The service's keyword arguments from one row, and the problems found while parsing it."""
    problems: list[str] = []
    data: dict[str, Any] = {}
    for key, limit in LIMITS.items():
        if len(cell[key]) > limit:
            problems.append(f"{key}: at most {limit} characters")
        elif cell[key]:
            data[key] = cell[key]
    if not cell["title"]:
        problems.append("title: required")
    kind = (cell["kind"] or ItemKind.SILENT).lower()
    if kind not in ItemKind.values:
        problems.append(f"kind: {cell['kind']!r} is not one of {', '.join(ItemKind.values)}")
    data["kind"] = kind
    for key in MONEY:
        if cell[key]:
            try:
                data[key] = money_parse(cell[key], allow_zero=key == "starting_bid")
            except ValueError as exc:
                problems.append(f"{key}: {exc}")
    if cell["quantity"]:
        quantity = int_parse(cell["quantity"]) if cell["quantity"][:1] not in "+-" else None
        if quantity is None or not 1 <= quantity <= 10_000:
            problems.append("quantity: a whole number from 1 to 10000")
        else:
            data["quantity"] = quantity
    return data, problems


def items_import(*, event: Any, stream: IO[Any], actor: Any = None, dry_run: bool = False) -> ItemImportReport:
    """Create one draft item per row through ``item_create``; all or nothing (see the module)."""
    report = ItemImportReport()
    raw_rows, report.errors = _read(stream)
    if report.errors:
        return report
    try:
        with transaction.atomic():
            for line, raw in enumerate(raw_rows, start=2):
                if None in raw:
                    report.errors.append(f"row {line}: more cells than columns.")
                    continue
                cell = {k: (raw.get(k) or "").strip() for k in COLUMNS}
                data, problems = _row_data(cell)
                if problems:
                    report.errors.append(f"row {line}: " + "; ".join(problems))
                    continue
                try:
                    with transaction.atomic():
                        item = services.item_create(event=event, actor=actor, **data)
                except DomainError as exc:
                    fields = exc.fields or {}
                    why = "; ".join(f"{k}: {' '.join(v)}" for k, v in fields.items()) or exc.message
                    report.errors.append(f"row {line}: {why}")
                    continue
                report.rows.append(
                    {
                        "line": line,
                        "number": item.number,
                        "title": item.title,
                        "kind": item.kind,
                        "starting_bid": item.starting_bid,
                        "quantity": item.quantity,
                    }
                )
            report.items = len(report.rows)
            if report.errors or dry_run:
                raise _Rollback
            audit_record(
                actor=actor,
                action="auction.items_imported",
                obj=event,
                npo_id=event.npo_id,
                details={"items": report.items},
            )
    except _Rollback:
        pass
    return report
