"""The WebSocket rows of the permission matrix (``apps/live/tests/matrix.py``) for all 13 actors, each
signed in with a connect ticket (one per attempt: a ticket opens one socket)."""

from __future__ import annotations

from typing import Any

import pytest

from apps.core.tests.matrix import ACTORS, build_world
from apps.live.tests.helpers import Socket, run, ticket_for
from apps.live.tests.matrix import JOINED, WS_ROWS

pytestmark = pytest.mark.django_db(transaction=True)


def test_websocket_permission_matrix(memory_layer: None) -> None:
    world = build_world()
    tickets: dict[tuple[str, str], Any] = {
        (row.name, actor): (ticket_for(user) if user is not None else None)
        for row in WS_ROWS
        for actor, user in world["users"].items()
    }

    async def scenario() -> list[str]:
        mismatches = []
        for row in WS_ROWS:
            for actor in ACTORS:
                socket = Socket(row.url(world), ticket=tickets[row.name, actor])
                got = JOINED if await socket.open() else socket.close_code
                if got == JOINED:
                    await socket.close()
                if got != row.expected[actor]:
                    mismatches.append(f"{row.name} / {actor}: expected {row.expected[actor]}, got {got}")
        return mismatches

    assert not run(scenario)
