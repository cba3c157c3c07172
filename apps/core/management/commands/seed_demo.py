"""``manage.py seed_demo``: idempotent demo data for the embedded default.

Each app that has demo data says so with a ``seed_demo(out)`` method on its ``AppConfig`` (usually
calling its ``demo.seed``); they run in ``INSTALLED_APPS`` order (the dependency order) and each must
be safe to run again (get-or-create by natural keys). Credentials are printed at the end. Core names
no domain app: the list is whatever the installed apps declare.

The demo's own activity (outbid notices, invitations to made-up addresses) would otherwise flood
the console mail backend, so mail is captured in memory while seeding and only counted.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core import mail
from django.core.management.base import BaseCommand
from django.db import transaction
from django.test.utils import override_settings


class Command(BaseCommand):
    help = "Load demo data (safe to run repeatedly) and print the demo credentials."

    def handle(self, *args: Any, **options: Any) -> None:
        credentials: dict[str, tuple[str, str]] = {}
        # Demo mails are built in this process right after each commit (the immediate task backend,
        # whatever AUGEO_TASKS_BACKEND says) into memory, and counted, never sent.
        immediate = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend", TASKS=immediate):
            mail.outbox = []
            for config in apps.get_app_configs():
                seed = getattr(config, "seed_demo", None)
                if seed is None:
                    continue
                with transaction.atomic():
                    for label, email, password in seed(self.stdout) or []:
                        credentials.setdefault(email, (label, password))
            suppressed = len(mail.outbox)
        if suppressed:
            self.stdout.write(f"({suppressed} demo e-mails were generated and not sent)")
        self.stdout.write(self.style.SUCCESS("Demo data ready. Sign in at http://127.0.0.1:8000/admin/ with:"))
        for email, (label, password) in credentials.items():
            self.stdout.write(f"  {label:<34} {email:<32} {password}")
