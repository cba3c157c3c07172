"""The anonymous catalogue and the event totals from the 1 s public cache.

A room of phones polling costs one build per second: a second anonymous read inside the window runs
no query. A committed bid invalidates it (the live publisher runs after commit), so the bid is on
the very next read; and whatever changed without the publisher is visible on the next read after
the window at the latest.
"""

from __future__ import annotations

import time
from decimal import Decimal

import pytest

from apps.auctions.models import Item, ItemStatus
from apps.auctions.tests.factories import ItemFactory, bidder
from apps.core import public_cache
from apps.events.tests.factories import EventFactory
from conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _cache_on(settings):
    settings.AUGEO_PUBLIC_CACHE_SECONDS = 1


def catalogue(event) -> dict:
    response = client_for(None).get(f"/api/v1/events/{event.pk}/items/?page_size=20")
    assert response.status_code == 200
    return response.json()


def test_second_anonymous_read_in_the_window_runs_no_query(django_assert_num_queries) -> None:
    item = ItemFactory()
    first = catalogue(item.event)
    with django_assert_num_queries(0):
        assert catalogue(item.event) == first
    # Another query string is another entry.
    other = client_for(None).get(f"/api/v1/events/{item.event.pk}/items/?page_size=5").json()
    assert other["results"] == first["results"]


def test_anonymous_json_is_served_as_rendered_and_the_browsable_page_still_works(django_assert_num_queries) -> None:
    """The phones' JSON is cached rendered: the same bytes as DRF's renderer, one cache read, no
    query; a browser asking for HTML or indented JSON still gets DRF's own rendering."""
    from rest_framework.renderers import JSONRenderer

    item = ItemFactory()
    url = f"/api/v1/events/{item.event.pk}/items/?page_size=20"
    client = client_for(None)
    built = client.get(url, HTTP_ACCEPT="application/json; indent=2")  # built by DRF, not the JSON entry
    assert built.status_code == 200 and b'\n  "count"' in built.content
    with django_assert_num_queries(0):
        first = client.get(url)
    assert first["Content-Type"] == "application/json"
    assert first.content == JSONRenderer().render(built.json())
    assert client.get(url).content == first.content
    html = client.get(url, HTTP_ACCEPT="text/html")
    assert html.status_code == 200 and html["Content-Type"].startswith("text/html")
    assert item.title.encode() in html.content


def test_committed_bid_is_on_the_next_read(django_capture_on_commit_callbacks) -> None:
    item = ItemFactory()
    assert catalogue(item.event)["results"][0]["bid_count"] == 0
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(bidder(item.event, 201)).post(
            f"/api/v1/items/{item.pk}/bids/", {"amount": "100"}, format="json"
        )
    assert response.status_code == 201
    row = catalogue(item.event)["results"][0]
    assert (row["bid_count"], row["current_bid"]) == (1, "100.00")


def test_a_change_without_invalidation_is_visible_after_the_window() -> None:
    item = ItemFactory()
    catalogue(item.event)
    # The bid's after-commit callbacks never run in this (rolled-back) test transaction: no
    # invalidation, so only the window bounds how long the old page is served.
    client_for(bidder(item.event, 202)).post(f"/api/v1/items/{item.pk}/bids/", {"amount": "100"}, format="json")
    assert catalogue(item.event)["results"][0]["bid_count"] == 0
    time.sleep(1.1)
    assert catalogue(item.event)["results"][0]["bid_count"] == 1


def test_members_and_errors_are_never_cached_and_bidders_get_their_own_fields() -> None:
    from apps.npos.tests.factories import MembershipFactory

    item = ItemFactory()
    url = f"/api/v1/events/{item.event.pk}/items/"
    staff = bidder(item.event, 207)
    MembershipFactory(npo=item.event.npo, user=staff, role="staff")
    client_for(staff).get(url)
    Item.objects.filter(pk=item.pk).update(title="Renamed")
    assert client_for(staff).get(url).json()["results"][0]["title"] == "Renamed"  # members: built every time
    # A bidder shares the public page (cached) but their own fields are read for them every time.
    user = bidder(item.event, 203)
    assert client_for(user).get(url).json()["results"][0]["my_max_bid"] is None
    client_for(user).post(f"/api/v1/items/{item.pk}/bids/", {"amount": "100", "max_amount": "250"}, format="json")
    row = client_for(user).get(url).json()["results"][0]
    assert (row["my_max_bid"], row["bid_count"]) == ("250.00", 0)  # no commit hook ran: old public part
    assert "leading" not in client_for(None).get(url).json()["results"][0]
    draft = EventFactory()
    for _ in range(2):
        assert client_for(None).get(f"/api/v1/events/{draft.pk}/items/").status_code == 404
    assert client_for(None).get(f"{url}?page_size=0").status_code == 400


def test_totals_are_shared_but_visibility_is_checked_every_time(django_capture_on_commit_callbacks) -> None:
    item = ItemFactory(status=ItemStatus.OPEN, buy_now_price=Decimal("50"))
    url = f"/api/v1/events/{item.event.pk}/totals/"
    before = client_for(None).get(url).json()
    assert client_for(None).get(url).json() == before
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(bidder(item.event, 204)).post(f"/api/v1/items/{item.pk}/buy-now/", {}, format="json")
    assert response.status_code == 201
    assert client_for(None).get(url).json()["by_source"]["buy_now"] == "50.00"
    draft = EventFactory()
    assert client_for(None).get(f"/api/v1/events/{draft.pk}/totals/").status_code == 404


def test_turned_off_it_builds_every_time(settings) -> None:
    settings.AUGEO_PUBLIC_CACHE_SECONDS = 0
    calls = []
    assert public_cache.read("e", "x", lambda: calls.append(1) or 1) == 1
    assert public_cache.read("e", "x", lambda: calls.append(1) or 1) == 1
    assert len(calls) == 2
    public_cache.event_changed("e")  # a no-op


def test_event_changed_bumps_the_version_from_nothing() -> None:
    calls = []
    public_cache.read("f00d", "x", lambda: calls.append(1) or 1)
    public_cache.read("f00d", "x", lambda: calls.append(1) or 1)
    assert len(calls) == 1
    public_cache.event_changed("f00d")
    public_cache.event_changed("f00d")
    public_cache.read("f00d", "x", lambda: calls.append(1) or 1)
    assert len(calls) == 2


def test_bidder_overlay_matches_the_per_row_annotations(settings) -> None:
    """A signed-in bidder's page (public page + overlay) is what the full per-user query answers."""
    import json

    from django.test import RequestFactory
    from rest_framework.renderers import JSONRenderer
    from rest_framework.request import Request

    from apps.auctions import selectors
    from apps.auctions.api.serializers import ItemSerializer

    event = ItemFactory().event
    items = [ItemFactory(event=event) for _ in range(3)]
    donor, rival = bidder(event, 205), bidder(event, 206)
    url = f"/api/v1/items/{items[0].pk}/bids/"
    client_for(donor).post(url, {"amount": "100", "max_amount": "300"}, format="json")
    client_for(rival).post(url, {"amount": "150"}, format="json")  # donor's proxy keeps the lead
    client_for(rival).post(f"/api/v1/items/{items[1].pk}/bids/", {"amount": "100", "max_amount": "120"}, format="json")
    client_for(donor).post(f"/api/v1/items/{items[1].pk}/bids/", {"amount": "130"}, format="json")
    client_for(rival).post(f"/api/v1/items/{items[2].pk}/bids/", {"amount": "100", "max_amount": "500"}, format="json")
    for user in (donor, rival):
        got = client_for(user).get(f"/api/v1/events/{event.pk}/items/").json()["results"]
        request = Request(RequestFactory().get("/"))
        request.user = user
        rows = selectors.attach_images(list(selectors.items_for_event(user=user, event=event, member=False)))
        expected = json.loads(JSONRenderer().render(ItemSerializer(rows, many=True, context={"request": request}).data))
        assert [sorted(row) for row in got] == [sorted(row) for row in expected]  # the same fields
        assert got == expected
    by_id = {row["id"]: row for row in client_for(donor).get(f"/api/v1/events/{event.pk}/items/").json()["results"]}
    assert (by_id[str(items[0].pk)]["leading"], by_id[str(items[0].pk)]["my_max_bid"]) == (True, "300.00")
    assert (by_id[str(items[1].pk)]["leading"], by_id[str(items[1].pk)]["my_max_bid"]) == (
        True,
        "130.00",
    )  # a bid without a maximum is its own maximum
    assert (by_id[str(items[2].pk)]["leading"], by_id[str(items[2].pk)]["my_max_bid"]) == (False, None)
