from typing import Any

from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "apps.events"
    label = "events"

    def ready(self) -> None:
        # Imported here, not at the top: an AppConfig module is imported before the models are ready.
        from apps.events.services.events import npo_delete_check
        from apps.npos import hooks

        # An NPO with published events is not deleted (409 NPO_HAS_PUBLISHED_EVENTS).
        hooks.on_npo_delete_check(self.label, npo_delete_check)

    def seed_demo(self, out: Any) -> Any:
        """Demo data for ``manage.py seed_demo`` (``demo.seed``; safe to run again)."""
        # Imported when called (the demo imports the models; see ready).
        from apps.events.demo import seed

        return seed(out)
