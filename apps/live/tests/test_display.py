"""The projector display page and its state endpoint."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from apps.auctions.models import ItemStatus
from apps.auctions.selectors import bid_context
from apps.auctions.services.bidding import bid_place
from apps.auctions.tests.factories import ItemFactory, bidder
from apps.events.tests.factories import EventFactory
from apps.npos.tests.factories import MembershipFactory
from apps.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db
D = Decimal


def _world() -> tuple:
    item = ItemFactory(title="Weekend <b>at</b> the lake", bid_increment=D("10"))
    event = item.event
    event.goal_amount = D("1000")
    event.save()
    ItemFactory(event=event, title="Draft thing", status=ItemStatus.DRAFT)
    soon = ItemFactory(event=event, title="Pearl necklace", closes_at=timezone.now() + timezone.timedelta(minutes=9))
    alice, bob = bidder(event, 101), bidder(event, 102)
    bid_place(context=bid_context(alice, item), amount="100", max_amount="450")
    bid_place(context=bid_context(bob, item), amount="200")
    bid_place(context=bid_context(bob, soon), amount="100")
    return event, item, soon


def test_first_state_is_rendered_server_side_without_script() -> None:
    event, _item, _soon = _world()
    response = Client().get(f"/events/{event.slug}/display/")
    assert response.status_code == 200
    html = response.content.decode()
    assert response["Cache-Control"].startswith("max-age=0")
    assert event.name in html
    assert "$210" in html and "#101" in html  # alice's proxy answered bob's 200 with 210
    assert "Weekend &lt;b&gt;at&lt;/b&gt; the lake" in html  # titles are escaped
    assert "Pearl necklace" in html and "Draft thing" not in html
    assert '<progress class="thermometer" id="thermometer" max="100" value="0.0"' in html
    assert "450.00" not in html and "$450" not in html  # alice's maximum
    assert "<script>" not in html and "style=" not in html  # strict CSP: the script is a static file
    assert 'src="/static/live/display.js"' in html
    assert "script-src 'self'" in response["Content-Security-Policy"]  # and the browser test sees no violation


def test_state_json_matches_and_counts_queries(django_assert_num_queries) -> None:
    event, item, _soon = _world()
    for n in range(10):
        ItemFactory(event=event, title=f"Filler {n}")
    with django_assert_num_queries(13):
        response = Client().get(f"/events/{event.slug}/display/state/")
    assert response.status_code == 200 and response["Cache-Control"].startswith("max-age=0")
    state = response.json()
    assert state["totals"]["goal"] == "1000.00" and state["event"]["currency"] == "USD"
    assert state["closing_soon"][0]["title"] == "Pearl necklace"
    assert state["hot_items"][0]["item"] == str(item.pk) and state["hot_items"][0]["current_bid"] == "210.00"
    assert [(r["bidder_number"], r["amount"]) for r in state["latest"][:3]] == [
        (102, "100.00"),
        (101, "210.00"),
        (102, "200.00"),
    ]
    assert "Draft thing" not in str(state["items"]) and len(state["items"]) == 12
    assert "450.00" not in response.content.decode()


def test_draft_events_are_for_members_only() -> None:
    event = EventFactory()
    assert Client().get(f"/events/{event.slug}/display/").status_code == 404
    assert Client().get(f"/events/{event.slug}/display/state/").status_code == 404
    assert Client().get("/events/no-such-event/display/").status_code == 404
    member = UserFactory()
    MembershipFactory(npo=event.npo, user=member, role="staff")
    client = Client()
    client.force_login(member)
    assert client.get(f"/events/{event.slug}/display/").status_code == 200


def test_writes_are_refused() -> None:
    event = ItemFactory().event
    assert Client().post(f"/events/{event.slug}/display/").status_code == 405


def test_event_admin_page_links_the_display(superuser) -> None:
    event = ItemFactory().event
    client = Client()
    client.force_login(superuser)
    html = client.get(f"/admin/events/event/{event.pk}/change/").content.decode()
    assert f'href="/events/{event.slug}/display/"' in html and "Projector display" in html


def test_money_and_countdown_filters() -> None:
    from apps.live.templatetags.live_display import countdown, percent_width
    from apps.live.templatetags.live_display import display_money as money

    assert money("1234.50") == "$1,234.50" and money("1000.00", "EUR") == "€1,000" and money(None) == "—"
    assert money("5", "CHF") == "5 CHF" and money("oops") == "oops"
    assert countdown("") == "" and countdown(timezone.now() - timezone.timedelta(seconds=5)) == "closing"
    assert countdown(timezone.now() + timezone.timedelta(hours=1, minutes=2, seconds=30))[:4] == "1:02"
    assert countdown((timezone.now() + timezone.timedelta(minutes=4, seconds=30)).isoformat()) in ("4:30", "4:29")
    assert percent_width(140) == "100.0" and percent_width(None) == "0.0" and percent_width("x") == "0"
