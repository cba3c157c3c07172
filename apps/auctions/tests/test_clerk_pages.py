"""The clerk pages: linked, the live event preselected, a big flash with the bidder
number, the last 10 entries with undo on the page."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from apps.auctions.models import ItemKind, Pledge, Sale
from apps.auctions.services.live import sale_record
from apps.auctions.services.paddle_raise import pledge_record
from apps.auctions.tests.factories import ItemFactory, bidder
from apps.events.tests.factories import PublishedEventFactory
from apps.npos.tests.factories import MembershipFactory
from apps.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def clerk_client(npo):
    user = UserFactory(is_staff=True)
    MembershipFactory(npo=npo, user=user, role="auctioneer")
    client = Client()
    client.force_login(user)
    return client, user


def test_the_live_event_is_preselected_and_a_sale_flashes_the_bidder_number():
    now = timezone.now()
    item = ItemFactory(kind=ItemKind.LIVE, title="Trip")
    event = item.event
    event.starts_at, event.ends_at = now - timedelta(hours=1), now + timedelta(hours=3)
    event.save()
    PublishedEventFactory(npo=event.npo)  # a second, later event of the NPO: not live
    bidder(event, 342)
    client, _ = clerk_client(event.npo)
    url = reverse("admin:auctions_live_sale")
    page = client.get(url).content.decode()
    assert f'<option value="{event.pk}" selected>' in page
    response = client.post(
        url, {"event": event.pk, "item_number": item.number, "bidder_number": 342, "amount": "2500"}, follow=True
    )
    html = response.content.decode()
    assert 'id="sold-flash"' in html and '<span class="big-number">Bidder #342</span>' in html
    assert "USD 2,500.00" in html


def test_undo_from_the_page_and_only_the_last_ten():
    item = ItemFactory(kind=ItemKind.LIVE, quantity=20)
    bidder(item.event, 101)
    client, clerk = clerk_client(item.event.npo)
    sales = [sale_record(item=item, bidder_number=101, amount=str(10 + i), actor=clerk) for i in range(12)]
    url = reverse("admin:auctions_live_sale")
    html = client.get(f"{url}?event={item.event_id}").content.decode()
    assert html.count('name="undo"') == 10
    client.post(f"{url}?event={item.event_id}", {"undo": str(sales[-1].pk)})
    assert Sale.objects.get(pk=sales[-1].pk).undone_at is not None
    again = client.post(f"{url}?event={item.event_id}", {"undo": str(sales[-1].pk)}, follow=True)
    assert "already" in again.content.decode().lower()


def test_pledge_undo_from_the_page_and_foreign_ids_are_ignored():
    event = PublishedEventFactory()
    bidder(event, 101)
    client, clerk = clerk_client(event.npo)
    pledge = pledge_record(event=event, amount="50", bidder_number=101, actor=clerk)
    foreign_event = PublishedEventFactory()
    bidder(foreign_event, 101)
    _, foreign_clerk = clerk_client(foreign_event.npo)
    foreign = pledge_record(event=foreign_event, amount="50", bidder_number=101, actor=foreign_clerk)
    url = reverse("admin:auctions_paddle_raise")
    client.post(url, {"undo": str(foreign.pk)})
    client.post(url, {"undo": str(pledge.pk)})
    assert Pledge.objects.get(pk=pledge.pk).undone_at is not None
    assert Pledge.objects.get(pk=foreign.pk).undone_at is None
    response = client.post(url, {"event": event.pk, "bidder_number": 101, "amount": "75"}, follow=True)
    assert '<span class="big-number">Bidder #101</span>' in response.content.decode()
    assert D("75") == Pledge.objects.filter(undone_at__isnull=True).get(event=event).amount


def test_clerk_pages_are_linked_from_the_lists():
    event = PublishedEventFactory()
    client, _ = clerk_client(event.npo)
    for name in (
        "admin:auctions_sale_changelist",
        "admin:auctions_pledge_changelist",
        "admin:auctions_item_changelist",
    ):
        html = client.get(reverse(name)).content.decode()
        assert reverse("admin:auctions_live_sale") in html and reverse("admin:auctions_paddle_raise") in html
