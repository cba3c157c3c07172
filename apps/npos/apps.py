from typing import Any

from django.apps import AppConfig


class NposConfig(AppConfig):
    name = "apps.npos"
    label = "npos"

    def ready(self) -> None:
        # Imported here, not at the top: an AppConfig module is imported before the models are ready.
        from apps.core.admin_lookups import private_fields_declare
        from apps.npos.selectors import membership_summaries
        from apps.npos.tenancy.private import PRIVATE_FIELDS
        from apps.users.hooks import memberships_provide

        # The own profile (/users/me/) lists the memberships (apps.users owns the hook). Account
        # deletion's LAST_ADMIN (deletion.py) is registered by apps.legal, which sits above npos.
        memberships_provide(membership_summaries)
        # No admin filters, searches, sorts or lists by a private field (apps.core.admin_lookups).
        private_fields_declare(PRIVATE_FIELDS)

    def seed_demo(self, out: Any) -> Any:
        """Demo data for ``manage.py seed_demo`` (``demo.seed``; safe to run again)."""
        # Imported when called (the demo imports the models; see ready).
        from apps.npos.demo import seed

        return seed(out)
