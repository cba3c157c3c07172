from typing import Any

from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "apps.events"
    label = "events"

    def seed_demo(self, out: Any) -> Any:
        """Demo data for ``manage.py seed_demo`` (``demo.seed``; safe to run again)."""
        from apps.events.demo import seed

        return seed(out)
