"""The hot API endpoints against the framework's floor: ``make bench`` prints the table.

    export DATABASE_URL=postgres://…/augeo REDIS_URL=redis://…/N   # PostgreSQL and Redis running
    .venv/bin/python bench/api.py [--seconds 10] [--connections 16] [--workers 2] [--rounds 1]
                                  [--configs production,sync] [--measures me,catalogue,…] [--json out.json]

One run, on this machine:

1. the **floor** (bench/floor.py): a bare Django + DRF + simplejwt app built in a temp dir from this
   venv, gunicorn sync workers, one authenticated ``GET /me/`` — measured just before the project's
   configurations for every measure (and every round of ``--rounds``, whose median round is kept;
   the hot item's p99 target is judged on the median of the rounds' p99s, each round printed);
   every measure is printed as a ratio to it;
2. the project served **as the Dockerfile serves it**: ``gunicorn -c gunicorn.conf.py <CMD's app>``
   with ``augeo.settings.production`` (plain HTTP: the TLS redirect and HSTS off as in
   docker-compose.yml, the throttles raised so they do not cap the measurement, mail to the dummy
   backend, Redis for cache/throttles, its own Prometheus multiprocess folder), ``--workers`` workers,
   then the alternative server shapes of ``--configs``:
   ``production`` (gunicorn.conf.py + Dockerfile as they are), ``asgi`` (uvicorn workers,
   ``augeo.asgi``), ``sync`` (``augeo.wsgi``), ``gthreadN`` (``augeo.wsgi``, N threads);
3. per configuration, ``--seconds`` per measure with ``--connections`` keep-alive connections (wrk,
   one connection per wrk thread so each carries one bidder's state; the Python client when wrk is
   missing): ``GET /users/me/``; the catalogue page of 20 for a signed-in bidder (``leading``,
   ``my_max_bid``) and anonymous; bids on one hot item and over 100 items (clients bid the minimum
   the last answer named, a third with a maximum); guest search at 10,000 guests (staff);
4. after each bid measure the invariants of bidding.md over every item; any non-2xx other than 409,
   or a violated invariant, makes the exit status 1.

Database: ``<DATABASE_URL's name>_bench`` (created and migrated when missing; 10,000 guests seeded
once, a fresh event with 16 bidders and 101 items per configuration). Ports: ``BENCH_PORT_BASE``
(default: free ports). The servers' environment, start and stop: bench/common.py. The machine is
shared: compare ratios, and repeat a measure that looks noisy.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote

from common import (
    ROOT,
    database_name,
    database_url,
    django_setup,
    ensure_database,
    free_port,
    median,
    percentile,
    server_env,
    start_gunicorn,
    stop,
    wait_up,
)
from floor import PATH as FLOOR_PATH
from floor import Floor

GUESTS = 10_000
MEASURES = {
    "me": "GET /users/me/",
    "catalogue": "catalogue page of 20 (bidder)",
    "catalogue_anon": "catalogue page of 20 (anonymous)",
    "bids_hot": "bids on one hot item",
    "bids_spread": "bids over 100 items",
    "guests": f"guest search, {GUESTS:,} guests",
}
TARGETS = {"me": 0.6, "catalogue": 0.3, "catalogue_anon": 0.8, "bids_hot": 0.2, "bids_spread": 0.2, "guests": 0.3}
HOT_P99_MS = 150
#: This benchmark's database: ``<DATABASE_URL's name>_bench`` (bench/hotspots.py profiles it too).
DATABASE_SUFFIX = "_bench"


# --- setup -----------------------------------------------------------------------------------------


def access_token(user: Any) -> str:
    from datetime import timedelta

    from rest_framework_simplejwt.tokens import AccessToken

    token = AccessToken.for_user(user)
    token.set_exp(lifetime=timedelta(hours=2))
    return str(token)


def ensure_legal() -> dict[str, str]:
    """Published terms and privacy documents (created when missing), so every measure runs with the
    consent gate active; returns ``{user column: version}`` for the bench users."""
    from django.apps import apps
    from django.utils import timezone

    if not apps.is_installed("apps.legal"):  # pragma: no cover - a checkout from before the legal app
        return {}

    from apps.legal.gate import ACCEPTED_FIELDS
    from apps.legal.models import DocumentStatus, LegalDocument

    accepted = {}
    for document_type, column in ACCEPTED_FIELDS.items():
        document = LegalDocument.objects.filter(type=document_type, status=DocumentStatus.PUBLISHED).first()
        if document is None:
            document = LegalDocument.objects.create(
                type=document_type,
                major=1,
                minor=0,
                body=f"Bench {document_type}.",
                status=DocumentStatus.PUBLISHED,
                published_at=timezone.now(),
            )
        accepted[column] = f"{document.major}.{document.minor}"
    return accepted


@dataclass
class Auction:
    event_id: str
    tokens: list[str]
    hot: str
    items: list[str]


def seed_auction(bidders: int) -> Auction:
    """A published event, ``bidders`` registered bidders with paddles, one hot item and 100 more."""
    from django.utils import timezone

    from apps.attendance.models import Guest, Paddle, Registration
    from apps.auctions.models import Item, ItemStatus
    from apps.events.models import Event, EventStatus
    from apps.npos.models import NPO, NPOStatus
    from apps.users.models import User

    stamp = f"{time.strftime('%Y%m%d%H%M%S')}-{random.randint(0, 10**6)}"
    npo = NPO.objects.create(name=f"Bench NPO {stamp}", status=NPOStatus.APPROVED)
    start = timezone.now() + timezone.timedelta(days=1)
    event = Event.objects.create(
        npo=npo,
        name=f"Bench gala {stamp}",
        slug=f"bench-{stamp}",
        status=EventStatus.PUBLISHED,
        starts_at=start,
        ends_at=start + timezone.timedelta(hours=5),
    )
    tokens = []
    for i in range(bidders):
        user = User.objects.create_user(
            email=f"bench{i}-{stamp}@bench.test",
            password=None,
            first_name="Bench",
            last_name=str(i),
            email_verified_at=timezone.now(),
            **ensure_legal(),
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
        tokens.append(access_token(user))
    opened = timezone.now() - timezone.timedelta(minutes=1)
    items = [
        Item(
            event=event,
            number=n,
            title=f"Bench item {n}",
            description="A week for two in a house by the sea, donated by a generous friend of the gala.",
            status=ItemStatus.OPEN,
            starting_bid=Decimal("10"),
            opens_at=opened,
        )
        for n in range(1, 102)
    ]
    Item.objects.bulk_create(items)
    return Auction(str(event.pk), tokens, str(items[0].pk), [str(i.pk) for i in items[1:]])


@dataclass
class Guests:
    event_id: str
    token: str
    terms: list[str]


# fmt: off
FIRST_NAMES = [
    "James", "Mary", "John", "Patricia", "Robert", "Jennifer", "Michael", "Linda", "William", "Elizabeth", "David",
    "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Charles", "Karen", "Ana", "Wei",
    "Priya", "Mohammed", "Sofia", "Lucas", "Yuki", "Olga", "Kwame", "Ines",
]
LAST_NAMES = [
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
    "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin", "Lee",
    "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson", "Nakamura",
    "Okafor", "Kowalski", "Haddad", "Fitzgerald", "Lindqvist", "Papadopoulos", "Oyelaran",
]
# fmt: on


def load_guests(count: int) -> str:
    """A published "Bench Gala" with ``count`` guests in parties of 1-6 (~2,900 parties for 10,000),
    30 % already checked in with consecutive bidder numbers (a gala in full swing), and its staff
    member ``bench-staff@example.org``; returns the event's id."""
    from django.utils import timezone

    from apps.attendance.models import Guest, Paddle, Registration
    from apps.attendance.services import CODE_ALPHABET
    from apps.events.models import Event, EventStatus, FoodOption
    from apps.npos.capabilities import Role
    from apps.npos.models import NPO, Membership, MembershipStatus, NPOStatus
    from apps.users.models import User

    rng = random.Random(42)
    npo = NPO.objects.create(name="Bench NPO", email="bench@example.org", status=NPOStatus.APPROVED)
    start = timezone.now() + timezone.timedelta(days=1)
    event = Event.objects.create(
        npo=npo,
        name="Bench Gala",
        slug=f"bench-{uuid.uuid4().hex[:8]}",
        status=EventStatus.PUBLISHED,
        starts_at=start,
        ends_at=start + timezone.timedelta(hours=5),
        next_bidder_number=100,
    )
    meals = [FoodOption.objects.create(event=event, name=n) for n in ("Beef", "Fish", "Vegan")]
    staff = User.objects.create_user(
        email="bench-staff@example.org", password="bench-password-123", email_verified_at=timezone.now()
    )
    Membership.objects.create(npo=npo, user=staff, role=Role.STAFF, status=MembershipStatus.ACTIVE)

    users, registrations, guests, paddles = [], [], [], []
    codes: set[str] = set()
    party = 0
    now = timezone.now()
    while len(guests) < count:
        size = min(rng.choice([1, 2, 2, 2, 3, 4, 4, 6]), count - len(guests))
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        email = f"{first}.{last}.{party}@example{party % 17}.com".lower()
        user = User(email=email, first_name=first, last_name=last, email_verified_at=now, password="!")
        users.append(user)
        code = "".join(rng.choice(CODE_ALPHABET) for _ in range(6))
        while code in codes:
            code = "".join(rng.choice(CODE_ALPHABET) for _ in range(6))
        codes.add(code)
        registration = Registration(event=event, user=user, code=code)
        registrations.append(registration)
        for i in range(size):
            guest_first = first if i == 0 else rng.choice(FIRST_NAMES)
            guests.append(
                Guest(
                    registration=registration,
                    event=event,
                    user=user if i == 0 else None,
                    is_registrant=i == 0,
                    first_name=guest_first,
                    last_name=last,
                    email=email if i == 0 else (f"{guest_first}.{last}.{party}.{i}@mail.test".lower() if i % 2 else ""),
                    phone=f"+1415{rng.randrange(10**7):07d}",
                    food_option=rng.choice(meals),
                )
            )
        party += 1
    User.objects.bulk_create(users, batch_size=2000)
    Registration.objects.bulk_create(registrations, batch_size=2000)
    checked = rng.sample(range(len(guests)), k=int(len(guests) * 0.3))
    for offset, index in enumerate(sorted(checked)):
        paddle = Paddle(event=event, number=100 + offset, registration=guests[index].registration)
        paddles.append(paddle)
        guests[index].paddle = paddle
        guests[index].checked_in_at = now
    Paddle.objects.bulk_create(paddles, batch_size=2000)
    Guest.objects.bulk_create(guests, batch_size=2000)
    return str(event.pk)


def seed_guests() -> Guests:
    """10,000 guests (:func:`load_guests`), seeded once and reused; 200 search terms like a desk's."""
    from apps.attendance.models import Guest
    from apps.events.models import Event
    from apps.users.models import User

    staff = User.objects.filter(email="bench-staff@example.org").first()
    event = Event.objects.filter(name="Bench Gala").order_by("-created_at").first()
    if staff is None or event is None or Guest.objects.filter(event=event).count() < GUESTS:
        event = Event.objects.get(pk=load_guests(GUESTS))
        staff = User.objects.get(email="bench-staff@example.org")
    User.objects.filter(pk=staff.pk).update(**ensure_legal())
    rng = random.Random(7)
    rows = list(Guest.objects.filter(event=event).values_list("first_name", "last_name", "email", "phone")[:3000])
    terms = []
    for _ in range(200):
        first, last, email, phone = rng.choice(rows)
        kind = rng.random()
        if kind < 0.45:
            terms.append(last[: rng.randint(3, len(last))].lower())
        elif kind < 0.65:
            terms.append(f"{first} {last[:3]}")
        elif kind < 0.8 and email:
            terms.append(email.split("@")[0][:8])
        else:
            terms.append(phone[-5:])
    return Guests(str(event.pk), access_token(staff), terms)


def invariants(event_id: str) -> tuple[int, dict[int, list[str]]]:
    """bidding.md's invariants over every item of the event, on one snapshot of the database.

    wrk stops sending when its time is up, but the requests already queued at the server still run
    for a moment; the check waits for them and then reads every item and its bids in one
    REPEATABLE READ transaction, so an item and its rows are never read either side of a commit."""
    from django.db import connection, transaction

    from apps.auctions.invariants import check_item
    from apps.auctions.models import Item

    time.sleep(1.5)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        items = list(Item.objects.filter(event_id=event_id))
        violations = {item.number: problems for item in items if (problems := check_item(item))}
    for number, problems in violations.items():
        print(f"  item {number}: {'; '.join(problems)}", flush=True)
    return len(items), violations


# --- servers ---------------------------------------------------------------------------------------


def dockerfile_app(root: Path = ROOT) -> str:
    """The application the Dockerfile's CMD serves (``augeo.asgi:application`` or ``…wsgi…``)."""
    for line in (root / "Dockerfile").read_text().splitlines():
        if line.startswith("CMD"):
            for word in json.loads(line[3:].strip()):
                if word.startswith("augeo."):
                    return str(word)
    return "augeo.wsgi:application"


def config_root(config: str) -> tuple[str, Path]:
    """``name@/path/to/checkout`` serves another checkout of the project (e.g. the code before a
    change, exported with ``git archive``) in the same run, from this venv and database."""
    name, _, path = config.partition("@")
    return name, Path(path) if path else ROOT


def config_shape(config: str) -> tuple[str, dict[str, str]]:
    """(application, environment) of a named server configuration."""
    name, root = config_root(config)
    if name == "production":
        return dockerfile_app(root), {}
    if name == "asgi":
        return "augeo.asgi:application", {}
    if name == "sync":
        return "augeo.wsgi:application", {"GUNICORN_WORKER_CLASS": "sync"}
    if name.startswith("gthread"):
        threads = name.removeprefix("gthread") or "4"
        return "augeo.wsgi:application", {"GUNICORN_WORKER_CLASS": "gthread", "GUNICORN_THREADS": threads}
    sys.exit(f"unknown configuration {name!r} (production, asgi, sync, gthreadN)")


def start_project(url: str, config: str, port: int, workers: int, log: Path, metrics_dir: Path) -> Any:
    """The project's server in the shape ``config`` names, from the checkout it names; returns
    (process, application, the shape's environment) once it answers."""
    app, extra = config_shape(config)
    process = start_gunicorn(
        app,
        port=port,
        workers=workers,
        env=server_env(url, **extra),
        log=log,
        cwd=config_root(config)[1],
        metrics_dir=metrics_dir,
    )
    return process, app, extra


# --- load: wrk -------------------------------------------------------------------------------------

LUA = r"""
local threads = {}
local next_tid = 0
function setup(thread)
  thread:set("tid", next_tid)
  next_tid = next_tid + 1
  table.insert(threads, thread)
end
function init(args)
  statuses = {}
  accepted = 0
  n = 0
  amounts = {}
  last_item = nil
  math.randomseed(tid * 7919 + 17)
  token = nil
  if #tokens > 0 then token = tokens[(tid % #tokens) + 1] end
end
local function headers()
  local h = {}
  if token then h["Authorization"] = "Bearer " .. token end
  return h
end
function request()
  n = n + 1
  if mode == "bid" then
    local item = items[math.random(#items)]
    last_item = item
    local amount = amounts[item] or start
    local body = '{"amount": "' .. amount .. '"'
    if math.random() < 0.33 then
      local extra = ({5, 20, 60, 150})[math.random(4)]
      body = body .. ', "max_amount": "' .. string.format("%.2f", tonumber(amount) + extra) .. '"'
    end
    body = body .. "}"
    local h = headers()
    h["Content-Type"] = "application/json"
    return wrk.format("POST", "/api/v1/items/" .. item .. "/bids/", h, body)
  end
  local path = paths[((tid * 31 + n) % #paths) + 1]
  return wrk.format("GET", path, headers())
end
function response(status, hdrs, body)
  statuses[status] = (statuses[status] or 0) + 1
  if mode == "bid" and last_item then
    if status == 201 then
      accepted = accepted + 1
      local m = body:match('"min_next_bid":%s*"([%d%.]+)"')
      if m then amounts[last_item] = m end
    elseif status == 409 then
      local m = body:match('"min_bid":%s*"([%d%.]+)"')
      if m then
        amounts[last_item] = m
      elseif body:find("ALREADY_LEADING", 1, true) then
        amounts[last_item] = string.format("%.2f", tonumber(amounts[last_item] or start) + 10)
      end
    end
  end
end
function done(summary, latency, requests)
  local agg = {}
  local acc = 0
  for _, t in ipairs(threads) do
    for code, count in pairs(t:get("statuses")) do
      agg[tostring(code)] = (agg[tostring(code)] or 0) + count
    end
    acc = acc + t:get("accepted")
  end
  local parts = {}
  for code, count in pairs(agg) do table.insert(parts, '"' .. code .. '": ' .. count) end
  io.write(string.format(
    'BENCH_RESULT {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, "accepted": %d, ' ..
    '"socket_errors": %d, "statuses": {%s}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), acc,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    table.concat(parts, ", ")))
end
"""


def lua_list(values: list[str]) -> str:
    return "{" + ", ".join(json.dumps(v) for v in values) + "}"


@dataclass
class Load:
    """One measure's traffic: GETs cycling over ``paths``, or bids over ``items``."""

    paths: list[str] = field(default_factory=list)
    tokens: list[str] = field(default_factory=list)
    items: list[str] = field(default_factory=list)
    start: str = "10.00"

    @property
    def mode(self) -> str:
        return "bid" if self.items else "get"


@dataclass
class Result:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    accepted: int
    statuses: dict[str, int]
    socket_errors: int = 0
    floor_rps: float = 0.0  # the floor measured just before this result (its ratio's denominator)
    #: With ``--rounds``: every round's ratio and p99, in the order measured (on the kept round).
    round_ratios: list[float] = field(default_factory=list)
    round_p99_ms: list[float] = field(default_factory=list)

    @property
    def p99_verdict_ms(self) -> float:
        """The p99 a target is judged on: the median of the rounds' p99s (one round's p99 is its
        slowest 1 %, ~20 requests in 10 s, and moves with the machine's load more than the ratio)."""
        return statistics.median(self.round_p99_ms) if self.round_p99_ms else self.p99_ms

    @property
    def ratio(self) -> float:
        return self.rps / self.floor_rps if self.floor_rps else 0.0

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def bad(self) -> int:
        """Responses that are neither 2xx nor a business-rule 409 (and broken sockets)."""
        return self.socket_errors + sum(n for code, n in self.statuses.items() if not (code[0] == "2" or code == "409"))


def run_wrk(port: int, load: Load, seconds: float, connections: int, workdir: Path) -> Result:
    script = workdir / f"load-{load.mode}.lua"
    header = (
        f'mode = "{load.mode}"\nstart = "{load.start}"\n'
        f"tokens = {lua_list(load.tokens)}\npaths = {lua_list(load.paths or ['/'])}\n"
        f"items = {lua_list(load.items)}\n"
    )
    script.write_text(header + LUA)
    command = [
        "wrk",
        f"-t{connections}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "10s",
        "-s",
        str(script),
        f"http://127.0.0.1:{port}",
    ]
    out = subprocess.run(command, capture_output=True, text=True, check=False)
    for line in out.stdout.splitlines():
        if line.startswith("BENCH_RESULT "):
            data = json.loads(line.removeprefix("BENCH_RESULT "))
            return Result(
                requests=data["requests"],
                seconds=data["duration_us"] / 1e6,
                p50_ms=data["p50_us"] / 1000,
                p99_ms=data["p99_us"] / 1000,
                accepted=data["accepted"],
                statuses=dict(sorted(data["statuses"].items())),
                socket_errors=data["socket_errors"],
            )
    sys.exit(f"wrk gave no result: {out.stdout[-2000:]} {out.stderr[-2000:]}")


# --- load: the Python client (when wrk is missing) -------------------------------------------------


def run_python(port: int, load: Load, seconds: float, connections: int, workdir: Path) -> Result:
    stop_at = time.perf_counter() + seconds
    lock = threading.Lock()
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    accepted = 0

    def client(tid: int) -> None:
        nonlocal accepted
        rng = random.Random(tid * 7919 + 17)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        headers = {"Content-Type": "application/json"}
        if load.tokens:
            headers["Authorization"] = f"Bearer {load.tokens[tid % len(load.tokens)]}"
        amounts: dict[str, str] = {}
        mine: list[float] = []
        seen: dict[str, int] = {}
        n = 0
        while time.perf_counter() < stop_at:
            n += 1
            if load.items:
                item = rng.choice(load.items)
                amount = amounts.get(item, load.start)
                body: dict[str, str] = {"amount": amount}
                if rng.random() < 0.33:
                    body["max_amount"] = f"{Decimal(amount) + rng.choice([5, 20, 60, 150]):.2f}"
                method, path, payload = "POST", f"/api/v1/items/{item}/bids/", json.dumps(body)
            else:
                method, path, payload = "GET", load.paths[(tid * 31 + n) % len(load.paths)], None
            started = time.perf_counter()
            try:
                conn.request(method, path, body=payload, headers=headers)
                response = conn.getresponse()
                raw = response.read()
            except (http.client.HTTPException, OSError):
                conn.close()
                seen["socket"] = seen.get("socket", 0) + 1
                continue
            mine.append(time.perf_counter() - started)
            code = str(response.status)
            seen[code] = seen.get(code, 0) + 1
            if load.items:
                data = json.loads(raw) if raw else {}
                if code == "201":
                    amounts[item] = data["min_next_bid"]
                elif code == "409":
                    error = data.get("error", {})
                    if "min_bid" in error:
                        amounts[item] = error["min_bid"]
                    elif error.get("code") == "ALREADY_LEADING":
                        amounts[item] = f"{Decimal(amount) + 10:.2f}"
        with lock:
            latencies.extend(mine)
            for code, count in seen.items():
                statuses[code] = statuses.get(code, 0) + count
            accepted += seen.get("201", 0)

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    socket_errors = statuses.pop("socket", 0)
    return Result(
        requests=len(latencies),
        seconds=elapsed,
        p50_ms=median(latencies) * 1000,
        p99_ms=percentile(latencies, 99) * 1000,
        accepted=accepted,
        statuses=dict(sorted(statuses.items())),
        socket_errors=socket_errors,
    )


# --- the run ---------------------------------------------------------------------------------------


def fmt(result: Result, *, bids: bool) -> str:
    accepted = f" ({result.accepted / result.seconds:.0f} acc/s)" if bids else ""
    bad = f", {result.bad} bad" if result.bad else ""
    return f"{result.rps:.0f} req/s{accepted}, p99 {result.p99_ms:.0f} ms, {result.ratio:.2f}x{bad}"


def median_round(results: list[Result]) -> Result:
    """The round whose ratio to its floor is the median (the lower middle for an even count), with
    every round's ratio and p99 attached."""
    ordered = sorted(results, key=lambda r: r.ratio)
    kept = ordered[(len(ordered) - 1) // 2]
    kept.round_ratios = [r.ratio for r in results]
    kept.round_p99_ms = [r.p99_ms for r in results]
    return kept


def measure_all(
    run: Any,
    args: Any,
    measures: list[str],
    floor_port: int,
    floor_load: Load,
    floor_threaded_port: int,
    servers: dict[str, tuple[int, dict[str, Load], str]],
    workdir: Path,
) -> tuple[dict[str, dict[str, Result]], dict[str, Result], list[str]]:
    """Per measure and round: the floor, then every configuration, back to back. Bids first, so the
    catalogue shows leaders and maximums. With ``--rounds N`` each measure repeats N times and the
    round with the median ratio is kept (the load of a shared machine drifts between rounds; each
    ratio is still to the floor measured just before it). Returns (results by configuration and
    measure, the median floor per measure, failures)."""
    results: dict[str, dict[str, Result]] = {config: {} for config in servers}
    floors: dict[str, Result] = {}
    failures: list[str] = []
    for name in ("bids_hot", "bids_spread", "me", "catalogue", "catalogue_anon", "guests"):
        if name not in measures:
            continue
        rounds: dict[str, list[Result]] = {config: [] for config in servers}
        round_floors: list[Result] = []
        for number in range(args.rounds):
            floor = run(floor_port, floor_load, args.seconds, args.connections, workdir)
            round_floors.append(floor)
            if name == "me" and floor_threaded_port and number == 0:
                # For reference: the same bare app served the way the project's HTTP service is.
                floors["me_threaded"] = run(floor_threaded_port, floor_load, args.seconds, args.connections, workdir)
                rps = floors["me_threaded"].rps
                print(f"  {'floor':<11} {'GET /me/ (bare app, gthread x 4)':<34} {rps:7.1f} req/s", flush=True)
            print(
                f"  {'floor':<11} {'GET /me/ (bare app)':<34} {floor.rps:7.1f} req/s  p99 {floor.p99_ms:7.1f} ms",
                flush=True,
            )
            for config, (p, loads, event_id) in servers.items():
                result = run(p, loads[name], args.seconds, args.connections, workdir)
                result.floor_rps = floor.rps
                rounds[config].append(result)
                print(
                    f"  {config.split('@')[0][:11]:<11} {MEASURES[name]:<34} {result.rps:7.1f} req/s  "
                    f"p50 {result.p50_ms:6.1f} ms  "
                    f"p99 {result.p99_ms:7.1f} ms  {result.ratio:5.2f}x  {result.statuses}",
                    flush=True,
                )
                if result.bad:
                    failures.append(f"{config} {name}: {result.bad} responses neither 2xx nor 409 {result.statuses}")
                if name.startswith("bids"):
                    checked, violations = invariants(event_id)
                    if violations:
                        failures.append(f"{config} {name}: invariants violated on {len(violations)} items")
                    print(f"  {'':<11} invariants: {checked} items, {len(violations)} with violations", flush=True)
        floors[name] = sorted(round_floors, key=lambda r: r.rps)[(len(round_floors) - 1) // 2]
        for config in servers:
            results[config][name] = median_round(rounds[config])
    return results, floors, failures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=1, help="repeat each measure; report the median round")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--configs", default=os.environ.get("BENCH_CONFIGS", "production,sync"))
    parser.add_argument("--measures", default=",".join(MEASURES))
    parser.add_argument("--client", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    configs = [c for c in args.configs.split(",") if c]
    # name@/path → name@dirname in the table
    labels = {c: c if "@" not in c else f"{c.split('@')[0]}@{Path(c.split('@')[1]).name}" for c in configs}
    measures = [m for m in args.measures.split(",") if m]
    unknown = set(measures) - set(MEASURES)
    if unknown:
        sys.exit(f"unknown measures: {sorted(unknown)}")
    use_wrk = args.client == "wrk" or (args.client == "auto" and shutil.which("wrk"))
    run = run_wrk if use_wrk else run_python

    url = database_url(DATABASE_SUFFIX)
    ensure_database(url)
    django_setup(url)
    workdir = Path(tempfile.mkdtemp(prefix="augeo-bench-"))
    log = workdir / "server.log"
    base = int(os.environ.get("BENCH_PORT_BASE", "0"))
    ports = iter(range(base, base + 50)) if base else None

    def port() -> int:
        return next(ports) if ports else free_port()

    floor = Floor(url, workdir)
    floor.prepare()
    floor_token = floor.token()
    guests = seed_guests() if "guests" in measures else None

    print(
        f"# {time.strftime('%Y-%m-%d %H:%M:%S')}  load average {os.getloadavg()[0]:.1f}  "
        f"client {'wrk' if use_wrk else 'python'}  {args.connections} connections  {args.seconds:.0f} s per measure  "
        f"{args.workers} workers  database {database_name(url)}",
        flush=True,
    )
    # Every server is up for the whole run and the measures are interleaved: for each measure the
    # floor, then each configuration, back to back — on a shared machine the load drifts within
    # minutes, and each ratio compares runs taken seconds apart.
    processes: list[subprocess.Popen[bytes]] = []
    servers: dict[str, tuple[int, dict[str, Load], str]] = {}
    shapes: dict[str, str] = {}
    floor_port, floor_threaded_port = port(), port()
    processes.append(floor.start(floor_port, workers=args.workers, log=log))
    processes.append(floor.start(floor_threaded_port, workers=args.workers, log=log, threads=4))
    floor_load = Load(paths=[FLOOR_PATH], tokens=[floor_token])
    try:
        wait_up(floor_port, processes[0], log, path=FLOOR_PATH)
        wait_up(floor_threaded_port, processes[1], log, path=FLOOR_PATH)
        for config in configs:
            auction = seed_auction(args.connections)
            p = port()
            process, app, extra = start_project(
                url, config, p, args.workers, log, workdir / f"prometheus-{len(servers)}"
            )
            processes.append(process)
            worker = extra.get("GUNICORN_WORKER_CLASS", "gunicorn.conf.py")
            threads = f" x {extra['GUNICORN_THREADS']} threads" if "GUNICORN_THREADS" in extra else ""
            shapes[config] = f"{app.split(':')[0]}, {worker}{threads}"
            catalogue = f"/api/v1/events/{auction.event_id}/items/?page_size=20"
            loads = {
                "me": Load(paths=["/api/v1/users/me/"], tokens=auction.tokens),
                "catalogue": Load(paths=[catalogue], tokens=auction.tokens),
                "catalogue_anon": Load(paths=[catalogue]),
                "bids_hot": Load(items=[auction.hot], tokens=auction.tokens),
                "bids_spread": Load(items=auction.items, tokens=auction.tokens),
            }
            if guests:
                loads["guests"] = Load(
                    paths=[f"/api/v1/events/{guests.event_id}/guests/?search={quote(t)}" for t in guests.terms],
                    tokens=[guests.token],
                )
            servers[config] = (p, loads, auction.event_id)
        run(floor_port, floor_load, 2, args.connections, workdir)  # warm-up: connections, imports, caches
        run(floor_threaded_port, floor_load, 2, args.connections, workdir)
        for p, loads, _event in servers.values():
            run(p, loads["me"], 2, args.connections, workdir)
        results, floors, failures = measure_all(
            run, args, measures, floor_port, floor_load, floor_threaded_port, servers, workdir
        )
    finally:
        stop(*processes)

    print()
    print(f"| measure | {' | '.join(f'{labels[c]} ({shapes[c]})' for c in configs)} | bare framework floor |")
    print(f"|---|{'---|' * len(configs)}---|")
    for name in (m for m in MEASURES if m in measures):
        cells = [fmt(results[c][name], bids=name.startswith("bids")) for c in configs]
        floor_cell = f"{floors[name].rps:.0f} req/s, p99 {floors[name].p99_ms:.0f} ms"
        print(f"| {MEASURES[name]} | {' | '.join(cells)} | {floor_cell} |")
    sync_floors = [r for m, r in floors.items() if m != "me_threaded"]
    low, high = min(r.rps for r in sync_floors), max(r.rps for r in sync_floors)
    rounds = f"; the median of {args.rounds} rounds" if args.rounds > 1 else ""
    print(f"(each ratio is to the floor measured just before it{rounds}; floor {low:.0f}-{high:.0f} req/s in this run)")
    if "me_threaded" in floors:
        threaded = floors["me_threaded"]
        cells = [f"{results[c]['me'].rps / threaded.rps:.2f}x" for c in configs]
        print(
            f"(the bare app on gthread x 4 with keep-alive, the earlier HTTP shape: {threaded.rps:.0f} req/s, "
            f"p99 {threaded.p99_ms:.0f} ms; GET /users/me/ against it: {', '.join(cells)})"
        )
    first = next((c for c in configs if c == "production"), configs[0])
    print()
    print(f"targets ({first}, {args.workers} workers, ratio to the floor of the same row):")
    for name in (m for m in MEASURES if m in measures):
        result = results[first][name]
        ratio = result.ratio
        p99 = result.p99_verdict_ms
        ok = ratio >= TARGETS[name] and (name != "bids_hot" or p99 <= HOT_P99_MS) and not result.bad
        extra = f", p99 {p99:.0f} ms (≤ {HOT_P99_MS})" if name == "bids_hot" else ""
        verdict = "met" if ok else "MISSED"
        print(f"  {MEASURES[name]:<34} {ratio:5.2f}x (≥ {TARGETS[name]}){extra}, {result.bad} bad  {verdict}")
        if len(result.round_ratios) > 1:
            ratios = ", ".join(f"{r:.2f}x" for r in result.round_ratios)
            p99s = ", ".join(f"{p:.0f}" for p in result.round_p99_ms)
            print(f"  {'':<34} rounds: {ratios}; p99 {p99s} ms (the median of each is judged)")
    for failure in failures:
        print(f"FAIL {failure}")
    print(f"server log: {log}")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "floor": {m: r.__dict__ for m, r in floors.items()},
                    "results": {c: {m: r.__dict__ for m, r in rs.items()} for c, rs in results.items()},
                },
                indent=2,
            )
        )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
