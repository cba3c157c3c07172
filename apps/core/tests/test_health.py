"""/health/live/ and /health/ready/: per-dependency checks, 503 naming the failing one, fast."""

from __future__ import annotations

import time
from unittest import mock

import pytest
from django.db import OperationalError, connection
from django.test import override_settings

from apps.core import health


def test_live_touches_nothing(client):
    with mock.patch.object(connection, "ensure_connection", side_effect=OperationalError("down")):
        response = client.get("/health/live/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_ready_reports_each_dependency(client):
    response = client.get("/health/ready/")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "cache", "storage", "queue"}
    assert all(check["status"] == "ok" for check in body["checks"].values())
    assert body["checks"]["queue"] | {"ms": 0} == {
        "status": "ok",
        "ms": 0,
        "backend": "immediate",
        "depth": 0,
        "oldest_seconds": 0.0,
    }


@pytest.mark.django_db
def test_ready_is_503_when_the_database_is_down(client):
    with mock.patch.object(connection, "ensure_connection", side_effect=OperationalError("could not connect")):
        response = client.get("/health/ready/")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["failing"] == ["database"]
    assert body["checks"]["database"] == {"status": "error", "error": "OperationalError"}
    assert body["checks"]["cache"]["status"] == "ok"


# The mocks below target the generic get/set path; with Redis configured the check PINGs instead.
LOCMEM = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


@pytest.mark.django_db
@override_settings(CACHES=LOCMEM)
def test_ready_is_503_when_the_cache_is_down(client):
    from django.core.cache import caches

    # Patched on the class: the check runs in a worker thread, which has its own cache instance.
    with mock.patch.object(type(caches["default"]), "set", side_effect=ConnectionError("redis down")):
        response = client.get("/health/ready/")
    assert response.status_code == 503
    assert response.json()["failing"] == ["cache"]
    assert response.json()["checks"]["cache"]["error"] == "ConnectionError"


@pytest.mark.django_db
@override_settings(CACHES=LOCMEM)
def test_ready_detects_a_cache_that_swallows_writes(client):
    """django-redis with IGNORE_EXCEPTIONS answers None instead of raising."""
    from django.core.cache import caches

    with mock.patch.object(type(caches["default"]), "get", return_value=None):
        response = client.get("/health/ready/")
    assert response.status_code == 503
    assert response.json()["checks"]["cache"]["error"] == "RuntimeError"


@pytest.mark.django_db
def test_ready_is_503_when_storage_is_down(client):
    from django.core.files.storage import default_storage

    with mock.patch.object(default_storage, "exists", side_effect=OSError("blob service unreachable")):
        response = client.get("/health/ready/")
    assert response.status_code == 503
    assert response.json()["failing"] == ["storage"]


@pytest.mark.django_db
def test_ready_gives_up_on_a_hanging_dependency(client, settings):
    settings.HEALTH_CHECK_TIMEOUT = 0.2

    def hang() -> None:
        time.sleep(1.5)

    with mock.patch.dict(health.CHECKS, {"storage": hang}):
        started = time.monotonic()
        response = client.get("/health/ready/")
        elapsed = time.monotonic() - started
    assert response.status_code == 503
    assert response.json()["checks"]["storage"] == {"status": "error", "error": "TimeoutError"}
    assert elapsed < 1.0


def test_redis_cache_check_uses_ping():
    class FakeClient:
        def __init__(self) -> None:
            self.pinged = False

        def get_client(self, write: bool = True):
            return self

        def ping(self) -> bool:
            self.pinged = True
            return True

    fake = FakeClient()
    with mock.patch.object(health, "cache", mock.Mock(client=fake)):
        health._cache()
    assert fake.pinged


@pytest.mark.redis
def test_redis_is_reachable_through_the_real_cache():
    assert health._timed(health._cache)["status"] == "ok"


OUTAGE_SCRIPT = """
import json, time
import django
django.setup()
from django.conf import settings
from django.test import Client
from django.test.utils import setup_test_environment
setup_test_environment()
settings.ALLOWED_HOSTS = ["testserver"]
client = Client()
out = {"options": settings.CACHES["default"]["OPTIONS"]}
out["schema"] = client.get("/api/schema/").status_code  # throttled (anon) and cached: touches Redis
# Timed apart from the schema (CPU-bound generation that says nothing about Redis timeouts).
started = time.monotonic()
out["live"] = client.get("/health/live/").status_code
ready = client.get("/health/ready/")
out["ready"] = ready.status_code
out["ready_body"] = ready.json()
out["elapsed"] = time.monotonic() - started
print(json.dumps(out, default=str))
"""


def test_requests_still_work_when_redis_is_down(tmp_path):
    """REDIS_URL at a closed local port: requests degrade (no throttling/caching), never fail, and
    the readiness probe names the cache quickly (django-redis IGNORE_EXCEPTIONS + 0.5 s timeouts)."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    from django.conf import settings

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "augeo.settings.test",
        "REDIS_URL": "redis://127.0.0.1:1/0",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    env.pop("AZURE_STORAGE_CONNECTION_STRING", None)
    result = subprocess.run(
        [sys.executable, "-c", OUTAGE_SCRIPT],
        cwd=Path(settings.BASE_DIR),
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["options"]["IGNORE_EXCEPTIONS"] is True
    assert out["options"]["SOCKET_CONNECT_TIMEOUT"] <= 1 and out["options"]["SOCKET_TIMEOUT"] <= 1
    assert (out["live"], out["schema"]) == (200, 200)
    assert out["ready"] == 503
    assert out["ready_body"]["failing"] == ["cache"]
    assert out["elapsed"] < 5  # a few 0.5 s socket timeouts at most, never a hang


PUBLIC_IP = "203.0.113.9"  # outside METRICS_ALLOWED_CIDRS (the test client's default is loopback)


@pytest.mark.django_db
def test_ready_tells_the_public_only_up_or_down(client):
    """A public probe learns which dependency is down, never error classes, latencies or the task
    table's figures (those are for the monitoring system)."""
    response = client.get("/health/ready/", REMOTE_ADDR=PUBLIC_IP)
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "cache": "ok", "storage": "ok", "queue": "ok"},
    }
    with mock.patch.object(
        connection, "ensure_connection", side_effect=OperationalError("could not connect to 10.1.2.3")
    ):
        response = client.get("/health/ready/", REMOTE_ADDR=PUBLIC_IP)
    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "failing": ["database"],
        "checks": {"database": "down", "cache": "ok", "storage": "ok", "queue": "ok"},
    }


@pytest.mark.django_db
def test_ready_details_need_the_metrics_token(client, settings):
    settings.METRICS_TOKEN = "s3cret-metrics-token"
    wrong = client.get("/health/ready/", REMOTE_ADDR=PUBLIC_IP, HTTP_AUTHORIZATION="Bearer guessed")
    assert wrong.json()["checks"]["queue"] == "ok"
    right = client.get("/health/ready/", REMOTE_ADDR=PUBLIC_IP, HTTP_AUTHORIZATION="Bearer s3cret-metrics-token")
    queue = right.json()["checks"]["queue"]
    assert queue["status"] == "ok" and {"ms", "backend", "depth", "oldest_seconds"} <= set(queue)
    # A forged X-Forwarded-For does not make a public caller a monitoring one.
    forged = client.get("/health/ready/", REMOTE_ADDR=PUBLIC_IP, HTTP_X_FORWARDED_FOR="127.0.0.1")
    assert forged.json()["checks"]["database"] == "ok"


@pytest.fixture
def reused_answer(settings):
    settings.HEALTH_READY_CACHE_SECONDS = 5
    health.ready_checks_forget()
    yield
    health.ready_checks_forget()


@pytest.mark.django_db
def test_ready_runs_its_checks_at_most_once_per_period(client, reused_answer, monkeypatch):
    """Hammering the public probe runs the checks (task table, Redis PING, Azure request) once per
    ``HEALTH_READY_CACHE_SECONDS`` per process; concurrent callers share one run."""
    import threading

    runs: list[str] = []
    gate = threading.Event()

    def slow_database() -> None:
        runs.append("database")
        gate.wait(2)

    now = [1000.0]
    monkeypatch.setattr(health, "_clock", lambda: now[0])
    # No database work in the extra threads (they would hold connections to the test database).
    with mock.patch.dict(health.CHECKS, {"database": slow_database, "queue": dict}):
        threads = [threading.Thread(target=health.ready_checks) for _ in range(5)]
        for thread in threads:
            thread.start()
        time.sleep(0.2)
        gate.set()
        for thread in threads:
            thread.join(5)
        assert runs == ["database"]
        for _ in range(20):
            assert client.get("/health/ready/", REMOTE_ADDR=PUBLIC_IP).status_code == 200
        assert runs == ["database"]
        now[0] += 5.1  # the period is over: the next probe runs them again
        client.get("/health/ready/", REMOTE_ADDR=PUBLIC_IP)
        assert runs == ["database", "database"]
