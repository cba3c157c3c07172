"""The consent gate: 409 CONSENT_REQUIRED on every authenticated API call outside the exempt list,
the same rule in the admin, at no query cost."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

from apps.legal.gate import api_call_exempt
from apps.legal.services.consent import consent_withdraw
from apps.legal.tests.factories import accept, publish_both, published
from apps.users.tests.conftest import bearer, login
from conftest import client_for

pytestmark = pytest.mark.django_db


def _code(response):
    return response.json()["error"]["code"]


def test_nothing_is_gated_without_published_documents(user):
    assert client_for(user).get("/api/v1/npos/").status_code == 200


def test_a_user_who_has_not_accepted_is_gated_with_the_versions_to_accept(user):
    publish_both("1.0")
    response = client_for(user).get("/api/v1/npos/")
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "CONSENT_REQUIRED"
    assert error["required"] == {"privacy": "1.0", "terms": "1.0"}
    assert "/api/v1/consent/accept/" in error["message"]


def test_the_gate_also_holds_for_real_jwt_sessions(user, api_client):
    tokens = login(api_client, user.email).json()
    published("terms", "1.0")
    client = bearer(tokens["access"])
    assert _code(client.get("/api/v1/npos/")) == "CONSENT_REQUIRED"
    assert client.get("/api/v1/users/me/").status_code == 200
    accepted = client.post("/api/v1/consent/accept/", {"terms_version": "1.0"}, format="json")
    assert accepted.status_code == 200 and accepted.json()["required"] is False
    assert client.get("/api/v1/npos/").status_code == 200


def test_an_invalid_token_is_still_401_not_409(user):
    publish_both()
    response = bearer("not-a-token").get("/api/v1/npos/")
    assert response.status_code == 401


def test_accepting_ends_the_gate_and_a_minor_version_does_not_bring_it_back(user):
    publish_both("1.0")
    accept(user)
    client = client_for(user)
    assert client.get("/api/v1/npos/").status_code == 200
    published("terms", "1.1")
    assert client.get("/api/v1/npos/").status_code == 200  # same MAJOR: a clarification
    published("terms", "2.0")
    response = client.get("/api/v1/npos/")
    assert response.status_code == 409 and response.json()["error"]["required"] == {"terms": "2.0"}


def test_withdrawing_privacy_consent_gates_again(user):
    publish_both()
    accept(user)
    consent_withdraw(user=user)
    response = client_for(user).get("/api/v1/npos/")
    assert response.status_code == 409 and response.json()["error"]["required"] == {"privacy": "1.0"}


def test_super_admins_are_gated_too(superuser):
    publish_both()
    assert client_for(superuser).get("/api/v1/npos/").status_code == 409


def test_anonymous_callers_are_never_gated():
    publish_both()
    assert client_for(None).get("/api/v1/events/").status_code == 200
    assert client_for(None).get("/api/v1/npos/").status_code == 401


@pytest.mark.parametrize(
    ("method", "path", "exempt"),
    [
        ("GET", "/api/v1/auth/anything/", True),
        ("POST", "/api/v1/auth/logout-all/", True),
        ("GET", "/api/v1/users/me/", True),
        ("HEAD", "/api/v1/users/me/", True),
        ("PATCH", "/api/v1/users/me/", False),
        ("PUT", "/api/v1/users/me/picture/", False),
        ("GET", "/api/v1/legal/documents/", True),
        ("POST", "/api/v1/consent/accept/", True),
        ("PUT", "/api/v1/cookies/consent/", True),
        ("POST", "/api/v1/privacy/delete-account/", True),
        ("GET", "/api/v1/public/events/", True),
        ("GET", "/api/v1/", False),
        ("GET", "/api/v1/npos/", False),
        ("GET", "/api/v1/publicity/", False),
        ("GET", "/api/schema/", True),
        ("GET", "/admin/", True),
    ],
)
def test_the_exempt_list(method, path, exempt):
    assert api_call_exempt(path, method) is exempt


def test_the_gate_costs_no_query(user, django_assert_num_queries):
    """Accepted versions are columns of the user row authentication loads; the current versions are
    memoised per process. The same call costs the same queries with and without the gate."""
    client = APIClient()
    client.force_authenticate(user)
    with django_assert_num_queries(1):  # the NPO list's count (no rows: no page query)
        assert client.get("/api/v1/npos/").status_code == 200
    publish_both()
    accept(user)
    client.get("/api/v1/npos/")  # the first gated call after a publish fills the memo
    with django_assert_num_queries(1):
        assert client.get("/api/v1/npos/").status_code == 200


# --- the admin --------------------------------------------------------------------------------------


@pytest.fixture
def staff_client(superuser):
    client = Client()
    client.force_login(superuser)
    return client


def test_admin_sends_a_gated_user_to_the_consent_page_and_back(staff_client, superuser):
    publish_both()
    response = staff_client.get("/admin/npos/npo/?q=x")
    assert response.status_code == 302
    assert response["Location"] == "/admin/consent/?next=%2Fadmin%2Fnpos%2Fnpo%2F%3Fq%3Dx"
    page = staff_client.get(response["Location"])
    assert page.status_code == 200
    html = page.content.decode()
    assert "Terms of service" in html and "Privacy policy" in html and "<em>text</em>" in html
    refused = staff_client.post(
        "/admin/consent/", {"next": "/admin/npos/npo/?q=x", "terms_version": "1.0", "privacy_version": "1.0"}
    )
    assert refused.status_code == 200 and "Tick the box" in refused.content.decode()
    done = staff_client.post(
        "/admin/consent/",
        {"next": "/admin/npos/npo/?q=x", "terms_version": "1.0", "privacy_version": "1.0", "agree": "yes"},
    )
    assert done.status_code == 302 and done["Location"] == "/admin/npos/npo/?q=x"
    superuser.refresh_from_db()
    assert (superuser.consent_terms_version, superuser.consent_privacy_version) == ("1.0", "1.0")
    assert staff_client.get("/admin/npos/npo/").status_code == 200


def test_admin_consent_page_shows_only_what_is_missing_and_refuses_a_stale_version(staff_client, superuser):
    publish_both()
    accept(superuser, privacy=None)
    html = staff_client.get("/admin/consent/").content.decode()
    assert "Privacy policy" in html and 'name="terms_version"' not in html
    published("privacy", "2.0")
    stale = staff_client.post("/admin/consent/", {"privacy_version": "1.0", "agree": "yes"})
    assert stale.status_code == 200 and "version 2.0" in stale.content.decode()


def test_admin_consent_page_never_redirects_off_site(staff_client, superuser):
    publish_both()
    accept(superuser)
    for target in ("https://evil.example/", "//evil.example/", "/api/v1/npos/", "/admin/consent/"):
        response = staff_client.get("/admin/consent/", {"next": target})
        assert response.status_code == 302 and response["Location"] == "/admin/"


def test_admin_login_logout_and_anonymous_pages_are_not_gated(staff_client):
    publish_both()
    assert Client().get("/admin/login/").status_code == 200
    assert staff_client.post("/admin/logout/").status_code == 200
    assert Client().get("/admin/consent/").status_code == 302  # to the login page
