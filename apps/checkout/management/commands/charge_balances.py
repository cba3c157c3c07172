"""``manage.py charge_balances EVENT [--dry-run] [--retry-declined]``: express checkout — charge
every paddle with a saved card and a balance due, once per balance (``services.charging``)."""

from __future__ import annotations

from functools import partial
from typing import Any

from django.core.management.base import BaseCommand

from apps.checkout.management.commands._event_arg import event_from_arg
from apps.checkout.services.charging import balances_charge
from apps.core.money import money_format


class Command(BaseCommand):
    help = "Charge every paddle's balance due to its card on file (safe to re-run)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("event", help="event id or slug")
        parser.add_argument("--dry-run", action="store_true", help="list what would be charged, charge nothing")
        parser.add_argument(
            "--retry-declined", action="store_true", help="charge again paddles whose card was declined"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        event = event_from_arg(options["event"])
        report = balances_charge(event=event, dry_run=options["dry_run"], retry_declined=options["retry_declined"])
        m = partial(money_format, currency=event.npo.currency)
        if options["dry_run"]:
            for number, amount in report.would_charge:
                self.stdout.write(f"would charge #{number}: {m(amount)}")
            self.stdout.write(f"dry run: {len(report.would_charge)} paddle(s) would be charged")
            return
        if report.resolved:
            self.stdout.write(f"resolved {report.resolved} pending payment(s) by asking the provider")
        for number, amount in report.charged:
            self.stdout.write(f"charged #{number}: {m(amount)}")
        for number, amount, reason in report.declined:
            self.stdout.write(f"DECLINED #{number}: {m(amount)} ({reason})")
        for number, amount in report.queued:
            self.stdout.write(f"queued #{number}: {m(amount)} (a worker charges it)")
        for number, amount in report.pending:
            self.stdout.write(f"pending #{number}: {m(amount)} (the provider has not answered yet)")
        for number, why in report.skipped:
            self.stdout.write(f"skipped #{number}: {why}")
        self.stdout.write(
            self.style.SUCCESS(
                f"charged {len(report.charged)} paddle(s), {m(report.total_charged)}; "
                f"{len(report.declined)} declined, {len(report.pending)} pending, {len(report.queued)} queued"
            )
        )
