from __future__ import annotations

import pytest
from django.test import Client

from apps.attendance.models import Guest, RegistrationStatus, Table
from apps.attendance.tests.conftest import member
from apps.attendance.tests.factories import EventFactory, GuestFactory, PaddleFactory, RegistrationFactory, TableFactory
from apps.npos.capabilities import Role

pytestmark = pytest.mark.django_db


def admin_client(user):
    client = Client()
    client.force_login(user)
    return client


def test_guest_changelist_search_and_filters(event, staff):
    reg = RegistrationFactory(event=event)
    guest = reg.guests.get()
    guest.paddle = PaddleFactory(event=event, number=321)
    guest.save()
    GuestFactory(registration=reg, last_name="Zebra")
    foreign = RegistrationFactory().guests.get()
    client = admin_client(staff)
    res = client.get("/admin/attendance/guest/", {"q": "321"})
    assert res.status_code == 200
    assert list(res.context["cl"].queryset) == [guest]
    res = client.get("/admin/attendance/guest/", {"q": "zebra"})
    assert [g.last_name for g in res.context["cl"].queryset] == ["Zebra"]
    res = client.get("/admin/attendance/guest/", {"q": reg.code.lower()})  # a registration code
    assert set(res.context["cl"].queryset) == set(reg.guests.all())
    res = client.get("/admin/attendance/guest/", {"q": f"zeb {reg.code}"})  # every word in a column
    assert list(res.context["cl"].queryset) == []
    res = client.get("/admin/attendance/guest/", {"q": "   "})
    assert res.context["cl"].result_count == 2
    res = client.get("/admin/attendance/guest/", {"checked_in": "no"})
    assert foreign not in res.context["cl"].queryset and res.context["cl"].result_count == 2
    assert client.get(f"/admin/attendance/guest/{foreign.id}/change/").status_code == 302


def test_check_in_and_number_actions_call_services(event, staff):
    guests = [RegistrationFactory(event=event).guests.get() for _ in range(3)]
    client = admin_client(staff)
    res = client.post(
        "/admin/attendance/guest/",
        {"action": "check_in", "_selected_action": [str(g.id) for g in guests[:2]]},
        follow=True,
    )
    assert res.status_code == 200
    checked = Guest.objects.filter(checked_in_at__isnull=False)
    assert sorted(g.paddle.number for g in checked) == [100, 101]
    client.post(
        "/admin/attendance/guest/",
        {"action": "assign_bidder_numbers", "_selected_action": [str(guests[2].id)]},
    )
    guests[2].refresh_from_db()
    assert guests[2].paddle.number == 102 and guests[2].checked_in_at is None


def test_auto_assign_action_needs_attendance_manage(event, staff):
    TableFactory(event=event, capacity=4)
    guest = RegistrationFactory(event=event).guests.get()
    staff_res = admin_client(staff).get("/admin/attendance/guest/")
    assert "auto_assign_tables" not in staff_res.context["cl"].model_admin.get_actions(staff_res.wsgi_request)
    coordinator = member(event, Role.COORDINATOR)
    admin_client(coordinator).post(
        "/admin/attendance/guest/", {"action": "auto_assign_tables", "_selected_action": [str(guest.id)]}
    )
    guest.refresh_from_db()
    assert guest.table is not None


def test_registration_admin_cancel_action_and_inline(event, coordinator):
    reg = RegistrationFactory(event=event)
    client = admin_client(coordinator)
    assert client.get(f"/admin/attendance/registration/{reg.id}/change/").status_code == 200
    client.post(
        "/admin/attendance/registration/", {"action": "cancel_registrations", "_selected_action": [str(reg.id)]}
    )
    reg.refresh_from_db()
    assert reg.status == RegistrationStatus.CANCELLED


def test_table_admin_validates_through_services(event, coordinator):
    client = admin_client(coordinator)
    res = client.post(
        "/admin/attendance/table/add/", {"event": str(event.id), "number": 4, "name": "Oak", "capacity": 2}
    )
    assert res.status_code == 302
    table = Table.objects.get(event=event, number=4)
    for _ in range(2):
        g = RegistrationFactory(event=event).guests.get()
        g.table = table
        g.save()
    res = client.post(f"/admin/attendance/table/{table.id}/change/", {"number": 4, "name": "Oak", "capacity": 1})
    assert res.status_code == 200  # form error: below occupancy
    table.refresh_from_db()
    assert table.capacity == 2
    other_npo_event = EventFactory()
    res = client.post("/admin/attendance/table/add/", {"event": str(other_npo_event.id), "number": 1, "capacity": 2})
    assert not Table.objects.filter(event=other_npo_event).exists()


def test_guest_admin_edit_uses_service(event, coordinator, meal):
    guest = GuestFactory(registration=RegistrationFactory(event=event))
    client = admin_client(coordinator)
    res = client.post(
        f"/admin/attendance/guest/{guest.id}/change/",
        {"first_name": "New", "last_name": "Name", "email": guest.email, "phone": "", "food_option": str(meal.id)},
    )
    assert res.status_code == 302
    guest.refresh_from_db()
    assert guest.full_name == "New Name" and guest.food_option == meal


def test_paddle_admin_is_read_only(event, staff):
    PaddleFactory(event=event, number=1)
    client = admin_client(staff)
    assert client.get("/admin/attendance/paddle/").status_code == 200
    assert client.get("/admin/attendance/paddle/add/").status_code == 403
