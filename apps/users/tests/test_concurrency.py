"""Races on real services: one refresh token or reset link used twice at the same moment."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from rest_framework.test import APIClient

from apps.core.tests.race import race as race_threads
from apps.users.tests.conftest import login, token_from_mail
from apps.users.tests.factories import UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def race(call: Callable[[], Any], n: int = 2) -> list[int]:
    """``call()`` made ``n`` times at the same moment; the responses' status codes, sorted."""
    return sorted(response.status_code for response in race_threads(*[call] * n))


def test_one_refresh_token_rotates_once():
    user = UserFactory()
    refresh = login(APIClient(), user.email).json()["refresh"]
    statuses = race(lambda: APIClient().post("/api/v1/auth/refresh/", {"refresh": refresh}, format="json"), n=4)
    assert statuses == [200, 401, 401, 401]


def test_one_reset_link_is_used_once():
    user = UserFactory()
    APIClient().post("/api/v1/auth/password-reset/", {"email": user.email}, format="json")
    assert mail.outbox
    token = token_from_mail()
    statuses = race(
        lambda: APIClient().post(
            "/api/v1/auth/password-reset/confirm/",
            {"token": token, "password": "a-brand-new-passphrase"},
            format="json",
        ),
        n=3,
    )
    assert statuses == [200, 400, 400]


def test_parallel_guesses_never_exceed_the_lock_limit():
    """Every attempt is charged to the account before the password is checked (row lock), so 12
    guesses at the same moment get at most 5 password checks; the rest are 429."""
    user = UserFactory()
    statuses = race(lambda: login(APIClient(), user.email, "wrong-password-here", ip="198.51.100.1"), n=12)
    assert statuses.count(401) == 5 and statuses.count(429) == 7


def test_parallel_guesses_with_one_device_token_never_exceed_its_limit():
    user = UserFactory()
    device = login(APIClient(), user.email).json()["device_token"]
    statuses = race(
        lambda: APIClient().post(
            "/api/v1/auth/login/",
            {"email": user.email, "password": "wrong-password-here"},
            format="json",
            HTTP_X_DEVICE_TOKEN=device,
        ),
        n=8,
    )
    # 5 failures finish the token; the others were charged to the (untrusted) account instead.
    assert statuses == [401] * 8
    from apps.users.models import LoginLock

    counters = dict(LoginLock.objects.values_list("scope", "failures"))
    assert counters["device"] == 5 and counters["account"] == 3
