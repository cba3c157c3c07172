from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "apps.core"
    label = "core"

    def ready(self) -> None:
        # The audit log's admin lives apart from apps/core/admin.py (the tenant-scoped admin base);
        # importing it registers AuditEntry with the admin site.
        # Define the business counters in every process so /metrics shows them from the start (at 0).
        from apps.core import (
            audit_admin,  # noqa: F401
            metrics,  # noqa: F401
            outbox_admin,  # noqa: F401
            tasks,
            tasks_admin,  # noqa: F401
        )

        # Task latency and outcomes are recorded by whichever process runs the task.
        tasks.connect_signals()
