"""The branded admin: "Augeo" or the NPO's name, Tonight with links by capability, the
event page's links, 403/404 in the admin's frame, "View site" leading somewhere."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from apps.attendance.tests.factories import EventFactory
from apps.core.timefmt import format_in_zone
from apps.npos.capabilities import Role
from apps.npos.tests.factories import MembershipFactory, NPOFactory
from apps.users.tests.factories import UserFactory
from augeo.backoffice.tonight import TONIGHT_LINKS, is_tonight, tonight_for

pytestmark = pytest.mark.django_db


def member(npo, role):
    user = UserFactory(is_staff=True)
    MembershipFactory(npo=npo, user=user, role=role)
    return user


def logged_in(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def tonight_event(db):
    now = timezone.now()
    return EventFactory(name="Gala Tonight", starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=4))


@pytest.mark.parametrize(
    ("role", "seen", "unseen"),
    [
        (Role.STAFF, ["Check-in desk", "Projector display"], ["Live auction", "Paddle raise"]),
        (Role.AUCTIONEER, ["Live auction", "Paddle raise", "Projector display"], ["Check-in desk"]),
        (Role.CASHIER, ["Checkout queue", "Event dashboard", "Projector display"], ["Check-in desk", "Live auction"]),
        (Role.ADMIN, ["Check-in desk", "Live auction", "Paddle raise", "Checkout queue", "Projector display"], []),
    ],
)
def test_tonight_links_follow_capabilities(tonight_event, role, seen, unseen):
    user = member(tonight_event.npo, role)
    page = logged_in(user).get("/admin/")
    html = page.content.decode()
    assert page.status_code == 200 and 'id="tonight"' in html and "Gala Tonight" in html
    for label in seen:
        assert f">{label}</a>" in html
    for label in unseen:
        assert f">{label}</a>" not in html


def test_links_of_pages_that_do_not_exist_yet_are_skipped(tonight_event):
    admin = member(tonight_event.npo, Role.ADMIN)
    labels = [link["label"] for row in tonight_for(admin) for link in row["links"]]
    assert "Check-in desk" in labels
    assert len(labels) <= len(TONIGHT_LINKS)


def test_other_npos_and_far_events_are_not_tonight(tonight_event):
    stranger = member(NPOFactory(), Role.ADMIN)
    assert tonight_for(stranger) == []
    later = EventFactory(npo=tonight_event.npo)  # in 30 days
    admin = member(tonight_event.npo, Role.ADMIN)
    assert [row["event"] for row in tonight_for(admin)] == [tonight_event]
    assert not is_tonight(later)


def test_today_is_the_event_zones_today():
    # 03:00 UTC on Dec 21 is still Dec 20 (9 PM) in Chicago: an event at 11 PM Chicago time is tonight.
    now = datetime(2026, 12, 21, 3, 0, tzinfo=UTC)
    event = EventFactory.build(
        timezone="America/Chicago",
        starts_at=datetime(2026, 12, 21, 5, 0, tzinfo=UTC),
        ends_at=datetime(2026, 12, 21, 8, 0, tzinfo=UTC),
    )
    assert is_tonight(event, now)
    event.timezone = "Asia/Tokyo"  # 12:00 Dec 21 local vs 14:00 Dec 21 — still today
    assert is_tonight(event, now)


def test_brand_is_the_npo_for_a_member_of_one_npo_and_augeo_otherwise(tonight_event, superuser):
    tonight_event.npo.name = "River Friends"
    tonight_event.npo.save()
    staff = member(tonight_event.npo, Role.STAFF)
    assert "River Friends" in logged_in(staff).get("/admin/").content.decode()
    MembershipFactory(npo=NPOFactory(), user=staff, role=Role.STAFF)
    staff = type(staff).objects.get(pk=staff.pk)
    html = logged_in(staff).get("/admin/").content.decode()
    assert "<span>Augeo</span>" in html
    superuser.is_staff = True
    superuser.save()
    assert "<span>Augeo</span>" in logged_in(superuser).get("/admin/").content.decode()


def test_event_change_page_carries_the_night_links(tonight_event):
    admin = member(tonight_event.npo, Role.ADMIN)
    html = logged_in(admin).get(f"/admin/events/event/{tonight_event.pk}/change/").content.decode()
    assert ">Check-in desk</a>" in html and ">Live auction</a>" in html


def test_403_and_404_inside_the_admin_render_in_its_frame(tonight_event):
    staff = member(tonight_event.npo, Role.STAFF)
    client = logged_in(staff)
    denied = client.get("/admin/auctions/item/live-sale/")
    assert denied.status_code == 403
    html = denied.content.decode()
    assert 'id="header"' in html and "Back to the back office" in html and "Your role" in html
    missing = client.get("/admin/no-such-page/")
    assert missing.status_code == 404 and "Back to the back office" in missing.content.decode()
    anonymous = Client().get("/admin/auctions/item/live-sale/")
    assert anonymous.status_code == 302  # to the login page, as before


def test_view_site_and_front_page(tonight_event):
    staff = member(tonight_event.npo, Role.STAFF)
    html = logged_in(staff).get("/admin/").content.decode()
    assert 'href="/"' in html
    front = Client().get("/")
    assert front.status_code == 200 and "Gala Tonight" in front.content.decode()
    assert f"/events/{tonight_event.slug}/display/" in front.content.decode()
    assert Client().get(f"/events/{tonight_event.slug}/").status_code == 200


def test_admin_lists_event_times_in_the_event_zone(db, superuser):
    event = EventFactory(
        timezone="America/Chicago",
        starts_at=datetime(2026, 12, 20, 23, 0, tzinfo=UTC),
        ends_at=datetime(2026, 12, 21, 4, 0, tzinfo=UTC),
    )
    superuser.is_staff = True
    superuser.save()
    client = logged_in(superuser)
    listing = client.get("/admin/events/event/").content.decode()
    assert "Dec 20, 2026, 5:00 PM CST" in listing
    change = client.get(f"/admin/events/event/{event.pk}/change/").content.decode()
    assert 'value="17:00:00"' in change or 'value="17:00"' in change  # the form edits local time


def test_times_not_tied_to_an_event_are_in_the_viewers_zone(db, superuser):
    superuser.is_staff = True
    superuser.timezone = "Europe/Berlin"
    superuser.save()
    from apps.core.models import AuditEntry

    AuditEntry.objects.create(action="test.entry")
    html = logged_in(superuser).get("/admin/core/auditentry/").content.decode()
    assert " CET" in html or " CEST" in html


def test_format_in_zone():
    moment = datetime(2026, 7, 4, 1, 5, tzinfo=UTC)
    assert format_in_zone(moment, "America/New_York") == "Jul 3, 2026, 9:05 PM EDT"
    assert format_in_zone(moment, "Nowhere/Bogus") == "Jul 4, 2026, 1:05 AM UTC"
    assert format_in_zone(None, "UTC") == ""
