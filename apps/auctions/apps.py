from django.apps import AppConfig


class AuctionsConfig(AppConfig):
    name = "apps.auctions"
    label = "auctions"

    def ready(self) -> None:
        # Counts outbid/won deliveries in augeo_auction_notifications_total (an outbox listener).
        from apps.auctions import notifications  # noqa: F401
