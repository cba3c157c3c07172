from django.apps import AppConfig


class CheckoutConfig(AppConfig):
    name = "apps.checkout"
    label = "checkout"
    verbose_name = "Checkout"

    def ready(self) -> None:
        # The receipt e-mail's PDF attachment is built at send time (an outbox attachment builder).
        from apps.checkout.services import receipts  # noqa: F401
