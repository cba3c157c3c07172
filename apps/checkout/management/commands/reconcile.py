"""``manage.py reconcile EVENT``: checkout.md invariants 1-2, the figures, exit 1 on a mismatch."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from apps.checkout import invariants
from apps.checkout.management.commands._event_arg import event_from_arg
from apps.core.money import money_format


class Command(BaseCommand):
    help = "Check that the event's statements reconcile with its totals (checkout.md invariants 1-2)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("event", help="event id or slug")

    def handle(self, *args: Any, **options: Any) -> None:
        event = event_from_arg(options["event"])
        data = invariants.figures(event)
        currency = event.npo.currency
        self.stdout.write(f"{event.name} ({event.slug})")
        for label, key in (
            ("raised (auction and paddle raise)", "raised"),
            ("donations at checkout", "donations"),
            ("statements", "statements"),
            ("sum of statement totals", "statement_total"),
            ("collected (payments - refunds)", "paid"),
            ("outstanding balances", "outstanding"),
            ("credits", "credit"),
        ):
            value = data[key]
            self.stdout.write(f"  {label:<36} {value if key == 'statements' else money_format(value, currency)}")
        problems = invariants.check_totals(event) + invariants.check_statements(event)
        if problems:
            for problem in problems:
                self.stderr.write(f"MISMATCH {problem}")
            raise CommandError(f"{len(problems)} mismatch(es)", returncode=1)
        self.stdout.write(self.style.SUCCESS("reconciled: statements = raised + donations; paid = payments - refunds"))
