"""``manage.py import_guests EVENT FILE.csv [--dry-run]`` — see :mod:`apps.attendance.services.imports`."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from apps.attendance.services.imports import COLUMNS, guests_import
from apps.events.models import Event


class Command(BaseCommand):
    help = (
        "Import guests from a CSV file (columns: "
        + ", ".join(COLUMNS)
        + "). Every row is validated first; errors are reported by row number and nothing is imported."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("event", help="event id or slug")
        parser.add_argument("file", help="path to the CSV file (UTF-8, header row)")
        parser.add_argument("--dry-run", action="store_true", help="validate and report only")

    def handle(self, *args: Any, **options: Any) -> None:
        event = self._event(options["event"])
        try:
            with open(options["file"], "rb") as stream:
                report = guests_import(event=event, stream=stream, dry_run=options["dry_run"])
        except OSError as exc:
            raise CommandError(f"Cannot read {options['file']}: {exc.strerror}") from exc
        if report.errors:
            for error in report.errors:
                self.stderr.write(error)
            raise CommandError(f"{len(report.errors)} error(s); nothing was imported.")
        verb = "Would import" if options["dry_run"] else "Imported"
        self.stdout.write(
            self.style.SUCCESS(f"{verb} {report.guests} guests in {report.registrations} registrations into {event}.")
        )

    def _event(self, value: str) -> Event:
        try:
            lookup: dict[str, Any] = {"pk": uuid.UUID(value)}
        except ValueError:
            lookup = {"slug": value}
        event = Event.objects.filter(**lookup).first()
        if event is None:
            raise CommandError(f"No event {value!r}.")
        return event
