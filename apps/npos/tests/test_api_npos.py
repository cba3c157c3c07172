from __future__ import annotations

import io

import pytest
from django.core import mail
from PIL import Image

from apps.core.models import AuditEntry
from apps.npos.capabilities import Role
from apps.npos.models import NPO, Membership, NPOStatus
from apps.npos.tests.factories import MembershipFactory, NPOFactory
from apps.users.tests.factories import UserFactory
from conftest import client_for

pytestmark = pytest.mark.django_db


def _png(size=(8, 8)) -> io.BytesIO:
    buf = io.BytesIO()
    Image.new("RGB", size, "red").save(buf, format="PNG")
    buf.seek(0)
    buf.name = "logo.png"
    return buf


def test_create_npo_draft_creator_admin():
    user = UserFactory()
    response = client_for(user).post("/api/v1/npos/", {"name": "Hope", "currency": "eur", "country": "us"})
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "draft"
    assert body["currency"] == "EUR"
    assert body["country"] == "US"
    assert Membership.objects.get(npo_id=body["id"], user=user).role == Role.ADMIN


def test_create_defaults_currency_usd_and_validates():
    user = UserFactory()
    client = client_for(user)
    assert client.post("/api/v1/npos/", {"name": "Plain"}).json()["currency"] == "USD"
    bad = client.post("/api/v1/npos/", {"name": "Bad", "currency": "XYZ", "phone": "123", "country": "USA"})
    assert bad.status_code == 400
    assert set(bad.json()["error"]["fields"]) >= {"currency", "phone", "country"}
    assert client.post("/api/v1/npos/", {"name": ""}).status_code == 400
    assert client.post("/api/v1/npos/", {}).status_code == 400


def test_create_duplicate_name_is_400_on_name():
    user = UserFactory()
    NPOFactory(name="Hope Foundation")
    response = client_for(user).post("/api/v1/npos/", {"name": "hope FOUNDATION"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"
    assert "name" in response.json()["error"]["fields"]


def test_create_needs_verified_user():
    unverified = UserFactory(email_verified_at=None)
    assert client_for(unverified).post("/api/v1/npos/", {"name": "X"}).status_code == 403
    assert client_for(None).post("/api/v1/npos/", {"name": "X"}).status_code == 401


def test_list_scoped_and_constant_queries(django_assert_num_queries):
    user = UserFactory()
    for i in range(12):
        MembershipFactory(npo=NPOFactory(name=f"Mine {i:02d}"), user=user, role=Role.STAFF)
    NPOFactory(name="Not mine")
    client = client_for(user)
    with django_assert_num_queries(2):
        small = client.get("/api/v1/npos/?page_size=2")
    with django_assert_num_queries(2):
        large = client.get("/api/v1/npos/?page_size=12")
    assert small.json()["count"] == 12
    assert len(large.json()["results"]) == 12
    assert "Not mine" not in {n["name"] for n in large.json()["results"]}
    superuser = UserFactory(is_superuser=True)
    assert client_for(superuser).get("/api/v1/npos/").json()["count"] == 13
    assert client_for(UserFactory()).get("/api/v1/npos/").json()["count"] == 0


def test_list_filters_and_search(npo_admin, npo):
    client = client_for(npo_admin)
    assert client.get("/api/v1/npos/?status=approved").json()["count"] == 1
    assert client.get("/api/v1/npos/?status=draft").json()["count"] == 0
    assert client.get(f"/api/v1/npos/?search={npo.name[:6]}").json()["count"] == 1
    assert client.get("/api/v1/npos/?status=nonsense").status_code == 400


def test_retrieve_visibility(npo, npo_admin, member_of):
    staff = member_of(Role.STAFF)
    assert client_for(staff).get(f"/api/v1/npos/{npo.pk}/").status_code == 200
    assert client_for(UserFactory()).get(f"/api/v1/npos/{npo.pk}/").status_code == 404
    assert client_for(npo_admin).get("/api/v1/npos/not-a-uuid/").status_code == 404
    removed = member_of(Role.COORDINATOR)
    Membership.objects.filter(user=removed).update(status="removed")
    assert client_for(removed).get(f"/api/v1/npos/{npo.pk}/").status_code == 404


def test_patch_needs_npo_manage(npo, npo_admin, member_of):
    coordinator = member_of(Role.COORDINATOR)
    assert client_for(coordinator).patch(f"/api/v1/npos/{npo.pk}/", {"mission": "x"}).status_code == 403
    response = client_for(npo_admin).patch(f"/api/v1/npos/{npo.pk}/", {"mission": "Feed all", "status": "draft"})
    assert response.status_code == 200
    assert response.json()["mission"] == "Feed all"
    assert response.json()["status"] == "approved"
    assert client_for(npo_admin).put(f"/api/v1/npos/{npo.pk}/", {"name": "x"}).status_code == 405


def test_patch_rename_to_taken_name(npo, npo_admin):
    NPOFactory(name="Other Org")
    response = client_for(npo_admin).patch(f"/api/v1/npos/{npo.pk}/", {"name": "OTHER ORG"})
    assert response.status_code == 400
    assert "name" in response.json()["error"]["fields"]


def test_delete_soft_and_published_events_conflict(npo, npo_admin):
    from datetime import timedelta

    from django.apps import apps
    from django.utils import timezone

    event = apps.get_model("events", "Event").objects.create(
        npo=npo,
        name="Gala",
        slug="gala-x",
        status="published",
        starts_at=timezone.now() + timedelta(days=1),
        ends_at=timezone.now() + timedelta(days=1, hours=3),
    )
    client = client_for(npo_admin)
    response = client.delete(f"/api/v1/npos/{npo.pk}/")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "NPO_HAS_PUBLISHED_EVENTS"
    type(event).objects.filter(pk=event.pk).update(status="closed")
    assert client.delete(f"/api/v1/npos/{npo.pk}/").status_code == 204
    assert NPO.all_objects.get(pk=npo.pk).deleted_at is not None
    assert client.get(f"/api/v1/npos/{npo.pk}/").status_code == 404


def test_submit_missing_fields_and_transition(npo_admin):
    npo = NPO.objects.create(name="Sparse", status=NPOStatus.DRAFT)
    Membership.objects.create(npo=npo, user=npo_admin, role=Role.ADMIN)
    client = client_for(npo_admin)
    response = client.post(f"/api/v1/npos/{npo.pk}/submit/")
    assert response.status_code == 400
    assert "tax_id" in response.json()["error"]["fields"]
    client.patch(
        f"/api/v1/npos/{npo.pk}/",
        {
            "description": "d",
            "email": "n@example.org",
            "phone": "+14155550100",
            "address_line1": "1 Main",
            "city": "X",
            "postal_code": "1",
            "country": "US",
            "tax_id": "12",
        },
    )
    response = client.post(f"/api/v1/npos/{npo.pk}/submit/")
    assert response.status_code == 200
    assert response.json()["status"] == "pending_approval"
    again = client.post(f"/api/v1/npos/{npo.pk}/submit/")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "INVALID_TRANSITION"


def test_super_admin_decisions(npo, npo_admin, django_capture_on_commit_callbacks):
    superuser = UserFactory(is_superuser=True)
    client = client_for(superuser)
    NPO.objects.filter(pk=npo.pk).update(status=NPOStatus.PENDING_APPROVAL)
    # A member may see the NPO but not decide (403); notes are required for a rejection (400).
    assert client_for(npo_admin).post(f"/api/v1/npos/{npo.pk}/approve/").status_code == 403
    assert client.post(f"/api/v1/npos/{npo.pk}/reject/", {}).status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/api/v1/npos/{npo.pk}/reject/", {"notes": "Missing documents"})
    assert response.status_code == 200
    assert response.json()["status"] == "rejected"
    assert response.json()["review_notes"] == "Missing documents"
    assert mail.outbox[-1].to == [npo_admin.email]
    assert client.post(f"/api/v1/npos/{npo.pk}/approve/").status_code == 409
    NPO.objects.filter(pk=npo.pk).update(status=NPOStatus.PENDING_APPROVAL)
    assert client.post(f"/api/v1/npos/{npo.pk}/approve/").json()["status"] == "approved"
    assert client.post(f"/api/v1/npos/{npo.pk}/suspend/", {"notes": "Fraud check"}).json()["status"] == "suspended"
    assert client.post(f"/api/v1/npos/{npo.pk}/suspend/").status_code == 409
    assert client.post(f"/api/v1/npos/{npo.pk}/reinstate/").json()["status"] == "approved"
    assert AuditEntry.objects.filter(action="npo.suspend", actor=superuser).exists()


def test_branding_get_and_patch(npo, npo_admin, member_of):
    url = f"/api/v1/npos/{npo.pk}/branding/"
    staff = member_of(Role.STAFF)
    body = client_for(staff).get(url).json()
    assert body == {
        "primary_color": "",
        "secondary_color": "",
        "accent_color": "",
        "background_color": "",
        "social_links": {},
        "logo_url": None,
    }
    assert client_for(staff).patch(url, {"primary_color": "#000000"}).status_code == 403
    client = client_for(npo_admin)
    response = client.patch(
        url,
        {
            "primary_color": "#1A2b3C",
            "background_color": "#FFFFFF",
            "social_links": {"facebook": "https://www.facebook.com/hope", "x": "https://x.com/hope"},
        },
    )
    assert response.status_code == 200, response.json()
    assert response.json()["primary_color"] == "#1A2b3C"
    assert response.json()["social_links"]["x"] == "https://x.com/hope"


@pytest.mark.parametrize(
    "payload",
    [
        {"primary_color": "red"},
        {"accent_color": "#12345"},
        {"secondary_color": "#GGGGGG"},
        {"social_links": {"facebook": "https://evil.example.com/hope"}},
        {"social_links": {"myspace": "https://myspace.com/x"}},
        {"social_links": {"instagram": "javascript:alert(1)"}},
        {"social_links": {"tiktok": 5}},
        {"social_links": ["https://x.com/a"]},
        {"social_links": {"x": "https://notx.com/a"}},
    ],
)
def test_branding_validation(npo, npo_admin, payload):
    response = client_for(npo_admin).patch(f"/api/v1/npos/{npo.pk}/branding/", payload, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"
    assert set(response.json()["error"]["fields"]) == set(payload)


def test_logo_upload_and_removal(npo, npo_admin):
    url = f"/api/v1/npos/{npo.pk}/branding/"
    client = client_for(npo_admin)
    response = client.patch(
        url, {"logo": _png(), "social_links": '{"youtube": "https://youtu.be/abc"}'}, format="multipart"
    )
    assert response.status_code == 200, response.json()
    assert "/npo-logos/" in response.json()["logo_url"]
    assert response.json()["logo_url"].startswith("http")
    assert response.json()["social_links"] == {"youtube": "https://youtu.be/abc"}
    npo.refresh_from_db()
    assert npo.logo.name.startswith("npo-logos/") and npo.logo.name.endswith(".png")
    assert npo.logo.name.count("npo-logos/") == 1
    assert npo.logo.storage.exists(npo.logo.name)
    assert client.get(f"/api/v1/npos/{npo.pk}/").json()["logo_url"]
    response = client.patch(url, {"logo": None}, format="json")
    assert response.status_code == 200
    assert response.json()["logo_url"] is None


def test_logo_rejects_non_images_and_large_files(npo, npo_admin, monkeypatch):
    url = f"/api/v1/npos/{npo.pk}/branding/"
    client = client_for(npo_admin)
    fake = io.BytesIO(b"<svg xmlns='http://www.w3.org/2000/svg'></svg>")
    fake.name = "logo.png"
    response = client.patch(url, {"logo": fake}, format="multipart")
    assert response.status_code == 400
    assert "logo" in response.json()["error"]["fields"]

    from apps.npos.services import npos as npo_services

    monkeypatch.setattr(npo_services, "NPO_LOGO_MAX_BYTES", 10)
    response = client.patch(url, {"logo": _png()}, format="multipart")
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "FILE_TOO_LARGE"


def test_malformed_social_links_string(npo, npo_admin):
    response = client_for(npo_admin).patch(
        f"/api/v1/npos/{npo.pk}/branding/", {"social_links": "{not json"}, format="multipart"
    )
    assert response.status_code == 400


def test_npo_markdown_is_rendered_on_save_and_bounded(npo, npo_admin):
    """Regression: the NPO's description and mission are Markdown like event text, rendered
    once on save; a text beyond the bounds is a 400 and nothing is written."""
    url = f"/api/v1/npos/{npo.pk}/"
    response = client_for(npo_admin).patch(url, {"mission": "Feed **all**", "description": "# Us"}, format="json")
    assert response.status_code == 200
    assert response.json()["mission_html"] == "<p>Feed <strong>all</strong></p>\n"
    assert response.json()["description_html"] == "<h1>Us</h1>\n"
    for field, value in (("mission", "- " * 300 + "x"), ("description", "z" * 20_001)):
        response = client_for(npo_admin).patch(url, {field: value, "city": "Nowhere"}, format="json")
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "VALIDATION_ERROR"
        assert field in response.json()["error"]["fields"]
    npo.refresh_from_db()
    assert (npo.mission, npo.city) == ("Feed **all**", npo.city)
    assert npo.city != "Nowhere"
    response = client_for(npo_admin).patch(url, {"description_html": "<script>x</script>"}, format="json")
    assert response.status_code == 200 and response.json()["description_html"] == "<h1>Us</h1>\n"
