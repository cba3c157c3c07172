"""Consent at sign-up and through the consent endpoints; the append-only consent log."""

from __future__ import annotations

import pytest

from apps.legal.models import ConsentRecord, ImmutableRowError
from apps.legal.tests.factories import accept, publish_both, published
from apps.users.models import User
from conftest import client_for

pytestmark = pytest.mark.django_db
REGISTER = "/api/v1/auth/register/"
SIGN_UP = {"email": "new@example.org", "password": "a-long-enough-passphrase", "first_name": "N", "last_name": "P"}


def _fields(response):
    return response.json()["error"]["fields"]


def test_sign_up_without_published_documents_needs_no_versions():
    assert client_for(None).post(REGISTER, SIGN_UP).status_code == 201
    assert not ConsentRecord.objects.exists()


def test_sign_up_records_the_accepted_versions():
    publish_both("1.0")
    response = client_for(None).post(
        REGISTER,
        {**SIGN_UP, "accept_terms_version": "1.0", "accept_privacy_version": "1.0"},
        REMOTE_ADDR="203.0.113.9",
        HTTP_USER_AGENT="pytest-agent",
    )
    assert response.status_code == 201, response.content
    user = User.objects.get(email="new@example.org")
    assert (user.consent_terms_version, user.consent_privacy_version) == ("1.0", "1.0")
    rows = ConsentRecord.objects.filter(user=user).order_by("document_type")
    assert [(r.action, r.document_type, r.version, r.ip_address, r.user_agent) for r in rows] == [
        ("accept", "privacy", "1.0", "203.0.113.9", "pytest-agent"),
        ("accept", "terms", "1.0", "203.0.113.9", "pytest-agent"),
    ]


@pytest.mark.parametrize(
    ("extra", "field", "message"),
    [
        ({}, "accept_terms_version", "Accept the current terms of service (version 1.1)."),
        ({"accept_terms_version": "1.0"}, "accept_terms_version", "version 1.1"),
        ({"accept_terms_version": "1"}, "accept_terms_version", "MAJOR.MINOR"),
        ({"accept_terms_version": "1.2.3"}, "accept_terms_version", "MAJOR.MINOR"),
        ({"accept_terms_version": "a.b"}, "accept_terms_version", "MAJOR.MINOR"),
    ],
)
def test_sign_up_refuses_anything_but_the_current_versions(extra, field, message):
    published("terms", "1.0")
    published("terms", "1.1")
    published("privacy", "1.0")
    body = {**SIGN_UP, "accept_privacy_version": "1.0", **extra}
    response = client_for(None).post(REGISTER, body)
    assert response.status_code == 400
    assert message in _fields(response)[field][0]
    assert not User.objects.filter(email="new@example.org").exists()


def test_status_accept_and_withdraw(user):
    client = client_for(user)
    assert client.get("/api/v1/consent/status/").json() == {
        "terms": {"accepted": None, "current": None, "up_to_date": True},
        "privacy": {"accepted": None, "current": None, "up_to_date": True},
        "required": False,
        "required_versions": {},
    }
    publish_both("1.0")
    status = client.get("/api/v1/consent/status/").json()
    assert status["required"] is True and status["required_versions"] == {"terms": "1.0", "privacy": "1.0"}
    accepted = client.post(
        "/api/v1/consent/accept/", {"terms_version": "1.0", "privacy_version": "1.0"}, HTTP_USER_AGENT="ua"
    )
    assert accepted.status_code == 200
    assert accepted.json()["terms"] == {"accepted": "1.0", "current": "1.0", "up_to_date": True}
    assert accepted.json()["required"] is False
    again = client.post("/api/v1/consent/accept/", {"terms_version": "1.0"})
    assert again.status_code == 200
    assert ConsentRecord.objects.filter(user=user, action="accept").count() == 2  # a repeat records nothing
    withdrawn = client.post("/api/v1/consent/withdraw/")
    assert withdrawn.status_code == 200 and withdrawn.json()["privacy"]["accepted"] is None
    assert withdrawn.json()["required_versions"] == {"privacy": "1.0"}
    log = ConsentRecord.objects.filter(user=user).order_by("id").last()
    assert (log.action, log.document_type, log.version) == ("withdraw", "privacy", "1.0")
    assert client.post("/api/v1/consent/withdraw/").status_code == 200  # nothing to withdraw: no change
    assert ConsentRecord.objects.filter(user=user, action="withdraw").count() == 1


def test_accepting_a_version_that_is_not_current_names_the_current(user):
    published("terms", "1.0")
    published("terms", "1.3")
    client = client_for(user)
    response = client.post("/api/v1/consent/accept/", {"terms_version": "1.0"})
    assert response.status_code == 400
    assert _fields(response)["terms_version"] == ["The current terms of service is version 1.3; accept that one."]
    nothing = client.post("/api/v1/consent/accept/", {"privacy_version": "1.0"})
    assert _fields(nothing)["privacy_version"] == ["There is no published privacy policy to accept."]
    assert client.post("/api/v1/consent/accept/", {}).status_code == 400
    for bad in ("1", "1.2.3", "a.b", 1.3):
        assert client.post("/api/v1/consent/accept/", {"terms_version": bad}).status_code == 400
    assert not ConsentRecord.objects.exists()


def test_consent_endpoints_need_a_signed_in_user():
    client = client_for(None)
    assert client.get("/api/v1/consent/status/").status_code == 401
    assert client.post("/api/v1/consent/accept/", {"terms_version": "1.0"}).status_code == 401
    assert client.post("/api/v1/consent/withdraw/").status_code == 401


def test_the_consent_log_refuses_updates_and_deletes(user):
    publish_both()
    accept(user)
    row = ConsentRecord.objects.filter(user=user).first()
    row.version = "9.9"
    with pytest.raises(ImmutableRowError):
        row.save()
    with pytest.raises(ImmutableRowError):
        row.delete()
    with pytest.raises(ImmutableRowError):
        ConsentRecord.objects.filter(user=user).update(version="9.9")
    with pytest.raises(ImmutableRowError):
        ConsentRecord.objects.filter(user=user).delete()
    assert set(ConsentRecord.objects.values_list("version", flat=True)) == {"1.0"}
