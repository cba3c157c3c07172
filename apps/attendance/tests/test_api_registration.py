from __future__ import annotations

import pytest
from django.core import mail

from apps.attendance.models import Guest, Paddle, Registration, RegistrationStatus
from apps.attendance.tests.factories import (
    EventFactory,
    FoodOptionFactory,
    GuestFactory,
    PaddleFactory,
    RegistrationFactory,
    TableFactory,
)
from apps.core.models import AuditEntry
from apps.events.models import EventStatus
from apps.users.tests.factories import UserFactory
from conftest import client_for

pytestmark = pytest.mark.django_db


def url(event):
    return f"/api/v1/events/{event.id}/registrations/"


def test_register_with_guests_and_meals(event, meal, donor, django_capture_on_commit_callbacks):
    other_meal = FoodOptionFactory(event=event, name="Risotto")
    body = {
        "food_option": str(meal.id),
        "guests": [
            {"name": "Mary Ann Smith", "email": "Mary@Example.net", "food_option": str(other_meal.id)},
            {},
            {"first_name": "Bob", "phone": "+14155550123"},
        ],
    }
    with django_capture_on_commit_callbacks(execute=True):
        res = client_for(donor).post(url(event), body, format="json")
    assert res.status_code == 201, res.json()
    data = res.json()
    assert data["status"] == "confirmed"
    assert len(data["code"]) == 6 and data["code"].isalnum()
    guests = data["guests"]
    assert len(guests) == 4
    assert guests[0]["is_registrant"] is True
    assert guests[0]["email"] == donor.email and guests[0]["linked"] is True
    assert guests[0]["food_option"] == str(meal.id)
    assert guests[1]["first_name"] == "Mary Ann" and guests[1]["last_name"] == "Smith"
    assert guests[1]["email"] == "mary@example.net" and guests[1]["food_option_name"] == "Risotto"
    assert guests[2]["is_placeholder"] is True and guests[2]["name"] == ""
    assert guests[3]["phone"] == "+14155550123"
    # confirmation to the registrant, an invitation to the guest with an e-mail
    recipients = sorted(m.to[0] for m in mail.outbox)
    assert recipients == sorted([donor.email, "mary@example.net"])
    assert any(data["code"] in m.body for m in mail.outbox)
    registrant = Guest.objects.get(id=guests[0]["id"])
    assert registrant.user == donor


def test_meal_of_another_event_is_400(event, donor):
    foreign = FoodOptionFactory()
    res = client_for(donor).post(url(event), {"food_option": str(foreign.id)}, format="json")
    assert res.status_code == 400
    assert res.json()["error"]["code"] == "VALIDATION_ERROR"
    assert "food_option" in res.json()["error"]["fields"]
    res = client_for(donor).post(url(event), {"guests": [{"food_option": str(foreign.id)}]}, format="json")
    assert res.status_code == 400
    assert "guests.0.food_option" in res.json()["error"]["fields"]
    res = client_for(donor).post(url(event), {"guests": [{"food_option": "not-a-uuid"}]}, format="json")
    assert res.status_code == 400
    assert not Registration.objects.exists()


@pytest.mark.parametrize("body", [{"guests": "x"}, {"guests": [{"email": "nope"}]}, {"guests": [1]}, []])
def test_malformed_bodies_are_400(event, donor, body):
    res = client_for(donor).post(url(event), body, format="json")
    assert res.status_code == 400


def test_too_many_guests_is_400(event, donor):
    res = client_for(donor).post(url(event), {"guests": [{}] * 40}, format="json")
    assert res.status_code == 400


def test_already_registered_then_again_after_cancel(event, donor):
    client = client_for(donor)
    first = client.post(url(event), {}, format="json")
    assert first.status_code == 201
    again = client.post(url(event), {}, format="json")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "ALREADY_REGISTERED"
    assert client.delete(f"/api/v1/registrations/{first.json()['id']}/").status_code == 204
    assert Registration.objects.get(id=first.json()["id"]).status == RegistrationStatus.CANCELLED
    third = client.post(url(event), {}, format="json")
    assert third.status_code == 201
    assert third.json()["code"] != first.json()["code"]


def test_capacity_counts_guests(donor):
    event = EventFactory(capacity=3)
    RegistrationFactory(event=event)  # one seat taken
    res = client_for(donor).post(url(event), {"guests": [{}, {}]}, format="json")
    assert res.status_code == 409
    assert res.json()["error"]["code"] == "EVENT_FULL"
    res = client_for(donor).post(url(event), {"guests": [{}]}, format="json")
    assert res.status_code == 201
    # full now: adding a guest to the registration is refused too
    reg_id = res.json()["id"]
    res = client_for(donor).post(f"/api/v1/registrations/{reg_id}/guests/", {}, format="json")
    assert res.status_code == 409 and res.json()["error"]["code"] == "EVENT_FULL"


def test_cancelled_registration_frees_capacity(donor):
    event = EventFactory(capacity=1)
    other = RegistrationFactory(event=event)
    assert client_for(donor).post(url(event), {}, format="json").json()["error"]["code"] == "EVENT_FULL"
    client_for(other.user).delete(f"/api/v1/registrations/{other.id}/")
    assert client_for(donor).post(url(event), {}, format="json").status_code == 201


@pytest.mark.parametrize("status", [EventStatus.CLOSED])
def test_closed_event_refuses(donor, status):
    event = EventFactory(status=status)
    res = client_for(donor).post(url(event), {}, format="json")
    assert res.status_code == 409
    assert res.json()["error"]["code"] == "REGISTRATION_CLOSED"


def test_draft_event_invisible_to_donor_and_closed_for_member(donor, coordinator):
    event = EventFactory(status=EventStatus.DRAFT, npo=coordinator.memberships.first().npo)
    assert client_for(donor).post(url(event), {}, format="json").status_code == 404
    res = client_for(coordinator).post(url(event), {}, format="json")
    assert res.status_code == 409 and res.json()["error"]["code"] == "REGISTRATION_CLOSED"


def test_unverified_user_403_and_anon_401(event):
    unverified = UserFactory(email_verified_at=None)
    assert client_for(unverified).post(url(event), {}, format="json").status_code == 403
    assert client_for(None).post(url(event), {}, format="json").status_code == 401


def test_owner_and_staff_visibility(event, donor, staff, cashier):
    reg = RegistrationFactory(event=event, user=donor)
    stranger = UserFactory()
    detail = f"/api/v1/registrations/{reg.id}/"
    assert client_for(donor).get(detail).status_code == 200
    assert client_for(staff).get(detail).status_code == 200
    assert client_for(stranger).get(detail).status_code == 404
    # attendance.view may read but not change
    assert client_for(staff).patch(detail, {"notes": "x"}, format="json").status_code == 403
    assert client_for(cashier).delete(detail).status_code == 403
    own = client_for(donor).get("/api/v1/registrations/").json()
    assert [r["id"] for r in own["results"]] == [str(reg.id)]
    assert client_for(staff).get("/api/v1/registrations/").json()["count"] == 0


def test_owner_edits_meal_and_guests(event, meal, donor):
    reg = RegistrationFactory(event=event, user=donor)
    client = client_for(donor)
    res = client.patch(f"/api/v1/registrations/{reg.id}/", {"food_option": str(meal.id), "notes": "wheelchair"})
    assert res.status_code == 200
    assert res.json()["guests"][0]["food_option"] == str(meal.id)
    assert res.json()["notes"] == "wheelchair"
    added = client.post(f"/api/v1/registrations/{reg.id}/guests/", {"name": "Pat"}, format="json")
    assert added.status_code == 201 and added.json()["first_name"] == "Pat"
    gid = added.json()["id"]
    res = client.patch(f"/api/v1/registrations/{reg.id}/guests/{gid}/", {"last_name": "Lee", "food_option": None})
    assert res.status_code == 200 and res.json()["name"] == "Pat Lee"
    listing = client.get(f"/api/v1/registrations/{reg.id}/guests/").json()
    assert [g["is_registrant"] for g in listing] == [True, False]
    assert client.delete(f"/api/v1/registrations/{reg.id}/guests/{gid}/").status_code == 204
    assert not Guest.objects.filter(id=gid).exists()
    registrant = reg.guests.get(is_registrant=True)
    res = client.delete(f"/api/v1/registrations/{reg.id}/guests/{registrant.id}/")
    assert res.status_code == 409


def test_guest_of_another_registration_is_404(event, donor):
    reg = RegistrationFactory(event=event, user=donor)
    foreign = GuestFactory(registration=RegistrationFactory(event=event))
    res = client_for(donor).patch(f"/api/v1/registrations/{reg.id}/guests/{foreign.id}/", {"name": "X"})
    assert res.status_code == 404
    assert client_for(donor).delete(f"/api/v1/registrations/{reg.id}/guests/{foreign.id}/").status_code == 404


def test_meal_of_other_event_on_guest_patch_is_400(event, donor):
    reg = RegistrationFactory(event=event, user=donor)
    guest = GuestFactory(registration=reg)
    res = client_for(donor).patch(
        f"/api/v1/registrations/{reg.id}/guests/{guest.id}/", {"food_option": str(FoodOptionFactory().id)}
    )
    assert res.status_code == 400


def test_cancel_releases_tables_and_unused_paddles(event, donor):
    reg = RegistrationFactory(event=event, user=donor)
    guest = reg.guests.get()
    table = TableFactory(event=event)
    unused = PaddleFactory(event=event, registration=reg, number=101)
    guest.paddle, guest.table = unused, table
    guest.save()
    table.captain = guest
    table.save()
    res = client_for(donor).delete(f"/api/v1/registrations/{reg.id}/")
    assert res.status_code == 204
    guest.refresh_from_db()
    table.refresh_from_db()
    assert guest.table is None and guest.paddle is None and table.captain is None
    assert not Paddle.objects.filter(number=101).exists()
    assert AuditEntry.objects.filter(action="attendance.registration_cancelled").exists()
    again = client_for(donor).delete(f"/api/v1/registrations/{reg.id}/")
    assert again.status_code == 409 and again.json()["error"]["code"] == "INVALID_TRANSITION"
    assert client_for(donor).patch(f"/api/v1/registrations/{reg.id}/", {"notes": "x"}).status_code == 409


def test_owner_cannot_change_after_close_but_staff_can(donor, coordinator):
    event = EventFactory(npo=coordinator.memberships.first().npo)
    reg = RegistrationFactory(event=event, user=donor)
    event.status = EventStatus.CLOSED
    event.save()
    res = client_for(donor).patch(f"/api/v1/registrations/{reg.id}/", {"notes": "late"})
    assert res.status_code == 409 and res.json()["error"]["code"] == "REGISTRATION_CLOSED"
    assert client_for(coordinator).patch(f"/api/v1/registrations/{reg.id}/", {"notes": "ok"}).status_code == 200


def test_staff_event_registration_list_and_filters(event, staff, donor):
    reg = RegistrationFactory(event=event, user=donor)
    RegistrationFactory(event=event)
    res = client_for(staff).get(f"/api/v1/events/{event.id}/registrations/?code={reg.code.lower()}")
    assert res.status_code == 200 and [r["id"] for r in res.json()["results"]] == [str(reg.id)]
    assert client_for(donor).get(f"/api/v1/events/{event.id}/registrations/").status_code == 403


def test_list_query_count_is_constant(event, staff, django_assert_num_queries):
    for _ in range(12):
        GuestFactory(registration=RegistrationFactory(event=event))
    client = client_for(staff)
    for size in (2, 10):
        with django_assert_num_queries(4):
            res = client.get(f"/api/v1/events/{event.id}/registrations/?page_size={size}")
        assert len(res.json()["results"]) == size


def test_own_list_query_count_is_constant(donor, django_assert_num_queries):
    for _ in range(6):
        reg = RegistrationFactory(user=donor)
        GuestFactory(registration=reg)
    client = client_for(donor)
    for size in (2, 5):
        with django_assert_num_queries(3):
            res = client.get(f"/api/v1/registrations/?page_size={size}")
        assert len(res.json()["results"]) == size
