from typing import Any

from django.apps import AppConfig


class NposConfig(AppConfig):
    name = "apps.npos"
    label = "npos"

    def seed_demo(self, out: Any) -> Any:
        """Demo data for ``manage.py seed_demo`` (``demo.seed``; safe to run again)."""
        from apps.npos.demo import seed

        return seed(out)
