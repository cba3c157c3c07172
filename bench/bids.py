"""Bid throughput benchmark (issue 6 §5): the real HTTP path under gunicorn on PostgreSQL.

    eval "$(bash scripts/services.sh env)"
    .venv/bin/python bench/bids.py [--seconds 15] [--clients 16] [--workers 4] [--threads 2]

What it does, in one run:

1. uses the PostgreSQL server of ``DATABASE_URL`` but its own database (``<name>_bench``, created
   and migrated when missing), and seeds a fresh published event: one registered bidder (with a
   paddle) per client, one hot item and 100 more items;
2. starts gunicorn on 127.0.0.1 (a free port) with ``augeo.settings.local`` (DEBUG off, mail to
   the dummy backend — the outbox rows are still written and handed to the mail framework — and
   the user/bid throttles raised so they do not cap the measurement);
3. measures three phases with ``--clients`` keep-alive clients: the floor (``GET /api/v1/users/me/``,
   the cheapest authenticated request), bids on the hot item, bids spread over 100 items. Clients
   bid like phones do: at the minimum the last answer named, a third of them with a maximum;
4. prints requests/s, accepted bids/s, p50/p99 latency, the ratio to the floor, the 5xx count and
   the invariant check of bidding.md over every item; exits 1 when an invariant or a 5xx fails.

Targets on the 2-core machine: bid req/s ≥ 0.2 x floor, p99 < 150 ms, 0 violations, 0 5xx. The
client threads run on the same two cores as the server, so the numbers are a lower bound.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = "augeo.settings.local"


# --- setup -----------------------------------------------------------------------------------------


def bench_database_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    parsed = urlparse(url)
    if parsed.scheme not in ("postgres", "postgresql", "pgsql"):
        sys.exit('bench/bids.py needs DATABASE_URL pointing at PostgreSQL (eval "$(bash scripts/services.sh env)")')
    name = parsed.path.lstrip("/") or "augeo"
    if not name.endswith("_bench"):
        name = f"{name}_bench"
    return urlunparse(parsed._replace(path=f"/{name}"))


def ensure_database(url: str) -> None:
    import psycopg

    parsed = urlparse(url)
    admin = urlunparse(parsed._replace(path="/postgres"))
    name = parsed.path.lstrip("/")
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=server_env(url),
        check=True,
    )


def server_env(url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=url,
        DJANGO_SETTINGS_MODULE=SETTINGS,
        DJANGO_DEBUG="false",
        DJANGO_LOG_LEVEL="ERROR",
        EMAIL_URL="dummymail://",
        THROTTLE_RATE_USER="10000000/min",
        THROTTLE_RATE_BID="10000000/min",
        PYTHONUNBUFFERED="1",
    )
    return env


@dataclass
class World:
    tokens: list[str]
    hot: str
    items: list[str]
    event_id: str
    starting_bid: Decimal


def seed(url: str, clients: int) -> World:
    os.environ.update(server_env(url))
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.utils import timezone
    from rest_framework_simplejwt.tokens import AccessToken

    from apps.attendance.models import Guest, Paddle, Registration
    from apps.auctions.models import Item, ItemStatus
    from apps.events.models import Event, EventStatus
    from apps.npos.models import NPO, NPOStatus
    from apps.users.models import User

    stamp = time.strftime("%Y%m%d%H%M%S")
    npo = NPO.objects.create(name=f"Bench NPO {stamp}", status=NPOStatus.APPROVED)
    start = timezone.now() + timezone.timedelta(days=1)
    event = Event.objects.create(
        npo=npo,
        name=f"Bench gala {stamp}",
        slug=f"bench-{stamp}-{random.randint(0, 10**6)}",
        status=EventStatus.PUBLISHED,
        starts_at=start,
        ends_at=start + timezone.timedelta(hours=5),
    )
    tokens = []
    for i in range(clients):
        user = User.objects.create_user(
            email=f"bench{i}-{stamp}@bench.test",
            password=None,
            first_name="Bench",
            last_name=str(i),
            email_verified_at=timezone.now(),
        )
        registration = Registration.objects.create(event=event, user=user, code=f"B{i:05d}")
        paddle = Paddle.objects.create(event=event, number=100 + i, registration=registration)
        Guest.objects.create(
            registration=registration,
            event=event,
            user=user,
            first_name="Bench",
            last_name=str(i),
            email=user.email,
            is_registrant=True,
            paddle=paddle,
        )
        tokens.append(str(AccessToken.for_user(user)))
    opened = timezone.now() - timezone.timedelta(minutes=1)
    items = [
        Item(
            event=event,
            number=n,
            title=f"Bench item {n}",
            status=ItemStatus.OPEN,
            starting_bid=Decimal("10"),
            opens_at=opened,
        )
        for n in range(1, 102)
    ]
    Item.objects.bulk_create(items)
    return World(
        tokens=tokens,
        hot=str(items[0].pk),
        items=[str(i.pk) for i in items[1:]],
        event_id=str(event.pk),
        starting_bid=Decimal("10"),
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(url: str, port: int, workers: int, threads: int, log: Path) -> subprocess.Popen[bytes]:
    command = [
        str(Path(sys.executable).parent / "gunicorn"),
        "augeo.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--worker-class",
        "gthread",
        "--keep-alive",
        "30",
        "--log-level",
        "warning",
    ]
    with log.open("wb") as handle:
        process = subprocess.Popen(
            command, cwd=ROOT, env=server_env(url), stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
        )
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/health/live/")
            if conn.getresponse().status == 200:
                return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    sys.exit(f"gunicorn did not come up; see {log}")


# --- load ------------------------------------------------------------------------------------------


@dataclass
class Stats:
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    accepted: int = 0

    def add(self, other: Stats) -> None:
        self.latencies += other.latencies
        for code, n in other.statuses.items():
            self.statuses[code] = self.statuses.get(code, 0) + n
        self.accepted += other.accepted


class Client:
    """One phone: a keep-alive connection and what it last learned about each item's minimum."""

    def __init__(self, port: int, token: str, seed: int, starting_bid: Decimal) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        self.rng = random.Random(seed)
        self.next_amount: dict[str, Decimal] = {}
        self.starting_bid = starting_bid

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        payload = json.dumps(body) if body is not None else None
        try:
            self.conn.request(method, path, body=payload, headers=self.headers)
            response = self.conn.getresponse()
            raw = response.read()
        except (http.client.HTTPException, OSError):
            self.conn.close()
            self.conn.request(method, path, body=payload, headers=self.headers)
            response = self.conn.getresponse()
            raw = response.read()
        try:
            data = json.loads(raw) if raw else None
        except ValueError:
            data = None
        return response.status, data

    def floor(self, stats: Stats) -> None:
        started = time.perf_counter()
        status, _ = self.call("GET", "/api/v1/users/me/")
        stats.latencies.append(time.perf_counter() - started)
        stats.statuses[status] = stats.statuses.get(status, 0) + 1

    def bid(self, item: str, stats: Stats) -> None:
        amount = self.next_amount.get(item, self.starting_bid)
        body: dict[str, str] = {"amount": str(amount)}
        if self.rng.random() < 0.33:
            body["max_amount"] = str(amount + self.rng.choice([5, 20, 60, 150]))
        started = time.perf_counter()
        status, data = self.call("POST", f"/api/v1/items/{item}/bids/", body)
        stats.latencies.append(time.perf_counter() - started)
        stats.statuses[status] = stats.statuses.get(status, 0) + 1
        if status == 201:
            stats.accepted += 1
            self.next_amount[item] = Decimal(data["min_next_bid"])
        elif status == 409 and data:
            error = data.get("error", {})
            if error.get("code") == "BID_TOO_LOW":
                self.next_amount[item] = Decimal(error["min_bid"])
            elif error.get("code") == "ALREADY_LEADING":
                self.next_amount[item] = amount + 10  # next time bid a step higher (raises the maximum)


def run_phase(name: str, clients: list[Client], seconds: float, work: Any) -> Stats:
    stop = time.perf_counter() + seconds
    barrier = threading.Barrier(len(clients))
    per_client = [Stats() for _ in clients]

    def loop(i: int) -> None:
        barrier.wait()
        while time.perf_counter() < stop:
            work(clients[i], per_client[i])

    threads = [threading.Thread(target=loop, args=(i,)) for i in range(len(clients))]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    total = Stats()
    for stats in per_client:
        total.add(stats)
    total.elapsed = elapsed  # type: ignore[attr-defined]
    return total


def summary(name: str, stats: Stats, floor_rps: float | None) -> dict[str, Any]:
    elapsed = stats.elapsed  # type: ignore[attr-defined]
    n = len(stats.latencies)
    ordered = sorted(stats.latencies)
    p50 = statistics.median(ordered) * 1000 if ordered else 0.0
    p99 = ordered[min(n - 1, int(n * 0.99))] * 1000 if ordered else 0.0
    rps = n / elapsed if elapsed else 0.0
    errors = sum(count for code, count in stats.statuses.items() if code >= 500)
    row = {
        "phase": name,
        "requests": n,
        "req_s": round(rps, 1),
        "accepted_s": round(stats.accepted / elapsed, 1),
        "p50_ms": round(p50, 1),
        "p99_ms": round(p99, 1),
        "ratio": round(rps / floor_rps, 2) if floor_rps else None,
        "5xx": errors,
        "statuses": dict(sorted(stats.statuses.items())),
    }
    ratio = f"{row['ratio']:.2f}x floor" if row["ratio"] is not None else "(floor)"
    print(
        f"{name:<22} {n:>7} req  {rps:8.1f} req/s  {row['accepted_s']:7.1f} accepted bids/s  "
        f"p50 {p50:6.1f} ms  p99 {p99:6.1f} ms  {ratio:<12} 5xx {errors}  {row['statuses']}"
    )
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    url = bench_database_url()
    ensure_database(url)
    world = seed(url, args.clients)
    port = free_port()
    log = Path(tempfile.gettempdir()) / f"augeo-bench-gunicorn-{port}.log"
    server = start_server(url, port, args.workers, args.threads, log)
    print(
        f"gunicorn pid {server.pid} on 127.0.0.1:{port} ({args.workers} workers x {args.threads} threads, gthread); "
        f"{args.clients} clients; {args.seconds:.0f} s per phase; database {urlparse(url).path.lstrip('/')}"
    )
    try:
        clients = [Client(port, token, i, world.starting_bid) for i, token in enumerate(world.tokens)]
        run_phase("warm-up", clients, 2, lambda c, s: c.floor(s))
        floor = summary(
            "floor GET /users/me/", run_phase("floor", clients, args.seconds, lambda c, s: c.floor(s)), None
        )
        hot = summary(
            "bids: one hot item",
            run_phase("hot", clients, args.seconds, lambda c, s: c.bid(world.hot, s)),
            floor["req_s"],
        )
        spread = summary(
            "bids: 100 items",
            run_phase("spread", clients, args.seconds, lambda c, s: c.bid(c.rng.choice(world.items), s)),
            floor["req_s"],
        )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)

    from apps.auctions.invariants import check_item
    from apps.auctions.models import Item

    violations = {}
    for item in Item.objects.filter(event_id=world.event_id):
        problems = check_item(item)
        if problems:
            violations[item.number] = problems
    checked = Item.objects.filter(event_id=world.event_id).count()
    print(f"invariants: {checked} items checked, {len(violations)} with violations")
    for number, problems in list(violations.items())[:5]:
        print(f"  item #{number}: {problems[:3]}")
    errors = floor["5xx"] + hot["5xx"] + spread["5xx"]
    for row in (hot, spread):
        verdict = "meets" if (row["ratio"] or 0) >= 0.2 and row["p99_ms"] < 150 else "MISSES"
        print(f"target ({row['phase']}): ratio {row['ratio']} (≥ 0.2), p99 {row['p99_ms']} ms (< 150) → {verdict}")
    print(f"5xx responses: {errors}; server log: {log}")
    return 1 if violations or errors else 0


if __name__ == "__main__":
    sys.exit(main())
