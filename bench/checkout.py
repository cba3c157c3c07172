"""Checkout benchmark: statements, one statement, the summary report and the full CSV at
1,000 paddles and ~10,000 statement lines.

    eval "$(bash scripts/services.sh env)"; .venv/bin/python bench/checkout.py [--paddles 1000] [--requests 200]

* PostgreSQL and Redis: works in its own database ``<name>_bench_checkout`` on the ``DATABASE_URL``
  server, dropped and re-created on every run (your database is never touched).
* Loads one closed event with 1,000 paddles (holders' names), each with ~10 lines: 3 silent items
  won, 2 live sales, 2 buy-now purchases, 2 pledges and a checkout donation; half the paddles have
  a payment. Counts the queries of each request in-process (page of 25 and of 100, to show the
  count does not grow), then starts the production server (bench/common.py: gunicorn.conf.py,
  ``augeo.wsgi``, sync workers, loopback) and measures serial requests with ``requests``:
  1. ``GET /events/{id}/statements/?page=N`` (25 per page);
  2. ``GET /events/{id}/statements/{n}/`` (one statement);
  3. ``GET /events/{id}/reports/summary/``;
  4. ``GET /events/{id}/statements/?format=csv`` (all 1,000 statements; a few runs).
* Prints median and p95 per scenario, the CSV's time, and the query counts.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path

from common import (
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
)

FIRST = ["James", "Mary", "John", "Patricia", "Robert", "Jennifer", "Ana", "Wei", "Priya", "Sofia", "Omar", "Lena"]
LAST = ["Smith", "Johnson", "Garcia", "Nguyen", "Kim", "Okafor", "Rossi", "Müller", "Chen", "Patel", "Brown", "Silva"]


def load_data(n_paddles: int) -> tuple[str, str, int]:
    """One closed event; returns its id, a cashier's JWT and the number of statement lines."""
    from django.utils import timezone

    from apps.attendance.models import Guest, Paddle, Registration
    from apps.auctions.models import Item, ItemKind, ItemStatus, Pledge, Purchase, Sale
    from apps.checkout.models import Donation, Payment
    from apps.events.models import Event, EventStatus
    from apps.npos.capabilities import Role
    from apps.npos.models import NPO, Membership, MembershipStatus, NPOStatus
    from apps.users.models import User

    rng = random.Random(12)
    now = timezone.now()
    npo = NPO.objects.create(
        name="Bench NPO",
        email="bench@example.org",
        status=NPOStatus.APPROVED,
        legal_name="Bench NPO Inc.",
        tax_id="12-3456789",
    )
    start = now - timezone.timedelta(hours=6)
    event = Event.objects.create(
        npo=npo,
        name="Bench Gala",
        slug=f"bench-{uuid.uuid4().hex[:8]}",
        status=EventStatus.CLOSED,
        starts_at=start,
        ends_at=start + timezone.timedelta(hours=5),
        goal_amount=Decimal("2000000.00"),
    )
    cashier = User.objects.create_user(
        email="bench-cashier@example.org", password="bench-password-123", email_verified_at=now
    )
    Membership.objects.create(npo=npo, user=cashier, role=Role.CASHIER, status=MembershipStatus.ACTIVE)

    users, registrations, guests, paddles = [], [], [], []
    for i in range(n_paddles):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        user = User(
            email=f"donor{i}@example.org", first_name=first, last_name=last, email_verified_at=now, password="!"
        )
        reg = Registration(event=event, user=user, code=f"B{i:05d}")
        paddle = Paddle(event=event, number=100 + i, registration=reg)
        guest = Guest(
            registration=reg,
            event=event,
            user=user,
            is_registrant=True,
            first_name=first,
            last_name=last,
            email=user.email,
            paddle=paddle,
            checked_in_at=now,
        )
        users.append(user)
        registrations.append(reg)
        paddles.append(paddle)
        guests.append(guest)
    User.objects.bulk_create(users, batch_size=2000)
    Registration.objects.bulk_create(registrations, batch_size=2000)
    Paddle.objects.bulk_create(paddles, batch_size=2000)
    Guest.objects.bulk_create(guests, batch_size=2000)

    number = iter(range(1, 10**6))
    silent = []
    for p in paddles:
        for _ in range(3):
            price = Decimal(rng.randrange(50, 2000))
            silent.append(
                Item(
                    event=event,
                    number=next(number),
                    title=f"Lot {len(silent)}",
                    kind=ItemKind.SILENT,
                    status=ItemStatus.SOLD,
                    starting_bid=Decimal("25"),
                    current_bid=price,
                    winning_amount=price,
                    winner_paddle=p,
                    quantity_sold=1,
                    closed_at=now,
                    fair_market_value=None if rng.random() < 0.15 else Decimal(rng.randrange(20, 800)),
                )
            )
    live = [
        Item(
            event=event,
            number=next(number),
            title=f"Live {i}",
            kind=ItemKind.LIVE,
            status=ItemStatus.OPEN,
            starting_bid=Decimal("100"),
            quantity=1000,
            fair_market_value=Decimal(rng.randrange(100, 900)),
        )
        for i in range(100)
    ]
    buy_now = [
        Item(
            event=event,
            number=next(number),
            title=f"Wine {i}",
            kind=ItemKind.BUY_NOW_ONLY,
            status=ItemStatus.OPEN,
            buy_now_price=Decimal("75"),
            quantity=1000,
            fair_market_value=Decimal("40"),
        )
        for i in range(50)
    ]
    Item.objects.bulk_create(silent + live + buy_now, batch_size=2000)
    sales, purchases, pledges, donations, payments = [], [], [], [], []
    for p in paddles:
        for _ in range(2):
            sales.append(Sale(item=rng.choice(live), paddle=p, amount=Decimal(rng.randrange(200, 5000))))
            q = rng.randint(1, 3)
            purchases.append(
                Purchase(
                    item=rng.choice(buy_now), paddle=p, quantity=q, unit_price=Decimal("75"), amount=Decimal(75 * q)
                )
            )
            pledges.append(
                Pledge(event=event, paddle=p, amount=Decimal(rng.choice([100, 250, 500, 1000])), source="clerk")
            )
        donations.append(Donation(event=event, paddle=p, amount=Decimal(rng.randrange(10, 200))))
        if rng.random() < 0.5:
            payments.append(Payment(event=event, paddle=p, amount=Decimal(rng.randrange(100, 1500)), method="cash"))
    Sale.objects.bulk_create(sales, batch_size=2000)
    Purchase.objects.bulk_create(purchases, batch_size=2000)
    Pledge.objects.bulk_create(pledges, batch_size=2000)
    Donation.objects.bulk_create(donations, batch_size=2000)
    Payment.objects.bulk_create(payments, batch_size=2000)
    lines = len(silent) + len(sales) + len(purchases) + len(pledges) + len(donations)

    from rest_framework_simplejwt.tokens import RefreshToken

    return str(event.id), str(RefreshToken.for_user(cashier).access_token), lines


def query_counts(event_id: str, token: str) -> list[str]:
    """Queries per request, in-process (the same code gunicorn runs)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    client = APIClient(HTTP_HOST="127.0.0.1")  # one of the production settings' allowed hosts
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    base = f"/api/v1/events/{event_id}"
    out = []
    for label, url in (
        ("statements, page of 25", f"{base}/statements/?page_size=25"),
        ("statements, page of 100", f"{base}/statements/?page_size=100"),
        ("one statement", f"{base}/statements/100/"),
        ("summary report", f"{base}/reports/summary/"),
        ("CSV of every statement", f"{base}/statements/?format=csv"),
    ):
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        out.append(f"  {label:<28} {len(ctx.captured_queries)} queries")
    return out


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
    p95 = percentile(samples, 95)
    return f"  {name:<44} n={len(samples):<4} median {median(samples):7.1f} ms   p95 {p95:7.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--paddles", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--csv-runs", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    url = database_url("_bench_checkout")
    print(f"database {database_name(url)}: migrating …", flush=True)
    ensure_database(url, fresh=True)
    django_setup(url, DJANGO_LOG_LEVEL="WARNING")
    from django.db import connection

    t0 = time.perf_counter()
    event_id, token, lines = load_data(args.paddles)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    print(f"loaded {args.paddles} paddles, {lines} statement lines in {time.perf_counter() - t0:.1f} s", flush=True)
    counts = query_counts(event_id, token)
    connection.close()

    port = free_port()
    log = Path(tempfile.gettempdir()) / f"augeo-bench-checkout-{port}.log"
    gunicorn = start_gunicorn(
        "augeo.wsgi:application",
        port=port,
        workers=args.workers,
        env=server_env(url, DJANGO_LOG_LEVEL="WARNING"),
        log=log,
    )
    import requests

    base = f"http://127.0.0.1:{port}"
    try:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {token}"
        api = f"{base}/api/v1/events/{event_id}"
        rng = random.Random(7)
        n = args.requests
        pages = args.paddles // 25
        measure(session, "GET", [f"{api}/statements/?page=1"] * 5, 200)  # warm up both workers
        results = [
            (
                "statements list (page of 25)",
                measure(session, "GET", [f"{api}/statements/?page={rng.randint(1, pages)}" for _ in range(n)], 200),
            ),
            (
                "one statement",
                measure(
                    session, "GET", [f"{api}/statements/{rng.randint(100, 99 + args.paddles)}/" for _ in range(n)], 200
                ),
            ),
            ("summary report", measure(session, "GET", [f"{api}/reports/summary/"] * max(20, n // 4), 200)),
        ]
        csv_times = measure(session, "GET", [f"{api}/statements/?format=csv"] * args.csv_runs, 200)
    finally:
        stop(gunicorn)
    print(f"\ncheckout at {args.paddles} paddles / {lines} lines (gunicorn, {args.workers} sync workers):")
    for name, samples in results:
        print(summary(name, samples))
    csv_line = f"median {median(csv_times):7.1f} ms   max {max(csv_times):7.1f} ms"
    print(f"  {'CSV of every statement':<44} n={len(csv_times):<4} {csv_line}")
    print("query counts (constant in the page size):")
    print("\n".join(counts))


if __name__ == "__main__":
    main()
