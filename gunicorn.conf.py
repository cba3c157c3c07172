"""gunicorn configuration for production: HTTP and the live-update WebSocket as two services.

* **HTTP** (the Dockerfile's command): ``gunicorn -c gunicorn.conf.py augeo.wsgi:application`` —
  WSGI ``sync`` workers, one request at a time each. Measured with ``make bench`` (bench/api.py,
  issue 13): ASGI workers ran every sync Django view through a thread hop and answered 1.2-1.4x
  fewer requests per second than WSGI workers on every hot endpoint. Between WSGI shapes, ``gthread``
  (4 threads) won on a machine loaded by other work (load average 7-11), but on a quiet machine — two
  runs, the shape a dedicated host has — ``sync`` answered 1.15-1.4x more requests per second than
  ``gthread`` x 4 on every hot endpoint, with about half the p99: the views are CPU-bound Python,
  and threads of one worker only contend for its GIL. A request waiting on a hot item's row lock
  holds its worker, hence the default of 2 x CPUs + 1 workers; the reverse proxy buffers slow
  clients. ``GUNICORN_WORKER_CLASS=gthread`` (with ``GUNICORN_THREADS``) brings threads back.
* **WebSocket** (``/ws/``, apps/live): ``gunicorn -c gunicorn.conf.py augeo.asgi:application`` —
  ASGI workers (``uvicorn_worker.UvicornWorker``; uvicorn's ``websockets`` protocol applies write
  back-pressure, which is what lets the consumer drop a slow client). The reverse proxy sends
  ``/ws/`` there and everything else to the HTTP service (deploy/nginx.conf, docker-compose.yml).
  Issue 14 had found one ASGI *process* for ``/ws/`` falling behind 500 sockets; this service has
  as many workers as the all-ASGI shape had, and none of them serves HTTP any more.

The worker class follows the application named on the command line (``augeo.asgi`` → uvicorn,
anything else → sync); ``GUNICORN_WORKER_CLASS`` overrides it (e.g. ``gthread``).

Prometheus: every worker is its own process, so ``/metrics`` must aggregate them.
``PROMETHEUS_MULTIPROC_DIR`` (default ``/tmp/augeo-prometheus``) is set here, before any worker
imports prometheus_client; the directory is emptied when the master starts (stale files from an
earlier run would be summed in) and a dead worker's live gauges are dropped in ``child_exit``.

Environment: ``GUNICORN_BIND`` (``0.0.0.0:8000``), ``WEB_CONCURRENCY`` (workers; default
2 x CPUs + 1, at most 8), ``GUNICORN_THREADS`` (4, gthread only), ``GUNICORN_TIMEOUT`` (30 s),
``GUNICORN_WORKER_CLASS``, ``GUNICORN_MAX_REQUESTS`` (20,000), ``PROMETHEUS_MULTIPROC_DIR``.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import sys
from pathlib import Path
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "augeo.settings.production")
os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", "/tmp/augeo-prometheus")  # noqa: S108 - per-container dir

# Imported here, not in the hook: child_exit runs from the SIGCHLD handler, which could otherwise
# interrupt an import in progress. The variable above is already set, as prometheus_client needs.
from prometheus_client import multiprocess

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", min(2 * multiprocessing.cpu_count() + 1, 8)))
_ASGI = any(arg.startswith("augeo.asgi") for arg in sys.argv[1:])
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "uvicorn_worker.UvicornWorker" if _ASGI else "sync")
# (gunicorn turns a sync worker with threads into gthread: threads only for gthread.)
threads = int(os.environ.get("GUNICORN_THREADS", "4")) if worker_class == "gthread" else 1
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then so a slow leak never takes a pod down; jitter avoids all at once.
# (2,000 was a restart every few seconds per worker at the benchmark's rates: each restart re-imports
# Django and warms its caches while the other workers carry the load.)
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "20000"))
max_requests_jitter = 2000
# Access lines would carry query strings (verification/reset links hold tokens there); requests are
# observed through /metrics and the application's own request-id-tagged logs instead. The uvicorn
# workers' own lines (one per WebSocket handshake, with the URL) are routed by Django's LOGGING to the
# root handler, their query string stripped on the logger (apps.core.logging.QueryStringFilter).
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")


def on_starting(server: Any) -> None:
    """Empty the metrics directory once, in the master, before the first worker starts."""
    directory = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True, exist_ok=True)


def post_worker_init(worker: Any) -> None:
    """Once the worker has loaded the application: import every view (the URLconf), then move
    everything loaded so far out of the garbage collector's sight (``gc.freeze``).

    Django, DRF and the project are ~140,000 objects that live as long as the worker. Python's
    full collection walks all of them: 90-117 ms measured in a warmed-up worker, during which the
    worker answers nothing — about once every thousand requests, and every request queued behind
    it waits. Frozen, they are never scanned again; what the requests leave behind is what a full
    collection walks: 23 ms. (On the benchmark's p99 the difference is within this machine's noise:
    a pause that rare touches fewer than 1 % of the requests.) Nothing is kept that could have been
    freed: the frozen objects are the modules, classes and settings the process keeps until exit."""
    import gc

    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - imports every view now, not on the first request
    gc.freeze()


def child_exit(server: Any, worker: Any) -> None:
    """Drop the live-gauge files of a worker that exited (counters stay, so totals never go back)."""
    multiprocess.mark_process_dead(worker.pid)
