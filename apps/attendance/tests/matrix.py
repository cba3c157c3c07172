"""Permission-matrix rows for every attendance endpoint (format: ``apps/core/tests/matrix.py``).

``build`` adds, in NPO A: a published event ``att_event`` with a meal option, the donor's registration
``att_reg`` (registrant guest ``att_guest``, extra guest ``att_guest2`` with an e-mail), a table
``att_table``; a draft event ``att_draft``; and, in a third event, the donor invited as a guest of the
admin's party (its token ``att_invite_token``). Published events are visible to everyone, so outsiders
get 403 there; drafts and registrations they may not see answer 404.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from apps.core.tests.matrix import Row, expect

ANON = {"anon": 401}
#: attendance.view holders in NPO A (admin, coordinator, staff, cashier) and the super admin
VIEW = dict(all=403, admin=200, coordinator=200, staff=200, cashier=200, super=200, **ANON)
#: attendance.manage holders in NPO A (admin, coordinator)
MANAGE_403 = dict(all=403, **ANON)
#: checkin.perform holders in NPO A (admin, coordinator, staff)
CHECKIN = dict(all=403, admin=200, coordinator=200, staff=200, super=200, **ANON)


def _registration(ok: int, *, change: bool) -> dict[str, int]:
    """Owner (donor) and staff of NPO A; invisible (404) to everyone else."""
    statuses = dict(all=404, donor=ok, super=ok, admin=ok, coordinator=ok, **ANON)
    statuses.update(staff=403 if change else ok, cashier=403 if change else ok)
    return expect(**statuses)


def _manage(ok: int) -> dict[str, int]:
    return expect(**MANAGE_403, admin=ok, coordinator=ok, super=ok)


def build(world: dict[str, Any]) -> None:
    from apps.attendance.models import Guest, GuestInvitation, Registration, Table
    from apps.attendance.services.invitations import token_hash
    from apps.events.models import Event, EventStatus, FoodOption

    npo = world["npo_obj"]
    start = timezone.now() + timezone.timedelta(days=20)
    event = Event.objects.create(
        npo=npo,
        name="Attendance matrix gala",
        slug="attendance-matrix-gala",
        status=EventStatus.PUBLISHED,
        starts_at=start,
        ends_at=start + timezone.timedelta(hours=4),
    )
    draft = Event.objects.create(
        npo=npo,
        name="Attendance matrix draft",
        slug="attendance-matrix-draft",
        status=EventStatus.DRAFT,
        starts_at=start,
        ends_at=start + timezone.timedelta(hours=4),
    )
    meal = FoodOption.objects.create(event=event, name="Matrix meal")
    donor = world["users"]["donor"]
    reg = Registration.objects.create(event=event, user=donor, code="MTRX22")
    guest = Guest.objects.create(
        registration=reg, event=event, user=donor, first_name="Dana", last_name="Donor", is_registrant=True
    )
    guest2 = Guest.objects.create(
        registration=reg, event=event, first_name="Gus", last_name="Guest", email="gus@matrix.test"
    )
    table = Table.objects.create(event=event, number=1, capacity=8)
    # The donor is invited as a guest of the admin's party in another event (api.md: an account is
    # linked only by accepting the invitation); only the donor's verified address may accept it.
    other_event = Event.objects.create(
        npo=npo,
        name="Attendance matrix invitation gala",
        slug="attendance-matrix-invitation-gala",
        status=EventStatus.PUBLISHED,
        starts_at=start,
        ends_at=start + timezone.timedelta(hours=4),
    )
    host = world["users"]["admin"]
    party = Registration.objects.create(event=other_event, user=host, code="MTRX33")
    Guest.objects.create(registration=party, event=other_event, user=host, is_registrant=True)
    invited = Guest.objects.create(registration=party, event=other_event, email=donor.email)
    token = "matrix-guest-invitation-token"
    GuestInvitation.objects.create(
        registration=party,
        guest=invited,
        email=donor.email,
        token_hash=token_hash(token),
        expires_at=timezone.now() + timezone.timedelta(days=1),
    )
    world.update(
        att_event=str(event.id),
        att_draft=str(draft.id),
        att_meal=str(meal.id),
        att_reg=str(reg.id),
        att_guest=str(guest.id),
        att_guest2=str(guest2.id),
        att_table=str(table.id),
        att_invite_token=token,
        att_event_obj=event,
        att_guest_obj=guest,
    )


def _check_in(world: dict[str, Any]) -> None:
    from apps.attendance.models import Guest

    Guest.objects.filter(pk=world["att_guest"]).update(checked_in_at=timezone.now())


E = "/api/v1/events/{att_event}"
R = "/api/v1/registrations/{att_reg}"

ROWS = [
    # registrations
    Row("GET", "/api/v1/registrations/", expect(all=200, **ANON)),
    Row("GET", f"{R}/", _registration(200, change=False)),
    Row("PATCH", f"{R}/", _registration(200, change=True), data={"notes": "x"}),
    Row("DELETE", f"{R}/", _registration(204, change=True)),
    Row("GET", f"{R}/guests/", _registration(200, change=False)),
    Row("POST", f"{R}/guests/", _registration(201, change=True), data={"name": "New Guest"}),
    Row("GET", f"{R}/guests/{{att_guest2}}/", _registration(200, change=False)),
    Row("PATCH", f"{R}/guests/{{att_guest2}}/", _registration(200, change=True), data={"phone": "+1555"}),
    Row("DELETE", f"{R}/guests/{{att_guest2}}/", _registration(204, change=True)),
    Row("POST", f"{R}/guests/{{att_guest2}}/invite/", _registration(200, change=True)),
    Row(
        "POST",
        "/api/v1/guest-invitations/accept/",
        expect(all=403, donor=200, **ANON),
        data=lambda w: {"token": w["att_invite_token"]},
    ),
    Row("GET", f"{E}/registrations/", expect(**VIEW)),
    Row("POST", f"{E}/registrations/", expect(all=201, donor=409, **ANON), data={}),
    Row(
        "POST",
        "/api/v1/events/{att_draft}/registrations/",
        expect(all=404, members=409, super=409, **ANON),
        data={},
        name="POST registrations on a draft",
    ),
    Row("GET", f"{E}/my-registration/", expect(all=404, donor=200, **ANON)),
    # guest list and check-in
    Row("GET", f"{E}/guests/", expect(**VIEW)),
    Row("GET", f"{E}/guests/?format=csv&search=dana", expect(**VIEW), name="GET guests csv"),
    Row(
        "GET",
        "/api/v1/events/{att_draft}/guests/",
        expect(all=404, admin=200, coordinator=200, staff=200, cashier=200, auctioneer=403, super=200, **ANON),
        name="GET guests of a draft",
    ),
    Row("GET", f"{E}/guests/{{att_guest}}/", expect(**VIEW)),
    Row("PATCH", f"{E}/guests/{{att_guest}}/", expect(**CHECKIN), data={"bidder_number": 555}),
    Row(
        "PATCH",
        f"{E}/guests/{{att_guest}}/",
        _manage(200),
        data=lambda w: {"table": w["att_table"]},
        name="PATCH guest table",
    ),
    Row("POST", f"{E}/guests/{{att_guest}}/check-in/", expect(**CHECKIN), data={}),
    Row("POST", f"{E}/guests/{{att_guest}}/undo-check-in/", expect(**CHECKIN), setup=_check_in),
    Row(
        "POST",
        f"{E}/walk-ins/",
        expect(**{**CHECKIN, "admin": 201, "coordinator": 201, "staff": 201, "super": 201}),
        data={"first_name": "Walk", "last_name": "In"},
    ),
    Row("GET", f"{E}/meal-counts/", expect(**VIEW)),
    # tables
    Row("GET", f"{E}/tables/", expect(**VIEW)),
    Row("POST", f"{E}/tables/", _manage(201), data={"number": 99, "capacity": 4}),
    Row("GET", f"{E}/tables/{{att_table}}/", expect(**VIEW)),
    Row("PATCH", f"{E}/tables/{{att_table}}/", _manage(200), data={"name": "Oak"}),
    Row("DELETE", f"{E}/tables/{{att_table}}/", _manage(204)),
    Row("POST", f"{E}/tables/auto-assign/", _manage(200), data={}),
]
