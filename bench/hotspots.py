"""Profile one hot endpoint in-process: cProfile around N requests through Django's handler.

    .venv/bin/python bench/hotspots.py me|catalogue|catalogue_anon|bid|bid_low|item|guests [-n 300] [--sort tottime]

Uses bench/api.py's database (``<DATABASE_URL's name>_bench``, run ``bench/api.py`` once first) and
the production settings with the same environment as the benchmark's server; the requests go
through the full middleware chain (``django.test.Client``, which calls the WSGI handler), so what
the profile shows is what a gunicorn worker does per request minus the socket.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import sys
import time
from urllib.parse import quote

import api
from common import database_url, django_setup


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("endpoint")
    parser.add_argument("-n", type=int, default=300)
    parser.add_argument("--sort", default="cumulative")
    parser.add_argument("--limit", type=int, default=45)
    args = parser.parse_args()

    django_setup(database_url(api.DATABASE_SUFFIX))
    from django.test import Client

    auction = api.seed_auction(4)
    client = Client(HTTP_HOST="127.0.0.1")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {auction.tokens[0]}"}
    amount = [10]
    if args.endpoint == "guests":
        guests = api.seed_guests()
        terms = guests.terms
        staff = {"HTTP_AUTHORIZATION": f"Bearer {guests.token}"}

    def once(i: int) -> int:
        if args.endpoint == "me":
            return client.get("/api/v1/users/me/", **auth).status_code
        if args.endpoint in ("catalogue", "catalogue_anon"):
            headers = auth if args.endpoint == "catalogue" else {}
            return client.get(f"/api/v1/events/{auction.event_id}/items/?page_size=20", **headers).status_code
        if args.endpoint == "item":
            return client.get(f"/api/v1/items/{auction.hot}/", **auth).status_code
        if args.endpoint == "bid":
            item = auction.items[i % len(auction.items)]
            token = auction.tokens[i % len(auction.tokens)]
            body = json.dumps({"amount": str(amount[0] + i)})
            return client.post(
                f"/api/v1/items/{item}/bids/",
                body,
                content_type="application/json",
                HTTP_AUTHORIZATION=f"Bearer {token}",
            ).status_code
        if args.endpoint == "bid_low":  # refused: below the minimum (most of a hot item's bids)
            item = auction.items[i % len(auction.items)]
            token = auction.tokens[i % len(auction.tokens)]
            return client.post(
                f"/api/v1/items/{item}/bids/",
                json.dumps({"amount": "1"}),
                content_type="application/json",
                HTTP_AUTHORIZATION=f"Bearer {token}",
            ).status_code
        if args.endpoint == "guests":
            path = f"/api/v1/events/{guests.event_id}/guests/?search={quote(terms[i % len(terms)])}"
            return client.get(path, **staff).status_code
        sys.exit(f"unknown endpoint {args.endpoint}")

    for i in range(20):  # warm-up
        once(i)
    statuses: dict[int, int] = {}
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    for i in range(20, 20 + args.n):
        code = once(i)
        statuses[code] = statuses.get(code, 0) + 1
    profiler.disable()
    elapsed = time.perf_counter() - started
    print(f"{args.endpoint}: {args.n} requests, {elapsed / args.n * 1000:.2f} ms each (profiled), {statuses}")
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats(args.sort).print_stats(args.limit)
    print(out.getvalue())


if __name__ == "__main__":
    main()
