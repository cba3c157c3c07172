"""The legal document endpoints (api.md "Legal, consent, privacy, public")."""

from __future__ import annotations

import pytest

from apps.legal.models import LegalDocument
from apps.legal.tests.factories import draft, published
from conftest import client_for

pytestmark = pytest.mark.django_db
URL = "/api/v1/legal/documents/"


def test_list_is_the_current_published_documents_for_anyone(user):
    published("terms", "1.0")
    published("terms", "1.1")
    published("privacy", "2.0")
    draft("privacy", "3.0")
    for client in (client_for(None), client_for(user)):
        body = client.get(URL).json()
        assert [(d["type"], d["version"], d["status"]) for d in body] == [
            ("privacy", "2.0", "published"),
            ("terms", "1.1", "published"),
        ]
        assert set(body[0]) >= {"id", "type", "version", "body_html", "published_at"}


def test_a_fresh_database_has_no_documents():
    assert client_for(None).get(URL).json() == []
    response = client_for(None).get(f"{URL}terms/")
    assert response.status_code == 404 and response.json()["error"]["code"] == "NOT_FOUND"


def test_by_type_and_older_versions():
    published("terms", "1.0", body="First")
    published("terms", "1.1", body="Second")
    draft("terms", "2.0")
    client = client_for(None)
    assert client.get(f"{URL}terms/").json()["body"] == "Second"
    assert client.get(f"{URL}terms/", {"version": "1.0"}).json()["status"] == "archived"
    assert client.get(f"{URL}terms/", {"version": "2.0"}).status_code == 404  # drafts never
    assert client.get(f"{URL}terms/", {"version": "9.9"}).status_code == 404
    bad = client.get(f"{URL}terms/", {"version": "1.2.3"})
    assert bad.status_code == 400 and "version" in bad.json()["error"]["fields"]
    assert client.get(f"{URL}cookies/").status_code == 404


def test_super_admin_creates_edits_and_publishes(superuser):
    client = client_for(superuser)
    created = client.post(URL, {"type": "terms", "version": "1.0", "body": "Hello *world*"})
    assert created.status_code == 201, created.content
    doc = created.json()
    assert doc["status"] == "draft" and "<em>world</em>" in doc["body_html"]
    edited = client.patch(f"{URL}{doc['id']}/", {"body": "Bye"})
    assert edited.status_code == 200 and edited.json()["body"] == "Bye"
    publish = client.post(f"{URL}{doc['id']}/publish/")
    assert publish.status_code == 200 and publish.json()["status"] == "published"
    again = client.patch(f"{URL}{doc['id']}/", {"body": "Sneaky"})
    assert again.status_code == 409 and again.json()["error"]["code"] == "DOCUMENT_PUBLISHED"
    assert client.delete(f"{URL}{doc['id']}/").json()["error"]["code"] == "DOCUMENT_PUBLISHED"
    duplicate = client.post(URL, {"type": "terms", "version": "1.0", "body": "x"})
    assert duplicate.status_code == 409 and duplicate.json()["error"]["code"] == "VERSION_EXISTS"
    assert client.post(f"{URL}{doc['id']}/publish/").json()["error"]["code"] == "DOCUMENT_PUBLISHED"


@pytest.mark.parametrize("version", ["1", "1.2.3", "a.b", 1.0, None])
def test_versions_that_do_not_parse_are_400(superuser, version):
    response = client_for(superuser).post(URL, {"type": "terms", "version": version, "body": "x"})
    assert response.status_code == 400 and "version" in response.json()["error"]["fields"]
    assert not LegalDocument.objects.exists()


def test_bad_bodies_are_400(superuser, settings):
    settings.AUGEO_MAX_MARKDOWN_CHARS = 10
    client = client_for(superuser)
    assert client.post(URL, {"type": "terms", "version": "1.0", "body": "x" * 11}).status_code == 400
    assert client.post(URL, {"type": "terms", "version": "1.0", "body": 5}).status_code == 400
    assert client.post(URL, {"type": "nope", "version": "1.0", "body": "x"}).status_code == 400
    assert not LegalDocument.objects.exists()


def test_members_and_donors_may_only_read(user):
    doc = draft("terms", "1.0")
    client = client_for(user)
    assert client.post(URL, {"type": "terms", "version": "2.0", "body": "x"}).status_code == 403
    assert client.get(f"{URL}{doc.pk}/").status_code == 404  # drafts are invisible
    assert client.patch(f"{URL}{doc.pk}/", {"body": "x"}).status_code == 404
    visible = published("privacy", "1.0")
    assert client.get(f"{URL}{visible.pk}/").status_code == 200
    assert client.patch(f"{URL}{visible.pk}/", {"body": "x"}).status_code == 403
    assert client.post(f"{URL}{visible.pk}/publish/").status_code == 403
    assert client_for(None).post(URL, {"type": "terms", "version": "2.0", "body": "x"}).status_code == 401
