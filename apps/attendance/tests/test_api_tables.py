from __future__ import annotations

import pytest
from django.db import IntegrityError

from apps.attendance.models import Guest, Table
from apps.attendance.tests.factories import GuestFactory, RegistrationFactory, TableFactory
from conftest import client_for

pytestmark = pytest.mark.django_db


def tables_url(event, suffix=""):
    return f"/api/v1/events/{event.id}/tables/{suffix}"


def test_table_crud(event, coordinator, staff):
    client = client_for(coordinator)
    res = client.post(tables_url(event), {"number": 1, "name": "Oak", "capacity": 8}, format="json")
    assert res.status_code == 201, res.json()
    table_id = res.json()["id"]
    assert res.json()["occupancy"] == 0 and res.json()["seats_left"] == 8
    dup = client.post(tables_url(event), {"number": 1, "capacity": 8}, format="json")
    assert dup.status_code == 400 and "number" in dup.json()["error"]["fields"]
    assert client_for(staff).get(tables_url(event)).json()["count"] == 1
    assert client_for(staff).post(tables_url(event), {"number": 2, "capacity": 8}).status_code == 403
    res = client.patch(tables_url(event, f"{table_id}/"), {"name": "Elm", "number": 5}, format="json")
    assert res.status_code == 200 and res.json()["name"] == "Elm" and res.json()["number"] == 5
    guest = RegistrationFactory(event=event).guests.get()
    guest.table_id = table_id
    guest.save()
    assert client.delete(tables_url(event, f"{table_id}/")).status_code == 204
    guest.refresh_from_db()
    assert guest.table is None


@pytest.mark.parametrize("capacity", [0, -1, "x", None])
def test_bad_capacity_is_400(event, coordinator, capacity):
    res = client_for(coordinator).post(tables_url(event), {"number": 1, "capacity": capacity}, format="json")
    assert res.status_code == 400
    table = TableFactory(event=event)
    res = client_for(coordinator).patch(tables_url(event, f"{table.id}/"), {"capacity": capacity}, format="json")
    assert res.status_code == 400


def test_capacity_check_constraint_in_database(event):
    with pytest.raises(IntegrityError):
        Table.objects.create(event=event, number=99, capacity=0)


def test_capacity_below_occupancy_is_409(event, coordinator):
    table = TableFactory(event=event, capacity=4)
    for _ in range(3):
        g = RegistrationFactory(event=event).guests.get()
        g.table = table
        g.save()
    res = client_for(coordinator).patch(tables_url(event, f"{table.id}/"), {"capacity": 2}, format="json")
    assert res.status_code == 409 and res.json()["error"]["code"] == "CAPACITY_BELOW_OCCUPANCY"
    assert client_for(coordinator).patch(tables_url(event, f"{table.id}/"), {"capacity": 3}).status_code == 200


def test_captain_must_be_seated_there(event, coordinator):
    table = TableFactory(event=event)
    seated = RegistrationFactory(event=event).guests.get()
    seated.table = table
    seated.save()
    elsewhere = RegistrationFactory(event=event).guests.get()
    client = client_for(coordinator)
    res = client.patch(tables_url(event, f"{table.id}/"), {"captain": str(elsewhere.id)}, format="json")
    assert res.status_code == 400 and "captain" in res.json()["error"]["fields"]
    res = client.patch(tables_url(event, f"{table.id}/"), {"captain": str(GuestFactory().id)}, format="json")
    assert res.status_code == 400
    res = client.patch(tables_url(event, f"{table.id}/"), {"captain": str(seated.id)}, format="json")
    assert res.status_code == 200 and res.json()["captain_name"] == seated.full_name
    # moving the captain away clears the captaincy
    client.patch(f"/api/v1/events/{event.id}/guests/{seated.id}/", {"table": None}, format="json")
    table.refresh_from_db()
    assert table.captain is None


def test_creating_a_table_with_a_captain_seats_the_captain_there(event, coordinator):
    guest = RegistrationFactory(event=event).guests.get()
    old_table = TableFactory(event=event)
    Guest.objects.filter(pk=guest.pk).update(table=old_table)
    Table.objects.filter(pk=old_table.pk).update(captain=guest)
    client = client_for(coordinator)
    res = client.post(tables_url(event), {"number": 50, "capacity": 2, "captain": str(guest.id)}, format="json")
    assert res.status_code == 201, res.json()
    assert res.json()["captain"] == str(guest.id) and res.json()["occupancy"] == 1
    guest.refresh_from_db()
    old_table.refresh_from_db()
    assert str(guest.table_id) == res.json()["id"]
    assert old_table.captain is None  # leaving a table ends its captaincy
    # a guest of another event is refused and nothing is created
    res = client.post(
        tables_url(event), {"number": 51, "capacity": 2, "captain": str(GuestFactory().id)}, format="json"
    )
    assert res.status_code == 400
    assert not Table.objects.filter(event=event, number=51).exists()


def _party(event, size):
    reg = RegistrationFactory(event=event)
    for _ in range(size - 1):
        GuestFactory(registration=reg)
    return reg


def test_auto_assign_keeps_parties_together_largest_first(event, coordinator):
    t1 = TableFactory(event=event, number=1, capacity=6)
    t2 = TableFactory(event=event, number=2, capacity=4)
    big = _party(event, 5)
    mid = _party(event, 4)
    small = _party(event, 1)
    res = client_for(coordinator).post(tables_url(event, "auto-assign/"))
    assert res.status_code == 200, res.json()
    body = res.json()
    assert set(body) == {"assigned", "unassigned", "warnings"}
    assert len(body["assigned"]) == 10 and body["unassigned"] == [] and body["warnings"] == []
    assert set(Guest.objects.filter(registration=big).values_list("table", flat=True)) == {t1.id}
    assert set(Guest.objects.filter(registration=mid).values_list("table", flat=True)) == {t2.id}
    assert set(Guest.objects.filter(registration=small).values_list("table", flat=True)) == {t1.id}


def test_auto_assign_splits_only_when_needed_and_reports_unseated(event, coordinator):
    TableFactory(event=event, number=1, capacity=3)
    TableFactory(event=event, number=2, capacity=3)
    huge = _party(event, 5)
    extra = _party(event, 2)
    res = client_for(coordinator).post(tables_url(event, "auto-assign/"))
    body = res.json()
    assert len(body["assigned"]) == 6
    assert len(body["unassigned"]) == 1
    assert any(huge.code in w and "split" in w for w in body["warnings"])
    assert any(extra.code in w for w in body["warnings"])
    # already seated guests stay; running again changes nothing
    again = client_for(coordinator).post(tables_url(event, "auto-assign/")).json()
    assert again["assigned"] == [] and len(again["unassigned"]) == 1


def test_auto_assign_prefers_table_where_party_already_sits(event, coordinator):
    TableFactory(event=event, number=1, capacity=2)
    t2 = TableFactory(event=event, number=2, capacity=6)
    reg = _party(event, 3)
    first = reg.guests.order_by("created_at").first()
    first.table = t2
    first.save()
    client_for(coordinator).post(tables_url(event, "auto-assign/"))
    assert set(Guest.objects.filter(registration=reg).values_list("table", flat=True)) == {t2.id}


def test_tables_list_query_count(event, staff, django_assert_num_queries):
    for _ in range(12):
        table = TableFactory(event=event)
        g = RegistrationFactory(event=event).guests.get()
        g.table = table
        g.save()
    for size in (2, 10):
        with django_assert_num_queries(3):
            res = client_for(staff).get(tables_url(event), {"page_size": size})
        assert len(res.json()["results"]) == size
        assert res.json()["results"][0]["occupancy"] == 1
