"""The admin details a newcomer noticed: no raw UUID heading the bid history, NPO names in the audit list,
"only drafts can be deleted", the sponsor inline one field per line."""

from __future__ import annotations

import pytest
from django.test import Client

from apps.auctions.selectors import bid_context
from apps.auctions.services.bidding import bid_place
from apps.auctions.tests.factories import ItemFactory, bidder
from apps.core.models import AuditEntry
from apps.events.tests.factories import PublishedEventFactory, SponsorFactory
from apps.npos.tests.factories import MembershipFactory
from apps.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def admin_of(npo):
    user = UserFactory(is_staff=True)
    MembershipFactory(npo=npo, user=user, role="admin")
    client = Client()
    client.force_login(user)
    return client


def test_bid_history_rows_are_not_headed_by_a_uuid():
    item = ItemFactory()
    paddle_user = bidder(item.event, 101)
    bid_place(context=bid_context(paddle_user, item), amount=str(item.starting_bid))
    html = admin_of(item.event.npo).get(f"/admin/auctions/item/{item.pk}/change/").content.decode()
    assert "Bid 1:" in html and f"{item.pk} #1" not in html


def test_audit_list_names_the_npo(superuser):
    event = PublishedEventFactory()
    event.npo.name = "Harbor Hope"
    event.npo.save()
    AuditEntry.objects.create(action="test.entry", npo_id=event.npo_id)
    client = Client()
    client.force_login(superuser)
    html = client.get("/admin/core/auditentry/").content.decode()
    assert "Harbor Hope" in html and str(event.npo_id) not in html


def test_deleting_a_published_event_says_only_drafts_can_be_deleted():
    event = PublishedEventFactory()
    client = admin_of(event.npo)
    response = client.get(f"/admin/events/event/{event.pk}/delete/", follow=True)
    html = response.content.decode()
    assert "Only drafts can be deleted" in html and "permission to delete" not in html
    assert client.post(f"/admin/events/event/{event.pk}/delete/", {"post": "yes"}).status_code == 302
    event.refresh_from_db()
    assert event.deleted_at is None


def test_sponsor_inline_is_stacked():
    sponsor = SponsorFactory()
    html = admin_of(sponsor.event.npo).get(f"/admin/events/event/{sponsor.event.pk}/change/").content.decode()
    assert 'id="sponsors-group"' in html
    group = html[html.index('id="sponsors-group"') :]
    assert 'data-inline-type="stacked"' in group[:200]
