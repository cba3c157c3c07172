from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "apps.core"
    label = "core"

    def ready(self) -> None:
        # Define the business counters in every process so /metrics shows them from the start (at 0).
        # Imported here, not at the top: an AppConfig module is imported before the models are ready.
        from apps.core import (
            metrics,  # noqa: F401
            tasks,
        )

        # Task latency and outcomes are recorded by whichever process runs the task.
        tasks.connect_signals()
