"""The legal app's jobs on the project's task API (docs/background-work.md)."""

from __future__ import annotations

from apps.core.tasks import PRIORITY_MAIL, PRIORITY_ROUTINE, task


@task(priority=PRIORITY_MAIL)
def build_privacy_export(export_id: str) -> bool:
    """Build one export row (claimed under a lock; a row already built or taken is skipped)."""
    # Imported here: the exports service enqueues this task (a cycle), and the task's path is stored
    # with every queued row, so it stays in this module.
    from apps.legal.services.exports import privacy_export_build

    return privacy_export_build(export_id)


@task(priority=PRIORITY_ROUTINE)
def retry_privacy_exports() -> list[int]:
    """The exports' sweep: pending rows whose task was lost and failed rows with attempts left."""
    from apps.legal.services.exports import privacy_exports_retry  # a cycle: see build_privacy_export

    return list(privacy_exports_retry())
