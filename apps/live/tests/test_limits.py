"""Sockets are capped per user and per IP (close 4429), counted across processes with leases that
expire, and a client flooding the server with frames is closed (1008)."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.conf import settings as django_settings

from apps.events.tests.factories import PublishedEventFactory
from apps.live import limits
from apps.live.tests.helpers import Socket, run, ticket_for
from apps.live.tests.test_tickets import DEAD_REDIS, _redis_cache
from apps.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

GALA = ("203.0.113.7", 40000)
ELSEWHERE = ("198.51.100.9", 40000)


def test_a_user_over_the_cap_is_closed_4429_and_a_freed_place_can_be_taken(settings: Any, memory_layer: None) -> None:
    settings.LIVE_MAX_SOCKETS_PER_USER = 2
    event = PublishedEventFactory()
    user = UserFactory()
    tickets = [ticket_for(user) for _ in range(4)]

    async def scenario() -> None:
        first = Socket(f"/ws/events/{event.pk}/", ticket=tickets[0], client=GALA)
        second = Socket(f"/ws/events/{event.pk}/", ticket=tickets[1], client=ELSEWHERE)
        assert await first.open() and await second.open()
        third = Socket(f"/ws/events/{event.pk}/", ticket=tickets[2], client=GALA)
        assert not await third.open() and third.close_code == 4429
        assert await Socket(f"/ws/events/{event.pk}/", client=GALA).open()  # anonymous: not this user's count
        await first.close()
        fourth = Socket(f"/ws/events/{event.pk}/", ticket=tickets[3], client=GALA)
        assert await fourth.open()
        await second.close()
        await fourth.close()

    run(scenario)


def test_an_address_over_the_cap_is_closed_4429_other_addresses_are_not(settings: Any, memory_layer: None) -> None:
    settings.LIVE_MAX_SOCKETS_PER_IP = 3
    event = PublishedEventFactory()

    async def scenario() -> None:
        room = [Socket(f"/ws/events/{event.pk}/", client=GALA) for _ in range(3)]
        for socket in room:
            assert await socket.open()
        extra = Socket(f"/ws/events/{event.pk}/", client=GALA)
        assert not await extra.open() and extra.close_code == 4429
        other = Socket(f"/ws/events/{event.pk}/", client=ELSEWHERE)
        assert await other.open()
        for socket in [*room, other]:
            await socket.close()

    run(scenario)


def test_behind_the_proxy_the_cap_counts_the_forwarded_client(settings: Any, memory_layer: None) -> None:
    """Behind nginx every socket comes from the proxy's address: the count keys on the client that
    X-Forwarded-For names (apps.core.net, as for HTTP), not on the proxy."""
    settings.NUM_PROXIES = 1
    settings.TRUSTED_PROXIES = ["127.0.0.0/8"]
    settings.LIVE_MAX_SOCKETS_PER_IP = 1
    event = PublishedEventFactory()
    proxy = ("127.0.0.1", 5000)

    def via(address: str) -> list[tuple[bytes, bytes]]:
        return [(b"x-forwarded-for", address.encode())]

    async def scenario() -> None:
        a = Socket(f"/ws/events/{event.pk}/", client=proxy, headers=via("203.0.113.1"))
        b = Socket(f"/ws/events/{event.pk}/", client=proxy, headers=via("203.0.113.2"))
        assert await a.open() and await b.open()
        again = Socket(f"/ws/events/{event.pk}/", client=proxy, headers=via("203.0.113.1"))
        assert not await again.open() and again.close_code == 4429
        await a.close()
        await b.close()

    run(scenario)


def test_the_default_caps_let_a_gala_room_behind_one_address_in() -> None:
    """Hundreds of guests on the venue's Wi-Fi share one public address (api.md): 600 sockets from it
    and a user's phone, tablet and laptop tabs all fit the defaults."""
    counts = limits.LocalSocketCounts()
    room = limits.socket_limits(user_id=None, ip=GALA[0])
    assert all(counts.acquire(f"guest-{n}", room) is None for n in range(600))
    mine = limits.socket_limits(user_id="someone", ip=ELSEWHERE[0])
    assert all(counts.acquire(f"tab-{n}", mine) is None for n in range(django_settings.LIVE_MAX_SOCKETS_PER_USER))
    assert counts.acquire("one-more-tab", mine) == "user"


def _counts(store: str, settings: Any) -> limits.SocketCounts:
    if store == "redis":
        _redis_cache(settings)
        return limits.RedisSocketCounts()
    return limits.LocalSocketCounts()


STORES = ["local", pytest.param("redis", marks=pytest.mark.redis)]


@pytest.mark.parametrize("store", STORES)
def test_counts_are_shared_and_released(store: str, settings: Any) -> None:
    """Two processes (two store objects on one Redis) see one count; a released lease frees a place."""
    settings.LIVE_MAX_SOCKETS_PER_USER = 2
    one = _counts(store, settings)
    other = one if store == "local" else limits.RedisSocketCounts()
    keys = limits.socket_limits(user_id="u1", ip="192.0.2.1")
    assert one.acquire("a", keys) is None
    assert other.acquire("b", keys) is None
    assert other.acquire("c", keys) == "user"
    one.release("a", keys)
    assert other.acquire("c", keys) is None


@pytest.mark.parametrize("store", STORES)
def test_the_leases_of_a_crashed_process_run_out(store: str, settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A process that dies never releases; its sockets stop counting once their leases expire, and a
    renewed lease (a live socket's timer) keeps counting."""
    settings.LIVE_MAX_SOCKETS_PER_IP = 2
    counts = _counts(store, settings)
    keys = limits.socket_limits(user_id=None, ip="192.0.2.2")
    assert counts.acquire("crashed", keys) is None
    assert counts.acquire("alive", keys) is None
    assert counts.acquire("new", keys) == "ip"
    start = time.time()
    monkeypatch.setattr(limits, "_now", lambda: start + limits.lease_seconds() / 2)
    counts.renew("alive", keys)
    monkeypatch.setattr(limits, "_now", lambda: start + limits.lease_seconds() + 1)
    assert counts.acquire("new", keys) is None
    assert counts.acquire("newer", keys) == "ip"  # "alive" still counts: it renewed


def test_with_redis_down_sockets_are_let_in_and_the_failure_counted(settings: Any, memory_layer: None) -> None:
    from prometheus_client import REGISTRY

    settings.CACHES = DEAD_REDIS
    settings.LIVE_MAX_SOCKETS_PER_IP = 1
    event = PublishedEventFactory()
    metric = "augeo_live_socket_count_failures_total"
    before = REGISTRY.get_sample_value(metric, {"operation": "acquire"}) or 0.0

    async def scenario() -> None:
        sockets = [Socket(f"/ws/events/{event.pk}/", client=GALA) for _ in range(2)]
        for socket in sockets:
            assert await socket.open()
        for socket in sockets:
            await socket.close()

    run(scenario)
    assert (REGISTRY.get_sample_value(metric, {"operation": "acquire"}) or 0.0) == before + 2


# --- frames -------------------------------------------------------------------------------------------


def test_a_client_flooding_frames_is_closed_1008(settings: Any, memory_layer: None) -> None:
    settings.LIVE_CLIENT_FRAMES = 5
    event = PublishedEventFactory()

    async def scenario() -> None:
        socket = Socket(f"/ws/events/{event.pk}/")
        assert await socket.open()
        for _ in range(5):
            await socket.send('{"type": "ping"}')
        assert [m["type"] for m in await socket.messages(5)] == ["pong"] * 5
        await socket.send('{"type": "ping"}')
        assert await socket.closed_with() == 1008

    run(scenario)


def test_a_client_within_the_frame_rate_is_never_closed(settings: Any, memory_layer: None, monkeypatch: Any) -> None:
    """The window restarts: 5 frames every 10 s forever is fine at a limit of 5."""
    from apps.live import consumers

    settings.LIVE_CLIENT_FRAMES = 5
    event = PublishedEventFactory()
    clock = [1000.0]
    monkeypatch.setattr(consumers, "_monotonic", lambda: clock[0])

    async def scenario() -> None:
        socket = Socket(f"/ws/events/{event.pk}/")
        assert await socket.open()
        for _ in range(3):
            for _ in range(5):
                await socket.send('{"type": "ping"}')
            assert len(await socket.messages(5)) == 5
            clock[0] += consumers.FRAME_WINDOW
        assert await socket.silent()
        await socket.close()

    run(scenario)
