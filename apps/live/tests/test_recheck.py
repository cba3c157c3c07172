"""An open socket is not trusted forever: its user and the event's visibility are re-checked on a timer
and at once when the user's sessions are cut off; a user who must accept new legal documents is
anonymous on the socket (live.md "Transport")."""

from __future__ import annotations

import json
from typing import Any

import pytest
from channels.layers import get_channel_layer
from django.conf import settings as django_settings
from django.test import Client

from apps.events.models import Event
from apps.events.tests.factories import EventFactory, PublishedEventFactory
from apps.legal.tests.factories import accept, publish_both
from apps.live import limits
from apps.live.publisher import LAYER_TYPE, event_group, user_group
from apps.live.tests.helpers import Socket, call, run, ticket_for, token_for
from apps.npos.models import Membership
from apps.npos.tests.factories import MembershipFactory
from apps.users.tests.factories import UserFactory
from conftest import client_for

pytestmark = pytest.mark.django_db(transaction=True)

#: Long enough that only the cut-off message (not the timer) can explain a close within the test.
NEVER = 3600.0
#: Short enough for a test to wait for a few ticks.
OFTEN = 0.3


def _member_of_draft(role: str = "staff") -> tuple[Any, Any]:
    event = EventFactory()
    member = UserFactory()
    MembershipFactory(npo=event.npo, user=member, role=role)
    return event, member


def _browser(user: Any) -> tuple[Client, list[tuple[bytes, bytes]]]:
    """A signed-in browser and the headers its WebSocket handshake would carry (same site)."""
    client = Client()
    client.force_login(user)
    cookie = f"{django_settings.SESSION_COOKIE_NAME}={client.cookies[django_settings.SESSION_COOKIE_NAME].value}"
    return client, [(b"cookie", cookie.encode()), (b"host", b"testserver"), (b"origin", b"http://testserver")]


def _logout_all(user: Any) -> None:
    assert client_for(user).post("/api/v1/auth/logout-all/").status_code == 204


async def _personal(event: Any, user: Any, kind: str = "won") -> None:
    text = json.dumps({"type": kind, "event": str(event.pk)})
    await get_channel_layer().group_send(user_group(event.pk, user.pk), {"type": LAYER_TYPE, "text": text})


async def _public(event: Any, kind: str = "totals") -> None:
    text = json.dumps({"type": kind, "event": str(event.pk)})
    await get_channel_layer().group_send(event_group(event.pk), {"type": LAYER_TYPE, "text": text})


# --- "log out everywhere": at once --------------------------------------------------------------


def test_log_out_everywhere_closes_the_users_ticket_sockets_at_once(settings: Any, layer: str) -> None:
    settings.LIVE_RECHECK_SECONDS = NEVER
    event = PublishedEventFactory()
    user, bystander = UserFactory(), UserFactory()
    mine, theirs = ticket_for(user), ticket_for(bystander)

    async def scenario() -> None:
        socket = Socket(f"/ws/events/{event.pk}/", ticket=mine)
        other = Socket(f"/ws/events/{event.pk}/", ticket=theirs)
        assert await socket.open() and await other.open()
        await call(_logout_all, user)
        assert await socket.closed_with(timeout=5) == 4401
        assert await other.silent(0.5)  # another user's socket stays
        await other.close()

    run(scenario)


def test_log_out_everywhere_closes_a_cookie_socket_at_once(settings: Any, memory_layer: None) -> None:
    settings.LIVE_RECHECK_SECONDS = NEVER
    event, member = _member_of_draft()
    _, headers = _browser(member)

    async def scenario() -> None:
        socket = Socket(f"/ws/events/{event.pk}/", headers=headers)
        assert await socket.open()
        await call(_logout_all, member)
        assert await socket.closed_with() == 4401

    run(scenario)


# --- the timer --------------------------------------------------------------------------------------


def test_a_session_that_signed_out_is_closed_on_the_next_check(settings: Any, memory_layer: None) -> None:
    settings.LIVE_RECHECK_SECONDS = OFTEN
    event, member = _member_of_draft()
    browser, headers = _browser(member)

    async def scenario() -> None:
        socket = Socket(f"/ws/events/{event.pk}/", headers=headers)
        assert await socket.open()
        assert await socket.silent(OFTEN * 2)  # checks pass while the session lives
        await call(browser.post, "/sign-out/")
        assert await socket.closed_with() == 4401

    run(scenario)


@pytest.mark.parametrize("credential", ["ticket", "token"])
def test_a_deactivated_user_is_closed_on_the_next_check(credential: str, settings: Any, memory_layer: None) -> None:
    settings.LIVE_RECHECK_SECONDS = OFTEN
    event = PublishedEventFactory()
    user = UserFactory()
    kwargs = {"ticket": ticket_for(user)} if credential == "ticket" else {"token": token_for(user)}

    async def scenario() -> None:
        socket = Socket(f"/ws/events/{event.pk}/", **kwargs)
        assert await socket.open()
        await call(lambda: type(user).objects.filter(pk=user.pk).update(is_active=False))
        assert await socket.closed_with() == 4401

    run(scenario)


def test_a_member_removed_from_the_npo_loses_the_drafts_room(settings: Any, memory_layer: None) -> None:
    settings.LIVE_RECHECK_SECONDS = OFTEN
    event, member = _member_of_draft()
    ticket = ticket_for(member)

    async def scenario() -> None:
        socket = Socket(f"/ws/events/{event.pk}/", ticket=ticket)
        assert await socket.open()
        assert await socket.silent(OFTEN * 2)
        await call(lambda: Membership.objects.filter(user=member).delete())
        assert await socket.closed_with() == 4404

    run(scenario)


def test_an_unpublished_event_closes_its_anonymous_room(settings: Any, memory_layer: None) -> None:
    settings.LIVE_RECHECK_SECONDS = OFTEN
    event = PublishedEventFactory()

    async def scenario() -> None:
        socket = Socket(f"/ws/events/{event.pk}/")
        assert await socket.open()
        await call(lambda: Event.objects.filter(pk=event.pk).update(status="draft"))
        assert await socket.closed_with() == 4404

    run(scenario)


def test_each_check_renews_the_sockets_place_in_the_counts(
    settings: Any, memory_layer: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.LIVE_RECHECK_SECONDS = OFTEN
    event = PublishedEventFactory()
    user = UserFactory()
    ticket = ticket_for(user)
    renewed: list[list[str]] = []
    counts = limits.socket_counts()  # this process's, or Redis's when REDIS_URL is set
    original = counts.renew

    def renew(member: str, keys: list[Any]) -> None:
        renewed.append([kind for kind, _, _ in keys])
        original(member, keys)

    monkeypatch.setattr(counts, "renew", renew)

    async def scenario() -> None:
        socket = Socket(f"/ws/events/{event.pk}/", ticket=ticket)
        assert await socket.open()
        await socket.silent(OFTEN * 3)
        await socket.close()

    run(scenario)
    assert len(renewed) >= 2 and all(kinds == ["ip", "user"] for kinds in renewed)


# --- the consent gate on the socket -----------------------------------------------------------------


def test_a_user_who_must_accept_new_documents_joins_as_anonymous(memory_layer: None) -> None:
    """A gated member is an outsider to the draft (4404) and hears no personal messages in a
    published room; accepting restores both."""
    draft, member = _member_of_draft()
    published = PublishedEventFactory(npo=draft.npo)
    publish_both()
    tickets = [ticket_for(member) for _ in range(4)]

    async def scenario() -> None:
        draft_room = Socket(f"/ws/events/{draft.pk}/", ticket=tickets[0])
        assert not await draft_room.open() and draft_room.close_code == 4404
        room = Socket(f"/ws/events/{published.pk}/", ticket=tickets[1])
        assert await room.open()
        await _personal(published, member)
        assert await room.silent()
        await _public(published)
        assert (await room.next())["type"] == "totals"
        await room.close()

        await call(accept, member)
        draft_room = Socket(f"/ws/events/{draft.pk}/", ticket=tickets[2])
        assert await draft_room.open()
        await draft_room.close()
        room = Socket(f"/ws/events/{published.pk}/", ticket=tickets[3])
        assert await room.open()
        await _personal(published, member)
        assert (await room.next())["type"] == "won"
        await room.close()

    run(scenario)


def test_a_cookie_socket_of_a_gated_user_is_anonymous_too(memory_layer: None) -> None:
    draft, member = _member_of_draft()
    publish_both()
    _, headers = _browser(member)

    async def scenario() -> None:
        socket = Socket(f"/ws/events/{draft.pk}/", headers=headers)
        assert not await socket.open() and socket.close_code == 4404

    run(scenario)


def test_new_documents_published_while_open_make_the_socket_anonymous(settings: Any, memory_layer: None) -> None:
    """On the next check: the personal messages stop, the public room goes on; a draft's room closes."""
    settings.LIVE_RECHECK_SECONDS = OFTEN
    draft, member = _member_of_draft()
    published = PublishedEventFactory(npo=draft.npo)
    tickets = [ticket_for(member) for _ in range(2)]

    async def scenario() -> None:
        room = Socket(f"/ws/events/{published.pk}/", ticket=tickets[0])
        draft_room = Socket(f"/ws/events/{draft.pk}/", ticket=tickets[1])
        assert await room.open() and await draft_room.open()
        await _personal(published, member)
        assert (await room.next())["type"] == "won"
        await call(publish_both)
        assert await draft_room.closed_with() == 4404
        await room.silent(OFTEN * 2)  # the room's socket has had its check too
        await _personal(published, member)
        assert await room.silent()
        await _public(published)
        assert (await room.next())["type"] == "totals"
        await room.close()

    run(scenario)
