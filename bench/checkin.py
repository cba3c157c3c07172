"""Check-in benchmark (issue 5 §6): guest search and check-in through the API at 10,000 guests.

    eval "$(bash scripts/services.sh env)"; .venv/bin/python bench/checkin.py [--guests 10000] [--requests 200]

* PostgreSQL only: ``DATABASE_URL`` from the environment names the server; the benchmark works in its
  own database ``<name>_bench_checkin`` on that server, dropped and re-created on every run (your
  database is never touched).
* Starts gunicorn (``augeo.wsgi``, 2 workers, loopback, a free port) against that database, waits
  for ``/health/live/``, and stops it at the end.
* Loads one published event with 10,000 guests in ~2,900 parties (30 % already checked in with
  bidder numbers), a staff member with a JWT, then measures serial requests with ``requests``:
  1. ``GET /events/{id}/guests/?search=…`` with the pg_trgm GIN indexes (migration 0002);
  2. ``POST /events/{id}/guests/{guest}/check-in/`` (assigns the lowest free bidder number);
  3. the same searches after dropping the trigram indexes: the plain ``icontains`` scan.
* Prints median and p95 per scenario and the query plan of one search with and without the indexes.
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FIRST = [
    "James",
    "Mary",
    "John",
    "Patricia",
    "Robert",
    "Jennifer",
    "Michael",
    "Linda",
    "William",
    "Elizabeth",
    "David",
    "Barbara",
    "Richard",
    "Susan",
    "Joseph",
    "Jessica",
    "Thomas",
    "Sarah",
    "Charles",
    "Karen",
    "Ana",
    "Wei",
    "Priya",
    "Mohammed",
    "Sofia",
    "Lucas",
    "Yuki",
    "Olga",
    "Kwame",
    "Ines",
]
LAST = [
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "Nakamura",
    "Okafor",
    "Kowalski",
    "Haddad",
    "Fitzgerald",
    "Lindqvist",
    "Papadopoulos",
    "Oyelaran",
]
TRGM_INDEX = "attendance_guest_search_text_trgm"  # attendance migration 0004


def bench_database_url() -> tuple[str, str, str]:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("bench/checkin.py needs DATABASE_URL pointing at PostgreSQL (bash scripts/services.sh env)")
    parts = urlsplit(url)
    base = parts.path.lstrip("/") or "augeo"
    name = f"{base}_bench_checkin"
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    return urlunsplit(parts._replace(path=f"/{name}")), admin_url, name


def recreate_database(admin_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def load_data(n_guests: int) -> tuple[str, str, list[str], list[str]]:
    """One event with ``n_guests`` guests; returns (event id, staff token, unchecked guest ids, terms)."""
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
    count = 0
    party = 0
    now = timezone.now()
    while count < n_guests:
        size = min(rng.choice([1, 2, 2, 2, 3, 4, 4, 6]), n_guests - count)
        first, last = rng.choice(FIRST), rng.choice(LAST)
        email = f"{first}.{last}.{party}@example{party % 17}.com".lower()
        user = User(email=email, first_name=first, last_name=last, email_verified_at=now, password="!")
        users.append(user)
        code = "".join(rng.choice(CODE_ALPHABET) for _ in range(6))
        while code in codes:
            code = "".join(rng.choice(CODE_ALPHABET) for _ in range(6))
        codes.add(code)
        reg = Registration(event=event, user=user, code=code)
        registrations.append(reg)
        for i in range(size):
            gfirst = first if i == 0 else rng.choice(FIRST)
            guests.append(
                Guest(
                    registration=reg,
                    event=event,
                    user=user if i == 0 else None,
                    is_registrant=i == 0,
                    first_name=gfirst,
                    last_name=last,
                    email=email if i == 0 else (f"{gfirst}.{last}.{party}.{i}@mail.test".lower() if i % 2 else ""),
                    phone=f"+1415{rng.randrange(10**7):07d}",
                    food_option=rng.choice(meals),
                )
            )
        count += size
        party += 1
    User.objects.bulk_create(users, batch_size=2000)
    Registration.objects.bulk_create(registrations, batch_size=2000)
    # 30 % already checked in with consecutive numbers (a gala in full swing).
    checked = rng.sample(range(len(guests)), k=int(len(guests) * 0.3))
    for offset, index in enumerate(sorted(checked)):
        paddle = Paddle(event=event, number=100 + offset, registration=guests[index].registration)
        paddles.append(paddle)
        guests[index].paddle = paddle
        guests[index].checked_in_at = now
    Paddle.objects.bulk_create(paddles, batch_size=2000)
    Guest.objects.bulk_create(guests, batch_size=2000)

    unchecked = [str(g.id) for g in guests if g.checked_in_at is None]
    rng.shuffle(unchecked)
    terms = []
    for _ in range(200):
        kind = rng.random()
        g = rng.choice(guests)
        if kind < 0.45:
            terms.append(g.last_name[: rng.randint(3, len(g.last_name))].lower())
        elif kind < 0.65:
            terms.append(f"{g.first_name} {g.last_name[:3]}")
        elif kind < 0.8 and g.email:
            terms.append(g.email.split("@")[0][:8])
        elif kind < 0.9:
            terms.append(g.phone[-5:])
        else:
            terms.append(str(rng.randint(100, 100 + len(paddles))))

    from rest_framework_simplejwt.tokens import RefreshToken

    token = str(RefreshToken.for_user(staff).access_token)
    return str(event.id), token, unchecked, terms


def explain(event_id: str, term: str) -> str:
    from django.db import connection

    from apps.attendance.selectors import guests_search
    from apps.events.models import Event

    event = Event.objects.get(pk=event_id)
    qs = guests_search(event, term)[:25]
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN ANALYZE {sql}", params)
        lines = [row[0] for row in cursor.fetchall()]
    scans = [ln.strip() for ln in lines if "Scan" in ln]
    timing = [ln.strip() for ln in lines if ln.strip().startswith("Execution Time")]
    return "\n      ".join(scans[:6] + timing)


def db_only(event_id: str, terms: list[str]) -> list[float]:
    """The search's own SQL (count + first page), in-process: what the index changes."""
    from apps.attendance.selectors import guests_search
    from apps.events.models import Event

    event = Event.objects.get(pk=event_id)
    samples = []
    for term in terms:
        t0 = time.perf_counter()
        qs = guests_search(event, term)
        qs.count()
        list(qs[:25])
        samples.append((time.perf_counter() - t0) * 1000)
    return samples


def measure(session, method: str, urls: list[str], expect: int) -> list[float]:
    samples = []
    for url in urls:
        t0 = time.perf_counter()
        response = session.request(method, url)
        samples.append((time.perf_counter() - t0) * 1000)
        if response.status_code != expect:
            raise SystemExit(f"{method} {url} → {response.status_code}: {response.text[:300]}")
    return samples


def summary(name: str, samples: list[float]) -> str:
    p95 = statistics.quantiles(samples, n=20)[-1]
    return f"  {name:<44} n={len(samples):<4} median {statistics.median(samples):7.1f} ms   p95 {p95:7.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--guests", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    db_url, admin_url, db_name = bench_database_url()
    recreate_database(admin_url, db_name)
    env = {
        **os.environ,
        "DATABASE_URL": db_url,
        "DJANGO_SETTINGS_MODULE": "augeo.settings.local",
        "DJANGO_DEBUG": "false",
        "DJANGO_LOG_LEVEL": "WARNING",
        "THROTTLE_RATE_USER": "1000000/min",
        "THROTTLE_RATE_ANON": "1000000/min",
    }
    os.environ.update(env)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    print(f"database {db_name}: migrating …", flush=True)
    call_command("migrate", verbosity=0)
    t0 = time.perf_counter()
    event_id, token, unchecked, terms = load_data(args.guests)
    with connection.cursor() as cursor:
        # A live database is vacuumed by autovacuum; measuring straight after a bulk load would
        # mostly time the first visits that set hint bits and the visibility map.
        cursor.execute("VACUUM ANALYZE")
    print(f"loaded {args.guests} guests in {time.perf_counter() - t0:.1f} s", flush=True)
    connection.close()

    port = free_port()
    gunicorn = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "augeo.wsgi",
            "-c",
            "/dev/null",  # not the production gunicorn.conf.py (ASGI workers, shared metrics dir)
            "-k",
            "sync",
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            str(args.workers),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    import requests

    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if requests.get(f"{base}/health/live/", timeout=5).status_code == 200:
                    break
            except requests.RequestException:
                pass
            time.sleep(0.2)
        else:
            raise SystemExit("gunicorn did not come up")
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {token}"
        guests_url = f"{base}/api/v1/events/{event_id}/guests/"
        n = args.requests
        search_urls = [f"{guests_url}?search={requests.utils.quote(t)}" for t in (terms * 3)[:n]]
        checkin_urls = [f"{guests_url}{gid}/check-in/" for gid in unchecked[:n]]

        measure(session, "GET", search_urls[:20], 200)  # warm up both workers
        health = [f"{base}/health/live/"] * n
        results = [summary("baseline: GET /health/live/ (no DB, no auth)", measure(session, "GET", health, 200))]
        results.append(summary("search, pg_trgm GIN index on search_text", measure(session, "GET", search_urls, 200)))
        results.append(summary("check-in (assigns a bidder number)", measure(session, "POST", checkin_urls, 200)))
        plan_with = explain(event_id, "garc")
        db_terms = terms[:100]
        db_only(event_id, db_terms[:10])
        results.append(summary("  same searches, SQL only (in-process)", db_only(event_id, db_terms)))

        with connection.cursor() as cursor:
            cursor.execute(f"DROP INDEX IF EXISTS {TRGM_INDEX}")
            cursor.execute("ANALYZE attendance_guest")
        measure(session, "GET", search_urls[:20], 200)
        no_index = measure(session, "GET", search_urls, 200)
        results.append(summary("search, no trigram index (LIKE on search_text)", no_index))
        plan_without = explain(event_id, "garc")
        results.append(summary("  same searches, SQL only, no trigram index", db_only(event_id, db_terms)))
        with connection.cursor() as cursor:  # leave the database as the migration made it
            cursor.execute(f"CREATE INDEX {TRGM_INDEX} ON attendance_guest USING gin (search_text gin_trgm_ops)")
    finally:
        gunicorn.terminate()
        gunicorn.wait(timeout=20)

    print(
        f"\nCheck-in benchmark: {args.guests} guests in one event, gunicorn {args.workers} workers, "
        f"{os.cpu_count()} CPUs (load average {os.getloadavg()[0]:.1f}), serial requests over loopback"
    )
    print("\n".join(results))
    print(f"\n  plan of search 'garc' with the indexes:\n      {plan_with}")
    print(f"  plan of search 'garc' without:\n      {plan_without}")


if __name__ == "__main__":
    main()
