"""Against a real Blob Storage (Azurite in CI): multipart upload → SAS read URL → download →
delete, the direct-to-blob flow, and an outage answering 503 quickly.

Marked ``azure``: skipped without AZURE_STORAGE_CONNECTION_STRING, failing under CI=true. The
outage tests need no server at all (they point the client at a closed port) and always run.
"""

from __future__ import annotations

import contextlib
import time
from typing import Any

import pytest
import requests
from django.conf import settings as django_settings
from django.core.files.storage import storages

from apps.events.models import EventMedia, MediaStatus, Sponsor
from apps.events.tests.factories import HTML_BYTES, EventMediaFactory, image_bytes, upload
from conftest import client_for

pytestmark = pytest.mark.django_db


def _azure_options(connection_string: str) -> dict[str, Any]:
    base = (
        django_settings.STORAGES["default"].get("OPTIONS", {})
        if "Azure" in django_settings.STORAGES["default"]["BACKEND"]
        else {}
    )
    return {
        "expiration_secs": 900,
        "overwrite_files": False,
        "timeout": 10,
        "client_options": {
            "retry_total": 1,
            "initial_backoff": 1,
            "increment_base": 1,
            "random_jitter_range": 0,
            "connection_timeout": 3,
            "read_timeout": 10,
        },
        **{k: v for k, v in base.items() if k not in ("connection_string", "azure_container")},
        "connection_string": connection_string,
        "azure_container": django_settings.AZURE_CONTAINER,
    }


def _use_azure(settings: Any, connection_string: str) -> Any:
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "apps.core.storage.AzureStorage", "OPTIONS": _azure_options(connection_string)},
    }
    return storages["default"]


@pytest.fixture
def azure(settings: Any) -> Any:
    from azure.core.exceptions import ResourceExistsError

    storage = _use_azure(settings, settings.AZURE_CONNECTION_STRING)
    with contextlib.suppress(ResourceExistsError):
        storage.client.create_container()
    return storage


@pytest.fixture
def dead_azure(settings: Any) -> Any:
    """An Azure backend whose endpoint refuses connections, like a stopped Azurite."""
    key = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
    connection_string = (
        f"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={key};"
        "BlobEndpoint=http://127.0.0.1:9/devstoreaccount1;"
    )
    return _use_azure(settings, connection_string)


@pytest.mark.azure
def test_upload_read_url_download_delete(
    azure: Any, draft: Any, admin: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client = client_for(admin)
    data = image_bytes("PNG", (64, 48))
    r = client.post(
        f"/api/v1/events/{draft.pk}/media/",
        {"file": upload("renamed.jpg", data, "image/jpeg")},
        format="multipart",
    )
    assert r.status_code == 201, r.json()
    media = EventMedia.objects.get()
    assert azure.exists(media.file.name)
    read_url = r.json()["url"]
    assert "sig=" in read_url and "se=" in read_url  # a SAS URL on the private container

    download = requests.get(read_url, timeout=10)
    assert download.status_code == 200
    assert download.content == data
    assert download.headers["Content-Type"] == "image/png"  # the type found by content, not the client's
    unsigned = requests.get(read_url.split("?")[0], timeout=10)
    assert unsigned.status_code in (403, 404)  # private: no anonymous reads

    with django_capture_on_commit_callbacks(execute=True):
        assert client.delete(f"/api/v1/events/{draft.pk}/media/{media.pk}/").status_code == 204
    assert not azure.exists(media.file.name)
    assert requests.get(read_url, timeout=10).status_code == 404


@pytest.mark.azure
def test_sponsor_logo_and_thumbnail_on_azure(
    azure: Any, draft: Any, admin: Any, django_capture_on_commit_callbacks: Any
) -> None:
    r = client_for(admin).post(
        f"/api/v1/events/{draft.pk}/sponsors/",
        {"name": "Acme", "logo": upload("acme.png", image_bytes("JPEG", (900, 300)))},
        format="multipart",
    )
    assert r.status_code == 201, r.json()
    thumb = requests.get(r.json()["logo_thumbnail"], timeout=10)
    assert thumb.status_code == 200
    assert thumb.headers["Content-Type"] == "image/png"
    sponsor = Sponsor.objects.get()
    names = (sponsor.logo.name, sponsor.logo_thumbnail.name)
    with django_capture_on_commit_callbacks(execute=True):
        client_for(admin).delete(f"/api/v1/events/{draft.pk}/sponsors/{sponsor.pk}/")
    assert not any(azure.exists(n) for n in names)


def _start_direct(client: Any, event: Any, size: int, content_type: str = "image/png") -> dict[str, Any]:
    r = client.post(
        f"/api/v1/events/{event.pk}/media/upload-url/",
        {"size": size, "filename": "big.png", "content_type": content_type},
        format="json",
    )
    assert r.status_code == 201, r.json()
    return r.json()


@pytest.mark.azure
def test_direct_upload(azure: Any, draft: Any, admin: Any) -> None:
    from django.utils.dateparse import parse_datetime
    from django.utils.timezone import now

    client = client_for(admin)
    data = image_bytes("PNG", (120, 80))
    body = _start_direct(client, draft, len(data))
    assert body["method"] == "PUT"
    assert body["headers"]["x-ms-blob-type"] == "BlockBlob"
    assert (parse_datetime(body["expires_at"]) - now()).total_seconds() <= 15 * 60
    media_id = body["media"]["id"]
    assert body["media"]["status"] == "pending"
    assert client.get(f"/api/v1/events/{draft.pk}/media/").json()["count"] == 0  # pending: invisible

    put = requests.put(body["upload_url"], data=data, headers=body["headers"], timeout=10)
    assert put.status_code == 201, put.text
    assert requests.get(body["upload_url"], timeout=10).status_code == 403  # the SAS is write-only

    r = client.post(f"/api/v1/events/{draft.pk}/media/{media_id}/confirm/")
    assert r.status_code == 200, r.json()
    assert (r.json()["status"], r.json()["content_type"], r.json()["width"]) == ("ready", "image/png", 120)
    listed = client.get(f"/api/v1/events/{draft.pk}/media/").json()
    assert listed["count"] == 1
    download = requests.get(listed["results"][0]["url"], timeout=10)
    assert download.content == data
    # Confirming again is harmless.
    assert client.post(f"/api/v1/events/{draft.pk}/media/{media_id}/confirm/").status_code == 200


@pytest.mark.azure
def test_direct_upload_of_html_is_deleted(azure: Any, draft: Any, admin: Any) -> None:
    client = client_for(admin)
    body = _start_direct(client, draft, len(HTML_BYTES))
    requests.put(body["upload_url"], data=HTML_BYTES, headers=body["headers"], timeout=10)
    name = EventMedia.objects.get().file.name
    r = client.post(f"/api/v1/events/{draft.pk}/media/{body['media']['id']}/confirm/")
    assert (r.status_code, r.json()["error"]["code"]) == (400, "VALIDATION_ERROR")
    assert not EventMedia.objects.exists()
    assert not azure.exists(name)


@pytest.mark.azure
def test_direct_upload_larger_than_announced_and_allowed(azure: Any, draft: Any, admin: Any, settings: Any) -> None:
    settings.AUGEO_MAX_MEDIA_BYTES = 500
    client = client_for(admin)
    body = _start_direct(client, draft, 100)
    requests.put(body["upload_url"], data=b"\0" * 2000, headers=body["headers"], timeout=10)
    r = client.post(f"/api/v1/events/{draft.pk}/media/{body['media']['id']}/confirm/")
    assert (r.status_code, r.json()["error"]["code"]) == (413, "FILE_TOO_LARGE")
    assert not EventMedia.objects.exists()


@pytest.mark.azure
def test_direct_upload_limits(azure: Any, draft: Any, admin: Any, settings: Any) -> None:
    client = client_for(admin)
    too_big = settings.AUGEO_MAX_MEDIA_BYTES + 1
    r = client.post(f"/api/v1/events/{draft.pk}/media/upload-url/", {"size": too_big}, format="json")
    assert r.status_code == 413
    r = client.post(
        f"/api/v1/events/{draft.pk}/media/upload-url/", {"size": 10, "content_type": "image/svg+xml"}, format="json"
    )
    assert r.status_code == 400
    settings.AUGEO_MAX_EVENT_MEDIA_BYTES = 1000
    _start_direct(client, draft, 900)
    r = client.post(f"/api/v1/events/{draft.pk}/media/upload-url/", {"size": 200}, format="json")
    assert (r.status_code, r.json()["error"]["code"]) == (413, "FILE_TOO_LARGE")


@pytest.mark.azure
def test_confirm_without_upload(azure: Any, draft: Any, admin: Any) -> None:
    client = client_for(admin)
    body = _start_direct(client, draft, 10)
    r = client.post(f"/api/v1/events/{draft.pk}/media/{body['media']['id']}/confirm/")
    assert r.status_code == 400
    assert not EventMedia.objects.exists()


def test_storage_down_answers_503_quickly(dead_azure: Any, draft: Any, admin: Any) -> None:
    started = time.monotonic()
    r = client_for(admin).post(f"/api/v1/events/{draft.pk}/media/", {"file": upload()}, format="multipart")
    elapsed = time.monotonic() - started
    assert (r.status_code, r.json()["error"]["code"]) == (503, "SERVICE_UNAVAILABLE")
    assert elapsed < 8, elapsed
    assert not EventMedia.objects.exists()
    r = client_for(admin).post(
        f"/api/v1/events/{draft.pk}/sponsors/", {"name": "Acme", "logo": upload()}, format="multipart"
    )
    assert r.status_code == 503
    assert not Sponsor.objects.exists()


def test_confirm_while_storage_down_keeps_the_pending_row(dead_azure: Any, draft: Any, admin: Any) -> None:
    pending = EventMediaFactory(event=draft, status=MediaStatus.PENDING)
    started = time.monotonic()
    r = client_for(admin).post(f"/api/v1/events/{draft.pk}/media/{pending.pk}/confirm/")
    assert r.status_code == 503
    assert time.monotonic() - started < 8
    pending.refresh_from_db()
    assert pending.status == MediaStatus.PENDING  # retry once storage is back


def test_upload_url_signs_locally_even_when_storage_is_down(dead_azure: Any, draft: Any, admin: Any) -> None:
    r = client_for(admin).post(f"/api/v1/events/{draft.pk}/media/upload-url/", {"size": 10}, format="json")
    assert r.status_code == 201
    assert "sp=c&" in r.json()["upload_url"] or r.json()["upload_url"].endswith("sp=c")


# --- direct uploads: create-only SAS, the size and the content checked on confirm ------------------


@pytest.mark.azure
def test_direct_upload_url_cannot_overwrite_the_confirmed_blob(azure: Any, draft: Any, admin: Any) -> None:
    """The SAS granted create + write for 15 minutes: after ``confirm`` validated the picture, the
    same URL could replace it with anything. It is create-only now."""
    client = client_for(admin)
    data = image_bytes("PNG", (30, 20))
    body = _start_direct(client, draft, len(data))
    assert "sp=c&" in body["upload_url"] or body["upload_url"].endswith("sp=c")
    assert requests.put(body["upload_url"], data=data, headers=body["headers"], timeout=10).status_code == 201
    r = client.post(f"/api/v1/events/{draft.pk}/media/{body['media']['id']}/confirm/")
    assert r.status_code == 200, r.json()
    again = requests.put(body["upload_url"], data=HTML_BYTES, headers=body["headers"], timeout=10)
    assert again.status_code == 403, again.text[:300]
    assert requests.get(r.json()["url"], timeout=10).content == data


@pytest.mark.azure
def test_confirm_downloads_at_most_the_limit_plus_one_byte(
    azure: Any, draft: Any, admin: Any, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Even when the reported size is small (a blob swapped between the check and the download),
    ``confirm`` never reads more than the limit + 1 byte, and refuses what is over the limit."""
    from azure.storage.blob import BlobClient

    settings.AUGEO_MAX_MEDIA_BYTES = 500
    client = client_for(admin)
    body = _start_direct(client, draft, 100)
    requests.put(body["upload_url"], data=b"\0" * 5000, headers=body["headers"], timeout=10)

    class Small:
        size = 100

    lengths: list[Any] = []
    real_download = BlobClient.download_blob

    def spy(self: Any, *args: Any, **kwargs: Any) -> Any:
        lengths.append((kwargs.get("offset"), kwargs.get("length")))
        return real_download(self, *args, **kwargs)

    monkeypatch.setattr(BlobClient, "get_blob_properties", lambda self, **kw: Small())
    monkeypatch.setattr(BlobClient, "download_blob", spy)
    r = client.post(f"/api/v1/events/{draft.pk}/media/{body['media']['id']}/confirm/")
    assert (r.status_code, r.json()["error"]["code"]) == (413, "FILE_TOO_LARGE")
    assert lengths == [(0, 501)]
    assert not EventMedia.objects.exists()


@pytest.mark.azure
@pytest.mark.parametrize("direct", [False, True])
def test_uploads_other_than_images_are_served_as_attachments(azure: Any, draft: Any, admin: Any, direct: bool) -> None:
    """A PDF (or video) — possibly also valid HTML — is downloaded, never rendered: the blob
    carries ``Content-Disposition: attachment`` and so does its SAS URL; images stay inline."""
    from apps.events.tests.factories import PDF_BYTES

    client = client_for(admin)
    for data, content_type, inline in ((PDF_BYTES, "application/pdf", False), (image_bytes(), "image/png", True)):
        if direct:
            body = _start_direct(client, draft, len(data), content_type)
            requests.put(body["upload_url"], data=data, headers=body["headers"], timeout=10)
            r = client.post(f"/api/v1/events/{draft.pk}/media/{body['media']['id']}/confirm/")
        else:
            r = client.post(f"/api/v1/events/{draft.pk}/media/", {"file": upload("f", data)}, format="multipart")
        assert r.status_code in (200, 201), r.json()
        url = r.json()["url"]
        download = requests.get(url, timeout=10)
        assert download.status_code == 200 and download.content == data
        assert download.headers["Content-Type"] == content_type
        assert ("attachment" in download.headers.get("Content-Disposition", "")) is not inline
        assert ("rscd=attachment" in url) is not inline
        name = EventMedia.objects.get(pk=r.json()["id"]).file.name
        properties = azure.client.get_blob_client(azure._get_valid_path(name)).get_blob_properties()
        assert (properties.content_settings.content_disposition == "attachment") is not inline


@pytest.mark.azure
def test_a_type_declared_by_the_client_is_never_stored(azure: Any) -> None:
    """Files that reach the storage without the upload service (a plain admin file field) are
    stored with the type their name implies, not the one in the multipart part."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    name = azure.save("probe/picture.gif", SimpleUploadedFile("p.gif", image_bytes("GIF"), content_type="text/html"))
    try:
        properties = azure.client.get_blob_client(azure._get_valid_path(name)).get_blob_properties()
        assert properties.content_settings.content_type == "image/gif"
        assert properties.content_settings.content_disposition in (None, "")
    finally:
        azure.delete(name)
