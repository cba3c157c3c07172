from typing import Any
import json
import pytest
from conftest import client_for
from apps.attendance.tests.factories import EventFactory, FoodOptionFactory
from apps.npos.capabilities import Role
from apps.npos.tests.factories import MembershipFactory
from apps.users.tests.factories import UserFactory
from apps.events.models import EventStatus

pytestmark = pytest.mark.django_db

def show(tag, r):
    try:
        body = r.json()
    except Exception:
        body = r.content[:200]
    print(f"\n### {tag}: {r.status_code} {json.dumps(body, default=str)[:600]}")

def test_probe(event, meal, donor, staff, coordinator, cashier):
    d = client_for(donor)
    c = client_for(coordinator)
    s = client_for(staff)
    anon = __import__("rest_framework.test", fromlist=["APIClient"]).APIClient()
    base = f"/api/v1/events/{event.pk}"
    show("reg list-body", d.post(f"{base}/registrations/", [1, 2], format="json"))
    show("reg guests str", d.post(f"{base}/registrations/", {"guests": "x"}, format="json"))
    show("reg guests null", d.post(f"{base}/registrations/", {"guests": None}, format="json"))
    show("reg guests [1]", d.post(f"{base}/registrations/", {"guests": [1]}, format="json"))
    show("reg fo bad", d.post(f"{base}/registrations/", {"food_option": "zz"}, format="json"))
    show("reg fo list", d.post(f"{base}/registrations/", {"food_option": [1]}, format="json"))
    show("reg garbage", d.generic("POST", f"{base}/registrations/", "{bad", content_type="application/json"))
    show("reg multipart", d.post(f"{base}/registrations/", {"food_option": str(meal.pk)}))
    r = d.post(f"{base}/registrations/", {"guests": [{"name": "Ann Bee", "email": "ann@example.org", "food_option": str(meal.pk)}, {}], "food_option": str(meal.pk)}, format="json")
    show("reg ok", r)
    reg = r.json()
    show("reg again", d.post(f"{base}/registrations/", {}, format="json"))
    show("reg anon", anon.post(f"{base}/registrations/", {}, format="json"))
    show("bad event id", d.post("/api/v1/events/nope/registrations/", {}, format="json"))
    show("my reg", d.get(f"{base}/my-registration/"))
    show("my reg anon", anon.get(f"{base}/my-registration/"))
    show("guests", s.get(f"{base}/guests/"))
    show("guests table bad", s.get(f"{base}/guests/?table=zz"))
    show("guests checked_in bad", s.get(f"{base}/guests/?checked_in=zz"))
    show("guests search 100", s.get(f"{base}/guests/?search=ann"))
    show("guests csv", s.get(f"{base}/guests/?format=csv"))
    show("guests csv donor", d.get(f"{base}/guests/?format=csv"))
    g = reg["guests"][0]["id"]
    show("checkin", s.post(f"{base}/guests/{g}/check-in/", {}, format="json"))
    show("checkin again", s.post(f"{base}/guests/{g}/check-in/"))
    show("checkin bidder str", s.post(f"{base}/guests/{reg['guests'][1]['id']}/check-in/", {"bidder_number": "abc"}, format="json"))
    show("checkin list body", s.post(f"{base}/guests/{reg['guests'][1]['id']}/check-in/", [1], format="json"))
    show("undo", s.post(f"{base}/guests/{g}/undo-check-in/"))
    show("undo2", s.post(f"{base}/guests/{g}/undo-check-in/"))
    show("walkin", s.post(f"{base}/walk-ins/", {"first_name": "W", "last_name": "K"}, format="json"))
    show("walkin existing", s.post(f"{base}/walk-ins/", {"first_name": "W", "last_name": "K", "email": donor.email}, format="json"))
    show("walkin list", s.post(f"{base}/walk-ins/", [1], format="json"))
    show("patch guest bn str", c.patch(f"{base}/guests/{g}/", {"bidder_number": "x"}, format="json"))
    show("patch guest list", c.patch(f"{base}/guests/{g}/", [1], format="json"))
    show("patch guest bn taken", c.patch(f"{base}/guests/{g}/", {"bidder_number": 101}, format="json"))
    t = c.post(f"{base}/tables/", {"number": 1, "capacity": 1}, format="json")
    show("table create", t)
    tid = t.json()["id"]
    show("table dup", c.post(f"{base}/tables/", {"number": 1, "capacity": 1}, format="json"))
    show("table list body", c.post(f"{base}/tables/", [1], format="json"))
    show("table cap str", c.post(f"{base}/tables/", {"number": 2, "capacity": "x"}, format="json"))
    show("seat", c.patch(f"{base}/guests/{g}/", {"table": tid}, format="json"))
    show("seat full", c.patch(f"{base}/guests/{reg['guests'][1]['id']}/", {"table": tid}, format="json"))
    show("seat bad table", c.patch(f"{base}/guests/{reg['guests'][1]['id']}/", {"table": "zz"}, format="json"))
    show("seat unknown table", c.patch(f"{base}/guests/{reg['guests'][1]['id']}/", {"table": "00000000-0000-0000-0000-000000000000"}, format="json"))
    show("table cap 0", c.patch(f"{base}/tables/{tid}/", {"capacity": 0}, format="json"))
    t2 = c.post(f"{base}/tables/", {"number": 2, "capacity": 1}, format="json").json()["id"]
    show("table cap below", c.patch(f"{base}/tables/{tid}/", {"capacity": 1, "number": 2}, format="json"))
    show("auto", c.post(f"{base}/tables/auto-assign/"))
    show("guests table filter", s.get(f"{base}/guests/?table={tid}"))
    show("guests checked_in filter", s.get(f"{base}/guests/?checked_in=true"))
    show("reg list", d.get("/api/v1/registrations/"))
    show("reg detail", d.get(f"/api/v1/registrations/{reg['id']}/"))
    show("reg patch bad", d.patch(f"/api/v1/registrations/{reg['id']}/", [1], format="json"))
    show("reg guests", d.get(f"/api/v1/registrations/{reg['id']}/guests/"))
    show("reg guest patch", d.patch(f"/api/v1/registrations/{reg['id']}/guests/{reg['guests'][2]['id']}/", {"name": "Cee Dee"}, format="json"))
    show("reg guest post", d.post(f"/api/v1/registrations/{reg['id']}/guests/", {"name": "Eee"}, format="json"))
    show("reg delete", d.delete(f"/api/v1/registrations/{reg['id']}/"))
    show("reg detail after", d.get(f"/api/v1/registrations/{reg['id']}/"))
    show("reg delete again", d.delete(f"/api/v1/registrations/{reg['id']}/"))
