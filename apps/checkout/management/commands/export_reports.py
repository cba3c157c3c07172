"""``manage.py export_reports EVENT --out DIR``: the event's reports and statements as CSV files."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand

from apps.checkout import reports, selectors
from apps.checkout.management.commands._event_arg import event_from_arg
from apps.core.csv_export import csv_safe_cell
from apps.core.services import audit_record


class Command(BaseCommand):
    help = "Write the event's reports (summary, items, donors, payments) and statements as CSV files."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("event", help="event id or slug")
        parser.add_argument("--out", required=True, help="folder to write into (created if missing)")

    def handle(self, *args: Any, **options: Any) -> None:
        event = event_from_arg(options["event"])
        out = Path(options["out"])
        out.mkdir(parents=True, exist_ok=True)
        written = []
        outputs = {name: reports.report_csv(event, name) for name in reports.REPORTS}
        outputs["statements"] = reports.statements_csv_rows(event, selectors.statements_of_event(event).iterator(2000))
        for name, (header, rows) in outputs.items():
            path = out / f"{event.slug}-{name}.csv"
            with path.open("w", newline="", encoding="utf-8") as handle:
                writer = csv.writer(handle)
                writer.writerow([csv_safe_cell(h) for h in header])
                for row in rows:
                    writer.writerow(["" if v is None else csv_safe_cell(v) for v in row])
            written.append(path)
        audit_record(
            actor=None,
            action="checkout.reports_exported",
            obj=event,
            npo_id=event.npo_id,
            details={"files": len(written)},
        )
        for path in written:
            self.stdout.write(str(path))
