"""Delivery rules: order by ``sequence``, slow clients dropped alone, a channel-layer outage never
fails or slows a bid (live.md "Messages")."""

from __future__ import annotations

import asyncio
import logging
import socket
import statistics
import time
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest

from apps.auctions.models import Item
from apps.auctions.tests.factories import ItemFactory, bidder
from apps.live import metrics, publisher
from apps.live.tests.helpers import Socket, application, call, run
from augeo.settings.base import channel_layers
from conftest import client_for

pytestmark = pytest.mark.django_db(transaction=True)
D = Decimal


def _state(item: Any, sequence: int, amount: str) -> Any:
    """The item as ``bid_place`` leaves it after the bid with ``sequence``."""
    state = Item(
        pk=item.pk,
        event_id=item.event_id,
        number=item.number,
        kind=item.kind,
        starting_bid=item.starting_bid,
        bid_increment=item.bid_increment,
        current_bid=D(amount),
        bid_count=sequence,
        last_sequence=sequence,
        closes_at=None,
    )
    state.leader_paddle_id = 1
    return state


PADDLE = SimpleNamespace(pk=1, number=101)


def test_a_socket_never_carries_an_items_bids_out_of_order(layer: str) -> None:
    """Messages overtaken in flight (two workers committing one after the other) reach the socket in
    any order; the consumer passes on only sequences above the last it carried for that item."""
    item = ItemFactory()
    other = ItemFactory(event=item.event)

    async def scenario() -> list[tuple[str, int]]:
        room = Socket(f"/ws/events/{item.event.pk}/")
        assert await room.open()
        for target, sequence in ((item, 3), (item, 2), (other, 1), (item, 3), (item, 5), (item, 4), (other, 2)):
            await call(publisher.bid_placed, item=_state(target, sequence, f"{100 + sequence}"), paddle=PADDLE)
        received = await room.messages(4)
        assert await room.silent()
        await room.close()
        return [(m["item"], m["sequence"]) for m in received]

    assert run(scenario) == [(str(item.pk), 3), (str(other.pk), 1), (str(item.pk), 5), (str(other.pk), 2)]


def _slow(app: Any) -> Any:
    """The application as seen by a client that reads nothing: every frame it is sent blocks."""

    async def wrapped(scope: Any, receive: Any, send: Any) -> Any:
        async def stuck_send(message: dict[str, Any]) -> None:
            if message["type"] == "websocket.send":
                await asyncio.Event().wait()
            await send(message)

        return await app(scope, receive, stuck_send)

    return wrapped


def test_a_slow_client_is_dropped_and_never_slows_the_others(memory_layer: None, settings: Any) -> None:
    settings.LIVE_SOCKET_QUEUE = 3
    item = ItemFactory()
    dropped_before = metrics.SOCKETS_CLOSED.labels("slow")._value.get()

    async def scenario() -> tuple[int, list[int]]:
        slow = Socket(f"/ws/events/{item.event.pk}/", app=_slow(application()))
        fast = Socket(f"/ws/events/{item.event.pk}/")
        assert await slow.open() and await fast.open()
        for sequence in range(1, 11):
            await call(publisher.bid_placed, item=_state(item, sequence, f"{100 + sequence}"), paddle=PADDLE)
        code = await slow.closed_with()
        received = [m["sequence"] for m in await fast.messages(10)]
        await fast.close()
        return code, received

    code, received = run(scenario)
    assert code == 1013  # try again later: it reconnects and reads the REST API
    assert received == list(range(1, 11))
    assert metrics.SOCKETS_CLOSED.labels("slow")._value.get() == dropped_before + 1


def _dead_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _bid_times(users: list[Any], item: Any, count: int) -> list[float]:
    """Seconds each of ``count`` alternating bids took (every one 201)."""
    times = []
    amount = D("100")
    for i in range(count):
        started = time.perf_counter()
        body = {"amount": str(amount)}
        response = client_for(users[i % 2]).post(f"/api/v1/items/{item.pk}/bids/", body, format="json")
        times.append(time.perf_counter() - started)
        assert response.status_code == 201, response.content
        amount = D(response.json()["min_next_bid"])
    return times


def test_a_channel_layer_outage_never_fails_or_slows_a_bid(settings: Any, caplog: Any) -> None:
    """Redis for the channel layer points at a port where nothing listens: every bid still answers
    201 in its usual time; each broadcast is dropped, logged and counted."""
    item = ItemFactory(bid_increment=D("5"))
    alice, bob = bidder(item.event, 101), bidder(item.event, 102)
    settings.CHANNEL_LAYERS = channel_layers("")
    healthy = _bid_times([alice, bob], item, 6)

    settings.CHANNEL_LAYERS = channel_layers(f"redis://127.0.0.1:{_dead_port()}/0")
    failures = metrics.BROADCAST_FAILURES.labels("error")
    before = failures._value.get()
    publisher.broadcaster._last_log = 0.0
    with caplog.at_level(logging.WARNING, logger="augeo.live"):
        outage = _bid_times([alice, bob], ItemFactory(event=item.event, bid_increment=D("5")), 6)
        assert publisher.broadcaster.flush(timeout=10)
    assert statistics.median(outage) <= statistics.median(healthy) * 2 + 0.05, (healthy, outage)
    assert max(outage) < 1.0
    assert failures._value.get() - before >= 6  # one bid_placed per bid
    assert any("live broadcast dropped" in r.getMessage() for r in caplog.records)


def test_a_hanging_channel_layer_times_out_in_the_background(settings: Any) -> None:
    """A "Redis" that accepts connections and never answers: the publisher gives up after
    ``LIVE_PUBLISH_TIMEOUT`` on its own thread; the bid does not wait for it."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    try:
        settings.CHANNEL_LAYERS = channel_layers(f"redis://127.0.0.1:{listener.getsockname()[1]}/0")
        settings.LIVE_PUBLISH_TIMEOUT = 2.0
        item = ItemFactory()
        alice = bidder(item.event, 101)
        timeouts = metrics.BROADCAST_FAILURES.labels("timeout")
        before = timeouts._value.get()
        started = time.perf_counter()
        response = client_for(alice).post(f"/api/v1/items/{item.pk}/bids/", {"amount": "100"}, format="json")
        # well under the 2 s the publisher thread waits for the hanging "Redis"
        assert response.status_code == 201 and time.perf_counter() - started < 1.0
        assert publisher.broadcaster.flush(timeout=5)
        assert timeouts._value.get() == before + 1
    finally:
        listener.close()


def test_a_full_publish_queue_drops_and_counts(settings: Any) -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    try:
        settings.CHANNEL_LAYERS = channel_layers(f"redis://127.0.0.1:{listener.getsockname()[1]}/0")
        settings.LIVE_PUBLISH_TIMEOUT = 0.2
        settings.LIVE_PUBLISH_QUEUE = 1
        own = publisher.Broadcaster()
        full = metrics.BROADCAST_FAILURES.labels("queue_full")
        before = full._value.get()
        for _ in range(4):
            own.submit("live.e.x", "totals", {"type": publisher.LAYER_TYPE, "text": "{}"})
        assert full._value.get() - before >= 2
        assert own.flush(timeout=5)
    finally:
        listener.close()
