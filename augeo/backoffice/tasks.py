"""Background work in the admin, for super admins: task results (django-tasks-db's table; failed
ones with their traceback and a "Retry" action) and the schedule (when each job last ran and is due).

django-tasks-db registers its own admin, open to any staff user with the model permission; it is
replaced here by a super-admin-only one that calls :func:`apps.core.tasks.task_results_retry`.
"""

from __future__ import annotations

from typing import Any

import django_tasks_db.admin  # noqa: F401 - registers its admin first, so it can be replaced below
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django_tasks_db.models import DBTaskResult

from apps.core.admin_lookups import DeclaredLookupsOnly
from apps.core.models import ScheduledJob
from apps.core.net import client_ip
from apps.core.tasks import task_results_retry
from augeo.backoffice.outbox import SuperAdminReadOnly

if admin.site.is_registered(DBTaskResult):
    admin.site.unregister(DBTaskResult)


@admin.register(DBTaskResult)
class TaskResultAdmin(SuperAdminReadOnly, DeclaredLookupsOnly, admin.ModelAdmin):
    """Every task the workers ran or will run; filter on "Failed" to see what needs attention."""

    list_display = ["task_name", "status", "enqueued_at", "started_at", "finished_at", "latency", "error"]
    list_filter = ["status", "queue_name"]
    ordering = ["-enqueued_at"]
    fields = (
        "id",
        "task_path",
        "status",
        "args_kwargs",
        "priority",
        "queue_name",
        "enqueued_at",
        "started_at",
        "finished_at",
        "worker_ids",
        "return_value",
        "exception_class_path",
        "formatted_traceback",
    )
    readonly_fields = fields
    actions = ["retry"]

    @admin.display(description="enqueue → start")
    def latency(self, obj: DBTaskResult) -> str:
        if not obj.started_at or not obj.enqueued_at:
            return "-"
        return f"{(obj.started_at - obj.enqueued_at).total_seconds():.2f} s"

    @admin.display(description="error")
    def error(self, obj: DBTaskResult) -> str:
        return str(obj.exception_class_path.rsplit(".", 1)[-1]) if obj.exception_class_path else ""

    @admin.display(description="traceback")
    def formatted_traceback(self, obj: DBTaskResult) -> str:
        return format_html("<pre>{}</pre>", obj.traceback) if obj.traceback else "-"

    @admin.action(description="Retry the selected failed tasks")
    def retry(self, request: HttpRequest, queryset: QuerySet[DBTaskResult]) -> None:
        count = task_results_retry(ids=queryset.values_list("pk", flat=True), actor=request.user, ip=client_ip(request))
        self.message_user(request, f"{count} failed task(s) queued again.", messages.SUCCESS)


@admin.register(ScheduledJob)
class ScheduledJobAdmin(SuperAdminReadOnly, DeclaredLookupsOnly, admin.ModelAdmin):
    """The schedule as the schedulers see it (``AUGEO_SCHEDULE``; edit the setting, not the rows)."""

    list_display = ("name", "next_run_at", "last_run_at", "last_scheduler", "runs")
    fields = ("name", "next_run_at", "last_run_at", "last_scheduler", "runs")
    readonly_fields = fields

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        return {}
