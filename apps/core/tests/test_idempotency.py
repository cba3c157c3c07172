"""Idempotency-Key store (bidding.md "Retries") through a tiny test-only view."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from apps.core.models import AuditEntry, IdempotencyKey
from conftest import client_for

pytestmark = [pytest.mark.urls("apps.core.tests.urls"), pytest.mark.django_db]
URL = "/api/test/idempotent/"


def _post(client, body, key="key-1", query=""):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post(f"{URL}{query}", body, format="json", **headers)


def test_same_key_same_body_replays_the_first_answer(user):
    client = client_for(user)
    first = _post(client, {"n": 1})
    assert first.status_code == 201
    second = _post(client, {"n": 1})
    assert second.status_code == 201
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert AuditEntry.objects.filter(action="test.work").count() == 1
    assert IdempotencyKey.objects.count() == 1


def test_same_key_different_body_is_422(user):
    client = client_for(user)
    assert _post(client, {"n": 1}).status_code == 201
    response = _post(client, {"n": 2})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert AuditEntry.objects.filter(action="test.work").count() == 1


def test_keys_are_per_user(user):
    from apps.users.tests.factories import UserFactory

    assert _post(client_for(user), {"n": 1}).status_code == 201
    assert _post(client_for(UserFactory()), {"n": 1}).status_code == 201
    assert AuditEntry.objects.filter(action="test.work").count() == 2


def test_without_a_key_every_request_does_the_work(user):
    client = client_for(user)
    _post(client, {"n": 1}, key=None)
    _post(client, {"n": 1}, key=None)
    assert AuditEntry.objects.filter(action="test.work").count() == 2
    assert IdempotencyKey.objects.count() == 0


def test_expired_key_is_treated_as_new(user):
    client = client_for(user)
    with time_machine.travel(timezone.now() - timedelta(hours=25), tick=False):
        assert _post(client, {"n": 1}).status_code == 201
    # Same key, even with a different body: the old answer has expired.
    response = _post(client, {"n": 2})
    assert response.status_code == 201
    assert response.json()["n"] == 2
    assert AuditEntry.objects.filter(action="test.work").count() == 2
    record = IdempotencyKey.objects.get()
    assert record.created_at > timezone.now() - timedelta(minutes=1)


def test_business_rule_errors_are_stored_and_replayed(user):
    client = client_for(user)
    first = _post(client, {"n": 1}, query="?fail=conflict")
    assert first.status_code == 409
    assert first.json()["error"] == {"code": "BID_TOO_LOW", "message": "Too low.", "min_bid": "10.00"}
    # The retry gets the same refusal without running the work again (even though it would now pass).
    second = _post(client, {"n": 1})
    assert second.status_code == 409
    assert second.json() == first.json()
    assert IdempotencyKey.objects.get().response_status == 409


def test_unexpected_errors_are_not_stored(user):
    client = client_for(user)
    response = _post(client, {"n": 1}, query="?fail=boom")
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "INTERNAL_ERROR"
    assert IdempotencyKey.objects.count() == 0
    # The work rolled back with the key: nothing half-done remains, and a retry does the work.
    assert AuditEntry.objects.filter(action="test.work").count() == 0
    retry = _post(client, {"n": 1})
    assert retry.status_code == 201
    assert AuditEntry.objects.filter(action="test.work").count() == 1


def test_transient_5xx_refusals_are_not_stored(user):
    client = client_for(user)
    response = _post(client, {"n": 1}, query="?fail=unavailable")
    assert response.status_code == 503
    assert IdempotencyKey.objects.count() == 0
    assert _post(client, {"n": 1}).status_code == 201


def test_overlong_key_is_400(user):
    response = _post(client_for(user), {"n": 1}, key="k" * 256)
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["error"]["fields"]
