"""/events/{id}/media|links|food-options|sponsors/ over HTTP (local-disk storage)."""

from __future__ import annotations

from typing import Any

import pytest

from apps.events.models import EventMedia, FoodOption, Sponsor
from apps.events.tests.factories import (
    HTML_BYTES,
    PDF_BYTES,
    SVG_BYTES,
    EventLinkFactory,
    EventMediaFactory,
    FoodOptionFactory,
    SponsorFactory,
    image_bytes,
    upload,
)
from conftest import client_for

pytestmark = pytest.mark.django_db


def url(event: Any, kind: str, child: Any = None, suffix: str = "") -> str:
    base = f"/api/v1/events/{event.pk}/{kind}/"
    return f"{base}{child.pk}/{suffix}" if child is not None else f"{base}{suffix}"


class TestVisibilityAndPermissions:
    @pytest.mark.parametrize("kind", ["media", "links", "food-options", "sponsors"])
    def test_reads_follow_the_event(self, draft: Any, published: Any, staff: Any, other_admin: Any, kind: str) -> None:
        assert client_for(None).get(url(published, kind)).status_code == 200
        assert client_for(other_admin).get(url(published, kind)).status_code == 200
        assert client_for(staff).get(url(draft, kind)).status_code == 200
        assert client_for(None).get(url(draft, kind)).status_code == 404
        assert client_for(other_admin).get(url(draft, kind)).status_code == 404

    @pytest.mark.parametrize("kind", ["links", "food-options"])
    def test_writes_need_events_manage(self, published: Any, staff: Any, other_admin: Any, kind: str) -> None:
        body = {"kind": "website", "url": "https://example.org", "name": "Fish"}
        assert client_for(None).post(url(published, kind), body, format="json").status_code == 401
        assert client_for(staff).post(url(published, kind), body, format="json").status_code == 403
        assert client_for(other_admin).post(url(published, kind), body, format="json").status_code == 403

    def test_child_of_another_event_is_404(self, draft: Any, published: Any, admin: Any) -> None:
        option = FoodOptionFactory(event=published)
        assert (
            client_for(admin).patch(url(draft, "food-options", option), {"name": "x"}, format="json").status_code == 404
        )
        assert client_for(admin).get(url(draft, "food-options", option)).status_code == 404

    def test_staff_patch_is_403(self, published: Any, staff: Any) -> None:
        option = FoodOptionFactory(event=published)
        r = client_for(staff).patch(url(published, "food-options", option), {"name": "x"}, format="json")
        assert r.status_code == 403

    @pytest.mark.parametrize(
        ("kind", "factory", "queries"),
        [
            ("media", EventMediaFactory, 3),  # the event with the caller's role, the count, the page
            ("links", EventLinkFactory, 3),
            ("food-options", FoodOptionFactory, 3),
            ("sponsors", SponsorFactory, 4),  # and whether the caller sees the private fields
        ],
    )
    def test_constant_queries(
        self, published: Any, admin: Any, kind: str, factory: Any, queries: int, django_assert_num_queries: Any
    ) -> None:
        for _ in range(8):
            factory(event=published)
        client = client_for(admin)
        with django_assert_num_queries(queries):
            r = client.get(url(published, kind), {"page_size": 2})
        assert len(r.json()["results"]) == 2
        with django_assert_num_queries(queries):
            r = client.get(url(published, kind), {"page_size": 8})
        assert len(r.json()["results"]) == 8


class TestMediaApi:
    def test_upload_png_renamed_jpg(self, draft: Any, admin: Any) -> None:
        r = client_for(admin).post(
            url(draft, "media"), {"file": upload("pic.jpg"), "caption": "Hi"}, format="multipart"
        )
        assert r.status_code == 201, r.json()
        body = r.json()
        assert (body["content_type"], body["kind"], body["caption"]) == ("image/png", "image", "Hi")
        assert body["url"].endswith(".png")

    def test_html_renamed_png(self, draft: Any, admin: Any) -> None:
        r = client_for(admin).post(url(draft, "media"), {"file": upload("x.png", HTML_BYTES)}, format="multipart")
        assert r.status_code == 400
        assert r.json()["error"]["code"] == "VALIDATION_ERROR"
        assert "file" in r.json()["error"]["fields"]

    def test_svg(self, draft: Any, admin: Any) -> None:
        r = client_for(admin).post(url(draft, "media"), {"file": upload("x.svg", SVG_BYTES)}, format="multipart")
        assert r.status_code == 400

    def test_missing_file(self, draft: Any, admin: Any) -> None:
        r = client_for(admin).post(url(draft, "media"), {}, format="json")
        assert r.status_code == 400
        assert "file" in r.json()["error"]["fields"]

    def test_oversized(self, draft: Any, admin: Any, settings: Any) -> None:
        settings.AUGEO_MAX_MEDIA_BYTES = 20
        r = client_for(admin).post(url(draft, "media"), {"file": upload("f.pdf", PDF_BYTES)}, format="multipart")
        assert (r.status_code, r.json()["error"]["code"]) == (413, "FILE_TOO_LARGE")

    def test_event_total(self, draft: Any, admin: Any, settings: Any) -> None:
        settings.AUGEO_MAX_EVENT_MEDIA_BYTES = len(image_bytes()) + 5
        client = client_for(admin)
        assert client.post(url(draft, "media"), {"file": upload()}, format="multipart").status_code == 201
        r = client.post(url(draft, "media"), {"file": upload()}, format="multipart")
        assert (r.status_code, r.json()["error"]["code"]) == (413, "FILE_TOO_LARGE")
        assert EventMedia.objects.count() == 1

    def test_pending_media_invisible(self, draft: Any, admin: Any) -> None:
        pending = EventMediaFactory(event=draft, status="pending")
        client = client_for(admin)
        assert client.get(url(draft, "media")).json()["count"] == 0
        assert client.get(url(draft, "media", pending)).status_code == 404

    def test_patch_and_delete(self, draft: Any, admin: Any) -> None:
        media = EventMediaFactory(event=draft)
        client = client_for(admin)
        r = client.patch(url(draft, "media", media), {"caption": "Stage"}, format="json")
        assert (r.status_code, r.json()["caption"]) == (200, "Stage")
        assert client.delete(url(draft, "media", media)).status_code == 204
        assert not EventMedia.objects.exists()

    def test_direct_upload_unavailable_without_azure(self, draft: Any, admin: Any, staff: Any) -> None:
        r = client_for(admin).post(url(draft, "media", suffix="upload-url/"), {"size": 1000}, format="json")
        assert (r.status_code, r.json()["error"]["code"]) == (409, "DIRECT_UPLOAD_UNAVAILABLE")
        assert (
            client_for(staff).post(url(draft, "media", suffix="upload-url/"), {"size": 1}, format="json").status_code
            == 403
        )
        r = client_for(admin).post(url(draft, "media", suffix="upload-url/"), {"size": 0}, format="json")
        assert r.status_code == 400
        pending = EventMediaFactory(event=draft, status="pending")
        r = client_for(admin).post(url(draft, "media", pending, "confirm/"))
        assert (r.status_code, r.json()["error"]["code"]) == (409, "DIRECT_UPLOAD_UNAVAILABLE")


class TestLinksApi:
    def test_crud(self, draft: Any, admin: Any) -> None:
        client = client_for(admin)
        r = client.post(
            url(draft, "links"), {"kind": "video", "url": "https://youtu.be/x", "label": "Teaser"}, format="json"
        )
        assert r.status_code == 201, r.json()
        link_id = r.json()["id"]
        r = client.patch(f"{url(draft, 'links')}{link_id}/", {"label": "Trailer"}, format="json")
        assert r.json()["label"] == "Trailer"
        assert client.delete(f"{url(draft, 'links')}{link_id}/").status_code == 204

    def test_bad_links(self, draft: Any, admin: Any) -> None:
        client = client_for(admin)
        for body in (
            {"kind": "video", "url": "https://example.com/v.mp4"},
            {"kind": "podcast", "url": "https://example.com"},
            {"kind": "website", "url": "not a url"},
            {"kind": "website", "url": "javascript:alert(1)"},
        ):
            r = client.post(url(draft, "links"), body, format="json")
            assert r.status_code == 400, body


class TestFoodOptionsApi:
    def test_crud_and_conflicts(self, published: Any, admin: Any, donor: Any) -> None:
        from apps.attendance.models import Guest, Registration

        client = client_for(admin)
        r = client.post(url(published, "food-options"), {"name": "Salmon"}, format="json")
        assert r.status_code == 201
        assert r.json()["description"] == ""
        r = client.post(url(published, "food-options"), {"name": "SALMON"}, format="json")
        assert r.status_code == 400
        assert "name" in r.json()["error"]["fields"]
        option = FoodOption.objects.get()
        registration = Registration.objects.create(event=published, user=donor, code="FOOD42")
        Guest.objects.create(registration=registration, event=published, food_option=option)
        r = client.delete(url(published, "food-options", option))
        assert (r.status_code, r.json()["error"]["code"]) == (409, "OPTION_IN_USE")
        r = client.patch(url(published, "food-options", option), {"description": "Grilled"}, format="json")
        assert r.json()["description"] == "Grilled"


class TestSponsorsApi:
    def test_create_with_logo(self, draft: Any, admin: Any) -> None:
        body = {
            "name": "Acme",
            "level": "Presenting",
            "website": "https://acme.test",
            "logo": upload("acme.jpg"),
            "logo_size": "large",
            "contact_email": "ceo@acme.test",
            "donation_amount": "10000",
        }
        r = client_for(admin).post(url(draft, "sponsors"), body, format="multipart")
        assert r.status_code == 201, r.json()
        data = r.json()
        assert data["logo"].endswith(".png")
        assert data["logo_thumbnail"].endswith(".png")
        assert data["donation_amount"] == "10000.00"
        assert data["contact_email"] == "ceo@acme.test"

    def test_logo_is_mandatory(self, draft: Any, admin: Any) -> None:
        r = client_for(admin).post(url(draft, "sponsors"), {"name": "Acme"}, format="json")
        assert r.status_code == 400
        assert "logo" in r.json()["error"]["fields"]

    def test_private_fields_for_managers_only(self, published: Any, staff: Any, admin: Any) -> None:
        SponsorFactory(event=published, contact_email="x@y.test", donation_amount="5.00")
        assert "contact_email" not in client_for(staff).get(url(published, "sponsors")).json()["results"][0]
        assert "contact_email" not in client_for(None).get(url(published, "sponsors")).json()["results"][0]
        assert client_for(admin).get(url(published, "sponsors")).json()["results"][0]["contact_email"] == "x@y.test"

    def test_update_and_delete(self, draft: Any, admin: Any) -> None:
        sponsor = SponsorFactory(event=draft)
        client = client_for(admin)
        r = client.patch(url(draft, "sponsors", sponsor), {"level": "Silver", "logo": upload()}, format="multipart")
        assert r.status_code == 200, r.json()
        assert r.json()["level"] == "Silver"
        assert r.json()["logo_thumbnail"]
        r = client.patch(url(draft, "sponsors", sponsor), {"logo": None}, format="json")
        assert r.json()["logo"] is None
        assert client.delete(url(draft, "sponsors", sponsor)).status_code == 204
        assert not Sponsor.objects.exists()

    def test_reorder(self, draft: Any, admin: Any, staff: Any) -> None:
        a, b = SponsorFactory(event=draft, name="A"), SponsorFactory(event=draft, name="B")
        reorder = url(draft, "sponsors", suffix="reorder/")
        assert client_for(staff).post(reorder, {"order": [str(b.pk), str(a.pk)]}, format="json").status_code == 403
        r = client_for(admin).post(reorder, {"order": [str(b.pk), str(a.pk)]}, format="json")
        assert r.status_code == 200
        assert [s["name"] for s in r.json()] == ["B", "A"]
        assert [s["name"] for s in client_for(admin).get(url(draft, "sponsors")).json()["results"]] == ["B", "A"]
        r = client_for(admin).post(reorder, {"order": [str(a.pk)]}, format="json")
        assert r.status_code == 400
        r = client_for(admin).post(reorder, {"order": ["nope"]}, format="json")
        assert r.status_code == 400
