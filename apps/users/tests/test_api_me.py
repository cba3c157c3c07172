"""The own profile (GET/PATCH /users/me/) and the profile picture."""

from __future__ import annotations

import io

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from apps.npos.models import MembershipStatus
from apps.npos.tests.factories import MembershipFactory, NPOFactory
from apps.users.models import User
from conftest import client_for

pytestmark = pytest.mark.django_db

ME = "/api/v1/users/me/"
PICTURE = "/api/v1/users/me/picture/"


def image_bytes(fmt="PNG", size=(64, 48), exif=False) -> bytes:
    out = io.BytesIO()
    image = Image.new("RGB", size, (200, 30, 30))
    if exif:
        data = Image.Exif()
        data[0x010F] = "SecretCam"  # Make
        image.save(out, format=fmt, exif=data)
    else:
        image.save(out, format=fmt)
    return out.getvalue()


def upload(content: bytes, name="me.png", content_type="image/png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def test_me_needs_authentication(api_client):
    assert api_client.get(ME).status_code == 401
    assert api_client.patch(ME, {"first_name": "X"}, format="json").status_code == 401


def test_me_fields(auth_client, user):
    body = auth_client.get(ME).json()
    for field in ("id", "email", "first_name", "last_name", "phone", "memberships", "is_superuser"):
        assert field in body
    assert body["id"] == str(user.id)
    assert body["memberships"] == []
    assert body["profile_picture"] is None
    assert body["email_verified"] is True


def test_memberships_only_active_in_live_npos(user):
    live = NPOFactory(name="A")
    MembershipFactory(npo=live, user=user, role="staff")
    MembershipFactory(npo=NPOFactory(name="B"), user=user, role="admin", status=MembershipStatus.REMOVED)
    gone = NPOFactory(name="C")
    MembershipFactory(npo=gone, user=user, role="cashier")
    type(gone).all_objects.filter(pk=gone.pk).update(deleted_at=timezone.now())
    body = client_for(user).get(ME).json()
    assert body["memberships"] == [{"npo": str(live.id), "role": "staff"}]


def test_me_query_count_does_not_grow_with_memberships(user, django_assert_num_queries):
    client = client_for(user)
    for i in range(2):
        MembershipFactory(npo=NPOFactory(name=f"N{i}"), user=user, role="staff")
    with django_assert_num_queries(1):
        assert len(client.get(ME).json()["memberships"]) == 2
    for i in range(2, 12):
        MembershipFactory(npo=NPOFactory(name=f"N{i}"), user=user, role="staff")
    with django_assert_num_queries(1):
        assert len(client.get(ME).json()["memberships"]) == 12


def test_me_reads_the_user_then_the_memberships(user, django_assert_num_queries):
    """With a bearer token, ``users/me`` reads the token's user and then their memberships (two
    compiled statements): only active memberships in live NPOs, by NPO name — and other endpoints
    read the user alone."""
    from apps.npos.selectors import membership_summaries
    from apps.users.selectors import user_by_pk
    from apps.users.tokens import refresh_token_mint

    b, a = NPOFactory(name="Beta"), NPOFactory(name="Alpha")
    MembershipFactory(npo=b, user=user, role="staff")
    MembershipFactory(npo=a, user=user, role="admin")
    MembershipFactory(npo=NPOFactory(name="Gone"), user=user, role="cashier", status=MembershipStatus.REMOVED)
    deleted = NPOFactory(name="Deleted")
    MembershipFactory(npo=deleted, user=user, role="staff")
    type(deleted).all_objects.filter(pk=deleted.pk).update(deleted_at=timezone.now())
    expected = [{"npo": str(a.id), "role": "admin"}, {"npo": str(b.id), "role": "staff"}]
    assert membership_summaries(user_by_pk(user.pk)) == expected
    loner = User.objects.create_user(email="loner@example.org", password=None)
    assert membership_summaries(loner) == []
    assert user_by_pk("not-a-uuid") is None
    assert user_by_pk(NPOFactory().pk) is None

    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {refresh_token_mint(user).access_token}")
    client.get(ME)  # warm: the consent memo
    with django_assert_num_queries(2) as captured:
        body = client.get(ME).json()
    assert body["memberships"] == expected and body["email"] == user.email
    assert "users_user" in captured.captured_queries[0]["sql"]
    assert "npos_membership" in captured.captured_queries[1]["sql"]
    with django_assert_num_queries(2) as captured:  # the user, then the registrations
        assert client.get("/api/v1/registrations/").status_code == 200
    assert "users_user" in captured.captured_queries[0]["sql"]
    assert "npos_membership" not in captured.captured_queries[0]["sql"]


def test_patch_profile(auth_client, user):
    response = auth_client.patch(
        ME,
        {
            "first_name": "Grace",
            "phone": "+1 (415) 555-0123",
            "country": "us",
            "organization": "Navy",
            "social_links": {"linkedin": "https://linkedin.com/in/grace"},
            "address_line1": "1 Main St",
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["phone"] == "+14155550123"
    assert body["country"] == "US"
    user.refresh_from_db()
    assert (user.first_name, user.phone, user.organization) == ("Grace", "+14155550123", "Navy")
    assert user.social_links == {"linkedin": "https://linkedin.com/in/grace"}


def test_patch_ignores_read_only_fields(auth_client, user):
    response = auth_client.patch(ME, {"email": "evil@example.org", "is_superuser": True, "id": "x"}, format="json")
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.email != "evil@example.org" and user.is_superuser is False


def test_phone_can_be_cleared(auth_client, user):
    User.objects.filter(pk=user.pk).update(phone="+14155550123")
    assert auth_client.patch(ME, {"phone": ""}, format="json").json()["phone"] == ""


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"phone": "4155550123"}, "phone"),  # no country code
        ({"phone": "+1 555"}, "phone"),
        ({"phone": "call me"}, "phone"),
        ({"phone": 14155550123}, "phone"),
        ({"first_name": 5}, "first_name"),
        ({"first_name": "x" * 151}, "first_name"),
        ({"country": "USA"}, "country"),
        ({"country": "1"}, "country"),
        ({"social_links": ["https://x.org"]}, "social_links"),
        ({"social_links": {"site": "javascript:alert(1)"}}, "social_links"),
        ({"social_links": {"site": "ftp://example.org"}}, "social_links"),
        ({"social_links": {f"n{i}": "https://x.org" for i in range(11)}}, "social_links"),
        ({"social_links": {"": "https://x.org"}}, "social_links"),
    ],
)
def test_patch_bad_input(auth_client, payload, field):
    response = auth_client.patch(ME, payload, format="json")
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


def test_patch_garbage_json(auth_client):
    response = auth_client.patch(ME, b"{", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"


def test_put_and_delete_on_me_not_allowed(auth_client):
    assert auth_client.put(ME, {}, format="json").status_code == 405
    assert auth_client.delete(ME).status_code == 405


# --- picture --------------------------------------------------------------------------------------


def test_upload_picture(auth_client, user):
    response = auth_client.put(
        PICTURE,
        {"file": upload(image_bytes(size=(3000, 1500), exif=True), name="../../etc/passwd.png")},
        format="multipart",
    )
    assert response.status_code == 200, response.content
    user.refresh_from_db()
    name = user.profile_picture.name
    assert name.startswith("profile-pictures/") and name.endswith(".png") and "passwd" not in name
    assert name.split("/")[-1] in response.json()["profile_picture"]
    with default_storage.open(name) as stored, Image.open(stored) as image:
        assert max(image.size) == 1024  # downscaled
        assert not image.getexif()  # metadata dropped


def test_jpeg_keeps_format_and_loses_exif(auth_client, user):
    response = auth_client.put(
        PICTURE, {"file": upload(image_bytes("JPEG", exif=True), "a.jpg", "image/jpeg")}, format="multipart"
    )
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.profile_picture.name.endswith(".jpg")
    with default_storage.open(user.profile_picture.name) as stored, Image.open(stored) as image:
        assert image.format == "JPEG" and 0x010F not in image.getexif()


def test_replacing_the_picture_deletes_the_old_file(auth_client, user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        auth_client.put(PICTURE, {"file": upload(image_bytes())}, format="multipart")
    user.refresh_from_db()
    first = user.profile_picture.name
    with django_capture_on_commit_callbacks(execute=True):
        auth_client.put(PICTURE, {"file": upload(image_bytes("WEBP"), "b.webp", "image/webp")}, format="multipart")
    user.refresh_from_db()
    assert user.profile_picture.name != first and user.profile_picture.name.endswith(".webp")
    assert not default_storage.exists(first)
    assert default_storage.exists(user.profile_picture.name)


def test_delete_picture(auth_client, user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        auth_client.put(PICTURE, {"file": upload(image_bytes("GIF"), "c.gif", "image/gif")}, format="multipart")
    user.refresh_from_db()
    name = user.profile_picture.name
    with django_capture_on_commit_callbacks(execute=True):
        assert auth_client.delete(PICTURE).status_code == 204
    user.refresh_from_db()
    assert not user.profile_picture
    assert not default_storage.exists(name)
    assert auth_client.get(ME).json()["profile_picture"] is None
    assert auth_client.delete(PICTURE).status_code == 204  # idempotent


@pytest.mark.parametrize(
    "content",
    [b"not an image at all", b"<svg xmlns='http://www.w3.org/2000/svg'></svg>", b"%PDF-1.4 fake", image_bytes()[:40]],
    ids=["text", "svg", "pdf", "truncated"],
)
def test_invalid_pictures_refused(auth_client, user, content):
    response = auth_client.put(PICTURE, {"file": upload(content)}, format="multipart")
    assert response.status_code == 400
    assert "file" in response.json()["error"]["fields"]
    user.refresh_from_db()
    assert not user.profile_picture


def test_oversized_picture(auth_client, settings):
    settings.AUGEO_MAX_IMAGE_BYTES = 1000
    response = auth_client.put(PICTURE, {"file": upload(image_bytes(size=(400, 400)))}, format="multipart")
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "FILE_TOO_LARGE"


def test_picture_missing_file(auth_client):
    response = auth_client.put(PICTURE, {"other": "x"}, format="multipart")
    assert response.status_code == 400
    assert "file" in response.json()["error"]["fields"]


def test_picture_as_json_is_415(auth_client):
    response = auth_client.put(PICTURE, {"file": "aGVsbG8="}, format="json")
    assert response.status_code == 415


def test_picture_needs_authentication(api_client):
    assert api_client.put(PICTURE, {"file": upload(image_bytes())}, format="multipart").status_code == 401
    assert api_client.delete(PICTURE).status_code == 401


def test_picture_storage_outage_is_503(auth_client, monkeypatch):
    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(default_storage, "save", boom)
    response = auth_client.put(PICTURE, {"file": upload(image_bytes())}, format="multipart")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "SERVICE_UNAVAILABLE"


@pytest.mark.parametrize(
    "payload",
    [
        {"first_name": "a\x00b"},
        {"social_links": {"a\x00": "https://x.org"}},
        {"social_links": {"a": "https://x.org/\x00"}},
        {"phone": "+1415\x005550123"},
        {"city": "\x00"},
    ],
)
def test_nul_bytes_are_400(auth_client, payload):
    assert auth_client.patch(ME, payload, format="json").status_code == 400


@pytest.mark.parametrize("field", ["email", "password"])
def test_nul_bytes_in_login_are_400(api_client, field):
    payload = {"email": "a@example.org", "password": "a-long-enough-passphrase"}
    payload[field] = payload[field][:3] + "\x00" + payload[field][3:]
    assert api_client.post("/api/v1/auth/login/", payload, format="json").status_code == 400


def test_me_has_the_named_fields_with_their_types(user):
    """api.md "Accounts": ``id``, ``email``, ``first_name``, ``last_name``, ``phone``,
    ``memberships: [{npo, role}]`` (each item exactly these two keys) and ``is_superuser``."""
    import uuid

    npo = NPOFactory(name="Named")
    MembershipFactory(npo=npo, user=user, role="cashier")
    response = client_for(user).get(ME)
    assert response.status_code == 200
    body = response.json()
    assert uuid.UUID(body["id"]) == user.id
    assert body["email"] == user.email
    assert (body["first_name"], body["last_name"]) == (user.first_name, user.last_name)
    assert isinstance(body["phone"], str)
    assert body["is_superuser"] is False
    assert body["memberships"] == [{"npo": str(npo.id), "role": "cashier"}]
    patched = client_for(user).patch(ME, {"phone": "+14155550123"}, format="json")
    assert patched.status_code == 200 and patched.json()["phone"] == "+14155550123"
