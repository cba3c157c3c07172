"""Races on real services: one refresh token or reset link used twice at the same moment."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.db import connection
from rest_framework.test import APIClient

from apps.users.tests.conftest import login, token_from_mail
from apps.users.tests.factories import UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def race(call: Callable[[], Any], n: int = 2) -> list[int]:
    barrier = threading.Barrier(n)
    results: list[int] = []

    def run() -> None:
        try:
            barrier.wait()
            results.append(call().status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(results)


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
