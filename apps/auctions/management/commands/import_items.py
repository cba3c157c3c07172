"""``manage.py import_items EVENT FILE.csv [--dry-run]`` — see :mod:`apps.auctions.imports`."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from apps.auctions.imports import COLUMNS, items_import
from apps.events.models import Event


class Command(BaseCommand):
    help = (
        "Import auction items (drafts) from a CSV file (columns: "
        + ", ".join(COLUMNS)
        + "). Every row goes through the item service; errors are reported by row number and nothing "
        "is imported unless every row is valid."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("event", help="event id or slug")
        parser.add_argument("file", help="path to the CSV file (UTF-8, header row)")
        parser.add_argument("--dry-run", action="store_true", help="validate and report only")

    def handle(self, *args: Any, **options: Any) -> None:
        value = options["event"]
        try:
            lookup: dict[str, Any] = {"pk": uuid.UUID(value)}
        except ValueError:
            lookup = {"slug": value}
        event = Event.objects.filter(**lookup).first()
        if event is None:
            raise CommandError(f"No event {value!r}.")
        try:
            with open(options["file"], "rb") as stream:
                report = items_import(event=event, stream=stream, dry_run=options["dry_run"])
        except OSError as exc:
            raise CommandError(f"Cannot read {options['file']}: {exc.strerror}") from exc
        if report.errors:
            for error in report.errors:
                self.stderr.write(error)
            raise CommandError(f"{len(report.errors)} error(s); nothing was imported.")
        verb = "Would import" if options["dry_run"] else "Imported"
        self.stdout.write(self.style.SUCCESS(f"{verb} {report.items} items into {event}."))
