"""An ASGI server (uvicorn) in a thread of the test process, serving ``augeo.asgi`` plus static files,
on the test database — for the browser test. Committed rows only (``transaction=True`` tests)."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from typing import Any

import uvicorn
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LiveServer:
    def __init__(self) -> None:
        from augeo.asgi import application

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            ASGIStaticFilesHandler(application), host="127.0.0.1", port=self.port, log_level="warning", lifespan="off"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="live-test-server", daemon=True)
        self.loop: asyncio.AbstractEventLoop | None = None

    def __enter__(self) -> LiveServer:
        from django.db import connections

        # Each server thread opens its own connection; closing them at the end of each request
        # (CONN_MAX_AGE 0) lets the test database be dropped afterwards.
        self._max_age = connections.settings["default"].get("CONN_MAX_AGE", 0)
        connections.settings["default"]["CONN_MAX_AGE"] = 0
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the test ASGI server did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: Any) -> None:
        from django.db import connections

        self.server.should_exit = True
        self.thread.join(timeout=20)
        connections.settings["default"]["CONN_MAX_AGE"] = self._max_age

    def drop_websockets(self) -> int:
        """Cut every WebSocket connection at the server, as a crash or a network drop would."""
        dropped = 0
        for connection in list(self.server.server_state.connections):
            if "websocket" in type(connection).__module__:
                transport = connection.transport
                transport._loop.call_soon_threadsafe(transport.abort)  # type: ignore[attr-defined]
                dropped += 1
        return dropped
