"""The task API (apps.core.tasks): enqueue after commit on either backend, queue depth in the
readiness probe and /metrics, lost tasks, failed tasks in the admin with a retry, task metrics."""

from __future__ import annotations

import io
import threading
import urllib.request
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from prometheus_client import REGISTRY

from apps.core import tasks
from apps.core.models import AuditEntry, OutboxEmail, OutboxStatus
from apps.core.outbox import email_queue
from apps.core.tests.background import free_port
from apps.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@tasks.task()
def record_thread(label: str) -> str:
    """A test task: remembers the thread it ran on."""
    RAN.append((label, threading.current_thread().name))
    return label


@tasks.task()
def explode() -> None:
    raise ValueError("boom")


RAN: list[tuple[str, str]] = []


def test_the_embedded_default_runs_a_task_in_process_right_after_commit(django_capture_on_commit_callbacks):
    """No worker, no thread of ours: the task runs in the committing thread, after the commit."""
    RAN.clear()
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        tasks.enqueue_after_commit(record_thread, "a")
        assert RAN == []  # not before commit
    assert [("a", threading.current_thread().name)] == RAN


def test_the_embedded_default_delivers_outbox_mail_in_process(django_capture_on_commit_callbacks):
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        row = email_queue(template="auctions/won", to=user.email, user=user, context={"item_title": "Vase"})
    assert OutboxEmail.objects.get(pk=row.pk).status == OutboxStatus.SENT
    assert [m.to for m in mail.outbox] == [[user.email]]
    assert not DBTaskResult.objects.exists()  # no queue involved


def test_nothing_runs_when_the_transaction_rolls_back(django_capture_on_commit_callbacks):
    RAN.clear()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        tasks.enqueue_after_commit(record_thread, "never")
        raise RuntimeError
    assert RAN == []


def test_with_the_database_backend_the_task_row_is_part_of_the_transaction(database_tasks):
    with transaction.atomic():
        tasks.enqueue_after_commit(record_thread, "b")
        row = DBTaskResult.objects.get()
    assert row.status == "READY" and row.task_path.endswith("record_thread") and row.args_kwargs["args"] == ["b"]
    assert tasks.queue_stats() | {"oldest_seconds": 0} == {"backend": "database", "depth": 1, "oldest_seconds": 0}


def test_a_failed_enqueue_after_commit_is_logged_not_raised(caplog, django_capture_on_commit_callbacks):
    class Broken:
        name = "broken"

        def get_backend(self):
            return object()

        def enqueue(self, *args, **kwargs):
            raise RuntimeError("queue down")

    with django_capture_on_commit_callbacks(execute=True):
        tasks.enqueue_after_commit(Broken())  # type: ignore[arg-type]
    assert "could not enqueue broken" in caplog.text


def test_queue_depth_counts_ready_tasks_only(database_tasks, client):
    tasks.enqueue_after_commit(record_thread, "1")
    tasks.enqueue_after_commit(record_thread, "2")
    DBTaskResult.objects.filter(args_kwargs__args=["2"]).update(status="SUCCESSFUL")
    DBTaskResult.objects.update(enqueued_at=timezone.now() - timedelta(seconds=30))
    stats = tasks.queue_stats()
    assert stats["depth"] == 1 and 29 < stats["oldest_seconds"] < 60
    body = client.get("/health/ready/").json()
    assert body["checks"]["queue"]["depth"] == 1 and body["checks"]["queue"]["backend"] == "database"
    metrics = client.get("/metrics").content.decode()
    assert "augeo_task_queue_depth 1.0" in metrics and "augeo_task_queue_up 1.0" in metrics


def test_metrics_show_failed_tasks_by_task_and_outbox_rows(database_tasks, client):
    DBTaskResult.objects.create(
        args_kwargs={"args": [], "kwargs": {}},
        task_path="apps.core.tests.test_tasks.explode",
        backend_name="default",
        status="FAILED",
    )
    OutboxEmail.objects.create(template="auctions/won", to="a@example.org", status=OutboxStatus.FAILED)
    text = client.get("/metrics").content.decode()
    assert 'augeo_tasks_failed{task="explode"} 1.0' in text
    assert 'augeo_outbox_emails{status="failed"} 1.0' in text and 'augeo_outbox_emails{status="pending"} 0.0' in text


def test_queue_metrics_survive_a_database_outage(monkeypatch):
    from apps.core import queue_metrics

    monkeypatch.setattr(tasks, "queue_stats", lambda: (_ for _ in ()).throw(RuntimeError("down")))
    text = queue_metrics.queue_metrics_text().decode()
    assert "augeo_task_queue_up 0.0" in text and "augeo_task_queue_depth" not in text


def test_task_latency_and_failures_are_measured_where_the_task_runs(django_capture_on_commit_callbacks):
    def sample(name, labels):
        return REGISTRY.get_sample_value(name, labels) or 0

    before = sample("augeo_task_latency_seconds_count", {"task": "record_thread"})
    failures = sample("augeo_task_failures_total", {"task": "explode"})
    with django_capture_on_commit_callbacks(execute=True):
        tasks.enqueue_after_commit(record_thread, "m")
        tasks.enqueue_after_commit(explode)
    assert sample("augeo_task_latency_seconds_count", {"task": "record_thread"}) == before + 1
    assert sample("augeo_task_failures_total", {"task": "explode"}) == failures + 1
    assert sample("augeo_tasks_total", {"task": "explode", "status": "FAILED"}) >= 1


def test_a_task_left_running_by_a_dead_worker_is_marked_failed(settings, database_tasks):
    settings.AUGEO_TASK_LOST_SECONDS = 60
    tasks.enqueue_after_commit(record_thread, "x")
    tasks.enqueue_after_commit(record_thread, "y")
    lost, alive = DBTaskResult.objects.order_by("args_kwargs")
    DBTaskResult.objects.filter(pk=lost.pk).update(status="RUNNING", started_at=timezone.now() - timedelta(seconds=61))
    DBTaskResult.objects.filter(pk=alive.pk).update(status="RUNNING", started_at=timezone.now())
    assert tasks.tasks_reap_lost() == 1
    lost.refresh_from_db()
    assert lost.status == "FAILED" and lost.exception_class_path == "apps.core.tasks.WorkerLost"
    assert DBTaskResult.objects.get(pk=alive.pk).status == "RUNNING"


@pytest.mark.django_db(transaction=True)
def test_failed_tasks_are_listed_for_super_admins_and_retried(admin_client, admin_user, client, database_tasks):
    tasks.enqueue_after_commit(explode)
    port = free_port()
    call_command(
        "run_worker", "--batch", "--no-startup-delay", "--metrics-port", str(port), verbosity=0, stdout=io.StringIO()
    )
    failed = DBTaskResult.objects.get()
    assert failed.status == "FAILED" and "boom" in failed.traceback
    # the worker's own metrics endpoint: latency enqueue -> start and failures by task
    exported = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    assert 'augeo_task_failures_total{task="explode"}' in exported
    assert 'augeo_task_latency_seconds_count{task="explode"}' in exported
    page = admin_client.get("/admin/django_tasks_database/dbtaskresult/?status__exact=FAILED")
    assert page.status_code == 200 and b"explode" in page.content and b"ValueError" in page.content
    detail = admin_client.get(f"/admin/django_tasks_database/dbtaskresult/{failed.pk}/change/")
    assert detail.status_code == 200 and b"boom" in detail.content
    response = admin_client.post(
        "/admin/django_tasks_database/dbtaskresult/", {"action": "retry", "_selected_action": [str(failed.pk)]}
    )
    assert response.status_code == 302
    failed.refresh_from_db()
    assert failed.status == "READY" and failed.traceback == "" and failed.finished_at is None
    entry = AuditEntry.objects.get(action="task.retry")
    assert entry.actor == admin_user and entry.details["error"] == "builtins.ValueError"
    staff = UserFactory(is_staff=True, is_superuser=False)
    client.force_login(staff)
    assert client.get("/admin/django_tasks_database/dbtaskresult/").status_code == 403


def test_the_schedule_is_visible_to_super_admins(admin_client):
    call_command("run_scheduler", "--once", stdout=io.StringIO())
    page = admin_client.get("/admin/core/scheduledjob/")
    assert page.status_code == 200 and b"close-due-items" in page.content


def test_scheduled_prune_runs_every_pruner():
    result = tasks.prune_expired.call()
    assert "old task results" in result and "old outbox e-mails" in result


def test_old_task_results_are_pruned(database_tasks):
    from apps.core.pruning import prune_task_results

    now = timezone.now()
    for status, age in (("SUCCESSFUL", 8), ("SUCCESSFUL", 1), ("FAILED", 8), ("FAILED", 31), ("READY", 90)):
        DBTaskResult.objects.create(
            args_kwargs={"args": [], "kwargs": {}},
            task_path="apps.core.tasks.sweep_outbox",
            backend_name="default",
            status=status,
            finished_at=now - timedelta(days=age),
        )
    assert prune_task_results(now=now, dry_run=True) == 2
    assert prune_task_results(now=now, dry_run=False) == 2
    assert sorted(DBTaskResult.objects.values_list("status", flat=True)) == ["FAILED", "READY", "SUCCESSFUL"]
