"""Throttles of the accounts endpoints (apps.core.throttling): per address for mail, a per-IP login ceiling."""

from __future__ import annotations

import uuid

import pytest
from django.core import mail
from django.test import Client

from apps.users.tests.conftest import login
from apps.users.tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def assert_throttled(response):
    assert response.status_code == 429, response.content
    assert response.json()["error"]["code"] == "THROTTLED"
    assert int(response["Retry-After"]) >= 1


def test_login_has_no_throttle_keyed_on_the_email_alone(api_client, user, throttle_rates):
    """Regression: 10 bad logins a minute keyed on the e-mail alone turned the real user's correct
    login from elsewhere into a 429. Guessing is bounded by the lockout (per account and device)."""
    throttle_rates(login_ip="1000/min")
    device = login(api_client, user.email, ip="192.0.2.1").json()["device_token"]
    attacker = type(api_client)()
    for n in range(12):
        login(attacker, user.email, "wrong-password-1", ip=f"198.51.100.{n}")
    response = api_client.post(
        "/api/v1/auth/login/",
        {"email": user.email, "password": DEFAULT_PASSWORD},
        format="json",
        REMOTE_ADDR="192.0.2.1",
        HTTP_X_DEVICE_TOKEN=device,
    )
    assert response.status_code == 200, response.content


def test_a_gala_room_behind_one_ip_can_sign_in(api_client, throttle_rates):
    """The per-account limit does not pile up on the shared IP; only the generous per-IP one does."""
    throttle_rates(login_ip="60/min", anon="5/min")
    guests = UserFactory.create_batch(40)
    statuses = [login(api_client, g.email, ip="198.51.100.1").status_code for g in guests]
    assert statuses == [200] * 40


def test_login_ip_ceiling(api_client, throttle_rates):
    throttle_rates(login_ip="5/min")
    guests = UserFactory.create_batch(6)
    statuses = [login(api_client, g.email, ip="198.51.100.2").status_code for g in guests]
    assert statuses[:5] == [200] * 5
    assert statuses[5] == 429
    # Another IP is unaffected.
    assert login(api_client, guests[5].email, ip="198.51.100.3").status_code == 200


def test_sign_in_page_and_admin_login_share_the_api_login_ip_ceiling(api_client, client, throttle_rates):
    """The ``/sign-in/`` page and the admin's login form had no per-IP limit at all; they now count
    in the API's ``login_ip`` scope, one budget per address whichever door is used."""
    throttle_rates(login_ip="4/min")
    guests = UserFactory.create_batch(3)
    ip = "198.51.100.40"
    assert login(api_client, guests[0].email, ip=ip).status_code == 200
    page = client.post("/sign-in/", {"email": guests[1].email, "password": DEFAULT_PASSWORD}, REMOTE_ADDR=ip)
    assert page.status_code == 302
    wrong = client.post("/admin/login/", {"username": guests[2].email, "password": "nope"}, REMOTE_ADDR=ip)
    assert wrong.status_code == 200  # the form again
    assert client.post("/sign-in/", {"email": "x@example.org", "password": ""}, REMOTE_ADDR=ip).status_code == 200
    refused_page = client.post("/sign-in/", {"email": guests[1].email, "password": DEFAULT_PASSWORD}, REMOTE_ADDR=ip)
    assert refused_page.status_code == 429 and int(refused_page["Retry-After"]) >= 1
    assert b"Too many sign-in attempts from your network" in refused_page.content
    refused_admin = Client().post(
        "/admin/login/", {"username": guests[2].email, "password": DEFAULT_PASSWORD}, REMOTE_ADDR=ip
    )
    assert refused_admin.status_code == 429 and int(refused_admin["Retry-After"]) >= 1
    assert b"Too many sign-in attempts from your network" in refused_admin.content
    assert_throttled(login(api_client, guests[0].email, ip=ip))
    # Another address is not affected; a GET of the form is never counted.
    assert Client().get("/sign-in/", REMOTE_ADDR=ip).status_code == 200
    other = Client().post(
        "/sign-in/", {"email": guests[1].email, "password": DEFAULT_PASSWORD}, REMOTE_ADDR="198.51.100.41"
    )
    assert other.status_code == 302


def test_register_throttle_per_address(api_client, throttle_rates):
    """The ``register`` budget is verification e-mails to one address: a sign-up and the resends."""
    throttle_rates(register="2/hour")
    payload = {
        "email": f"new-{uuid.uuid4().hex}@example.org",
        "password": "a-long-enough-passphrase",
        "first_name": "A",
        "last_name": "B",
    }
    resend = {"email": payload["email"]}
    assert api_client.post("/api/v1/auth/register/", payload, format="json").status_code == 201
    assert api_client.post("/api/v1/auth/register/", payload, format="json").status_code == 400  # no mail
    assert api_client.post("/api/v1/auth/verify-email/resend/", resend, format="json").status_code == 202
    assert_throttled(api_client.post("/api/v1/auth/verify-email/resend/", resend, format="json"))
    other = {**payload, "email": f"other-{uuid.uuid4().hex}@example.org"}
    assert api_client.post("/api/v1/auth/register/", other, format="json").status_code == 201
    # An address whose budget resends for nobody spent cannot be signed up with meanwhile.
    ghost = f"ghost-{uuid.uuid4().hex}@example.org"
    for _ in range(2):
        api_client.post("/api/v1/auth/verify-email/resend/", {"email": ghost}, format="json")
    assert_throttled(api_client.post("/api/v1/auth/register/", {**payload, "email": ghost}, format="json"))


def test_resend_shares_the_register_budget(api_client, throttle_rates):
    throttle_rates(register="1/hour")
    address = f"{uuid.uuid4().hex}@example.org"
    assert api_client.post("/api/v1/auth/verify-email/resend/", {"email": address}, format="json").status_code == 202
    assert_throttled(api_client.post("/api/v1/auth/verify-email/resend/", {"email": address.upper()}, format="json"))


def test_password_reset_throttle_per_address(api_client, throttle_rates):
    throttle_rates(password_reset="2/hour")
    user = UserFactory(email=f"{uuid.uuid4().hex}@example.org")
    ghost = f"ghost-{uuid.uuid4().hex}@example.org"
    for _ in range(2):
        assert api_client.post("/api/v1/auth/password-reset/", {"email": user.email}, format="json").status_code == 202
    assert_throttled(api_client.post("/api/v1/auth/password-reset/", {"email": user.email}, format="json"))
    # An unknown address is throttled the same way (no enumeration through the limit).
    for _ in range(2):
        api_client.post("/api/v1/auth/password-reset/", {"email": ghost}, format="json")
    assert_throttled(api_client.post("/api/v1/auth/password-reset/", {"email": ghost}, format="json"))


def test_anonymous_ip_limit_on_public_flows(api_client, throttle_rates, db):
    throttle_rates(anon="2/min")
    for _ in range(2):
        api_client.post("/api/v1/auth/verify-email/", {"token": "x"}, format="json")
    assert_throttled(api_client.post("/api/v1/auth/verify-email/", {"token": "x"}, format="json"))


def test_throttles_fail_open_when_the_cache_is_down(api_client, user, settings, throttle_rates):
    throttle_rates(login_ip="1/min")
    settings.CACHES = {"default": {"BACKEND": "apps.users.tests.broken_cache.BrokenCache"}}
    assert [login(api_client, user.email).status_code for _ in range(3)] == [200] * 3


def test_garbage_json_is_400_not_a_throttle_error(api_client, db, throttle_rates):
    throttle_rates(register="1/min")
    response = api_client.post("/api/v1/auth/register/", b"{nope", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"


def test_rates_come_from_settings_at_request_time(api_client, user, throttle_rates):
    throttle_rates(login_ip="1/min")
    assert login(api_client, user.email).status_code == 200
    assert_throttled(login(api_client, user.email))
    throttle_rates(login_ip="1000/min")
    assert login(api_client, user.email).status_code == 200


# --- the mail scopes hold while the cache is down --------------------------------------------------------

BROKEN_CACHE = {"default": {"BACKEND": "apps.users.tests.broken_cache.BrokenCache"}}


def test_password_reset_mails_stay_limited_when_the_cache_is_down(
    api_client, settings, throttle_rates, django_capture_on_commit_callbacks
):
    """Finding: with Redis stopped, 12 reset requests sent 12 mails to one address. The scope is
    counted in the database now: the 6th request within the hour is 429, as with the cache up, and
    no 6th mail goes out."""
    throttle_rates(password_reset="5/hour")
    settings.CACHES = BROKEN_CACHE
    user = UserFactory()
    statuses = []
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(12):
            statuses.append(api_client.post("/api/v1/auth/password-reset/", {"email": user.email}, format="json"))
    assert [r.status_code for r in statuses] == [202] * 5 + [429] * 7
    assert_throttled(statuses[5])
    assert [m.to for m in mail.outbox] == [[user.email]] * 5


def test_verification_mails_stay_limited_when_the_cache_is_down(
    api_client, settings, throttle_rates, django_capture_on_commit_callbacks
):
    throttle_rates(register="3/hour")
    settings.CACHES = BROKEN_CACHE
    address = f"{uuid.uuid4().hex}@example.org"
    payload = {"email": address, "password": "a-long-enough-passphrase", "first_name": "A", "last_name": "B"}
    with django_capture_on_commit_callbacks(execute=True):
        assert api_client.post("/api/v1/auth/register/", payload, format="json").status_code == 201
        resends = [
            api_client.post("/api/v1/auth/verify-email/resend/", {"email": address}, format="json").status_code
            for _ in range(6)
        ]
    assert resends == [202, 202, 429, 429, 429, 429]
    assert len([m for m in mail.outbox if m.to == [address]]) == 3


def test_contact_messages_stay_limited_when_the_cache_is_down(
    api_client, settings, throttle_rates, django_capture_on_commit_callbacks
):
    throttle_rates(contact="5/hour")
    settings.CACHES = BROKEN_CACHE
    message = {"name": "A", "email": "a@example.org", "subject": "Hi", "message": "Hello", "website": ""}
    with django_capture_on_commit_callbacks(execute=True):
        statuses = [
            api_client.post("/api/v1/public/contact/", message, format="json", REMOTE_ADDR="198.51.100.7").status_code
            for _ in range(12)
        ]
    assert statuses == [201] * 5 + [429] * 7
    assert len(mail.outbox) == 5
