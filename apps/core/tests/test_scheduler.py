"""The scheduler (apps.core.scheduler, ``manage.py run_scheduler``): due jobs are enqueued once per
tick, whoever else is ticking."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from apps.core.models import ScheduledJob
from apps.core.scheduler import Job, schedule, schedule_install, scheduler_tick, seconds_until_next
from apps.core.tests.race import race

SWEEP = Job(name="sweep", task="apps.core.tasks.sweep_outbox", every=timedelta(seconds=30))


@pytest.mark.django_db
def test_the_schedule_comes_from_settings():
    jobs = {job.name: job for job in schedule()}
    assert jobs["close-due-items"].every == timedelta(seconds=5)
    assert jobs["close-due-items"].load().name == "close_due_items"
    assert set(jobs) == {"close-due-items", "sweep-outbox", "retry-privacy-exports", "prune-expired"}


@pytest.mark.django_db
def test_a_due_job_is_enqueued_once_per_period(database_tasks):
    now = timezone.now()
    schedule_install(jobs=[SWEEP], now=now)
    assert scheduler_tick(jobs=[SWEEP], now=now, identity="a") == ["sweep"]
    assert scheduler_tick(jobs=[SWEEP], now=now + timedelta(seconds=29), identity="b") == []
    assert scheduler_tick(jobs=[SWEEP], now=now + timedelta(seconds=30), identity="b") == ["sweep"]
    row = ScheduledJob.objects.get()
    assert (row.runs, row.last_scheduler, row.next_run_at) == (2, "b", now + timedelta(seconds=60))
    assert DBTaskResult.objects.filter(task_path="apps.core.tasks.sweep_outbox").count() == 2
    schedule_install(jobs=[SWEEP], now=now + timedelta(days=1))  # a restart keeps the row's time
    assert ScheduledJob.objects.get().next_run_at == now + timedelta(seconds=60)


@pytest.mark.django_db
def test_the_loop_sleeps_until_the_next_job_at_most_a_second():
    now = timezone.now()
    assert seconds_until_next(jobs=[SWEEP], now=now) == 0.0  # no row yet: tick now
    ScheduledJob.objects.create(name="sweep", next_run_at=now + timedelta(seconds=0.25))
    assert seconds_until_next(jobs=[SWEEP], now=now) == pytest.approx(0.25)
    ScheduledJob.objects.filter(name="sweep").update(next_run_at=now + timedelta(seconds=30))
    assert seconds_until_next(jobs=[SWEEP], now=now) == 1.0


@pytest.mark.django_db
def test_a_job_that_is_not_a_task_is_refused():
    with pytest.raises(TypeError):
        Job(name="x", task="apps.core.outbox.outbox_sweep", every=timedelta(seconds=1)).load()


@pytest.mark.django_db
def test_run_scheduler_once_enqueues_what_is_due(database_tasks):
    out = io.StringIO()
    call_command("run_scheduler", "--once", stdout=out)
    assert "enqueued close-due-items" in out.getvalue() and "enqueued sweep-outbox" in out.getvalue()
    paths = set(DBTaskResult.objects.values_list("task_path", flat=True))
    assert paths == {
        "apps.auctions.tasks.close_due_items",
        "apps.core.tasks.sweep_outbox",
        "apps.legal.tasks.retry_privacy_exports",
        "apps.core.tasks.prune_expired",
    }
    call_command("run_scheduler", "--once", stdout=io.StringIO())
    assert DBTaskResult.objects.count() == len(paths)  # nothing is due again yet


@pytest.mark.django_db
def test_a_failing_tick_is_reported_and_the_loop_goes_on(monkeypatch):
    from apps.core.management.commands import run_scheduler

    monkeypatch.setattr(run_scheduler, "scheduler_tick", lambda **kw: (_ for _ in ()).throw(RuntimeError("db away")))
    err = io.StringIO()
    call_command("run_scheduler", "--once", stdout=io.StringIO(), stderr=err)
    assert "tick failed: RuntimeError: db away" in err.getvalue()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_schedulers_ticking_at_once_enqueue_a_job_once(database_tasks):
    """Eight threads (as eight scheduler processes would) tick the same due job at the same moment
    on PostgreSQL: the conditional update lets exactly one of them enqueue it."""
    now = timezone.now()
    schedule_install(jobs=[SWEEP], now=now)
    results = race(*[lambda n=n: scheduler_tick(jobs=[SWEEP], now=now, identity=f"scheduler-{n}") for n in range(8)])
    assert sorted(len(r) for r in results) == [0] * 7 + [1]
    assert DBTaskResult.objects.count() == 1 and ScheduledJob.objects.get().runs == 1
