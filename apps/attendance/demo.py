"""Demo attendance for the demo gala: a few parties (the demo donor's among them), tables, and some
guests checked in with bidder numbers. Idempotent: parties are found by (event, account), tables by
number; check-in is idempotent by design. Skipped when the events demo has not created a gala."""

from __future__ import annotations

from typing import Any

from apps.attendance.models import Registration, RegistrationStatus, Table
from apps.attendance.services.checkin import guest_check_in
from apps.attendance.services.registrations import registration_create
from apps.attendance.services.seating import table_create, tables_auto_assign
from apps.events.models import Event, EventStatus
from apps.npos.demo import demo_npo
from apps.users.demo import DEMO_PASSWORD, demo_user

PARTIES = [
    # (e-mail, first, last, extra guests as (first, last, e-mail))
    ("donor@augeo.local", "Dana", "Donor", [("Dylan", "Donor", ""), ("", "", "")]),
    ("ava.martin@augeo.local", "Ava", "Martin", [("Leo", "Martin", "leo.martin@augeo.local")]),
    ("noah.kim@augeo.local", "Noah", "Kim", [("Mia", "Kim", ""), ("Eli", "Kim", ""), ("Zoe", "Kim", "")]),
    ("olivia.garcia@augeo.local", "Olivia", "Garcia", []),
    ("liam.chen@augeo.local", "Liam", "Chen", [("Emma", "Chen", "")]),
]
TABLES = [(1, "Hope", 8), (2, "Courage", 8), (3, "Kindness", 6)]


def demo_gala() -> Event | None:
    npo = demo_npo()
    if npo is None:
        return None
    return Event.objects.filter(npo=npo, status=EventStatus.PUBLISHED).order_by("starts_at").first()


def seed(out: Any) -> list[tuple[str, str, str]]:
    event = demo_gala()
    if event is None:
        out.write("attendance demo skipped: no published demo gala (run the events demo first)")
        return []
    meals = list(event.food_options.all())
    staff = demo_user("staff@augeo.local", first_name="Sam", last_name="Staff")
    for number, name, capacity in TABLES:
        if not Table.objects.filter(event=event, number=number).exists():
            table_create(event=event, actor=None, number=number, capacity=capacity, name=name)
    registrations = []
    for index, (email, first, last, extra) in enumerate(PARTIES):
        user = demo_user(email, first_name=first, last_name=last)
        registration = Registration.objects.filter(event=event, user=user, status=RegistrationStatus.CONFIRMED).first()
        if registration is None:
            guests = [
                {
                    "first_name": f,
                    "last_name": ln,
                    "email": e,
                    "food_option": meals[(index + i) % len(meals)].pk if meals else None,
                }
                for i, (f, ln, e) in enumerate(extra)
            ]
            registration = registration_create(
                event=event,
                user=user,
                guests=guests,
                food_option=meals[index % len(meals)].pk if meals else None,
            )
        registrations.append(registration)
    # The first two parties have arrived; everyone is seated.
    for registration in registrations[1:3]:
        for guest in registration.guests.all():
            if guest.full_name:
                guest_check_in(guest=guest, actor=staff)
    tables_auto_assign(event=event, actor=staff)
    return [("guest with a party (registrant)", PARTIES[1][0], DEMO_PASSWORD)]
