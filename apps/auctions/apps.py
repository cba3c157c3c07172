from typing import Any

from django.apps import AppConfig


class AuctionsConfig(AppConfig):
    name = "apps.auctions"
    label = "auctions"

    def ready(self) -> None:
        # Counts outbid/won deliveries in augeo_auction_notifications_total (an outbox listener).
        from apps.auctions import notifications  # noqa: F401

    def seed_demo(self, out: Any) -> Any:
        """Demo data for ``manage.py seed_demo`` (``demo.seed``; safe to run again)."""
        from apps.auctions.demo import seed

        return seed(out)
