from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from apps.attendance.models import Guest, Registration
from apps.events.models import Event, EventStatus, FoodOption
from apps.events.tests.factories import EventFactory, FoodOptionFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/events/event/"


def _login(user: Any) -> Client:
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    client = Client()
    client.force_login(user)
    return client


def test_other_npos_events_are_invisible(draft: Any, published: Any, other_npo: Any, admin: Any) -> None:
    foreign = EventFactory(npo=other_npo, name="Foreign Gala")
    client = _login(admin)
    page = client.get(CHANGELIST)
    assert page.status_code == 200
    content = page.content.decode()
    assert "Draft Gala" in content and "Published Gala" in content
    assert "Foreign Gala" not in content
    assert client.get(f"{CHANGELIST}{foreign.pk}/change/").status_code == 302  # "not found" → index
    assert client.get(f"{CHANGELIST}{draft.pk}/change/").status_code == 200


def test_superuser_sees_all(draft: Any, other_npo: Any, superuser: Any) -> None:
    EventFactory(npo=other_npo, name="Foreign Gala")
    assert "Foreign Gala" in _login(superuser).get(CHANGELIST).content.decode()


def test_publish_and_close_actions_use_the_services(draft: Any, admin: Any) -> None:
    client = _login(admin)
    r = client.post(CHANGELIST, {"action": "publish", "_selected_action": [str(draft.pk)]})
    assert r.status_code == 302
    draft.refresh_from_db()
    assert (draft.status, draft.version) == (EventStatus.PUBLISHED, 2)
    client.post(CHANGELIST, {"action": "close", "_selected_action": [str(draft.pk)]})
    draft.refresh_from_db()
    assert draft.status == EventStatus.CLOSED
    # A refused transition is reported, not a 500.
    r = client.post(CHANGELIST, {"action": "publish", "_selected_action": [str(draft.pk)]}, follow=True)
    assert r.status_code == 200
    assert "cannot be published" in r.content.decode()


def test_unpublish_action(published: Any, admin: Any) -> None:
    _login(admin).post(CHANGELIST, {"action": "unpublish", "_selected_action": [str(published.pk)]})
    published.refresh_from_db()
    assert published.status == EventStatus.DRAFT


def test_staff_cannot_run_actions_or_edit(draft: Any, staff: Any) -> None:
    client = _login(staff)
    page = client.get(CHANGELIST)
    assert page.status_code == 200
    assert "Publish selected events" not in page.content.decode()
    client.post(CHANGELIST, {"action": "publish", "_selected_action": [str(draft.pk)]})
    draft.refresh_from_db()
    assert draft.status == EventStatus.DRAFT


def _form(event: Any, **overrides: Any) -> dict[str, Any]:
    data = {
        "name": event.name,
        "slug": event.slug,
        "tagline": "",
        "description": "",
        "starts_at_0": event.starts_at.strftime("%Y-%m-%d"),
        "starts_at_1": event.starts_at.strftime("%H:%M:%S"),
        "ends_at_0": event.ends_at.strftime("%Y-%m-%d"),
        "ends_at_1": event.ends_at.strftime("%H:%M:%S"),
        "timezone": event.timezone,
        "soft_close_minutes": "0",
        "next_bidder_number": "100",
    }
    for prefix in ("media", "links", "food_options", "sponsors"):
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    data.update(overrides)
    return data


def test_change_form_goes_through_the_service(draft: Any, admin: Any) -> None:
    client = _login(admin)
    r = client.post(f"{CHANGELIST}{draft.pk}/change/", _form(draft, tagline="From the admin"))
    assert r.status_code == 302, r.content.decode()[:2000]
    draft.refresh_from_db()
    assert (draft.tagline, draft.version) == ("From the admin", 2)


def test_change_form_reports_bad_time_zone(draft: Any, admin: Any) -> None:
    r = _login(admin).post(f"{CHANGELIST}{draft.pk}/change/", _form(draft, timezone="Nowhere/Land"))
    assert r.status_code == 200
    assert "not a valid IANA time zone" in r.content.decode()


def test_change_form_refuses_a_date_outside_the_allowed_years(draft: Any, admin: Any) -> None:
    r = _login(admin).post(
        f"{CHANGELIST}{draft.pk}/change/", _form(draft, starts_at_0="0001-01-01", starts_at_1="00:00:00")
    )
    assert r.status_code == 200
    assert "between the years 2000 and 2100" in r.content.decode()
    draft.refresh_from_db()
    assert draft.starts_at.year > 2000 and draft.version == 1


def test_inline_meal_create_and_in_use_delete(published: Any, admin: Any, donor: Any) -> None:
    option = FoodOptionFactory(event=published, name="Fish")
    reg = Registration.objects.create(event=published, user=donor, code="ADM001")
    Guest.objects.create(registration=reg, event=published, food_option=option)
    data = _form(
        published,
        **{
            "food_options-TOTAL_FORMS": "2",
            "food_options-INITIAL_FORMS": "1",
            "food_options-0-id": str(option.pk),
            "food_options-0-event": str(published.pk),
            "food_options-0-name": "Fish",
            "food_options-0-description": "Seasonal vegetables",
            "food_options-0-display_order": "0",
            "food_options-0-DELETE": "on",
            "food_options-1-event": str(published.pk),
            "food_options-1-name": "Vegan plate",
            "food_options-1-description": "",
            "food_options-1-display_order": "1",
        },
    )
    r = _login(admin).post(f"{CHANGELIST}{published.pk}/change/", data, follow=True)
    assert r.status_code == 200
    assert "protected related objects" in r.content.decode()  # Django's own PROTECT check
    assert FoodOption.objects.filter(pk=option.pk).exists()


def test_inline_rows_go_through_the_services(published: Any, admin: Any) -> None:
    fish = FoodOptionFactory(event=published, name="Fish")
    data = _form(
        published,
        **{
            "food_options-TOTAL_FORMS": "2",
            "food_options-INITIAL_FORMS": "1",
            "food_options-0-id": str(fish.pk),
            "food_options-0-event": str(published.pk),
            "food_options-0-name": "Fish",
            "food_options-0-description": "",
            "food_options-0-display_order": "0",
            "food_options-0-DELETE": "on",
            "food_options-1-event": str(published.pk),
            "food_options-1-name": "Vegan plate",
            "food_options-1-description": "",
            "food_options-1-display_order": "1",
            "links-TOTAL_FORMS": "1",
            "links-0-event": str(published.pk),
            "links-0-kind": "video",
            "links-0-url": "https://example.com/not-a-video-host",
            "links-0-label": "",
            "links-0-display_order": "0",
        },
    )
    r = _login(admin).post(f"{CHANGELIST}{published.pk}/change/", data, follow=True)
    assert r.status_code == 200
    assert "YouTube or Vimeo" in r.content.decode()  # the service refused the link; the rest saved
    assert list(FoodOption.objects.values_list("name", flat=True)) == ["Vegan plate"]


def test_add_event_in_admin(npo: Any, admin: Any) -> None:
    template = Event(
        name="Admin Gala",
        slug="",
        timezone="Europe/London",
        starts_at=EventFactory.build().starts_at,
        ends_at=EventFactory.build().ends_at,
    )
    data = _form(template, npo=str(npo.pk))
    r = _login(admin).post(f"{CHANGELIST}add/", data)
    assert r.status_code == 302, r.content.decode()[:3000]
    event = Event.objects.get(name="Admin Gala")
    assert (event.slug, event.status, event.created_by) == ("admin-gala", EventStatus.DRAFT, admin)


def test_change_form_refuses_capacity_below_registered_guests(published: Any, admin: Any, donor: Any) -> None:
    reg = Registration.objects.create(event=published, user=donor, code="ADMCAP")
    Guest.objects.create(registration=reg, event=published, is_registrant=True)
    Guest.objects.create(registration=reg, event=published)
    r = _login(admin).post(f"{CHANGELIST}{published.pk}/change/", _form(published, capacity="1"))
    assert r.status_code == 200
    assert "2 guests are already registered" in r.content.decode()
    published.refresh_from_db()
    assert published.capacity is None


def test_admin_event_page_hides_sponsor_money_and_contacts_without_events_manage(
    draft: Any, admin: Any, coordinator: Any, staff: Any, npo: Any
) -> None:
    """The event page showed every sponsor's donation amount and contact details to every member
    (staff, cashiers); the API shows them only to ``events.manage``, and now so does the admin."""
    from decimal import Decimal

    from apps.events.tests.factories import SponsorFactory
    from apps.npos.capabilities import Role
    from apps.npos.tests.factories import MembershipFactory
    from apps.users.tests.factories import UserFactory

    SponsorFactory(
        event=draft,
        name="Acme",
        contact_name="Connie Contact",
        contact_email="connie@acme.example",
        contact_phone="+15550001234",
        donation_amount=Decimal("24680.13"),
    )
    cashier = UserFactory()
    MembershipFactory(npo=npo, user=cashier, role=Role.CASHIER)
    secrets = ("24680.13", "24,680.13", "Connie Contact", "connie@acme.example", "+15550001234")
    for user, shown in ((admin, True), (coordinator, True), (staff, False), (cashier, False)):
        page = _login(user).get(f"{CHANGELIST}{draft.pk}/change/")
        assert page.status_code == 200
        content = page.content.decode()
        assert "Acme" in content  # the sponsor itself is public
        for secret in secrets[2:]:
            assert (secret in content) is shown, (user, secret)
        assert any(s in content for s in secrets[:2]) is shown, user
