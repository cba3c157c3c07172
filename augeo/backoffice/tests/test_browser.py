"""The back office in a real browser: Playwright driving the distribution's Chromium
against one in-process ASGI server for the module, one shared browser.

For each role: sign in through the admin's login form, open the admin index and every Tonight page
the role has, at 1366x900 and 820x1180 — no console errors (CSP violations included), no horizontal
overflow on the desk and clerk pages at 820 px, only the role's links. Then a guest is checked in by
typing a registration code on the desk, and a live sale is recorded with the keyboard only.
Screenshots go to ``.ci/artifacts/backoffice/`` (git-ignored; CI keeps them).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone

from apps.attendance.tests.factories import FoodOptionFactory, RegistrationFactory, TableFactory
from apps.auctions.models import ItemKind, Sale
from apps.auctions.tests.factories import ItemFactory, bidder
from apps.events.tests.factories import SponsorFactory
from apps.npos.tests.factories import MembershipFactory
from apps.users.tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
ARTIFACTS = Path(settings.BASE_DIR) / ".ci" / "artifacts" / "backoffice"
CHROMIUM = os.environ.get("AUGEO_CHROMIUM", "/usr/bin/chromium")
TABLET = {"width": 820, "height": 1180}
DESKTOP = {"width": 1366, "height": 900}

ROLE_LINKS = {
    "superuser": {
        "Check-in desk",
        "Live auction",
        "Paddle raise",
        "Checkout queue",
        "Event dashboard",
        "Projector display",
    },
    "admin": {
        "Check-in desk",
        "Live auction",
        "Paddle raise",
        "Checkout queue",
        "Event dashboard",
        "Projector display",
    },
    "staff": {"Check-in desk", "Projector display"},
    "auctioneer": {"Live auction", "Paddle raise", "Projector display"},
    "cashier": {"Checkout queue", "Event dashboard", "Projector display"},
}
ALL_LINKS = set().union(*ROLE_LINKS.values())
FIT_AT_820 = {"Check-in desk", "Live auction", "Paddle raise"}  # the desk and the clerk pages


@pytest.fixture(scope="module")
def server() -> Iterator[Any]:
    from apps.live.tests.server import LiveServer

    if not os.path.exists(CHROMIUM):
        pytest.skip("no Chromium")  # the browser marker fails the run under CI=true instead
    with LiveServer() as live:
        yield live


@pytest.fixture(scope="module")
def browser(django_db_setup: Any, django_db_blocker: Any) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        pytest.skip("no Chromium")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    # Playwright's sync API keeps an event loop on this thread; the ORM calls of the tests (and the
    # database flush between them) are plain synchronous code all the same.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield chromium
        chromium.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def night() -> dict[str, Any]:
    """An event live now, with a live item, a bidder, a seated guest with a meal; returns handles."""
    now = timezone.now()
    item = ItemFactory(kind=ItemKind.LIVE, title="Weekend in Tuscany", starting_bid=Decimal("0"))
    event = item.event
    event.name = "Harvest Gala"
    event.timezone = "America/Chicago"
    event.starts_at, event.ends_at = now - timedelta(hours=1), now + timedelta(hours=4)
    event.save()
    bidder(event, 342)
    SponsorFactory(event=event, name="Acme Bank", website="https://acme.example", contact_name="Jo Smith")
    registration = RegistrationFactory(event=event, code="HG7K2M")
    guest = registration.guests.get()
    guest.table = TableFactory(event=event, number=4, name="Oak")
    guest.food_option = FoodOptionFactory(event=event, name="Vegetarian risotto")
    guest.save()
    return {"event": event, "item": item, "guest": guest}


def user_for(event: Any, role: str) -> Any:
    if role == "superuser":
        return UserFactory(is_superuser=True, is_staff=True)
    user = UserFactory(is_staff=True)
    MembershipFactory(npo=event.npo, user=user, role=role)
    return user


class Watch:
    """Console errors, page errors and CSP violations of one page."""

    def __init__(self, page: Any) -> None:
        self.problems: list[str] = []
        page.on("pageerror", lambda exc: self.problems.append(f"page error: {exc}"))
        page.on(
            "console",
            lambda msg: self.problems.append(f"console {msg.type}: {msg.text}") if msg.type == "error" else None,
        )


def signed_in(browser: Any, server: Any, user: Any, viewport: dict[str, int]) -> tuple[Any, Any, Watch]:
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    watch = Watch(page)
    page.goto(f"{server.url}/admin/login/?next=/admin/")
    page.fill("#id_username", user.email)
    page.fill("#id_password", DEFAULT_PASSWORD)
    page.press("#id_password", "Enter")
    page.wait_for_url(f"{server.url}/admin/")
    return context, page, watch


def overflow(page: Any) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth"))


@pytest.mark.parametrize("role", list(ROLE_LINKS))
def test_each_role_sees_its_links_and_its_pages_fit(server: Any, browser: Any, role: str) -> None:
    data = night()
    user = user_for(data["event"], role)
    for label, viewport in (("desktop", DESKTOP), ("tablet", TABLET)):
        context, page, watch = signed_in(browser, server, user, viewport)
        try:
            tonight = page.locator("#tonight")
            assert "Harvest Gala" in tonight.inner_text()
            shown = {t.strip() for t in tonight.locator("a.tonight-link").all_inner_texts()}
            assert shown == ROLE_LINKS[role], (role, shown)
            page.screenshot(path=str(ARTIFACTS / f"index-{role}-{label}.png"), full_page=True)
            hrefs = {
                t: tonight.locator("a.tonight-link", has_text=t).first.get_attribute("href")
                for t in shown
                if t != "Projector display"
            }
            for name, href in sorted(hrefs.items()):
                page.goto(f"{server.url}{href}")
                assert page.locator("#header").count() == 1
                slug = name.lower().replace(" ", "-")
                page.screenshot(path=str(ARTIFACTS / f"{slug}-{role}-{label}.png"), full_page=True)
                if viewport is TABLET and name in FIT_AT_820:
                    assert overflow(page) <= 0, (role, name, overflow(page))
            if role in ("admin", "superuser"):  # the event's edit page with its sponsor inline
                page.goto(f"{server.url}/admin/events/event/{data['event'].pk}/change/")
                assert page.locator("#sponsors-group").count() == 1
                page.screenshot(path=str(ARTIFACTS / f"event-change-{role}-{label}.png"), full_page=True)
                assert overflow(page) <= 0, ("event change page", role, label, overflow(page))
            assert not watch.problems, watch.problems
        finally:
            context.close()


def test_check_in_a_guest_by_typing_the_code_on_the_desk(server: Any, browser: Any) -> None:
    data = night()
    staff = user_for(data["event"], "staff")
    context, page, watch = signed_in(browser, server, staff, TABLET)
    try:
        page.locator("#tonight a.tonight-link", has_text="Check-in desk").click()
        search = page.locator("#desk-q")
        assert search.evaluate("el => el === document.activeElement")
        page.keyboard.type("hg7k2m")
        page.keyboard.press("Enter")
        row = page.locator(".desk-row").first
        assert "Vegetarian risotto" in row.inner_text() and "HG7K2M" in row.inner_text()
        # One party member not yet in: the check-in button has the focus — a scanner's second Enter.
        assert row.locator("button.desk-checkin").evaluate("el => el === document.activeElement")
        page.keyboard.press("Enter")
        flash = page.locator(".desk-flash li.success")
        flash.wait_for()
        assert "is checked in. Paddle #" in flash.inner_text()
        assert page.locator(".desk-row .desk-undo").count() == 1
        assert overflow(page) <= 0
        page.screenshot(path=str(ARTIFACTS / "desk-checked-in-tablet.png"), full_page=True)
        context.close()
        context, page, watch = signed_in(browser, server, staff, {"width": 390, "height": 844})
        page.goto(f"{server.url}/admin/attendance/desk/{data['event'].pk}/?q=HG7K2M")
        assert overflow(page) <= 0
        page.screenshot(path=str(ARTIFACTS / "desk-phone.png"), full_page=True)
        data["guest"].refresh_from_db()
        assert data["guest"].checked_in_at is not None and data["guest"].paddle is not None
        assert not watch.problems, watch.problems
    finally:
        context.close()


def test_record_a_live_sale_with_the_keyboard_only(server: Any, browser: Any) -> None:
    data = night()
    auctioneer = user_for(data["event"], "auctioneer")
    context, page, watch = signed_in(browser, server, auctioneer, TABLET)
    try:
        page.goto(f"{server.url}/admin/auctions/item/live-sale/")
        assert page.locator("#id_event").input_value() == str(data["event"].pk)  # preselected: live
        assert page.locator("#id_item_number").evaluate("el => el === document.activeElement")
        page.keyboard.type(str(data["item"].number))
        page.keyboard.press("Tab")
        page.keyboard.type("342")
        page.keyboard.press("Tab")
        page.keyboard.type("2500")
        page.keyboard.press("Enter")
        flash = page.locator("#sold-flash")
        flash.wait_for()
        assert "Bidder #342" in flash.locator(".big-number").inner_text()
        assert overflow(page) <= 0
        page.screenshot(path=str(ARTIFACTS / "live-sale-sold-tablet.png"), full_page=True)
        sale = Sale.objects.get()
        assert sale.paddle.number == 342 and sale.amount == Decimal("2500")
        assert not watch.problems, watch.problems
    finally:
        context.close()
