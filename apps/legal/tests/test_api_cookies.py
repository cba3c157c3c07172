"""Cookie preferences for visitors (a server-set random id) and users, carried over at sign-in."""

from __future__ import annotations

import uuid

import pytest
from django.test import Client
from rest_framework.test import APIClient

from apps.legal.cookies import VISITOR_COOKIE
from apps.legal.models import ConsentRecord, CookiePreference
from apps.users.tests.factories import DEFAULT_PASSWORD
from conftest import client_for

pytestmark = pytest.mark.django_db
URL = "/api/v1/cookies/consent/"
CHOICES = {"essential": True, "analytics": True, "marketing": False}


def test_a_visitor_starts_with_the_defaults_and_no_cookie():
    response = APIClient().get(URL)
    assert response.json() == {"essential": True, "analytics": False, "marketing": False, "chosen": False}
    assert VISITOR_COOKIE not in response.cookies


def test_a_visitors_choice_is_kept_under_a_random_id_in_a_server_set_cookie():
    client = APIClient()
    response = client.put(URL, CHOICES, format="json", REMOTE_ADDR="198.51.100.4", HTTP_USER_AGENT="ua")
    assert response.status_code == 200
    assert response.json() == {"essential": True, "analytics": True, "marketing": False, "chosen": True}
    cookie = response.cookies[VISITOR_COOKIE]
    visitor_id = uuid.UUID(cookie.value)
    assert cookie["httponly"] is True and cookie["samesite"] == "Lax" and not cookie["secure"]
    assert int(cookie["max-age"]) == 365 * 24 * 3600
    row = CookiePreference.objects.get(visitor_id=visitor_id)
    assert (row.analytics, row.marketing, row.user_id) == (True, False, None)
    log = ConsentRecord.objects.get(visitor_id=visitor_id)
    assert (log.action, log.choices, log.ip_address, log.user_agent) == (
        "cookies",
        {"essential": True, "analytics": True, "marketing": False},
        "198.51.100.4",
        "ua",
    )
    # The cookie travels back: the same visitor, updated.
    again = client.put(URL, {"analytics": False, "marketing": True}, format="json")
    assert again.cookies[VISITOR_COOKIE].value == str(visitor_id)
    assert client.get(URL).json() == {"essential": True, "analytics": False, "marketing": True, "chosen": True}
    assert CookiePreference.objects.count() == 1 and ConsentRecord.objects.count() == 2


def test_the_cookie_is_secure_in_production(settings):
    settings.SESSION_COOKIE_SECURE = True
    response = APIClient().put(URL, CHOICES, format="json")
    assert response.cookies[VISITOR_COOKIE]["secure"] is True


def test_a_malformed_visitor_cookie_is_replaced():
    client = APIClient()
    client.cookies[VISITOR_COOKIE] = "not-a-uuid"
    response = client.put(URL, CHOICES, format="json")
    assert uuid.UUID(response.cookies[VISITOR_COOKIE].value)


@pytest.mark.parametrize(
    "body",
    [
        {"essential": False, "analytics": True, "marketing": True},
        {"analytics": "yes", "marketing": False},
        {"analytics": 1, "marketing": False},
        {"analytics": True},
        {},
    ],
)
def test_bad_choices_are_400(body):
    response = APIClient().put(URL, body, format="json")
    assert response.status_code == 400
    assert not CookiePreference.objects.exists() and not ConsentRecord.objects.exists()


def test_a_users_choice_is_stored_on_the_account(user):
    client = client_for(user)
    response = client.put(URL, CHOICES, format="json")
    assert response.status_code == 200 and VISITOR_COOKIE not in response.cookies
    assert CookiePreference.objects.get(user=user).analytics is True
    assert client.get(URL).json()["chosen"] is True
    assert ConsentRecord.objects.get(user=user).visitor_id is None


def test_api_sign_in_carries_a_visitors_choice_over_when_the_user_has_none(user):
    client = APIClient()
    visitor = uuid.UUID(client.put(URL, CHOICES, format="json").cookies[VISITOR_COOKIE].value)
    login = client.post("/api/v1/auth/login/", {"email": user.email, "password": DEFAULT_PASSWORD}, format="json")
    assert login.status_code == 200
    preference = CookiePreference.objects.get(user=user)
    assert (preference.analytics, preference.marketing) == (True, False)
    carried = ConsentRecord.objects.get(user=user)
    assert carried.visitor_id == visitor and carried.choices["analytics"] is True


def test_sign_in_keeps_the_users_own_choice(user):
    CookiePreference.objects.create(user=user, analytics=False, marketing=True)
    client = APIClient()
    client.put(URL, CHOICES, format="json")
    client.post("/api/v1/auth/login/", {"email": user.email, "password": DEFAULT_PASSWORD}, format="json")
    preference = CookiePreference.objects.get(user=user)
    assert (preference.analytics, preference.marketing) == (False, True)
    assert not ConsentRecord.objects.filter(user=user).exists()


def test_admin_sign_in_carries_the_choice_over_too(superuser):
    visitor = uuid.uuid4()
    CookiePreference.objects.create(visitor_id=visitor, analytics=True, marketing=True)
    client = Client()
    client.cookies[VISITOR_COOKIE] = str(visitor)
    response = client.post("/admin/login/", {"username": superuser.email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 302
    assert CookiePreference.objects.get(user=superuser).marketing is True
