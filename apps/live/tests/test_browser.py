"""The projector display in a real browser (Playwright driving the distribution's Chromium).

Opens the page served by a real ASGI server, places a bid and records a live sale through the HTTP
API, and checks the new amount, the total and the thermometer appear within 2 s; then cuts the
socket at the server, places a bid while the page is away, and checks it reconnects and shows it.
A screenshot is saved under ``.ci/artifacts/`` (CI keeps it).
"""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import requests
from django.conf import settings

from apps.auctions.models import ItemKind
from apps.auctions.tests.factories import ItemFactory, bidder
from apps.live.tests.helpers import token_for
from apps.live.tests.server import LiveServer
from apps.npos.tests.factories import MembershipFactory
from apps.users.tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
D = Decimal
ARTIFACTS = Path(settings.BASE_DIR) / ".ci" / "artifacts"
CHROMIUM = os.environ.get("AUGEO_CHROMIUM", "/usr/bin/chromium")


def api(server: LiveServer, token: str, path: str, body: dict[str, Any]) -> Any:
    response = requests.post(f"{server.url}{path}", json=body, headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert response.status_code == 201, response.text
    return response.json()


def test_display_updates_live_and_recovers_from_a_dropped_socket() -> None:
    from playwright.sync_api import expect, sync_playwright

    item = ItemFactory(title="Weekend at the lake", bid_increment=D("10"))
    event = item.event
    event.goal_amount = D("10000")
    event.save()
    other = ItemFactory(event=event, title="Signed jersey")
    live_item = ItemFactory(event=event, kind=ItemKind.LIVE, title="Trip to Tuscany", starting_bid=D("0"))
    alice, bob = bidder(event, 101), bidder(event, 102)
    auctioneer = UserFactory()
    MembershipFactory(npo=event.npo, user=auctioneer, role="auctioneer")
    tokens = {"alice": token_for(alice), "bob": token_for(bob), "clerk": token_for(auctioneer)}
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    with LiveServer() as server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            page = browser.new_page(viewport={"width": 1920, "height": 1080})
            problems: list[str] = []
            page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
            page.on(
                "console",
                lambda msg: problems.append(msg.text) if "Content Security Policy" in msg.text else None,
            )
            page.goto(f"{server.url}/events/{event.slug}/display/")
            expect(page.locator("body")).to_have_attribute("data-live", "online", timeout=10_000)

            api(server, tokens["alice"], f"/api/v1/items/{item.pk}/bids/", {"amount": "150"})
            first = page.locator("#latest .feed-row").first
            expect(first).to_contain_text("$150", timeout=2_000)
            expect(first).to_contain_text("#101", timeout=2_000)
            expect(page.locator("#hot")).to_contain_text("Weekend at the lake", timeout=2_000)

            api(
                server,
                tokens["clerk"],
                f"/api/v1/items/{live_item.pk}/sales/",
                {"bidder_number": 102, "amount": "2500"},
            )
            expect(page.locator("#raised")).to_have_text("$2,500", timeout=2_000)
            expect(page.locator("#percent")).to_have_text("25%", timeout=2_000)
            expect(page.locator("#thermometer")).to_have_js_property("value", 25, timeout=2_000)

            assert server.drop_websockets() >= 1
            expect(page.locator("body")).to_have_attribute("data-live", "offline", timeout=5_000)
            api(server, tokens["bob"], f"/api/v1/items/{other.pk}/bids/", {"amount": "320"})
            expect(page.locator("body")).to_have_attribute("data-live", "online", timeout=10_000)
            expect(page.locator("#latest .feed-row").first).to_contain_text("$320", timeout=5_000)
            expect(page.locator("#latest")).to_contain_text("Signed jersey")

            page.screenshot(path=str(ARTIFACTS / "display.png"))
            assert not problems, problems
        finally:
            browser.close()
