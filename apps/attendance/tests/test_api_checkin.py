from __future__ import annotations

import csv
import io

import pytest

from apps.attendance.models import Guest, Paddle, Registration, RegistrationSource
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
from apps.npos.capabilities import Role
from apps.users.models import User
from apps.users.tests.factories import UserFactory
from conftest import client_for

pytestmark = pytest.mark.django_db


def guests_url(event, suffix=""):
    return f"/api/v1/events/{event.id}/guests/{suffix}"


def test_check_in_assigns_lowest_free_number_and_is_idempotent(event, staff):
    PaddleFactory(event=event, number=100)
    PaddleFactory(event=event, number=102)
    guest = RegistrationFactory(event=event).guests.get()
    client = client_for(staff)
    res = client.post(guests_url(event, f"{guest.id}/check-in/"))
    assert res.status_code == 200, res.json()
    body = res.json()
    assert body["bidder_number"] == 101 and isinstance(body["bidder_number"], int)
    assert body["already_checked_in"] is False and body["checked_in_at"]
    again = client.post(guests_url(event, f"{guest.id}/check-in/"))
    assert again.status_code == 200
    assert again.json()["already_checked_in"] is True
    assert again.json()["bidder_number"] == 101
    assert again.json()["checked_in_at"] == body["checked_in_at"]
    assert Paddle.objects.filter(event=event).count() == 3
    nxt = RegistrationFactory(event=event).guests.get()
    assert client.post(guests_url(event, f"{nxt.id}/check-in/")).json()["bidder_number"] == 103


def test_start_number_is_configurable(staff):
    event = EventFactory(npo=staff.memberships.first().npo, next_bidder_number=1)
    guest = RegistrationFactory(event=event).guests.get()
    assert client_for(staff).post(guests_url(event, f"{guest.id}/check-in/")).json()["bidder_number"] == 1


def test_idempotency_key_replays_and_refuses_other_body(event, staff):
    guest = RegistrationFactory(event=event).guests.get()
    other = RegistrationFactory(event=event).guests.get()
    client = client_for(staff)
    headers = {"HTTP_IDEMPOTENCY_KEY": "scan-1"}
    first = client.post(guests_url(event, f"{guest.id}/check-in/"), {}, format="json", **headers)
    second = client.post(guests_url(event, f"{guest.id}/check-in/"), {}, format="json", **headers)
    assert first.status_code == second.status_code == 200
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    reused = client.post(guests_url(event, f"{other.id}/check-in/"), {}, format="json", **headers)
    assert reused.status_code == 422


def test_check_in_with_manual_number(event, staff):
    guest = RegistrationFactory(event=event).guests.get()
    res = client_for(staff).post(guests_url(event, f"{guest.id}/check-in/"), {"bidder_number": 777}, format="json")
    assert res.status_code == 200 and res.json()["bidder_number"] == 777
    assert AuditEntry.objects.filter(action="attendance.bidder_number_set").exists()


def test_undo_check_in_is_audited_and_keeps_number(event, staff):
    guest = RegistrationFactory(event=event).guests.get()
    client = client_for(staff)
    client.post(guests_url(event, f"{guest.id}/check-in/"))
    res = client.post(guests_url(event, f"{guest.id}/undo-check-in/"))
    assert res.status_code == 200
    assert res.json()["checked_in"] is False and res.json()["bidder_number"] == 100
    assert AuditEntry.objects.filter(action="attendance.check_in_undone", object_id=str(guest.id)).exists()
    res = client.post(guests_url(event, f"{guest.id}/undo-check-in/"))
    assert res.status_code == 409 and res.json()["error"]["code"] == "NOT_CHECKED_IN"
    # checked in again: the same number
    assert client.post(guests_url(event, f"{guest.id}/check-in/")).json()["bidder_number"] == 100


def test_check_in_refusals(staff):
    event = EventFactory(npo=staff.memberships.first().npo)
    reg = RegistrationFactory(event=event)
    guest = reg.guests.get()
    reg.status = "cancelled"
    reg.save()
    res = client_for(staff).post(guests_url(event, f"{guest.id}/check-in/"))
    assert res.status_code == 409 and res.json()["error"]["code"] == "INVALID_TRANSITION"
    draft = EventFactory(npo=event.npo)
    draft_guest = RegistrationFactory(event=draft).guests.get()
    draft.status = EventStatus.DRAFT
    draft.save()
    res = client_for(staff).post(guests_url(draft, f"{draft_guest.id}/check-in/"))
    assert res.status_code == 409 and res.json()["error"]["code"] == "EVENT_NOT_PUBLISHED"
    foreign = RegistrationFactory().guests.get()
    assert client_for(staff).post(guests_url(event, f"{foreign.id}/check-in/")).status_code == 404


def test_bad_manual_numbers_are_400(event, staff):
    guest = RegistrationFactory(event=event).guests.get()
    for bad in (0, -5, "abc", 1.5):
        res = client_for(staff).patch(guests_url(event, f"{guest.id}/"), {"bidder_number": bad}, format="json")
        assert res.status_code == 400, bad


def test_manual_number_taken_by_other_party_but_shared_in_household(event, staff):
    reg = RegistrationFactory(event=event)
    partner = GuestFactory(registration=reg)
    outsider = RegistrationFactory(event=event).guests.get()
    client = client_for(staff)
    res = client.patch(guests_url(event, f"{reg.guests.get(is_registrant=True).id}/"), {"bidder_number": 300})
    assert res.status_code == 200 and res.json()["bidder_number"] == 300
    res = client.patch(guests_url(event, f"{outsider.id}/"), {"bidder_number": 300})
    assert res.status_code == 409 and res.json()["error"]["code"] == "BIDDER_NUMBER_TAKEN"
    res = client.patch(guests_url(event, f"{partner.id}/"), {"bidder_number": 300})
    assert res.status_code == 200 and res.json()["bidder_number"] == 300
    assert Paddle.objects.get(event=event, number=300).guests.count() == 2
    # renumbering releases the unused old paddle
    res = client.patch(guests_url(event, f"{partner.id}/"), {"bidder_number": 301})
    assert res.json()["bidder_number"] == 301
    res = client.patch(guests_url(event, f"{partner.id}/"), {"bidder_number": None})
    assert res.json()["bidder_number"] is None
    assert not Paddle.objects.filter(event=event, number=301).exists()
    assert AuditEntry.objects.filter(action="attendance.bidder_number_set").count() == 4


def test_patch_table_needs_attendance_manage_and_respects_capacity(event, staff, coordinator):
    table = TableFactory(event=event, capacity=1)
    a = RegistrationFactory(event=event).guests.get()
    b = RegistrationFactory(event=event).guests.get()
    assert client_for(staff).patch(guests_url(event, f"{a.id}/"), {"table": str(table.id)}).status_code == 403
    client = client_for(coordinator)
    assert client.patch(guests_url(event, f"{a.id}/"), {"table": str(table.id)}).json()["table"] == str(table.id)
    res = client.patch(guests_url(event, f"{b.id}/"), {"table": str(table.id)})
    assert res.status_code == 409 and res.json()["error"]["code"] == "TABLE_FULL"
    other_table = TableFactory()
    res = client.patch(guests_url(event, f"{b.id}/"), {"table": str(other_table.id)})
    assert res.status_code == 400
    assert client.patch(guests_url(event, f"{a.id}/"), {"table": None}).json()["table"] is None


def test_walk_in_creates_user_registration_and_checks_in(staff):
    event = EventFactory(npo=staff.memberships.first().npo, capacity=1)
    RegistrationFactory(event=event)  # full; walk-ins ignore capacity
    res = client_for(staff).post(
        f"/api/v1/events/{event.id}/walk-ins/",
        {"first_name": "Walt", "last_name": "Kin", "email": "Walt@Example.net", "phone": "+15550001"},
        format="json",
    )
    assert res.status_code == 201, res.json()
    body = res.json()
    assert body["checked_in"] is True and body["bidder_number"] == 100 and body["is_registrant"] is True
    user = User.objects.get(email="walt@example.net")
    assert not user.has_usable_password()
    reg = Registration.objects.get(user=user)
    assert reg.source == RegistrationSource.WALK_IN
    # same e-mail again: that user's own guest is checked in (200)
    res = client_for(staff).post(
        f"/api/v1/events/{event.id}/walk-ins/", {"first_name": "Walt", "last_name": "Kin", "email": "walt@example.net"}
    )
    assert res.status_code == 200 and res.json()["id"] == body["id"]
    assert res.json()["already_checked_in"] is True


def test_walk_in_of_registered_user_checks_in_their_guest(event, staff, donor):
    """The same e-mail and the same name: the registered guest is at the door (200)."""
    reg = RegistrationFactory(event=event, user=donor)
    res = client_for(staff).post(
        f"/api/v1/events/{event.id}/walk-ins/",
        {"first_name": donor.first_name, "last_name": donor.last_name, "email": donor.email},
    )
    assert res.status_code == 200
    assert res.json()["id"] == str(reg.guests.get().id) and res.json()["checked_in"] is True
    assert res.json()["warnings"] == [] and res.json()["invitation_sent"] is False


def test_walk_in_without_email_and_invited_guest_email(event, staff):
    res = client_for(staff).post(f"/api/v1/events/{event.id}/walk-ins/", {"first_name": "No", "last_name": "Mail"})
    assert res.status_code == 201
    assert Registration.objects.get(guests__id=res.json()["id"]).user is None
    invited = GuestFactory(
        registration=RegistrationFactory(event=event), first_name="Ivy", last_name="Vance", email="inv@example.net"
    )
    res = client_for(staff).post(
        f"/api/v1/events/{event.id}/walk-ins/", {"first_name": "ivy", "last_name": "VANCE", "email": "inv@example.net"}
    )
    assert res.status_code == 200 and res.json()["id"] == str(invited.id)


@pytest.mark.parametrize(
    "body", [{}, {"first_name": ""}, {"first_name": "A", "last_name": "B", "email": "bad"}, {"first_name": "A"}]
)
def test_walk_in_bad_input(event, staff, body):
    assert client_for(staff).post(f"/api/v1/events/{event.id}/walk-ins/", body, format="json").status_code == 400


def _make_guests(event):
    meal = FoodOptionFactory(event=event, name="Vegan")
    table = TableFactory(event=event, number=7)
    jane_reg = RegistrationFactory(event=event, user=UserFactory(first_name="Jane", last_name="Hopper"))
    jane = jane_reg.guests.get()
    jane.phone, jane.food_option, jane.table = "+14155550199", meal, table
    jane.save()
    bob = GuestFactory(registration=jane_reg, first_name="Robert", last_name="Smith", email="bob@corp.example")
    paddle = PaddleFactory(event=event, number=342, registration=jane_reg)
    bob.paddle = paddle
    bob.checked_in_at = "2026-01-01T20:00:00Z"
    bob.save()
    other = RegistrationFactory(event=event, user=UserFactory(first_name="Zed", last_name="Zulu")).guests.get()
    cancelled = RegistrationFactory(event=event, status="cancelled")
    return {"jane": jane, "bob": bob, "other": other, "cancelled": cancelled, "table": table, "jane_reg": jane_reg}


@pytest.mark.parametrize(
    "term,who",
    [
        ("hopper", {"jane"}),
        ("JANE hop", {"jane"}),
        ("corp.example", {"bob"}),
        ("5550199", {"jane"}),
        ("342", {"bob"}),
        ("#342", {"bob"}),
        ("zz-nobody", set()),
        ("hopperjane", set()),  # words never straddle two columns (Guest.search_text's spaces)
        ("janehopper", set()),
        ("smith bob@", {"bob"}),  # every word, each in any column
        ("smith jane", set()),
        ("50%", set()),  # LIKE wildcards are literal
        ("_", set()),
    ],
)
def test_guest_search(event, staff, term, who):
    g = _make_guests(event)
    res = client_for(staff).get(guests_url(event), {"search": term})
    assert res.status_code == 200
    assert {r["id"] for r in res.json()["results"]} == {str(g[w].id) for w in who}


@pytest.mark.parametrize(
    "params",
    [{"has_bidder_number": "0"}, {"checked_in": "1"}, {"seated": "yes"}, {"is_registrant": "True"}, {"table": ""}],
    ids=["has_bidder_number=0", "checked_in=1", "seated=yes", "is_registrant=True", "table="],
)
def test_guest_list_filters_follow_the_project_rules(event, staff, params):
    """The project's filter backend (apps.core.api.filters): booleans exactly true/false, an empty typed
    filter is 400 — the attendance views used django-filter's own backend and accepted these."""
    res = client_for(staff).get(guests_url(event), params)
    assert res.status_code == 400, res.content
    assert set(res.json()["error"]["fields"]) == set(params)


def test_registration_list_filters_follow_the_project_rules(event, staff, donor):
    assert client_for(staff).get(f"/api/v1/events/{event.id}/registrations/", {"status": ""}).status_code == 400
    assert client_for(donor).get("/api/v1/registrations/", {"status": ""}).status_code == 400


def test_search_by_registration_code_and_filters(event, staff):
    g = _make_guests(event)
    client = client_for(staff)
    res = client.get(guests_url(event), {"search": g["jane_reg"].code.lower()})
    assert {r["id"] for r in res.json()["results"]} == {str(g["jane"].id), str(g["bob"].id)}
    res = client.get(guests_url(event), {"checked_in": "true"})
    assert [r["id"] for r in res.json()["results"]] == [str(g["bob"].id)]
    res = client.get(guests_url(event), {"checked_in": "false"})
    assert len(res.json()["results"]) == 2  # the cancelled party is not listed
    res = client.get(guests_url(event), {"table": str(g["table"].id)})
    assert [r["id"] for r in res.json()["results"]] == [str(g["jane"].id)]
    assert client.get(guests_url(event), {"table": "nope"}).status_code == 400
    row = next(r for r in client.get(guests_url(event)).json()["results"] if r["id"] == str(g["bob"].id))
    for key in ("id", "name", "email", "is_registrant", "registration", "bidder_number", "table", "checked_in"):
        assert key in row
    assert row["bidder_number"] == 342 and row["checked_in"] is True


def test_csv_export_has_every_row(event, staff):
    _make_guests(event)
    for _ in range(30):
        GuestFactory(registration=RegistrationFactory(event=event), first_name="=cmd")
    res = client_for(staff).get(guests_url(event), {"format": "csv", "page_size": 2})
    assert res.status_code == 200
    assert res["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(res.content.decode())))
    header, data = rows[0], rows[1:]
    assert header == ["guest", "registrant", "email", "phone", "meal", "table", "bidder number", "checked in"]
    assert len(data) == 3 + 60  # 3 guests + 30 parties of 2
    jane = next(r for r in data if r[0] == "Jane Hopper")
    assert jane[3] == "+14155550199" and jane[4] == "Vegan" and jane[5] == "7" and jane[7] == "no"
    bob = next(r for r in data if r[0] == "Robert Smith")
    assert bob[1] == "Jane Hopper" and bob[6] == "342" and bob[7] == "yes"
    assert all(not r[0].startswith("=") for r in data)
    assert AuditEntry.objects.filter(action="attendance.guests_exported").exists()
    filtered = client_for(staff).get(guests_url(event), {"format": "csv", "checked_in": "true"})
    assert len(list(csv.reader(io.StringIO(filtered.content.decode())))) == 2


def test_csv_errors_are_json(event, donor):
    res = client_for(donor).get(guests_url(event), {"format": "csv"})
    assert res.status_code == 403
    assert res.json()["error"]["code"] == "PERMISSION_DENIED"


def test_meal_counts(event, staff):
    _make_guests(event)
    res = client_for(staff).get(f"/api/v1/events/{event.id}/meal-counts/")
    assert res.status_code == 200
    counts = {r["name"]: r["count"] for r in res.json()["results"]}
    assert counts == {"Vegan": 1, "No choice yet": 2}
    assert res.json()["total"] == 3
    res = client_for(staff).get(f"/api/v1/events/{event.id}/meal-counts/", {"format": "csv"})
    assert res.status_code == 200 and "Vegan,1" in res.content.decode()


def test_guest_list_permissions(event, cashier, donor):
    assert client_for(cashier).get(guests_url(event)).status_code == 200  # attendance.view
    assert client_for(donor).get(guests_url(event)).status_code == 403
    guest = RegistrationFactory(event=event).guests.get()
    assert client_for(cashier).post(guests_url(event, f"{guest.id}/check-in/")).status_code == 403
    assert client_for(cashier).patch(guests_url(event, f"{guest.id}/"), {"bidder_number": 5}).status_code == 403


def test_guest_list_query_count_is_constant(event, staff, django_assert_num_queries):
    for i in range(12):
        reg = RegistrationFactory(event=event)
        guest = reg.guests.get()
        guest.table = TableFactory(event=event)
        guest.paddle = PaddleFactory(event=event, number=1000 + i)
        guest.save()
    client = client_for(staff)
    for size in (2, 10):
        with django_assert_num_queries(2):
            res = client.get(guests_url(event), {"page_size": size})
        assert len(res.json()["results"]) == size


def test_guest_search_reads_the_event_and_the_capability_in_one_query(event, staff, django_assert_num_queries):
    """The desk searches per keystroke: the event, "may see it" and "may do this" are one query (the
    caller is cached after the first request), then the page with its count and its related columns
    is one statement (``selectors.guest_desk_page``), empty or not."""
    RegistrationFactory(event=event, user=UserFactory(first_name="Ada", last_name="Quill"))
    client = client_for(staff)
    client.get(guests_url(event))  # warm: the auth user read
    with django_assert_num_queries(2):
        res = client.get(guests_url(event), {"search": "zz"})
    assert res.status_code == 200 and res.json()["count"] == 0 and res.json()["results"] == []
    with django_assert_num_queries(2) as ctx:
        res = client.get(guests_url(event), {"search": "quil", "page_size": 10})
    assert res.json()["count"] == 1 and res.json()["results"][0]["last_name"] == "Quill"
    page_sql = ctx.captured_queries[1]["sql"]
    # one LIKE per word on the stored column; the related tables read per row of the page, not joined
    assert "search_text" in page_sql and "COUNT(*) OVER ()" in page_sql and " JOIN " not in page_sql
    assert page_sql.count("LIKE") == 1
    with django_assert_num_queries(2):
        assert client.get(guests_url(event), {"page": 2}).status_code == 404  # past the end


GUEST_SEARCH_TERMS = [
    "",
    "hopper",
    "JANE hop",
    "corp.example",
    "5550199",
    "342",
    "#342",
    "zz-nobody",
    "hopperjane",
    "smith bob@",
    "smith jane",
    "50%",
    "_",
    "a",
    "e",
    "\\",
    "  jane   ",
    "a b c d e f g",
]


@pytest.mark.parametrize("page_size", [1, 2, 25])
def test_guest_desk_page_matches_the_orm_search(event, staff, page_size):
    """``guest_desk_page`` (one hand-written statement) answers every search exactly as the ORM's
    ``guests_search`` paged and read by ``guest_rows``: the same guests, order, count and columns —
    including a registration code, a bidder number, LIKE wildcards and the cancelled party."""
    from apps.attendance import selectors

    g = _make_guests(event)
    for first, last in [("Ann", "Hopper"), ("Ben", "hopper"), ("Cat", "a_b%c")]:
        GuestFactory(registration=g["jane_reg"], first_name=first, last_name=last, email=f"{first}@x.example")
    GuestFactory(registration=g["cancelled"], first_name="Jane", last_name="Hopper")
    EventFactory()  # another event's guests never show
    terms = [*GUEST_SEARCH_TERMS, g["jane_reg"].code, g["jane_reg"].code.lower(), "a_b", "%"]
    for term in terms:
        orm = selectors.guests_search(event, term)
        expected_ids = list(orm.values_list("pk", flat=True))
        for number in range(1, len(expected_ids) // page_size + 2):
            offset = (number - 1) * page_size
            count, rows = selectors.guest_desk_page(event, term, offset=offset, limit=page_size)
            page_ids = expected_ids[offset : offset + page_size]
            expected = selectors.guest_rows(page_ids, fields=selectors.GUEST_ROW_VALUES)
            assert [{k: v for k, v in row.items() if k != "_count"} for row in rows] == expected, term
            assert count == (len(expected_ids) if page_ids else 0), term


def test_guest_desk_page_respects_paging_rules(event, staff):
    """The one-statement page keeps the list's paging contract: the count, next/previous links, an
    empty first page, 404 past the end in the error shape, 400 for a bad page size."""
    reg = RegistrationFactory(event=event, user=UserFactory(first_name="Amy", last_name="Able"))
    for first in ("Bo", "Cy"):
        GuestFactory(registration=reg, first_name=first, last_name="Able")
    client = client_for(staff)
    body = client.get(guests_url(event), {"page_size": 2, "search": "able"}).json()
    assert body["count"] == 3 and len(body["results"]) == 2 and body["previous"] is None
    assert "page=2" in body["next"] and "search=able" in body["next"]
    body = client.get(body["next"]).json()
    assert [r["first_name"] for r in body["results"]] == ["Cy"] and body["next"] is None and body["previous"]
    res = client.get(guests_url(event), {"page_size": 2, "page": 3})
    assert res.status_code == 404 and res.json()["error"]["code"] == "NOT_FOUND"
    res = client.get(guests_url(event), {"search": "nobody-here"})
    assert res.status_code == 200 and res.json() == {"count": 0, "next": None, "previous": None, "results": []}
    assert client.get(guests_url(event), {"page_size": 1000}).status_code == 400
    html = client.get(guests_url(event), {"page_size": 1}, HTTP_ACCEPT="text/html")
    assert html.status_code == 200 and b"Able" in html.content and b"pagination" in html.content


def test_guest_search_pages_keep_the_list_order(event, staff):
    """Ids are paged by the search query and their rows read afterwards: the page keeps the list's
    order (case-insensitive by name) and ``?ordering=``."""
    reg = RegistrationFactory(event=event, user=UserFactory(first_name="Amy", last_name="de la Cruz"))
    for first, last in [("Bo", "Davis"), ("Cy", "Cruz"), ("Di", "adams"), ("Ed", "Baker")]:
        GuestFactory(registration=reg, first_name=first, last_name=last)
    client = client_for(staff)
    names = []
    for page in (1, 2):
        res = client.get(guests_url(event), {"page_size": 3, "page": page})
        names += [r["last_name"] for r in res.json()["results"]]
    assert names == ["adams", "Baker", "Cruz", "Davis", "de la Cruz"]
    res = client.get(guests_url(event), {"ordering": "-first_name", "page_size": 2})
    assert [r["first_name"] for r in res.json()["results"]] == ["Ed", "Di"]
    assert res.json()["count"] == 5


@pytest.mark.postgres
@pytest.mark.parametrize("term", ["émile", "ÉMILE", "Émi"])
def test_guest_search_folds_case_beyond_ascii_on_postgresql(event, staff, term):
    """On PostgreSQL the stored column and the word are upper-cased by the same function; SQLite's
    UPPER and LIKE fold ASCII only (the embedded default; ``icontains`` behaved the same there)."""
    guest = RegistrationFactory(event=event, user=UserFactory(first_name="Émile", last_name="Zola")).guests.get()
    res = client_for(staff).get(guests_url(event), {"search": term})
    assert [r["id"] for r in res.json()["results"]] == [str(guest.id)]


@pytest.mark.postgres
def test_guest_search_index_keeps_no_pending_list_on_postgresql(event, staff):
    """The trigram index merges every update at once (migration 0005, ``fastupdate = off``): after
    check-ins there is nothing pending for the desk's next search to read, and it finds the guest."""
    from django.db import connection

    index = "attendance_guest_search_text_trgm"
    with connection.cursor() as cursor:
        cursor.execute("SELECT reloptions FROM pg_class WHERE relname = %s", [index])
        assert cursor.fetchone()[0] == ["fastupdate=off"]
    guests = [
        RegistrationFactory(event=event, user=UserFactory(first_name="Pia", last_name=f"Pendlist{n}")).guests.get()
        for n in range(3)
    ]
    for guest in guests:
        res = client_for(staff).post(guests_url(event, f"{guest.id}/check-in/"))
        assert res.status_code == 200
    with connection.cursor() as cursor:
        cursor.execute("SELECT gin_clean_pending_list(%s::regclass)", [index])
        assert cursor.fetchone()[0] == 0  # pages it had to merge
    res = client_for(staff).get(guests_url(event), {"search": "pendlist1"})
    assert [r["id"] for r in res.json()["results"]] == [str(guests[1].id)]


def test_my_registration_with_tablemates(event, donor):
    reg = RegistrationFactory(event=event, user=donor)
    me = reg.guests.get()
    table = TableFactory(event=event, number=3, name="Oak")
    me.table = table
    me.paddle = PaddleFactory(event=event, number=150, registration=reg)
    me.save()
    stranger = RegistrationFactory(event=event, user=UserFactory(first_name="Tab", last_name="Mate")).guests.get()
    stranger.table = table
    stranger.save()
    res = client_for(donor).get(f"/api/v1/events/{event.id}/my-registration/")
    assert res.status_code == 200
    body = res.json()
    assert body["guests"][0]["bidder_number"] == 150
    assert body["table"]["number"] == 3 and body["table"]["name"] == "Oak"
    assert body["tablemates"] == ["Tab Mate"]
    assert body["is_owner"] is True
    assert client_for(UserFactory()).get(f"/api/v1/events/{event.id}/my-registration/").status_code == 404


def test_staff_role_member_lists_only_own_npo_events(event):
    other_staff = UserFactory()
    from apps.npos.tests.factories import MembershipFactory

    MembershipFactory(user=other_staff, role=Role.STAFF)
    assert client_for(other_staff).get(guests_url(event)).status_code == 403
    draft = EventFactory(npo=event.npo, status=EventStatus.DRAFT)
    assert client_for(other_staff).get(guests_url(draft)).status_code == 404
    assert Guest.objects.count() == 0


def test_csv_export_neutralises_a_formula_after_a_separator(event, staff):
    """Only a formula at the start of a cell was neutralised; with ``;`` as the list separator a
    spreadsheet starts a new cell inside ``Ann;=HYPERLINK(...)``."""
    GuestFactory(registration=RegistrationFactory(event=event), first_name="Ann;=HYPERLINK(1)", phone="1,@SUM(A1)")
    res = client_for(staff).get(guests_url(event), {"format": "csv"})
    rows = list(csv.reader(io.StringIO(res.content.decode())))
    row = next(r for r in rows if r[0].startswith("Ann"))
    assert row[0].startswith("Ann;'=HYPERLINK(1)") and row[3] == "1,'@SUM(A1)"
