"""Live-update benchmark: 500 WebSocket clients on one event, bids at ~20/s over HTTP.

    eval "$(bash scripts/services.sh env)"
    .venv/bin/python bench/live.py [--clients 500] [--rate 20] [--seconds 20] [--shape split|asgi]
                                   [--layer pubsub|core] [--workers 2]

1. Uses the PostgreSQL server of ``DATABASE_URL`` but its own database (``<name>_bench_live``,
   created and migrated when missing) and Redis database 14 of ``REDIS_URL``'s server; seeds a
   published event with 10 open items and 20 bidders.
2. Starts the production server configuration (``gunicorn.conf.py``, production settings: see
   bench/common.py) on loopback, in one of two shapes:
   ``asgi``  — gunicorn with the uvicorn ASGI worker serves HTTP and ``/ws/`` (``--workers``);
   ``split`` (the production shape, the default) — gunicorn with the Dockerfile's WSGI application
   serves HTTP, a separate gunicorn + uvicorn (``--workers`` as well) serves ``/ws/``.
3. Phase 1: bids at ``--rate`` per second for ``--seconds``, no sockets: HTTP bid p50/p99.
   Phase 2: ``--clients`` WebSocket clients join the room (one asyncio process), then the same bids:
   for every accepted bid, the time from its 201 to its ``bid_placed`` at each client
   (p50/p95/p99, the slowest client's p95), messages lost or out of order, and the HTTP bid p99
   with the sockets connected.

Targets on the 2-core machine: p95 ≤ 300 ms to all clients, nothing lost or out of order, bid p99
with sockets ≤ 1.25 x without. The clients, the bidders and the servers share the same two cores,
so the numbers are an upper bound of what a real room sees.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from typing import Any

from common import (
    database_url,
    django_setup,
    ensure_database,
    free_port,
    percentile,
    redis_url,
    server_env,
    start_gunicorn,
    stop,
)

REDIS_DB = 14  # the channel layer's database on REDIS_URL's server


def live_env(layer: str) -> dict[str, str]:
    """What this bench changes in the servers' environment (bench/common.py): the channel layer
    ``layer`` on a Redis database of its own."""
    return {"REDIS_URL": redis_url(REDIS_DB), "AUGEO_CHANNEL_LAYER": layer, "DJANGO_LOG_LEVEL": "ERROR"}


def seed(db: str, layer: str) -> dict[str, Any]:
    django_setup(db, **live_env(layer))
    from django.utils import timezone

    from apps.attendance.models import Guest, Paddle, Registration
    from apps.auctions.models import Item, ItemStatus
    from apps.events.models import Event, EventStatus
    from apps.npos.models import NPO, NPOStatus
    from apps.users.models import User
    from apps.users.tokens import refresh_token_mint

    stamp = f"{time.time_ns()}"
    npo = NPO.objects.create(name=f"Live bench {stamp}", status=NPOStatus.APPROVED)
    start = timezone.now() + timezone.timedelta(days=1)
    event = Event.objects.create(
        npo=npo,
        name=f"Live bench {stamp}",
        slug=f"live-bench-{stamp}",
        status=EventStatus.PUBLISHED,
        starts_at=start,
        ends_at=start + timezone.timedelta(hours=5),
    )
    tokens = []
    for i in range(20):
        user = User.objects.create_user(
            email=f"lb{i}-{stamp}@bench.test", password=None, email_verified_at=timezone.now()
        )
        registration = Registration.objects.create(event=event, user=user, code=f"L{i:05d}")
        paddle = Paddle.objects.create(event=event, number=100 + i, registration=registration)
        Guest.objects.create(
            registration=registration, event=event, user=user, email=user.email, is_registrant=True, paddle=paddle
        )
        tokens.append(str(refresh_token_mint(user).access_token))
    opened = timezone.now() - timezone.timedelta(minutes=1)
    items = [
        Item.objects.create(
            event=event, number=n, title=f"Lot {n}", status=ItemStatus.OPEN, starting_bid=Decimal("10"), opens_at=opened
        )
        for n in range(1, 11)
    ]
    return {"event": str(event.pk), "items": [str(i.pk) for i in items], "tokens": tokens}


def servers(shape: str, workers: int, db: str, layer: str) -> tuple[int, int, list[Any]]:
    """The servers of ``shape``, each with ``workers`` workers: (HTTP port, WebSocket port, processes)."""
    env = server_env(db, **live_env(layer))
    tmp = Path(tempfile.gettempdir())
    http_port = free_port()
    log = tmp / f"augeo-bench-live-{http_port}.log"
    if shape == "asgi":
        process = start_gunicorn("augeo.asgi:application", port=http_port, workers=workers, env=env, log=log)
        return http_port, http_port, [process]
    # The worker class gunicorn.conf.py gives each application: sync for HTTP, uvicorn for /ws/.
    http_process = start_gunicorn("augeo.wsgi:application", port=http_port, workers=workers, env=env, log=log)
    ws_port = free_port()
    ws_log = tmp / f"augeo-bench-live-{ws_port}.log"
    try:
        ws_process = start_gunicorn("augeo.asgi:application", port=ws_port, workers=workers, env=env, log=ws_log)
    except SystemExit:
        stop(http_process)
        raise
    return http_port, ws_port, [http_process, ws_process]


class Bidder:
    """Places bids at a steady rate over keep-alive connections (a thread pool), recording each 201."""

    def __init__(self, port: int, world: dict[str, Any]) -> None:
        self.port = port
        self.world = world
        self.next_amount = {item: Decimal("10") for item in world["items"]}
        # Each item has two bidders who take turns, so every bid moves the visible price (a leader
        # bidding again would only raise their private maximum, which is rightly never announced).
        self.leader: dict[str, int] = {}
        self.local = threading.local()
        self.lock = threading.Lock()

    def _conn(self) -> http.client.HTTPConnection:
        if not hasattr(self.local, "conn"):
            self.local.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        return self.local.conn

    def bid(
        self, n: int, accepted: dict[tuple[str, int], float], latencies: list[float], statuses: dict[int, int]
    ) -> None:
        items = self.world["items"]
        item = items[n % len(items)]
        pair = (n % len(items), n % len(items) + len(items))
        with self.lock:
            amount = self.next_amount[item]
            who = pair[1] if self.leader.get(item) == pair[0] else pair[0]
        token = self.world["tokens"][who]
        body = json.dumps({"amount": str(amount)})
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        started = time.perf_counter()
        conn = self._conn()
        try:
            conn.request("POST", f"/api/v1/items/{item}/bids/", body=body, headers=headers)
            response = conn.getresponse()
            raw = response.read()
        except (http.client.HTTPException, OSError):
            conn.close()
            conn.request("POST", f"/api/v1/items/{item}/bids/", body=body, headers=headers)
            response = conn.getresponse()
            raw = response.read()
        done = time.perf_counter()
        data = json.loads(raw) if raw else {}
        with self.lock:
            statuses[response.status] = statuses.get(response.status, 0) + 1
            latencies.append(done - started)
            if response.status == 201:
                if data["bid"]["sequence"] is not None:  # None: a raise of the leader's own maximum
                    accepted[(item, data["bid"]["sequence"])] = done
                self.next_amount[item] = max(self.next_amount[item], Decimal(data["min_next_bid"]))
                if data["leading"]:
                    self.leader[item] = who
            elif response.status == 409 and data.get("error", {}).get("code") == "BID_TOO_LOW":
                self.next_amount[item] = max(self.next_amount[item], Decimal(data["error"]["min_bid"]))
            elif response.status == 409:  # ALREADY_LEADING (a race of the pair): the other one goes next
                self.leader[item] = who

    def run(self, rate: float, seconds: float) -> tuple[dict[tuple[str, int], float], list[float], dict[int, int]]:
        accepted: dict[tuple[str, int], float] = {}
        latencies: list[float] = []
        statuses: dict[int, int] = {}
        interval = 1.0 / rate
        with ThreadPoolExecutor(max_workers=8) as pool:
            begin = time.perf_counter()
            n = 0
            while time.perf_counter() - begin < seconds:
                pool.submit(self.bid, n, accepted, latencies, statuses)
                n += 1
                time.sleep(max(0.0, begin + n * interval - time.perf_counter()))
        return accepted, latencies, statuses


def ms(values: list[float], q: float) -> float:
    """The ``q``-th percentile (bench/common.py) in milliseconds; 0 without samples."""
    return percentile(values, q) * 1000 if values else 0.0


async def clients_run(
    port: int, world: dict[str, Any], count: int, bidder: Bidder, rate: float, seconds: float
) -> dict[str, Any]:
    import websockets

    url = f"ws://127.0.0.1:{port}/ws/events/{world['event']}/"
    # Per client and item: (sequence, arrival) of each bid_placed, in arrival order.
    received: list[dict[str, list[tuple[int, float]]]] = [{} for _ in range(count)]
    disorder = [0] * count
    sockets = []
    for i in range(count):
        sockets.append(await websockets.connect(url, max_queue=None, open_timeout=30, ping_interval=None))
        if i % 100 == 99:
            await asyncio.sleep(0.05)

    async def listen(i: int, ws: Any) -> None:
        last: dict[str, int] = {}
        try:
            async for raw in ws:
                now = time.perf_counter()
                message = json.loads(raw)
                if message.get("type") != "bid_placed":
                    continue
                item, sequence = message["item"], message["sequence"]
                if sequence < last.get(item, 0):
                    disorder[i] += 1
                last[item] = sequence
                received[i].setdefault(item, []).append((sequence, now))
        except websockets.ConnectionClosed:
            pass

    tasks = [asyncio.ensure_future(listen(i, ws)) for i, ws in enumerate(sockets)]
    await asyncio.sleep(1.0)
    loop = asyncio.get_running_loop()
    accepted, latencies, statuses = await loop.run_in_executor(None, bidder.run, rate, seconds)
    await asyncio.sleep(3.0)  # stragglers
    for ws in sockets:
        await ws.close()
    await asyncio.gather(*tasks, return_exceptions=True)
    # A bid is delivered to a client when a bid_placed of its item with a sequence at least the bid's
    # arrives (live.md: the newest message carries the item's state; one overtaken in flight by a
    # later bid's is skipped as stale by the server). "superseded": the bid's own message was skipped.
    delays, per_client, lost, superseded = [], [], 0, 0
    for i in range(count):
        mine = []
        for (item, sequence), t201 in accepted.items():
            arrivals = received[i].get(item, [])
            got = min((t for seq, t in arrivals if seq >= sequence), default=None)
            if got is None:
                lost += 1
                continue
            if not any(seq == sequence or seq == sequence + 1 for seq, _ in arrivals):
                superseded += 1
            mine.append(max(got - t201, 0.0))
        delays += mine
        per_client.append(ms(mine, 95))
    return {
        "accepted": len(accepted),
        "delays": delays,
        "slowest_client_p95": max(per_client) if per_client else 0.0,
        "lost": lost,
        "superseded": superseded,
        "out_of_order": sum(disorder),
        "http": latencies,
        "statuses": statuses,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=500)
    parser.add_argument("--rate", type=float, default=20)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--shape", choices=["asgi", "split"], default="split")
    parser.add_argument("--layer", choices=["pubsub", "core"], default="pubsub")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    db = database_url("_bench_live")
    ensure_database(db)
    world = seed(db, args.layer)
    http_port, ws_port, processes = servers(args.shape, args.workers, db, args.layer)
    print(
        f"shape {args.shape} ({args.workers} HTTP workers), layer {args.layer}, {args.clients} clients, "
        f"{args.rate:g} bids/s for {args.seconds:g} s; HTTP :{http_port}, WS :{ws_port}"
    )
    try:
        bidder = Bidder(http_port, world)
        bidder.run(5, 2)  # warm-up
        _, quiet, quiet_statuses = bidder.run(args.rate, args.seconds)
        print(f"no sockets:   bid p50 {ms(quiet, 50):6.1f} ms  p99 {ms(quiet, 99):6.1f} ms  {quiet_statuses}")
        result = asyncio.run(clients_run(ws_port, world, args.clients, bidder, args.rate, args.seconds))
    finally:
        stop(*processes)
    delays, loud = result["delays"], result["http"]
    print(f"{args.clients} sockets: bid p50 {ms(loud, 50):6.1f} ms  p99 {ms(loud, 99):6.1f} ms  {result['statuses']}")
    print(
        f"201 → bid_placed ({result['accepted']} bids x {args.clients} clients = {len(delays)} deliveries): "
        f"p50 {ms(delays, 50):.1f} ms  p95 {ms(delays, 95):.1f} ms  p99 {ms(delays, 99):.1f} ms  "
        f"max {max(delays, default=0) * 1000:.1f} ms; slowest client p95 {result['slowest_client_p95']:.1f} ms"
    )
    ratio = ms(loud, 99) / ms(quiet, 99) if quiet else 0.0
    print(
        f"lost {result['lost']}, out of order {result['out_of_order']}, superseded (skipped as stale, a later state "
        f"shown) {result['superseded']}; bid p99 with/without sockets {ratio:.2f}x"
    )
    ok = ms(delays, 95) <= 300 and result["lost"] == 0 and result["out_of_order"] == 0 and ratio <= 1.25
    print(f"targets (p95 ≤ 300 ms, nothing lost or out of order, ratio ≤ 1.25): {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
