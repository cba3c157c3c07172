"""The contact form (honeypot, limits, per-IP rate limit, stored, e-mailed) and testimonials."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.cache import cache
from rest_framework.test import APIClient

from apps.legal.models import ContactMessage
from apps.legal.models import Testimonial as Quote
from apps.npos.tests.factories import NPOFactory
from conftest import client_for

pytestmark = pytest.mark.django_db
CONTACT = "/api/v1/public/contact/"
MESSAGE = {"name": "Ann", "email": "Ann@Example.org", "subject": "Our gala", "message": "Can we talk?"}


def _post(body, ip="192.0.2.10", capture=None):
    if capture is None:
        return APIClient().post(CONTACT, body, format="json", REMOTE_ADDR=ip)
    with capture(execute=True):
        return APIClient().post(CONTACT, body, format="json", REMOTE_ADDR=ip, HTTP_USER_AGENT="ua")


def test_a_message_is_stored_and_emailed_to_the_platform(settings, django_capture_on_commit_callbacks):
    settings.AUGEO_CONTACT_EMAIL = "team@augeo.example"
    response = _post(MESSAGE, capture=django_capture_on_commit_callbacks)
    assert response.status_code == 201
    row = ContactMessage.objects.get()
    assert (row.name, row.email, row.subject, row.ip_address, row.user_agent) == (
        "Ann",
        "ann@example.org",
        "Our gala",
        "192.0.2.10",
        "ua",
    )
    assert not row.handled
    message = mail.outbox[-1]
    assert message.to == ["team@augeo.example"] and message.subject == "[Augeo contact] Our gala"
    assert "Ann <ann@example.org>" in message.body and "Can we talk?" in message.body


def test_a_subject_cannot_inject_headers(settings, django_capture_on_commit_callbacks):
    settings.AUGEO_CONTACT_EMAIL = "team@augeo.example"
    _post({**MESSAGE, "subject": "Hi\r\nBcc: victim@example.org"}, capture=django_capture_on_commit_callbacks)
    message = mail.outbox[-1]
    assert message.subject == "[Augeo contact] Hi Bcc: victim@example.org"
    assert message.message()["Bcc"] is None and message.recipients() == ["team@augeo.example"]


def test_the_honeypot_is_answered_201_and_nothing_is_stored_or_sent(django_capture_on_commit_callbacks):
    response = _post({**MESSAGE, "website": "http://spam.example"}, capture=django_capture_on_commit_callbacks)
    assert response.status_code == 201
    assert response.json() == _post(MESSAGE).json()  # the same answer as a real message
    assert ContactMessage.objects.count() == 1  # only the real one
    assert len([m for m in mail.outbox if "spam" in m.body]) == 0


@pytest.mark.parametrize(
    "override",
    [
        {"name": "x" * 101},
        {"subject": "x" * 201},
        {"message": "x" * 5001},
        {"email": "not-an-address"},
        {"email": "a@" + "b" * 250 + ".org"},
        {"message": ""},
        {"name": 5},
        {"website": "x" * 501},
    ],
)
def test_fields_over_the_limits_are_400(override):
    response = _post({**MESSAGE, **override})
    assert response.status_code == 400 and response.json()["error"]["code"] == "VALIDATION_ERROR"
    assert not ContactMessage.objects.exists()


def test_the_form_is_rate_limited_per_ip(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "contact": "2/hour"},
    }
    cache.clear()
    assert [_post(MESSAGE).status_code for _ in range(3)] == [201, 201, 429]
    limited = _post(MESSAGE)
    assert limited.json()["error"]["code"] == "THROTTLED" and int(limited["Retry-After"]) > 0
    assert _post(MESSAGE, ip="192.0.2.99").status_code == 201  # another address
    assert ContactMessage.objects.count() == 3


def test_testimonials_lists_the_published_ones_in_order(django_assert_num_queries):
    npo = NPOFactory(name="Hope")
    Quote.objects.create(quote="Second", author_name="B", order=2, published=True, npo=npo)
    Quote.objects.create(quote="First", author_name="A", author_role="Director", order=1, published=True)
    Quote.objects.create(quote="Hidden", author_name="C", order=0, published=False)
    with django_assert_num_queries(2):
        body = client_for(None).get("/api/v1/public/testimonials/").json()
    assert [t["quote"] for t in body["results"]] == ["First", "Second"]
    assert body["results"][0] == {
        "id": body["results"][0]["id"],
        "quote": "First",
        "author_name": "A",
        "author_role": "Director",
        "npo": None,
        "order": 1,
    }
    assert body["results"][1]["npo"] == {"id": str(npo.pk), "name": "Hope"}
    for i in range(10):
        Quote.objects.create(quote=f"More {i}", author_name="M", order=10 + i, published=True, npo=npo)
    with django_assert_num_queries(2):
        assert client_for(None).get("/api/v1/public/testimonials/").json()["count"] == 12
