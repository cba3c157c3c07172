"""Fixtures of the accounts tests."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail
from rest_framework.test import APIClient

from apps.users.tests.factories import DEFAULT_PASSWORD, UserFactory

LOGIN = "/api/v1/auth/login/"
TOKEN_RE = re.compile(r"token=([A-Za-z0-9_\-]+)")


def token_from_mail(message: Any = None) -> str:
    message = message or mail.outbox[-1]
    match = TOKEN_RE.search(message.body)
    assert match, message.body
    return match.group(1)


def login(client: APIClient, email: str, password: str = DEFAULT_PASSWORD, ip: str = "10.0.0.1") -> Any:
    return client.post(LOGIN, {"email": email, "password": password}, format="json", REMOTE_ADDR=ip)


def bearer(access: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


@pytest.fixture
def tokens(user: Any, api_client: APIClient) -> dict[str, str]:
    response = login(api_client, user.email)
    assert response.status_code == 200, response.content
    return response.json()


@pytest.fixture
def unverified(db: Any) -> Any:
    return UserFactory(email_verified_at=None)


@pytest.fixture
def throttle_rates(settings: Any):
    """Set some throttle rates for one test (DRF re-reads its settings on change)."""

    def apply(**rates: str) -> None:
        current = dict(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"])
        current.update(rates)
        settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": current}

    return apply
