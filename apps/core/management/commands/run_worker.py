"""``manage.py run_worker``: a task worker — django-tasks-db's ``db_worker`` with the project's
defaults and a Prometheus endpoint.

Every option of ``db_worker`` applies (``--interval``, ``--batch``, ``--max-tasks``, ``--worker-id``,
…); the defaults differ: no autoreload (``--reload`` to get it) and a 0.5 s poll when idle. ``--metrics-port`` (or
``AUGEO_WORKER_METRICS_PORT``) serves this worker's task metrics (latency enqueue → start, outcomes,
failures by task) on ``--metrics-addr`` (``AUGEO_WORKER_METRICS_ADDR``, default 127.0.0.1); keep that
port off public networks. Run as many workers as needed: they share the queue (``SKIP LOCKED``).
SIGTERM lets the running task finish; a second signal (or SIGKILL) stops at once — the outbox sweep
takes back whatever a killed worker held.
"""

from __future__ import annotations

import os
from argparse import ArgumentParser
from typing import Any

from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand
from prometheus_client import REGISTRY, CollectorRegistry, multiprocess, start_http_server


def start_metrics_server(port: int, addr: str) -> None:
    """Serve ``/metrics`` for this process (prometheus_client's own small HTTP server thread: it
    only reads counters, it runs no task)."""
    registry = REGISTRY
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    start_http_server(port, addr=addr, registry=registry)


class Command(DbWorkerCommand):
    help = "Run a task worker (django-tasks-db) with the project's defaults and an optional metrics port."

    def add_arguments(self, parser: ArgumentParser) -> None:
        super().add_arguments(parser)
        parser.set_defaults(reload=False, interval=0.5)
        parser.add_argument(
            "--metrics-port", type=int, default=int(os.environ.get("AUGEO_WORKER_METRICS_PORT", "0") or 0)
        )
        parser.add_argument("--metrics-addr", default=os.environ.get("AUGEO_WORKER_METRICS_ADDR", "127.0.0.1"))

    def handle(self, **options: Any) -> None:  # type: ignore[override]
        metrics_port, metrics_addr = options.pop("metrics_port", 0), options.pop("metrics_addr", "127.0.0.1")
        if metrics_port:
            start_metrics_server(metrics_port, metrics_addr)
        super().handle(**options)
