"""Every ``/api/v1/`` view inherits the project's base views, so the request gates
(the consent gate) run for every endpoint, present and future, with no code of their own."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.request import Request
from rest_framework.test import APIClient

from apps.core.api import base
from apps.core.exceptions import Conflict
from apps.users.tests.factories import UserFactory


def _api_v1_views(patterns: list[Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _api_v1_views(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern) and route.startswith("api/v1/"):
            callback = pattern.callback
            yield route, getattr(callback, "cls", None) or getattr(callback, "view_class", None) or callback


def test_every_api_v1_view_inherits_the_gate_mixin():
    views = list(_api_v1_views(get_resolver().url_patterns))
    assert len(views) > 50  # the walk sees the whole API
    offenders = sorted(
        f"{route} → {getattr(view, '__qualname__', view)}"
        for route, view in views
        if not (isinstance(view, type) and issubclass(view, base.RequestGateMixin))
    )
    assert offenders == []


def test_the_consent_gate_is_registered():
    from apps.legal.gate import api_gate

    assert base.registered_gates().count(api_gate) == 1


@pytest.fixture
def closed_gate() -> Iterator[list[str]]:
    """A gate that refuses ``/api/v1/users/me/`` (and records what it saw), removed afterwards."""
    seen: list[str] = []

    def gate(request: Request) -> None:
        seen.append(f"{request.method} {request.path} {request.user.is_authenticated}")
        if request.path == "/api/v1/users/me/":
            raise Conflict("GATE_CLOSED", "Closed by the test.")

    base.register_gate(gate)
    base.register_gate(gate)  # registering twice runs it once
    try:
        yield seen
    finally:
        base._gates.remove(gate)


@pytest.mark.django_db
def test_a_registered_gate_runs_after_authentication(closed_gate):
    client = APIClient()
    client.force_authenticate(UserFactory())
    response = client.get("/api/v1/users/me/")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "GATE_CLOSED"
    assert closed_gate == ["GET /api/v1/users/me/ True"]  # once, with the caller already known


@pytest.mark.django_db
def test_a_bad_token_is_401_before_any_gate(closed_gate):
    response = APIClient().get("/api/v1/users/me/", HTTP_AUTHORIZATION="Bearer not-a-token")
    assert response.status_code == 401
    assert closed_gate == []
