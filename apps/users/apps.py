from typing import Any

from django.apps import AppConfig


class UsersConfig(AppConfig):
    name = "apps.users"
    label = "users"

    def ready(self) -> None:
        # Registers the outbox context builders that mint e-mail tokens at send time; must happen in
        # every process that sends (web workers, `send_notifications`), not only where views load.
        # Imported here, not at the top: an AppConfig module is imported before the models are ready.
        from apps.users import emails  # noqa: F401

    def seed_demo(self, out: Any) -> Any:
        """Demo data for ``manage.py seed_demo`` (``demo.seed``; safe to run again)."""
        # Imported when called (the demo imports the models; see ready).
        from apps.users.demo import seed

        return seed(out)
