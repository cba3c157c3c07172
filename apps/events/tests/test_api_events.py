from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from apps.events.models import Event, EventStatus
from apps.events.tests.factories import (
    HTML_BYTES,
    EventFactory,
    EventLinkFactory,
    EventMediaFactory,
    FoodOptionFactory,
    PublishedEventFactory,
    SponsorFactory,
    upload,
)
from apps.npos.models import NPOStatus
from conftest import client_for

pytestmark = pytest.mark.django_db

URL = "/api/v1/events/"


def _body(npo: Any, **overrides: Any) -> dict[str, Any]:
    starts = timezone.now() + timedelta(days=20)
    return {
        "npo": str(npo.pk),
        "name": "Autumn Ball",
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=5)).isoformat(),
        "timezone": "America/New_York",
        **overrides,
    }


class TestList:
    def test_visibility(self, draft: Any, published: Any, other_npo: Any, admin: Any, other_admin: Any) -> None:
        other_draft = EventFactory(npo=other_npo)
        closed = PublishedEventFactory(npo=other_npo, status=EventStatus.CLOSED)
        ids = lambda r: {e["id"] for e in r.json()["results"]}  # noqa: E731
        assert ids(client_for(None).get(URL)) == {str(published.pk), str(closed.pk)}
        assert ids(client_for(admin).get(URL)) == {str(draft.pk), str(published.pk), str(closed.pk)}
        assert ids(client_for(other_admin).get(URL)) == {str(other_draft.pk), str(published.pk), str(closed.pk)}

    def test_filters(self, draft: Any, published: Any, other_npo: Any, admin: Any) -> None:
        PublishedEventFactory(npo=other_npo)
        client = client_for(admin)
        r = client.get(URL, {"npo": str(draft.npo_id)})
        assert {e["id"] for e in r.json()["results"]} == {str(draft.pk), str(published.pk)}
        r = client.get(URL, {"status": "draft"})
        assert [e["id"] for e in r.json()["results"]] == [str(draft.pk)]
        r = client.get(URL, {"status": "nonsense"})
        assert r.status_code == 400
        assert r.json()["error"]["code"] == "VALIDATION_ERROR"
        assert client.get(URL, {"npo": "not-a-uuid"}).status_code == 400
        assert client.get(URL, {"search": "Draft"}).json()["count"] == 1

    def test_page_past_the_end(self, published: Any) -> None:
        assert client_for(None).get(URL, {"page": 5}).status_code == 404

    @pytest.mark.parametrize("url", [URL, "/api/v1/public/events/"])
    def test_constant_queries(self, npo: Any, admin: Any, url: str, django_assert_num_queries: Any) -> None:
        for _ in range(12):
            PublishedEventFactory(npo=npo)
        client = client_for(admin)
        with django_assert_num_queries(2):
            r = client.get(url, {"page_size": 2})
        assert len(r.json()["results"]) == 2
        with django_assert_num_queries(2):
            r = client.get(url, {"page_size": 12})
        assert len(r.json()["results"]) == 12


class TestCreate:
    def test_admin_and_coordinator_create_drafts(self, npo: Any, admin: Any, coordinator: Any) -> None:
        r = client_for(admin).post(URL, _body(npo), format="json")
        assert r.status_code == 201, r.json()
        body = r.json()
        assert body["status"] == "draft"
        assert body["slug"] == "autumn-ball"
        assert body["version"] == 1
        assert body["capacity"] is None
        assert body["checkin_required_to_bid"] is False
        assert body["soft_close_minutes"] == 0
        assert body["goal_amount"] is None
        assert body["next_bidder_number"] == 100
        r = client_for(coordinator).post(URL, _body(npo, goal_amount="25000"), format="json")
        assert r.status_code == 201
        assert r.json()["slug"] == "autumn-ball-2"
        assert r.json()["goal_amount"] == "25000.00"

    @pytest.mark.parametrize("who", ["staff", "other_admin", "donor"])
    def test_without_events_manage(self, npo: Any, who: str, request: Any) -> None:
        r = client_for(request.getfixturevalue(who)).post(URL, _body(npo), format="json")
        assert r.status_code == 403
        assert r.json()["error"]["code"] == "PERMISSION_DENIED"

    def test_anonymous(self, npo: Any) -> None:
        assert client_for(None).post(URL, _body(npo), format="json").status_code == 401

    def test_permission_before_validation(self, npo: Any, staff: Any) -> None:
        r = client_for(staff).post(URL, _body(npo, timezone="Nowhere/Land"), format="json")
        assert r.status_code == 403

    @pytest.mark.parametrize(
        ("overrides", "field"),
        [
            ({"timezone": "Mars/Olympus"}, "timezone"),
            ({"slug": "Bad Slug!"}, "slug"),
            ({"ends_at": "2020-01-01T00:00:00Z", "starts_at": "2020-01-02T00:00:00Z"}, "ends_at"),
            ({"starts_at": "yesterday"}, "starts_at"),
            ({"capacity": 0}, "capacity"),
            ({"goal_amount": "-5"}, "goal_amount"),
            ({"primary_color": "blue"}, "primary_color"),
            ({"name": ""}, "name"),
        ],
    )
    def test_bad_input(self, npo: Any, admin: Any, overrides: dict[str, Any], field: str) -> None:
        r = client_for(admin).post(URL, _body(npo, **overrides), format="json")
        assert r.status_code == 400, r.json()
        assert field in r.json()["error"]["fields"]
        assert not Event.objects.exists()

    def test_npo_missing_malformed_or_unknown(self, superuser: Any) -> None:
        client = client_for(superuser)
        for npo in (None, "xyz", "00000000-0000-0000-0000-000000000000"):
            body = _body(type("N", (), {"pk": npo})())
            if npo is None:
                body.pop("npo")
            r = client.post(URL, body, format="json")
            assert r.status_code == 400
            assert "npo" in r.json()["error"]["fields"]

    def test_unknown_npo_for_a_member_is_403(self, admin: Any) -> None:
        body = _body(type("N", (), {"pk": "00000000-0000-0000-0000-000000000000"})())
        assert client_for(admin).post(URL, body, format="json").status_code == 403

    def test_multipart_with_logo(self, npo: Any, admin: Any) -> None:
        r = client_for(admin).post(URL, {**_body(npo), "logo": upload("logo.jpg")}, format="multipart")
        assert r.status_code == 201, r.json()
        event = Event.objects.get()
        assert event.logo.name.endswith(".png")
        assert r.json()["logo"].startswith("http://testserver/media/")
        assert "logo" not in r.json()["branding_inherited"]

    def test_html_logo_refused(self, npo: Any, admin: Any) -> None:
        r = client_for(admin).post(URL, {**_body(npo), "logo": upload("x.png", HTML_BYTES)}, format="multipart")
        assert r.status_code == 400
        assert "logo" in r.json()["error"]["fields"]

    def test_malformed_json(self, admin: Any) -> None:
        r = client_for(admin).post(URL, "{not json", content_type="application/json")
        assert r.status_code == 400


class TestDetail:
    def test_draft_hidden_from_outsiders(self, draft: Any, staff: Any, other_admin: Any, donor: Any) -> None:
        url = f"{URL}{draft.pk}/"
        assert client_for(staff).get(url).status_code == 200
        for user in (other_admin, donor, None):
            r = client_for(user).get(url)
            assert r.status_code == 404
            assert r.json()["error"]["code"] == "NOT_FOUND"
        assert client_for(None).get(f"{URL}not-a-uuid/").status_code == 404

    def test_published_is_public(self, published: Any) -> None:
        r = client_for(None).get(f"{URL}{published.pk}/")
        assert r.status_code == 200
        assert r.json()["slug"] == "published-gala"

    def test_branding_falls_back_to_the_npo(self, draft: Any, admin: Any) -> None:
        draft.accent_color = "#000000"
        draft.save()
        body = client_for(admin).get(f"{URL}{draft.pk}/").json()
        assert body["primary_color"] == "#112233"
        assert body["accent_color"] == "#000000"
        assert body["secondary_color"] == ""
        assert body["branding_inherited"] == ["primary_color"]
        assert body["logo"] is None

    def test_description_html(self, draft: Any, admin: Any) -> None:
        draft.description = "# Welcome\n<script>x()</script>"
        draft.save()
        body = client_for(admin).get(f"{URL}{draft.pk}/").json()
        assert body["description_html"].startswith("<h1>Welcome</h1>")
        assert "<script" not in body["description_html"]


class TestUpdate:
    def test_patch_with_version(self, draft: Any, admin: Any) -> None:
        url = f"{URL}{draft.pk}/"
        r = client_for(admin).patch(url, {"tagline": "Dance all night", "version": 1}, format="json")
        assert r.status_code == 200, r.json()
        assert r.json()["version"] == 2
        r = client_for(admin).patch(url, {"tagline": "stale", "version": 1}, format="json")
        assert r.status_code == 409
        assert r.json()["error"]["code"] == "VERSION_CONFLICT"
        r = client_for(admin).patch(url, {"tagline": "no version"}, format="json")
        assert r.status_code == 200
        assert r.json()["version"] == 3

    def test_order_of_checks(self, draft: Any, staff: Any, other_admin: Any, admin: Any) -> None:
        url = f"{URL}{draft.pk}/"
        assert client_for(None).patch(url, {"name": "x"}, format="json").status_code == 401
        assert client_for(other_admin).patch(url, {"name": "x"}, format="json").status_code == 404
        assert client_for(staff).patch(url, {"timezone": "bad"}, format="json").status_code == 403
        assert client_for(admin).patch(url, {"timezone": "bad", "version": 9}, format="json").status_code == 400
        assert client_for(admin).patch(url, {"timezone": "UTC", "version": 9}, format="json").status_code == 409

    def test_slug_only_while_draft(self, published: Any, admin: Any) -> None:
        r = client_for(admin).patch(f"{URL}{published.pk}/", {"slug": "new-one"}, format="json")
        assert r.status_code == 400
        assert "slug" in r.json()["error"]["fields"]

    def test_put_not_allowed(self, draft: Any, admin: Any) -> None:
        assert client_for(admin).put(f"{URL}{draft.pk}/", _body(draft.npo), format="json").status_code == 405

    def test_logo_replace_and_remove(self, draft: Any, admin: Any) -> None:
        url = f"{URL}{draft.pk}/"
        r = client_for(admin).patch(url, {"logo": upload("l.png")}, format="multipart")
        assert r.status_code == 200
        assert r.json()["logo"]
        r = client_for(admin).patch(url, {"logo": ""}, format="multipart")
        assert r.status_code == 200
        assert r.json()["logo"] is None
        draft.refresh_from_db()
        assert draft.logo.name == ""


class TestTransitions:
    def test_publish_unpublish_close(self, draft: Any, admin: Any) -> None:
        client = client_for(admin)
        r = client.post(f"{URL}{draft.pk}/publish/")
        assert r.status_code == 200
        assert r.json()["status"] == "published"
        assert client.post(f"{URL}{draft.pk}/publish/").json()["error"]["code"] == "INVALID_TRANSITION"
        assert client.post(f"{URL}{draft.pk}/unpublish/").json()["status"] == "draft"
        client.post(f"{URL}{draft.pk}/publish/")
        r = client.post(f"{URL}{draft.pk}/close/", {"version": 4}, format="json")
        assert r.status_code == 200, r.json()
        assert r.json()["status"] == "closed"
        r = client.post(f"{URL}{draft.pk}/close/")
        assert (r.status_code, r.json()["error"]["code"]) == (409, "INVALID_TRANSITION")

    def test_npo_not_approved(self, draft: Any, admin: Any) -> None:
        draft.npo.status = NPOStatus.PENDING_APPROVAL
        draft.npo.save()
        r = client_for(admin).post(f"{URL}{draft.pk}/publish/")
        assert (r.status_code, r.json()["error"]["code"]) == (409, "NPO_NOT_APPROVED")

    def test_needs_events_manage(self, draft: Any, staff: Any, other_admin: Any) -> None:
        assert client_for(staff).post(f"{URL}{draft.pk}/publish/").status_code == 403
        assert client_for(other_admin).post(f"{URL}{draft.pk}/publish/").status_code == 404
        assert client_for(None).post(f"{URL}{draft.pk}/publish/").status_code == 401


class TestDelete:
    def test_draft(self, draft: Any, admin: Any) -> None:
        assert client_for(admin).delete(f"{URL}{draft.pk}/").status_code == 204
        assert not Event.all_objects.filter(pk=draft.pk).exists()

    def test_published(self, published: Any, admin: Any) -> None:
        r = client_for(admin).delete(f"{URL}{published.pk}/")
        assert (r.status_code, r.json()["error"]["code"]) == (409, "INVALID_TRANSITION")


class TestPublic:
    def test_list_only_published_and_closed(self, draft: Any, published: Any) -> None:
        closed = PublishedEventFactory(npo=draft.npo, status=EventStatus.CLOSED)
        r = client_for(None).get("/api/v1/public/events/")
        assert {e["id"] for e in r.json()["results"]} == {str(published.pk), str(closed.pk)}

    def test_detail_by_slug(self, published: Any, draft: Any) -> None:
        FoodOptionFactory(event=published, name="Beef")
        SponsorFactory(event=published, name="Acme", contact_email="ceo@acme.test", donation_amount="100.00")
        EventLinkFactory(event=published)
        EventMediaFactory(event=published)
        EventMediaFactory(event=published, status="pending")
        r = client_for(None).get("/api/v1/public/events/published-gala/")
        assert r.status_code == 200
        body = r.json()
        assert (body["id"], body["slug"], body["name"]) == (str(published.pk), "published-gala", "Published Gala")
        assert [m["name"] for m in body["food_options"]] == ["Beef"]
        assert body["meals"] == body["food_options"]
        assert len(body["media"]) == 1
        assert body["media"][0]["url"].startswith("http://testserver/media/events/")
        assert len(body["links"]) == 1
        assert body["sponsors"][0]["name"] == "Acme"
        assert "contact_email" not in body["sponsors"][0]
        assert "donation_amount" not in body["sponsors"][0]
        assert client_for(None).get("/api/v1/public/events/draft-gala/").status_code == 404
        assert client_for(None).get("/api/v1/public/events/no-such-event/").status_code == 404

    def test_detail_constant_queries(self, published: Any, django_assert_num_queries: Any) -> None:
        def add(n: int) -> None:
            for _ in range(n):
                FoodOptionFactory(event=published)
                SponsorFactory(event=published)
                EventLinkFactory(event=published)
                EventMediaFactory(event=published)

        client = client_for(None)
        add(1)
        with django_assert_num_queries(5):
            client.get("/api/v1/public/events/published-gala/")
        add(5)
        with django_assert_num_queries(5):
            r = client.get("/api/v1/public/events/published-gala/")
        assert len(r.json()["sponsors"]) == 6


class TestCapacity:
    """Lowering ``capacity`` below the guests already registered is 409 CAPACITY_BELOW_OCCUPANCY."""

    def _register(self, event: Any, guests: int) -> None:
        from apps.attendance.models import Guest, Registration
        from apps.users.tests.factories import UserFactory

        registration = Registration.objects.create(event=event, user=UserFactory(), code=f"CAP{guests:03d}")
        for i in range(guests):
            Guest.objects.create(registration=registration, event=event, is_registrant=i == 0)

    def test_below_registered_guests_is_409(self, published: Any, admin: Any) -> None:
        self._register(published, 3)
        url = f"{URL}{published.pk}/"
        r = client_for(admin).patch(url, {"capacity": 2}, format="json")
        assert r.status_code == 409, r.json()
        assert r.json()["error"]["code"] == "CAPACITY_BELOW_OCCUPANCY"
        assert r.json()["error"]["occupancy"] == 3
        published.refresh_from_db()
        assert (published.capacity, published.version) == (None, 1)
        r = client_for(admin).patch(url, {"capacity": 3}, format="json")
        assert (r.status_code, r.json()["capacity"]) == (200, 3)
        r = client_for(admin).patch(url, {"capacity": None}, format="json")
        assert (r.status_code, r.json()["capacity"]) == (200, None)

    def test_stale_version_wins_over_capacity(self, published: Any, admin: Any) -> None:
        self._register(published, 2)
        r = client_for(admin).patch(f"{URL}{published.pk}/", {"capacity": 1, "version": 7}, format="json")
        assert (r.status_code, r.json()["error"]["code"]) == (409, "VERSION_CONFLICT")


class TestMarkdownBounds:
    """Regression: one published description could stall or break every event list."""

    NESTED_300 = "".join("    " * i + "- x\n" for i in range(300))  # RecursionError in Python-Markdown

    def test_markdown_bracket_bomb_does_not_stall_the_public_event_list(
        self, published: Any, admin: Any, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        import time

        from apps.core import text

        r = client_for(admin).patch(f"{URL}{published.pk}/", {"description": "[" * 10_000}, format="json")
        assert r.status_code == 200, r.json()
        assert r.json()["description_html"].startswith("<p>[[[")

        def never(value: str) -> str:
            raise AssertionError("a read rendered Markdown")

        monkeypatch.setattr(text, "_render", never)
        text._render_bounded.cache_clear()
        for url in ("/api/v1/public/events/", URL, f"/api/v1/public/events/{published.slug}/", f"{URL}{published.pk}/"):
            started = time.perf_counter()
            response = client_for(None).get(url)
            assert response.status_code == 200
            assert time.perf_counter() - started < 1.0, url

    def test_markdown_nested_list_in_description_is_a_400_not_a_500(self, published: Any, admin: Any) -> None:
        url = f"{URL}{published.pk}/"
        for description in (self.NESTED_300, "- " * 300 + "x"):
            r = client_for(admin).patch(url, {"description": description, "tagline": "changed"}, format="json")
            assert r.status_code == 400, r.content[:200]
            assert r.json()["error"]["code"] == "VALIDATION_ERROR"
            assert "description" in r.json()["error"]["fields"]
        published.refresh_from_db()
        assert (published.version, published.tagline) == (1, "")  # nothing half-written
        assert client_for(None).get("/api/v1/public/events/").status_code == 200

    def test_markdown_longer_than_the_limit_is_a_400(self, draft: Any, admin: Any, npo: Any) -> None:
        r = client_for(admin).patch(f"{URL}{draft.pk}/", {"description": "a" * 20_001}, format="json")
        assert r.status_code == 400 and r.json()["error"]["fields"]["description"]
        r = client_for(admin).post(URL, _body(npo, description="b" * 20_001), format="json")
        assert r.status_code == 400 and "description" in r.json()["error"]["fields"]
        assert Event.objects.filter(npo=npo).count() == 1
        r = client_for(admin).post(URL, _body(npo, description="b" * 20_000), format="json")
        assert r.status_code == 201

    def test_admin_form_refuses_a_nested_description(self, draft: Any) -> None:
        from apps.events.admin import EventAdminForm

        form = EventAdminForm(instance=draft, data={"description": self.NESTED_300})
        assert not form.is_valid()
        assert "description" in form.errors
