"""Regressions found by ``scripts/fuzz.sh`` (schemathesis against /api/schema/)."""

from __future__ import annotations

import pytest

from apps.users.tests.test_api_me import ME, PICTURE, image_bytes, upload

pytestmark = pytest.mark.django_db


def test_profile_picture_is_an_absolute_url(auth_client):
    """The schema says ``format: uri``; disk storage's ``/media/…`` used to be answered as is.
    (With Azure configured the URL is the blob's SAS URL, absolute already.)"""
    r = auth_client.put(PICTURE, {"file": upload(image_bytes())}, format="multipart")
    assert r.status_code == 200
    url = r.json()["profile_picture"]
    assert url.startswith(("http://", "https://")) and "/profile-pictures/" in url
    # A SAS URL's signature carries its expiry second, so compare the blob URL without the query.
    blob = url.split("?")[0]
    me = auth_client.get(ME).json()
    assert me["profile_picture"].split("?")[0] == blob
    patched = auth_client.patch(ME, {"first_name": "Pat"}, format="json").json()
    assert patched["profile_picture"].split("?")[0] == blob


def test_profile_patch_refuses_multipart(auth_client):
    """scripts/fuzz.sh (negative_data_rejection): a multipart PATCH carried `social_links` as a string
    the JSON field ignored, so an invalid value was answered 200. The profile takes JSON only."""
    response = auth_client.patch(ME, {"social_links": '{"x": "not a url"}'}, format="multipart")
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "UNSUPPORTED_MEDIA_TYPE"
