"""The scheduler: enqueues the jobs of ``AUGEO_SCHEDULE`` when they are due, nothing else.

``manage.py run_scheduler`` calls :func:`scheduler_tick` about once a second. Each job is one
``core.ScheduledJob`` row; a tick claims a due row with a conditional update (``next_run_at`` moves
forward only while it is still in the past) and enqueues the job in the same transaction. Two
schedulers started by mistake therefore enqueue each tick once: the second one's update finds the
row already moved (PostgreSQL re-checks the condition after the first commits). The work itself runs
on the workers, and is idempotent anyway (closing an item twice has one outcome).
"""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from apps.core.models import ScheduledJob
from apps.core.tasks import Task, enqueue_after_commit

logger = logging.getLogger("augeo.scheduler")


@dataclass(frozen=True)
class Job:
    """One line of the schedule: a task (import path of a ``@task`` function) and its period."""

    name: str
    task: str
    every: timedelta

    def load(self) -> Task:
        job = import_string(self.task)
        if not isinstance(job, Task):
            raise TypeError(f"{self.task} is not a task (decorate it with @task)")
        return job


def schedule() -> list[Job]:
    """``AUGEO_SCHEDULE`` as jobs."""
    return [
        Job(name=name, task=line["task"], every=timedelta(seconds=float(line["every"])))
        for name, line in settings.AUGEO_SCHEDULE.items()
    ]


def scheduler_identity() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:100]


def schedule_install(*, jobs: list[Job], now: datetime | None = None) -> None:
    """Create the rows of jobs new to the database (due at once); existing rows keep their time."""
    now = now or timezone.now()
    ScheduledJob.objects.bulk_create(
        [ScheduledJob(name=job.name, next_run_at=now) for job in jobs], ignore_conflicts=True
    )


def scheduler_tick(*, jobs: list[Job] | None = None, now: datetime | None = None, identity: str = "") -> list[str]:
    """Enqueue every job that is due and that this scheduler wins; returns their names."""
    jobs = schedule() if jobs is None else jobs
    identity = identity or scheduler_identity()
    enqueued = []
    for job in jobs:
        moment = now or timezone.now()
        with transaction.atomic():
            won = ScheduledJob.objects.filter(name=job.name, next_run_at__lte=moment).update(
                next_run_at=moment + job.every,
                last_run_at=moment,
                last_scheduler=identity,
                runs=models.F("runs") + 1,
            )
            if won:
                enqueue_after_commit(job.load())
        if won:
            enqueued.append(job.name)
            logger.info("scheduled %s", job.name)
    return enqueued


def seconds_until_next(*, jobs: list[Job], now: datetime | None = None, ceiling: float = 1.0) -> float:
    """How long the loop may sleep: until the earliest ``next_run_at``, at most ``ceiling``."""
    now = now or timezone.now()
    earliest: Any = (
        ScheduledJob.objects.filter(name__in=[job.name for job in jobs])
        .aggregate(earliest=models.Min("next_run_at"))
        .get("earliest")
    )
    if earliest is None:
        return 0.0
    return max(0.0, min(ceiling, (earliest - now).total_seconds()))
