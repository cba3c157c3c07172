"""/metrics and the business counters, single-process and in multiprocess mode."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from apps.core import metrics


@pytest.mark.django_db
def test_metrics_endpoint_exports_business_counters(client):
    metrics.bids_placed.inc()
    metrics.bids_rejected.labels(reason="BID_TOO_LOW").inc()
    metrics.check_ins.inc()
    metrics.funds_raised.labels(source="sale", currency="USD").inc(125.5)
    response = client.get("/metrics")
    assert response.status_code == 200
    text = response.content.decode()
    assert "augeo_bids_placed_total" in text
    assert 'augeo_bids_rejected_total{reason="BID_TOO_LOW"}' in text
    assert "augeo_check_ins_total" in text
    assert 'augeo_funds_raised_total{currency="USD",source="sale"}' in text
    assert "django_http_requests_total_by_method_total" in text


MULTIPROCESS_SCRIPT = """
import os, sys
import django
django.setup()
from apps.core import metrics
if sys.argv[1] == "worker":
    metrics.bids_placed.inc(int(sys.argv[2]))
else:
    from django.test import Client
    from django.test.utils import setup_test_environment
    setup_test_environment()
    print(Client().get("/metrics").content.decode())
"""


def test_multiprocess_mode_sums_all_workers(tmp_path):
    """Each gunicorn worker writes its own files; /metrics (any worker) reports the sum."""
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "augeo.settings.test"}
    run = lambda *args: subprocess.run(  # noqa: E731
        [sys.executable, "-c", MULTIPROCESS_SCRIPT, *args],
        cwd=Path(settings.BASE_DIR),
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    run("worker", "2")
    run("worker", "3")
    output = run("scrape").stdout
    assert "augeo_bids_placed_total 5.0" in output


def test_gunicorn_config_marks_dead_workers(tmp_path, monkeypatch):
    import runpy
    from unittest import mock

    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path / "prom"))
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    monkeypatch.setattr("sys.argv", ["gunicorn", "-c", "gunicorn.conf.py", "augeo.asgi:application"])
    config = runpy.run_path(str(Path(settings.BASE_DIR) / "gunicorn.conf.py"))
    assert config["workers"] == 3
    assert config["worker_class"] == "uvicorn_worker.UvicornWorker"
    (tmp_path / "prom").mkdir()
    (tmp_path / "prom" / "stale.db").write_text("x")
    config["on_starting"](None)
    assert list((tmp_path / "prom").iterdir()) == []
    with mock.patch.object(config["multiprocess"], "mark_process_dead") as mark:
        config["child_exit"](None, mock.Mock(pid=4242))
    mark.assert_called_once_with(4242)


@pytest.mark.parametrize(
    ("app", "override", "worker_class", "threads"),
    [
        ("augeo.wsgi:application", None, "sync", 1),  # the HTTP service (Dockerfile); no threads, or
        # gunicorn would make it gthread
        ("augeo.asgi:application", None, "uvicorn_worker.UvicornWorker", 1),  # the /ws/ service
        ("augeo.wsgi:application", "gthread", "gthread", 4),
    ],
)
def test_gunicorn_worker_class_follows_the_application(tmp_path, monkeypatch, app, override, worker_class, threads):
    import runpy

    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path / "prom"))
    monkeypatch.delenv("GUNICORN_THREADS", raising=False)
    if override:
        monkeypatch.setenv("GUNICORN_WORKER_CLASS", override)
    else:
        monkeypatch.delenv("GUNICORN_WORKER_CLASS", raising=False)
    monkeypatch.setattr("sys.argv", ["gunicorn", "-c", "gunicorn.conf.py", app])
    config = runpy.run_path(str(Path(settings.BASE_DIR) / "gunicorn.conf.py"))
    assert (config["worker_class"], config["threads"]) == (worker_class, threads)
    dockerfile = (Path(settings.BASE_DIR) / "Dockerfile").read_text()
    assert '"augeo.wsgi:application"]' in dockerfile  # HTTP ships on the WSGI path


def test_gunicorn_worker_freezes_what_it_loaded(tmp_path, monkeypatch):
    """After the worker loads the application, every view is imported and the objects so far are
    out of the garbage collector's full collections (gc.freeze)."""
    import gc
    import runpy

    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path / "prom"))
    monkeypatch.setattr("sys.argv", ["gunicorn", "-c", "gunicorn.conf.py", "augeo.wsgi:application"])
    config = runpy.run_path(str(Path(settings.BASE_DIR) / "gunicorn.conf.py"))
    # The views are imported by resolving the URL conf, before the freeze (this process imported them
    # long ago, so the order of the two steps is what is observed, not sys.modules).
    import django.urls

    steps: list[str] = []
    real_resolver, real_freeze = django.urls.get_resolver, gc.freeze

    class Resolver:
        @property
        def url_patterns(self) -> object:
            steps.append("urls")
            return real_resolver().url_patterns

    monkeypatch.setattr(django.urls, "get_resolver", Resolver)
    monkeypatch.setattr(gc, "freeze", lambda: (steps.append("freeze"), real_freeze())[1])
    gc.unfreeze()
    try:
        config["post_worker_init"](None)
        assert steps == ["urls", "freeze"]
        assert gc.get_freeze_count() > 10_000
    finally:
        gc.unfreeze()
    assert gc.get_freeze_count() == 0
