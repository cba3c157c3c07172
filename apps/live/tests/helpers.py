"""Helpers for the live tests: sockets through the real ASGI application (augeo.asgi), tokens, and
running an async scenario from a sync pytest test.

Consumers read the database through ``database_sync_to_async``, which closes connections around each
call; inside a test transaction that would poison it, so socket tests use
``pytest.mark.django_db(transaction=True)`` (committed rows, flushed after the test).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator

from apps.live.publisher import broadcaster


def application() -> Any:
    from augeo.asgi import application as app

    return app


def run(scenario: Callable[[], Awaitable[Any]]) -> Any:
    """Run an async scenario; sync code it calls through ``sync_to_async`` runs in this thread."""
    return async_to_sync(scenario)()


def token_for(user: Any) -> str:
    """An access token as a login mints it (with the sub-second issue time the revocation uses)."""
    from apps.users.tokens import refresh_token_mint

    return str(refresh_token_mint(user).access_token)


def ticket_for(user: Any) -> str:
    """A connect ticket, as ``POST /api/v1/live/tickets/`` issues it."""
    from apps.live.tickets import ticket_issue

    return ticket_issue(user=user).ticket


def _from_address(app: Any, client: tuple[str, int]) -> Any:
    """The application as reached from ``client`` (the communicator's scope has no peer address)."""

    async def with_client(scope: dict[str, Any], receive: Any, send: Any) -> Any:
        return await app({**scope, "client": client}, receive, send)

    return with_client


class Socket:
    """A WebSocket client of the ASGI application with the helpers the tests need."""

    def __init__(
        self,
        path: str,
        *,
        token: str | None = None,
        ticket: str | None = None,
        headers: list[tuple[bytes, bytes]] | None = None,
        app: Any = None,
        client: tuple[str, int] | None = None,
    ) -> None:
        for name, value in (("ticket", ticket), ("token", token)):
            if value is not None:
                path = f"{path}{'&' if '?' in path else '?'}{name}={value}"
        app = app or application()
        if client is not None:
            app = _from_address(app, client)
        self.communicator = WebsocketCommunicator(app, path, headers=headers or [])
        self.close_code: int | None = None
        self._pending: list[dict[str, Any]] = []

    async def open(self) -> bool:
        """True when the room was joined; False (``close_code`` set) when the server closed it."""
        accepted, code = await self.communicator.connect(timeout=5)
        if not accepted:
            self.close_code = code
            return False
        # receive_nothing leaves the application running (a timed-out receive_output cancels it).
        if await self.communicator.receive_nothing(0.3):
            return True
        output = await self.communicator.receive_output(1)
        if output["type"] == "websocket.close":
            self.close_code = output.get("code", 1000)
            return False
        self._pending.append(output)
        return True

    async def next(self, timeout: float = 3) -> dict[str, Any]:
        """The next JSON message the server sent (fails on a close or a timeout)."""
        output = self._pending.pop(0) if self._pending else await self.communicator.receive_output(timeout)
        assert output["type"] == "websocket.send", output
        return json.loads(output["text"])

    async def messages(self, count: int, timeout: float = 5) -> list[dict[str, Any]]:
        return [await self.next(timeout) for _ in range(count)]

    async def silent(self, timeout: float = 0.3) -> bool:
        """True when nothing arrives within ``timeout``."""
        if self._pending:
            return False
        return await self.communicator.receive_nothing(timeout)

    async def send(self, text: str | None = None, data: bytes | None = None) -> None:
        await self.communicator.send_to(text_data=text, bytes_data=data)

    async def closed_with(self, timeout: float = 3) -> int:
        output = self._pending.pop(0) if self._pending else await self.communicator.receive_output(timeout)
        assert output["type"] == "websocket.close", output
        return int(output.get("code", 1000))

    async def close(self) -> None:
        await self.communicator.disconnect()


async def call(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run sync code (a request, a service) from a scenario, then wait for the broadcaster."""
    result = await sync_to_async(func)(*args, **kwargs)
    await sync_to_async(broadcaster.flush)()
    return result
