"""Two instances behind nginx (``bash scripts/scaleout.sh test``, run by ``.ci/run``).

Bids placed through instance A reach a WebSocket client that nginx connected to instance B, in
order; bids arriving through both instances at once keep every bidding invariant. Skipped unless
scripts/scaleout.sh exported ``AUGEO_SCALEOUT_NGINX`` (the normal test run has no instances).
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import threading
from decimal import Decimal
from typing import Any

import pytest
import requests

pytestmark = [
    pytest.mark.scaleout,
    pytest.mark.skipif(
        not os.environ.get("AUGEO_SCALEOUT_NGINX"), reason="needs `bash scripts/scaleout.sh test` (two instances)"
    ),
]

NGINX = os.environ.get("AUGEO_SCALEOUT_NGINX", "")
A = os.environ.get("AUGEO_SCALEOUT_A", "")
B = os.environ.get("AUGEO_SCALEOUT_B", "")


def _db(*args: str) -> Any:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "augeo.settings.local",
        "DATABASE_URL": os.environ["AUGEO_SCALEOUT_DATABASE_URL"],
        "REDIS_URL": os.environ["AUGEO_SCALEOUT_REDIS_URL"],
        "DJANGO_SECRET_KEY": os.environ["AUGEO_SCALEOUT_SECRET_KEY"],
        "DJANGO_LOG_LEVEL": "ERROR",
    }
    env.pop("AZURE_STORAGE_CONNECTION_STRING", None)
    out = subprocess.run(
        [sys.executable, "-m", "apps.live.tests.scaleout_seed", *args], env=env, check=True, capture_output=True
    )
    return json.loads(out.stdout.decode().strip().splitlines()[-1])


@pytest.fixture(scope="module")
def world() -> dict[str, Any]:
    return _db("seed")


def _bid(base: str, token: str, item: str, amount: Decimal) -> requests.Response:
    return requests.post(
        f"{base}/api/v1/items/{item}/bids/",
        json={"amount": str(amount)},
        headers={"Authorization": f"Bearer {token}"},
        timeout=15,
    )


def test_bids_through_a_reach_a_socket_on_b_through_nginx_in_order(world: dict[str, Any]) -> None:
    from websockets.sync.client import connect

    ws_url = NGINX.replace("http://", "ws://") + f"/ws/events/{world['event']}/"
    b_port = B.rsplit(":", 1)[1]
    with contextlib.ExitStack() as stack:
        sockets, on_b = [], None
        for _ in range(6):  # nginx balances round-robin: one of the first sockets lands on B
            socket = stack.enter_context(connect(ws_url, open_timeout=10))
            sockets.append(socket)
            if socket.response.headers.get("X-Upstream", "").endswith(f":{b_port}"):
                on_b = socket
                break
        assert on_b is not None, [s.response.headers.get("X-Upstream") for s in sockets]
        received, answers = _bid_and_listen(world, on_b)

    sequences = [m["sequence"] for m in received]
    assert sequences == sorted(set(sequences)) and len(sequences) == 20
    assert received[-1]["current_bid"] == answers[-1]["current_bid"]
    assert [m["current_bid"] for m in received] == [a["current_bid"] for a in answers]


def _bid_and_listen(world: dict[str, Any], on_b: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """20 bids through instance A, then the socket's bid_placed messages of that item."""
    item, tokens = world["items"][0], world["tokens"]
    amount, answers = Decimal("10"), []
    for i in range(20):
        response = _bid(A, tokens[i % 2], item, amount)
        assert response.status_code == 201, response.text
        answers.append(response.json())
        amount = Decimal(answers[-1]["min_next_bid"])

    received: list[dict[str, Any]] = []
    last = answers[-1]["bid"]["sequence"]
    while not received or received[-1]["sequence"] < last:
        message = json.loads(on_b.recv(timeout=10))
        if message["type"] == "bid_placed" and message["item"] == item:
            received.append(message)
    return received, answers


def test_bids_through_both_instances_keep_the_invariants(world: dict[str, Any]) -> None:
    items, tokens = world["items"][1:], world["tokens"]
    statuses: list[int] = []
    lock = threading.Lock()

    def bidder(i: int) -> None:
        base = (A, B, NGINX)[i % 3]
        amount = Decimal("10")
        for n in range(12):
            item = items[(i + n) % len(items)]
            response = _bid(base, tokens[i], item, amount)
            with lock:
                statuses.append(response.status_code)
            body = response.json()
            if response.status_code == 201:
                amount = Decimal(body["min_next_bid"])
            elif body["error"]["code"] == "BID_TOO_LOW":
                amount = Decimal(body["error"]["min_bid"])
            else:
                amount += 5

    threads = [threading.Thread(target=bidder, args=(i,)) for i in range(len(tokens))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert statuses and all(code in (201, 409) for code in statuses), statuses
    assert statuses.count(201) >= 10
    violations = _db("check", world["event"])
    assert not any(violations.values()), violations
