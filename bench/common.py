"""What the bench scripts share: their database, the servers' environment, starting and stopping
gunicorn, and percentiles.

Every script measures the project as the Dockerfile serves it (``gunicorn -c gunicorn.conf.py``,
``augeo.settings.production``) on the PostgreSQL and Redis servers named by ``DATABASE_URL`` and
``REDIS_URL``, in a database of its own on that server: the developer's database is never touched.

    url = database_url("_bench")        # augeo → augeo_bench
    ensure_database(url)                # created when missing, migrated
    django_setup(url)                   # this process: the same settings as the servers
    process = start_gunicorn("augeo.wsgi:application", port=free_port(), workers=2,
                             env=server_env(url), log=Path("/tmp/server.log"))
    ...
    stop(process)

Importing this module puts the project on ``sys.path`` (the scripts import its apps).
"""

from __future__ import annotations

import http.client
import math
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

#: The venv's scripts (gunicorn, django-admin): the venv this script runs in, wherever it lives.
BIN = Path(sys.executable).parent
#: Signs the tokens a script mints in-process and its servers check; new on every run.
SECRET = secrets.token_urlsafe(48)
#: Raised so a throttle never caps a measurement; the throttles still run (and reach Redis).
UNTHROTTLED = "10000000/min"


# --- the database ----------------------------------------------------------------------------------


def _script() -> str:
    return f"bench/{Path(sys.argv[0]).name}"


def database_url(suffix: str) -> str:
    """``DATABASE_URL`` with the database ``<its name><suffix>``, the script's own on the same server
    (``augeo`` → ``augeo_bench``; a name that already ends in the suffix is kept)."""
    parsed = urlparse(os.environ.get("DATABASE_URL", ""))
    if parsed.scheme not in ("postgres", "postgresql", "pgsql"):
        sys.exit(f'{_script()} needs DATABASE_URL pointing at PostgreSQL (eval "$(bash scripts/services.sh env)")')
    name = (parsed.path.lstrip("/") or "augeo").removesuffix(suffix) + suffix
    return urlunparse(parsed._replace(path=f"/{name}"))


def database_name(url: str) -> str:
    return urlparse(url).path.lstrip("/")


def redis_url(db: int | None = None) -> str:
    """``REDIS_URL`` (cache, throttles, channel layer), or database ``db`` of the same server."""
    url = os.environ.get("REDIS_URL", "")
    if not url:
        sys.exit(f'{_script()} needs REDIS_URL pointing at Redis (eval "$(bash scripts/services.sh env)")')
    return url if db is None else urlunparse(urlparse(url)._replace(path=f"/{db}"))


def create_database(url: str, *, fresh: bool = False) -> None:
    """Create the database of ``url`` when it is missing; ``fresh``: drop it first, for a script that
    loads its data from scratch on every run."""
    import psycopg

    name = database_name(url)
    with psycopg.connect(urlunparse(urlparse(url)._replace(path="/postgres")), autocommit=True) as conn:
        if fresh:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def ensure_database(url: str, *, fresh: bool = False) -> None:
    """The database of ``url`` created (see :func:`create_database`) and migrated, in a subprocess
    with the servers' settings."""
    create_database(url, fresh=fresh)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=server_env(url), check=True
    )


# --- the environment -------------------------------------------------------------------------------


def server_env(url: str, **overrides: str) -> dict[str, str]:
    """A server's environment: the production settings as docker-compose.yml sets them, on the
    database ``url`` and ``REDIS_URL``, plus what keeps a bench honest and harmless: plain HTTP on
    loopback (no TLS redirect, no HSTS, no proxy in front), throttles raised (:data:`UNTHROTTLED`),
    mail to the dummy backend (the outbox rows are still written and handed to the mail framework),
    the embedded payment provider (production settings need it said; a bench charges nobody) and
    no blob storage (a bench stores no files). The caller's ``GUNICORN_*`` and ``WEB_CONCURRENCY``
    are dropped: :func:`start_gunicorn` decides the server's shape. ``overrides`` win."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("GUNICORN_", "WEB_CONCURRENCY", "PROMETHEUS_MULTIPROC_DIR"))
        and key != "AZURE_STORAGE_CONNECTION_STRING"
    }
    env.update(
        DATABASE_URL=url,
        REDIS_URL=redis_url(),
        DJANGO_SETTINGS_MODULE="augeo.settings.production",
        DJANGO_SECRET_KEY=SECRET,
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DJANGO_SECURE_SSL_REDIRECT="false",
        DJANGO_HSTS_SECONDS="0",
        DJANGO_NUM_PROXIES="0",
        EMAIL_URL="dummymail://",
        PAYMENT_PROVIDER="embedded",
        THROTTLE_RATE_USER=UNTHROTTLED,
        THROTTLE_RATE_ANON=UNTHROTTLED,
        THROTTLE_RATE_BID=UNTHROTTLED,
        PYTHONUNBUFFERED="1",
    )
    env.update(overrides)
    return env


def django_setup(url: str, **overrides: str) -> None:
    """Django in this process with the servers' settings (:func:`server_env`), to seed data, mint
    tokens and check invariants on the same database."""
    os.environ.update(server_env(url, **overrides))
    import django

    django.setup()


# --- servers ---------------------------------------------------------------------------------------


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def spawn(command: list[str], *, env: dict[str, str], log: Path, cwd: Path = ROOT) -> subprocess.Popen[bytes]:
    """``command`` in a session of its own (so :func:`stop` ends its workers too), its output
    appended to ``log``."""
    with log.open("ab") as handle:
        return subprocess.Popen(
            command, cwd=cwd, env=env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
        )


def wait_up(
    port: int, process: subprocess.Popen[bytes], log: Path, *, path: str = "/health/live/", timeout: float = 60
) -> None:
    """Return once ``GET path`` on ``port`` answers 200 (or 401: an endpoint that needs a token is
    up as well); exit the script when the server died or is not up after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"server on port {port} exited; see {log}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", path)
            if conn.getresponse().status in (200, 401):
                return
        except OSError:
            pass
        time.sleep(0.3)
    stop(process)
    sys.exit(f"server on port {port} did not come up; see {log}")


def start_gunicorn(
    app: str,
    *,
    port: int,
    workers: int,
    env: dict[str, str],
    log: Path,
    cwd: Path = ROOT,
    metrics_dir: Path | None = None,
) -> subprocess.Popen[bytes]:
    """``gunicorn -c gunicorn.conf.py <app>`` as the Dockerfile runs it (``augeo.wsgi`` → sync
    workers, ``augeo.asgi`` → uvicorn workers; ``GUNICORN_*`` in ``env`` change that), bound to
    127.0.0.1:``port`` with ``workers`` workers and a Prometheus directory of its own (two servers
    sharing one would sum each other's metrics). Returns once it answers."""
    env = {
        **env,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": str(workers),
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir or tempfile.mkdtemp(prefix="augeo-bench-metrics-")),
    }
    process = spawn([str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", app], env=env, log=log, cwd=cwd)
    wait_up(port, process, log)
    return process


def stop(*processes: subprocess.Popen[bytes]) -> None:
    """Stop each server and its workers: SIGTERM (gunicorn's graceful stop), SIGKILL after 30 s."""
    for process in processes:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        except ProcessLookupError:
            pass


# --- numbers ---------------------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100) by rank: the sample at index ``n x q / 100`` of the sorted
    samples (p99 of 1,000 samples is the 991st, p100 the slowest); NaN without samples."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q / 100))]


def median(values: Sequence[float]) -> float:
    """The median (the mean of the middle two for an even count); NaN without samples."""
    return statistics.median(values) if values else math.nan
