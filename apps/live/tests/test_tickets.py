"""Connect tickets (``POST /api/v1/live/tickets/`` → ``/ws/events/{id}/?ticket=``) and the deprecated
``?token=``: a JWT never needs to be in a socket's URL (live.md "Transport")."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import Client
from prometheus_client import REGISTRY
from rest_framework.test import APIClient

from apps.events.tests.factories import EventFactory, PublishedEventFactory
from apps.live import tickets
from apps.live.tests.helpers import Socket, run, ticket_for, token_for
from apps.npos.tests.factories import MembershipFactory
from apps.users.tests.conftest import bearer, login
from apps.users.tests.factories import UserFactory
from conftest import client_for

pytestmark = pytest.mark.django_db(transaction=True)

DEAD_REDIS = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {
            "CLIENT_CLASS": "django_redis.client.DefaultClient",
            "SOCKET_CONNECT_TIMEOUT": 0.2,
            "SOCKET_TIMEOUT": 0.2,
            "IGNORE_EXCEPTIONS": True,
        },
    }
}


def _redis_cache(settings: Any) -> None:
    url = django_settings.REDIS_URL
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": url,
            "OPTIONS": {"CLIENT_CLASS": "django_redis.client.DefaultClient", "IGNORE_EXCEPTIONS": True},
        }
    }


def _member_of_draft() -> tuple[Any, Any]:
    event = EventFactory()
    member = UserFactory()
    MembershipFactory(npo=event.npo, user=member, role="staff")
    return event, member


# --- the endpoint ----------------------------------------------------------------------------------


def test_the_endpoint_issues_a_ticket_for_a_jwt_or_a_session_and_refuses_anonymous() -> None:
    user = UserFactory()
    access = login(APIClient(), user.email).json()["access"]
    answer = bearer(access).post("/api/v1/live/tickets/")
    assert answer.status_code == 201
    body = answer.json()
    assert set(body) == {"ticket", "expires_in"} and body["expires_in"] == 30 and len(body["ticket"]) >= 32

    browser = Client(enforce_csrf_checks=False)
    browser.force_login(user)
    assert browser.post("/api/v1/live/tickets/").status_code == 201

    refused = client_for(None).post("/api/v1/live/tickets/")
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "NOT_AUTHENTICATED"


def test_each_call_issues_a_different_ticket() -> None:
    client = client_for(UserFactory())
    first, second = (client.post("/api/v1/live/tickets/").json()["ticket"] for _ in range(2))
    assert first != second


def test_with_redis_down_the_endpoint_answers_503_and_a_socket_closes_4401(settings: Any) -> None:
    event = PublishedEventFactory()
    user = UserFactory()
    settings.CACHES = DEAD_REDIS
    answer = client_for(user).post("/api/v1/live/tickets/")
    assert answer.status_code == 503 and answer.json()["error"]["code"] == "SERVICE_UNAVAILABLE"

    async def scenario() -> None:
        socket = Socket(f"/ws/events/{event.pk}/", ticket="x" * 43)
        assert not await socket.open() and socket.close_code == 4401

    run(scenario)


def test_the_schema_documents_the_endpoint() -> None:
    from drf_spectacular.generators import SchemaGenerator

    operation = SchemaGenerator().get_schema(request=None, public=True)["paths"]["/api/v1/live/tickets/"]["post"]
    assert {"201", "401", "503"} <= set(operation["responses"])
    schema = operation["responses"]["201"]["content"]["application/json"]["schema"]
    assert schema["$ref"].endswith("/Ticket")


# --- the socket -----------------------------------------------------------------------------------


def test_a_ticket_opens_a_socket_as_its_user_once() -> None:
    """Bound to the user: a member's ticket opens the draft's room (anonymous gets 4404); used once,
    it closes 4401."""
    event, member = _member_of_draft()
    ticket = ticket_for(member)

    async def scenario() -> None:
        first = Socket(f"/ws/events/{event.pk}/", ticket=ticket)
        assert await first.open()
        again = Socket(f"/ws/events/{event.pk}/", ticket=ticket)
        assert not await again.open() and again.close_code == 4401
        await first.close()

    run(scenario)


@pytest.mark.parametrize("ticket", ["", "nope", "x" * 43, "x" * 200, "%00%ff"])
def test_unknown_or_malformed_tickets_close_4401(ticket: str) -> None:
    event = PublishedEventFactory()

    async def scenario() -> None:
        socket = Socket(f"/ws/events/{event.pk}/", ticket=ticket)
        assert not await socket.open() and socket.close_code == 4401

    run(scenario)


def test_an_expired_ticket_closes_4401(monkeypatch: pytest.MonkeyPatch) -> None:
    event = PublishedEventFactory()
    ticket = ticket_for(UserFactory())
    later = time.time() + django_settings.LIVE_TICKET_SECONDS + 1
    monkeypatch.setattr(tickets, "_now", lambda: later)

    async def scenario() -> None:
        socket = Socket(f"/ws/events/{event.pk}/", ticket=ticket)
        assert not await socket.open() and socket.close_code == 4401

    run(scenario)


def test_the_ticket_entry_expires_in_the_cache_too(settings: Any) -> None:
    settings.LIVE_TICKET_SECONDS = 1
    ticket = ticket_for(UserFactory())
    time.sleep(1.2)
    assert tickets.ticket_redeem(ticket) is None


def test_a_ticket_issued_before_log_out_everywhere_closes_4401() -> None:
    event = PublishedEventFactory()
    user = UserFactory()
    ticket = ticket_for(user)
    time.sleep(0.01)
    assert client_for(user).post("/api/v1/auth/logout-all/").status_code == 204

    async def scenario() -> None:
        socket = Socket(f"/ws/events/{event.pk}/", ticket=ticket)
        assert not await socket.open() and socket.close_code == 4401

    run(scenario)


def test_a_ticket_of_a_deactivated_user_closes_4401() -> None:
    event = PublishedEventFactory()
    user = UserFactory()
    ticket = ticket_for(user)
    type(user).objects.filter(pk=user.pk).update(is_active=False)

    async def scenario() -> None:
        socket = Socket(f"/ws/events/{event.pk}/", ticket=ticket)
        assert not await socket.open() and socket.close_code == 4401

    run(scenario)


def _race(ticket: str, contenders: int = 8) -> list[Any]:
    claims: list[Any] = []
    barrier = threading.Barrier(contenders)

    def redeem() -> None:
        barrier.wait()
        claims.append(tickets.ticket_redeem(ticket))

    threads = [threading.Thread(target=redeem) for _ in range(contenders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return claims


@pytest.mark.parametrize("store", ["locmem", pytest.param("redis", marks=pytest.mark.redis)])
def test_racing_redemptions_of_one_ticket_let_exactly_one_through(store: str, settings: Any) -> None:
    if store == "redis":
        _redis_cache(settings)
    user = UserFactory()
    for _ in range(5):
        claims = _race(ticket_for(user))
        winners = [claim for claim in claims if claim is not None]
        assert len(winners) == 1 and winners[0].user_id == str(user.pk)


@pytest.mark.redis
def test_on_redis_a_ticket_issued_through_the_api_opens_a_socket(settings: Any) -> None:
    """The production store: what one instance issued, any instance redeems (one Redis)."""
    _redis_cache(settings)
    event, member = _member_of_draft()
    ticket = client_for(member).post("/api/v1/live/tickets/").json()["ticket"]

    async def scenario() -> None:
        socket = Socket(f"/ws/events/{event.pk}/", ticket=ticket)
        assert await socket.open()
        await socket.close()
        again = Socket(f"/ws/events/{event.pk}/", ticket=ticket)
        assert not await again.open() and again.close_code == 4401

    run(scenario)


# --- the deprecated ?token= -------------------------------------------------------------------------


def _token_param_count() -> float:
    return REGISTRY.get_sample_value("augeo_live_token_param_total") or 0.0


def test_the_deprecated_token_still_opens_a_socket_is_logged_and_counted(monkeypatch: Any) -> None:
    from apps.live import auth

    monkeypatch.setattr(auth, "deprecation_log", auth._DeprecationLog())
    event, member = _member_of_draft()
    token = token_for(member)
    before = _token_param_count()
    # A handler on the logger itself: importing the ASGI application re-runs Django's logging setup,
    # which replaces the root handlers (pytest's caplog among them).
    lines: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: lines.append(record.getMessage())  # type: ignore[method-assign]
    logger = logging.getLogger("augeo.live")
    logger.addHandler(handler)

    async def scenario() -> None:
        for _ in range(2):
            socket = Socket(f"/ws/events/{event.pk}/", token=token)
            assert await socket.open()
            await socket.close()

    try:
        run(scenario)
    finally:
        logger.removeHandler(handler)
    assert _token_param_count() == before + 2
    warnings = [line for line in lines if "deprecated" in line]
    assert len(warnings) == 1 and "/api/v1/live/tickets/" in warnings[0]  # at most one a minute
    assert not any(token in line for line in lines)


def test_the_token_parameter_can_be_turned_off(settings: Any) -> None:
    settings.LIVE_ACCEPT_TOKEN_PARAM = False
    event = PublishedEventFactory()
    token = token_for(UserFactory())

    async def scenario() -> None:
        socket = Socket(f"/ws/events/{event.pk}/", token=token)
        assert not await socket.open() and socket.close_code == 4401

    run(scenario)
