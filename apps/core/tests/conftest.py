"""Fixtures of the background-work tests: the database task backend, a local SMTP server and
worker/scheduler processes on the test database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from apps.core.tests.background import Processes, Sink, SmtpServer

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


@pytest.fixture
def database_tasks(settings: Any) -> None:
    """Tasks are rows of django-tasks-db's table (as in production) instead of running in-process."""
    settings.TASKS = DATABASE_TASKS


@pytest.fixture
def smtp_server() -> Iterator[tuple[Sink, int]]:
    with SmtpServer() as (sink, port):
        yield sink, port


@pytest.fixture
def smtp_settings(settings: Any, smtp_server: tuple[Sink, int]) -> Sink:
    """This process delivers to the local SMTP server (instead of the locmem backend)."""
    sink, port = smtp_server
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    return sink


@pytest.fixture
def processes(transactional_db: Any, tmp_path: Path, smtp_server: tuple[Sink, int]) -> Iterator[Processes]:
    running = Processes(tmp_path, smtp_server[1])
    yield running
    running.stop()
