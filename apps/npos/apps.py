from typing import Any

from django.apps import AppConfig


class NposConfig(AppConfig):
    name = "apps.npos"
    label = "npos"

    def ready(self) -> None:
        from apps.legal.hooks import deletion_blocker
        from apps.npos.deletion import last_admin_blocker

        # Account deletion (apps.legal) refuses the last admin of an NPO: 409 LAST_ADMIN.
        deletion_blocker(last_admin_blocker)

    def seed_demo(self, out: Any) -> Any:
        """Demo data for ``manage.py seed_demo`` (``demo.seed``; safe to run again)."""
        from apps.npos.demo import seed

        return seed(out)
