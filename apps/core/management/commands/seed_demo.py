"""``manage.py seed_demo``: idempotent demo data for the embedded default.

Each app contributes a ``demo.py`` with a ``seed(out)`` function; they run in dependency order and
each must be safe to run again (get-or-create by natural keys). Credentials are printed at the end.
"""

from __future__ import annotations

import importlib
from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

SEED_MODULES = [
    "apps.users.demo",
    "apps.npos.demo",
    "apps.events.demo",
    "apps.attendance.demo",
    "apps.auctions.demo",
]


class Command(BaseCommand):
    help = "Load demo data (safe to run repeatedly) and print the demo credentials."

    def handle(self, *args: Any, **options: Any) -> None:
        credentials: list[tuple[str, str, str]] = []
        for module_name in SEED_MODULES:
            try:
                module = importlib.import_module(module_name)
            except ModuleNotFoundError:
                continue
            with transaction.atomic():
                credentials.extend(module.seed(self.stdout) or [])
        self.stdout.write(self.style.SUCCESS("Demo data ready. Sign in at http://127.0.0.1:8000/admin/ with:"))
        for role, email, password in credentials:
            self.stdout.write(f"  {role:<28} {email:<36} {password}")
