"""gunicorn configuration for production (``gunicorn -c gunicorn.conf.py augeo.asgi:application``).

ASGI workers (``uvicorn_worker.UvicornWorker``): the same processes serve HTTP and the live-update
WebSocket (``/ws/events/{id}/``, apps/live); plain HTTP requests run Django's sync views in a thread.
``bench/live.py`` compared this with gthread workers for HTTP plus a separate ASGI service for
``/ws/`` and kept this shape (README "Live updates"). uvicorn's ``websockets`` protocol (installed by
requirements/production.txt) applies write back-pressure, which is what lets the consumer drop a
slow client. Set ``GUNICORN_WORKER_CLASS=sync`` and serve ``augeo.wsgi:application`` for a WSGI-only
deployment (no WebSocket).

Prometheus: every worker is its own process, so ``/metrics`` must aggregate them.
``PROMETHEUS_MULTIPROC_DIR`` (default ``/tmp/augeo-prometheus``) is set here, before any worker
imports prometheus_client; the directory is emptied when the master starts (stale files from an
earlier run would be summed in) and a dead worker's live gauges are dropped in ``child_exit``.

Environment: ``GUNICORN_BIND`` (``0.0.0.0:8000``), ``WEB_CONCURRENCY`` (workers; default
2 x CPUs + 1, at most 8), ``GUNICORN_TIMEOUT`` (30 s), ``GUNICORN_WORKER_CLASS``,
``PROMETHEUS_MULTIPROC_DIR``.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
from pathlib import Path
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "augeo.settings.production")
os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", "/tmp/augeo-prometheus")  # noqa: S108 - per-container dir

# Imported here, not in the hook: child_exit runs from the SIGCHLD handler, which could otherwise
# interrupt an import in progress. The variable above is already set, as prometheus_client needs.
from prometheus_client import multiprocess

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", min(2 * multiprocessing.cpu_count() + 1, 8)))
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "uvicorn_worker.UvicornWorker")
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then so a slow leak never takes a pod down; jitter avoids all at once.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = 200
# Access lines would carry query strings (verification/reset links hold tokens there); requests are
# observed through /metrics and the application's own request-id-tagged logs instead.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")


def on_starting(server: Any) -> None:
    """Empty the metrics directory once, in the master, before the first worker starts."""
    directory = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True, exist_ok=True)


def child_exit(server: Any, worker: Any) -> None:
    """Drop the live-gauge files of a worker that exited (counters stay, so totals never go back)."""
    multiprocess.mark_process_dead(worker.pid)
