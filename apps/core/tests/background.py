"""Helpers of the background-work tests (and ``bench/jobs.py``): a local SMTP server (aiosmtpd, on
127.0.0.1), ``manage.py`` processes on the test database, and polling.

The SMTP server records every accepted message with its arrival time, and can be told to refuse recipients
(``refuse = "554 …"``) or to hold a session at ``MAIL FROM`` until released (to kill a worker in
the middle of a delivery).
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any
from urllib.parse import quote

from aiosmtpd.controller import Controller
from django.db import connection

ROOT = Path(__file__).resolve().parents[3]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Received:
    at: float
    rcpt_tos: list[str]
    message: Message


@dataclass
class Sink:
    """The handler: ``messages`` in arrival order."""

    messages: list[Received] = field(default_factory=list)
    refuse: str = ""
    hold: bool = False
    holding: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_MAIL(self, server: Any, session: Any, envelope: Any, address: str, options: list[str]) -> str:
        if self.hold:
            self.holding.set()
            while not self.released.is_set():
                await asyncio.sleep(0.02)
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: list[str]) -> str:
        if self.refuse:
            return self.refuse
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        received = Received(time.time(), list(envelope.rcpt_tos), message_from_bytes(envelope.original_content))
        with self.lock:
            self.messages.append(received)
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[Received]:
        with self.lock:
            return [m for m in self.messages if address in m.rcpt_tos]


class SmtpServer:
    """``with SmtpServer() as (sink, port): …``"""

    def __init__(self) -> None:
        self.sink = Sink()
        self.port = free_port()
        self.controller = Controller(self.sink, hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> tuple[Sink, int]:
        self.controller.start()
        return self.sink, self.port

    def __exit__(self, *exc: Any) -> None:
        self.sink.released.set()
        self.controller.stop()


def test_database_url() -> str:
    """The URL of the database this test runs on (pytest-django's test database)."""
    data = connection.settings_dict
    auth = quote(data["USER"] or "")
    if data.get("PASSWORD"):
        auth += ":" + quote(data["PASSWORD"])
    return f"postgres://{auth}@{data['HOST'] or '127.0.0.1'}:{data['PORT'] or 5432}/{data['NAME']}"


test_database_url.__test__ = False  # type: ignore[attr-defined]


class Processes:
    """``manage.py`` processes on the test database, stopped (SIGKILL) at the end of the test."""

    def __init__(self, tmp_path: Path, smtp_port: int) -> None:
        self.tmp_path = tmp_path
        self.smtp_port = smtp_port
        self.started: list[subprocess.Popen[bytes]] = []

    def start(self, *command: str, **env: str) -> subprocess.Popen[bytes]:
        environment = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "augeo.settings.test",
            "DATABASE_URL": test_database_url(),
            "AUGEO_TASKS_BACKEND": "database",
            "AUGEO_TEST_SMTP_PORT": str(self.smtp_port),
            "PYTHONUNBUFFERED": "1",
            **env,
        }
        log = open(self.tmp_path / f"{command[0]}-{len(self.started)}.log", "wb")  # noqa: SIM115
        process = subprocess.Popen(
            [sys.executable, "manage.py", *command], cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT
        )
        self.started.append(process)
        return process

    def worker(self, **env: str) -> subprocess.Popen[bytes]:
        return self.start("run_worker", "--interval", "0.1", "--no-startup-delay", **env)

    def logs(self) -> str:
        return "\n".join(path.read_text(errors="replace") for path in sorted(self.tmp_path.glob("*.log")))

    def stop(self) -> None:
        for process in self.started:
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)
                process.wait(10)


def wait_for(predicate: Callable[[], Any], timeout: float = 20.0, interval: float = 0.05) -> Any:
    """Poll ``predicate`` until it returns something truthy (returned) or the timeout passes (None)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return None
