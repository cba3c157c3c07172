import logging
from typing import Any

from django.apps import AppConfig
from django.conf import settings

logger = logging.getLogger("augeo.checkout.provider")


class CheckoutConfig(AppConfig):
    name = "apps.checkout"
    label = "checkout"
    verbose_name = "Checkout"

    def seed_demo(self, out: Any) -> Any:
        """Demo data for ``manage.py seed_demo`` (``demo.seed``; safe to run again)."""
        # Imported when called (the demo imports the models; see ready).
        from apps.checkout.demo import seed

        return seed(out)

    def ready(self) -> None:
        if settings.PAYMENT_PROVIDER == "embedded" and settings.PAYMENT_PROVIDER_WARN_EMBEDDED:
            # Production settings with PAYMENT_PROVIDER=embedded set on purpose (a demo stack): say so
            # in every process's log, since card charges here are approved without any bank.
            logger.warning(
                "PAYMENT_PROVIDER=embedded in production settings: card-on-file charges are NOT real "
                "(every charge is approved except amounts ending in .13). Use PAYMENT_PROVIDER=stripe "
                "for real payments."
            )
        # The receipt e-mail's PDF attachment is built at send time (an outbox attachment builder,
        # registered when the module is imported). Imported here: the models are not ready earlier.
        # Checkout's part in account deletion and the export (privacy.py) is registered by apps.legal.
        # Imported here, not at the top: an AppConfig module is imported before the models are ready.
        from apps.checkout.services import receipts  # noqa: F401
