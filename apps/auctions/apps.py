from typing import Any

from django.apps import AppConfig


class AuctionsConfig(AppConfig):
    name = "apps.auctions"
    label = "auctions"

    def ready(self) -> None:
        # Counts outbid/won deliveries in augeo_auction_notifications_total (an outbox listener).
        # Imported here, not at the top: an AppConfig module is imported before the models are ready.
        from apps.auctions import notifications  # noqa: F401
        from apps.auctions.models import Bid
        from apps.auctions.services.closing import items_close_for_event
        from apps.events import hooks

        # Closing an event closes its open items; a bid is activity (an event with bids is not deleted).
        hooks.on_event_close(self.label, items_close_for_event)
        hooks.on_activity_check(self.label, lambda event: Bid.objects.filter(item__event=event).exists())

    def seed_demo(self, out: Any) -> Any:
        """Demo data for ``manage.py seed_demo`` (``demo.seed``; safe to run again)."""
        # Imported when called (the demo imports the models; see ready).
        from apps.auctions.demo import seed

        return seed(out)
