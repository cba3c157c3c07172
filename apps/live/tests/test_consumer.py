"""The event room: authentication, visibility, close codes, ping/pong, malformed frames."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from rest_framework_simplejwt.tokens import AccessToken

from apps.events.tests.factories import EventFactory, PublishedEventFactory
from apps.live.tests.helpers import Socket, run, token_for
from apps.npos.tests.factories import MembershipFactory
from apps.users.tests.factories import UserFactory
from conftest import client_for

pytestmark = pytest.mark.django_db(transaction=True)


def test_anonymous_joins_a_published_event_and_gets_pong() -> None:
    event = PublishedEventFactory()

    async def scenario() -> None:
        socket = Socket(f"/ws/events/{event.pk}/")
        assert await socket.open()
        await socket.send('{"type": "ping"}')
        pong = await socket.next()
        assert pong["type"] == "pong" and pong["event"] == str(event.pk) and pong["at"]
        await socket.close()

    run(scenario)


def test_bad_token_closes_4401() -> None:
    event = PublishedEventFactory()

    async def scenario() -> None:
        socket = Socket(f"/ws/events/{event.pk}/", token="not-a-jwt")
        assert not await socket.open()
        assert socket.close_code == 4401

    run(scenario)


def test_draft_event_refuses_outsiders_4404_but_admits_members() -> None:
    event = EventFactory()
    member = UserFactory()
    MembershipFactory(npo=event.npo, user=member, role="staff")
    outsider, staff_token = token_for(UserFactory()), token_for(member)

    async def scenario() -> None:
        anon = Socket(f"/ws/events/{event.pk}/")
        assert not await anon.open() and anon.close_code == 4404
        donor = Socket(f"/ws/events/{event.pk}/", token=outsider)
        assert not await donor.open() and donor.close_code == 4404
        staff = Socket(f"/ws/events/{event.pk}/", token=staff_token)
        assert await staff.open()
        await staff.close()

    run(scenario)


def test_expired_token_closes_4401_at_connect_and_a_live_token_at_its_expiry() -> None:
    event = PublishedEventFactory()
    user = UserFactory()
    expired = AccessToken.for_user(user)
    expired.set_exp(lifetime=timedelta(seconds=-1))
    short = AccessToken.for_user(user)
    short.set_exp(lifetime=timedelta(seconds=4))

    async def scenario() -> None:
        old = Socket(f"/ws/events/{event.pk}/", token=str(expired))
        assert not await old.open() and old.close_code == 4401
        fresh = Socket(f"/ws/events/{event.pk}/", token=str(short))
        assert await fresh.open()
        assert await fresh.closed_with(timeout=6) == 4401

    run(scenario)


def test_a_token_revoked_by_logout_all_closes_4401() -> None:
    event = PublishedEventFactory()
    user = UserFactory()
    token = token_for(user)
    response = client_for(user).post("/api/v1/auth/logout-all/")
    assert response.status_code == 204

    async def scenario() -> None:
        socket = Socket(f"/ws/events/{event.pk}/", token=token)
        assert not await socket.open() and socket.close_code == 4401

    run(scenario)


def test_malformed_ids_and_unknown_paths_close_4404() -> None:
    async def scenario() -> None:
        for path in ("/ws/events/not-a-uuid/", f"/ws/events/{uuid.uuid4()}/", "/ws/nothing/"):
            socket = Socket(path)
            assert not await socket.open(), path
            assert socket.close_code == 4404, path

    run(scenario)


def _session_headers(user: Any, origin: str | None) -> list[tuple[bytes, bytes]]:
    client = Client()
    client.force_login(user)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    headers = [(b"cookie", cookie.encode()), (b"host", b"testserver")]
    if origin is not None:
        headers.append((b"origin", origin.encode()))
    return headers


def test_session_cookie_counts_only_from_this_site() -> None:
    """A member's browser opens the draft's room with its session; a page of another site that makes
    the same browser open a socket (cross-site WebSocket hijacking) is just anonymous."""
    event = EventFactory()
    member = UserFactory()
    MembershipFactory(npo=event.npo, user=member, role="cashier")
    same, none, evil = (_session_headers(member, o) for o in ("http://testserver", None, "https://evil.example"))

    async def scenario() -> None:
        same_site = Socket(f"/ws/events/{event.pk}/", headers=same)
        assert await same_site.open()
        await same_site.close()
        no_origin = Socket(f"/ws/events/{event.pk}/", headers=none)
        assert await no_origin.open()
        await no_origin.close()
        foreign = Socket(f"/ws/events/{event.pk}/", headers=evil)
        assert not await foreign.open() and foreign.close_code == 4404

    run(scenario)


def test_malformed_and_unknown_frames_are_ignored(memory_layer: None) -> None:
    event = PublishedEventFactory()

    async def scenario() -> None:
        socket = Socket(f"/ws/events/{event.pk}/")
        assert await socket.open()
        junk = ("not json", "[1, 2]", '{"type": 5}', '{"type": "subscribe", "event": 1}', "{", "x" * 20000, '"ping"')
        for text in junk:
            await socket.send(text)
        await socket.send(data=b"\x00\xffbinary")
        await socket.send('{"type": "ping", "extra": {"deep": [1, 2, 3]}}')
        assert (await socket.next())["type"] == "pong"  # the only answer: nothing crashed, nothing else sent
        assert await socket.silent()
        await socket.close()

    run(scenario)
