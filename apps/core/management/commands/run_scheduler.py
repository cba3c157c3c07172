"""``manage.py run_scheduler``: the process that enqueues scheduled jobs (``AUGEO_SCHEDULE``) on time.

It only enqueues; workers (``run_worker``) run the jobs. One is enough; a second one started by
mistake does no harm (each tick is claimed once, see apps.core.scheduler). ``--once`` runs a single
tick and exits (e.g. from cron on a host without a long-running process).
"""

from __future__ import annotations

import signal
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections

from apps.core.scheduler import (
    schedule,
    schedule_install,
    scheduler_identity,
    scheduler_tick,
    seconds_until_next,
)


class Command(BaseCommand):
    help = "Enqueue scheduled jobs (closing due items, the outbox sweep, pruning) when they are due."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="Run one tick and exit.")
        parser.add_argument("--max-sleep", type=float, default=1.0, help="Longest pause between ticks (seconds).")

    def handle(self, *args: Any, once: bool = False, max_sleep: float = 1.0, **options: Any) -> None:
        jobs = schedule()
        identity = scheduler_identity()
        self.running = True
        if not once:
            signal.signal(signal.SIGTERM, self._stop)
            signal.signal(signal.SIGINT, self._stop)
        self.stdout.write(f"scheduler {identity}: " + ", ".join(f"{job.name} every {job.every}" for job in jobs))
        schedule_install(jobs=jobs)
        while self.running:
            try:
                for name in scheduler_tick(jobs=jobs, identity=identity):
                    self.stdout.write(f"enqueued {name}")
                pause = seconds_until_next(jobs=jobs, ceiling=max_sleep)
            except Exception as exc:  # the database is away: keep trying, never exit
                self.stderr.write(f"tick failed: {exc.__class__.__name__}: {exc}")
                pause = max_sleep
            if once:
                break
            time.sleep(max(pause, 0.05))
            close_old_connections()  # as after a request: drop a broken or expired connection
        self.stdout.write("scheduler stopped")

    def _stop(self, signum: int, frame: Any) -> None:
        self.running = False
