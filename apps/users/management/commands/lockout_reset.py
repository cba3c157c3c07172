"""``manage.py lockout_reset EMAIL``: lift the account lock of one address (an operator's answer to a
locked-out user who has no known device). Device tokens invalidated by failures stay invalid."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from apps.users.lockout import lockout_reset


class Command(BaseCommand):
    help = "Lift the sign-in lock of an e-mail address."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")

    def handle(self, *args: Any, **options: Any) -> None:
        removed = lockout_reset(email=options["email"])
        self.stdout.write(self.style.SUCCESS("lock lifted" if removed else "no failures recorded for that address"))
