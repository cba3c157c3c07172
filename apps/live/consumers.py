"""The event room: ``/ws/events/{event_id}/`` (live.md "Transport").

Joining: the handshake is authenticated by :mod:`apps.live.auth` (a connect ``ticket``, the
deprecated JWT ``token``, or the session cookie). A bad, used or expired ticket or token closes with
**4401**, an event the caller may not see (a draft for an outsider, an unknown or malformed id) with
**4404** — the socket is accepted first, because a close code only reaches a browser on an open
socket. A JWT socket is closed with 4401 when its token expires (the client reconnects with a fresh
ticket, so a revoked account stops hearing). More sockets than ``LIVE_MAX_SOCKETS_PER_USER`` for one
user or ``LIVE_MAX_SOCKETS_PER_IP`` from one address (:mod:`apps.live.limits`, counted across
processes) close with **4429** (like HTTP 429; the client backs off and retries).

Staying: every ``LIVE_RECHECK_SECONDS`` (±10 %, so a room's sockets do not all ask at once) — and at
once when the user's sessions are cut off (``live.recheck`` on their account group) — the socket asks
again: a user deactivated, signed out everywhere, or whose session ended closes with **4401**; a user
who must now accept new legal documents stays as anonymous (their personal messages stop); an event
no longer visible (unpublished; a member removed from a draft's NPO) closes with **4404**. The same
tick renews the socket's place in the per-user and per-IP counts.

Sending: messages arrive from the channel layer already serialised (:mod:`apps.live.publisher`) and
go into a bounded queue per socket (``LIVE_SOCKET_QUEUE``), which one writer task drains. The
channel layer never waits for a socket: a client that reads too slowly fills its own queue and is
dropped (close 1013, "try again later"; it reconnects and re-reads the REST API) — the others never
notice. A ``bid_placed`` whose ``sequence`` is not above the last one this socket carried for the
item is stale (overtaken by a later bid's message) and skipped, so a client always sees an item's
bids in order.

Receiving: only ``{"type": "ping"}`` is answered (``pong``); any other or malformed frame, text or
binary, is ignored. A client that sends more than ``LIVE_CLIENT_FRAMES`` frames within 10 seconds (the
protocol is a ping every 25 s) is closed with **1008** (policy violation).
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from typing import Any

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from apps.live import metrics
from apps.live.auth import scope_client_ip, socket_recheck
from apps.live.limits import Limit, socket_counts, socket_limits
from apps.live.publisher import LAYER_TYPE, account_group, event_group, user_group
from apps.live.selectors import event_visible_id

logger = logging.getLogger("augeo.live")

CLOSE_BAD_TOKEN = 4401
CLOSE_NOT_FOUND = 4404
#: Too many sockets for this user or from this address (as HTTP 429).
CLOSE_OVER_CAP = 4429
#: RFC 6455 "Try Again Later": this socket could not keep up.
CLOSE_TOO_SLOW = 1013
#: RFC 6455 "Policy Violation": the client floods the server with frames.
CLOSE_FLOOD = 1008
#: The window of ``LIVE_CLIENT_FRAMES``, in seconds.
FRAME_WINDOW = 10.0
#: Longest client frame looked at; anything longer is ignored unread.
MAX_CLIENT_FRAME = 1024


def _monotonic() -> float:
    """The frame-rate clock (a function of its own, so a test can move it without the event loop's)."""
    return time.monotonic()


class EventConsumer(AsyncWebsocketConsumer):
    """One socket in one event's room (plus the user's personal group in that room)."""

    async def connect(self) -> None:
        self.joined: list[str] = []
        self.outbox: asyncio.Queue[str] | None = None
        self.writer: asyncio.Task[None] | None = None
        self.expiry: asyncio.TimerHandle | None = None
        self.closer: asyncio.Future[None] | None = None
        self.rechecker: asyncio.Task[None] | None = None
        self.dropped = False
        self.last_sequence: dict[str, int] = {}
        self.event_id: Any = None
        self.counted: list[Limit] = []
        self.frames = (0.0, 0)  # (window start, frames in it)
        self.credential = self.scope.get("live_credential")
        auth_error = self.scope.get("live_auth_error")
        if auth_error:
            await self._refuse(CLOSE_BAD_TOKEN, str(auth_error))
            return
        user = self.scope.get("user")
        raw_id = self.scope["url_route"]["kwargs"].get("event_id")
        self.event_id = await database_sync_to_async(event_visible_id)(user, raw_id)
        if self.event_id is None:
            await self._refuse(CLOSE_NOT_FOUND, "invisible")
            return
        signed_in = getattr(user, "is_authenticated", False)
        limits = socket_limits(user_id=user.pk if signed_in else None, ip=scope_client_ip(self.scope))
        over = await sync_to_async(socket_counts().acquire, thread_sensitive=False)(self.channel_name, limits)
        if over is not None:
            await self._refuse(CLOSE_OVER_CAP, f"over_cap_{over}")
            return
        self.counted = limits
        groups = [event_group(self.event_id)]
        if signed_in:
            groups += [user_group(self.event_id, user.pk), account_group(user.pk)]
        # Join before accepting: nothing published after the client sees "open" is missed.
        try:
            for group in groups:
                await self.channel_layer.group_add(group, self.channel_name)
                self.joined.append(group)
        except Exception:  # the channel layer is down: come back later (the client backs off)
            logger.warning("live socket could not join %s", groups, exc_info=True)
            await self._refuse(CLOSE_TOO_SLOW, "layer_down")
            return
        self.outbox = asyncio.Queue(maxsize=settings.LIVE_SOCKET_QUEUE)
        await self.accept()
        metrics.connections(1)
        self.writer = asyncio.ensure_future(self._write())
        self.rechecker = asyncio.ensure_future(self._recheck_every())
        expires = self.scope.get("live_token_expires")
        if expires is not None:
            delay = max(float(expires) - time.time(), 0.0)
            self.expiry = asyncio.get_running_loop().call_later(
                delay, lambda: asyncio.ensure_future(self._close_now(CLOSE_BAD_TOKEN, "token_expired"))
            )

    async def _refuse(self, code: int, reason: str) -> None:
        metrics.socket_closed(reason)
        await self._release()
        await self.accept()
        await self.close(code=code)

    async def _release(self) -> None:
        """Give the socket's places in the per-user and per-IP counts back (once)."""
        counted, self.counted = self.counted, []
        if counted:
            await sync_to_async(socket_counts().release, thread_sensitive=False)(self.channel_name, counted)

    # --- staying: the re-check ------------------------------------------------------------------

    async def _recheck_every(self) -> None:
        interval = float(settings.LIVE_RECHECK_SECONDS)
        while not self.dropped:
            await asyncio.sleep(interval * random.uniform(0.9, 1.1))  # noqa: S311 - spreading, not secrecy
            await self.recheck()

    async def live_recheck(self, message: dict[str, Any]) -> None:
        """The user's sessions were cut off (``apps.live.publisher.account_recheck``): ask now."""
        await self.recheck()

    async def recheck(self) -> None:
        """Whether the socket may stay, and as whom (see the module docstring)."""
        if self.dropped or self.event_id is None:
            return
        try:
            outcome, user = await database_sync_to_async(socket_recheck)(self.credential, self.event_id)
        except Exception:  # the database is unreachable: keep the socket, ask again next time
            logger.warning("live socket re-check failed", exc_info=True)
            return
        if self.dropped:
            return
        if outcome == "revoked":
            await self._close_now(CLOSE_BAD_TOKEN, "revoked")
            return
        if self.credential is not None and not getattr(user, "is_authenticated", False):
            await self._as_anonymous()
        if outcome == "invisible":
            await self._close_now(CLOSE_NOT_FOUND, "invisible")
            return
        if self.counted:
            await sync_to_async(socket_counts().renew, thread_sensitive=False)(self.channel_name, self.counted)

    async def _as_anonymous(self) -> None:
        """A gate now holds the user back: from here on the socket hears only the public room."""
        self.credential = None
        self.scope["user"] = AnonymousUser()
        if self.expiry is not None:
            self.expiry.cancel()
            self.expiry = None
        public = event_group(self.event_id)
        for group in [g for g in self.joined if g != public]:
            try:
                await self.channel_layer.group_discard(group, self.channel_name)
            except Exception:  # the layer is down: nothing reaches the socket through it either
                logger.debug("group_discard failed", exc_info=True)
            self.joined.remove(group)

    async def dispatch(self, message: dict[str, Any]) -> None:
        """Channels' dispatch runs ``close_old_connections`` in the one thread-sensitive executor
        before *every* handler; a room of 500 sockets would push each broadcast through that one
        thread 500 times. The handlers below touch no database, so they skip it."""
        kind = message.get("type")
        if kind == LAYER_TYPE:
            await self.live_message(message)
        elif kind == "websocket.receive":
            await self.websocket_receive(message)
        else:
            await super().dispatch(message)

    async def live_message(self, message: dict[str, Any]) -> None:
        text = message.get("text")
        if not isinstance(text, str) or self.outbox is None:
            return
        item, sequence = message.get("item"), message.get("sequence")
        if isinstance(item, str) and isinstance(sequence, int):
            if sequence <= self.last_sequence.get(item, 0):
                return  # stale: a later bid's message for this item already went out
            self.last_sequence[item] = sequence
        self._enqueue(text)

    def _enqueue(self, text: str) -> None:
        if self.dropped or self.outbox is None:
            return
        try:
            self.outbox.put_nowait(text)
        except asyncio.QueueFull:
            self.dropped = True
            if self.writer is not None:
                self.writer.cancel()
            self.closer = asyncio.ensure_future(self._close_now(CLOSE_TOO_SLOW, "slow"))

    async def _write(self) -> None:
        assert self.outbox is not None
        try:
            while True:
                text = await self.outbox.get()
                await self.send(text_data=text)
        except asyncio.CancelledError:
            raise
        except Exception:  # the connection went away under us; disconnect() cleans up
            logger.debug("live socket write failed", exc_info=True)

    async def _close_now(self, code: int, reason: str) -> None:
        self.dropped = True
        if self.writer is not None:
            self.writer.cancel()
        metrics.socket_closed(reason)
        try:
            await self.close(code=code)
        except Exception:  # pragma: no cover - already gone
            logger.debug("live socket close failed", exc_info=True)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self._flooding():
            return
        if text_data is None or len(text_data) > MAX_CLIENT_FRAME:
            return
        try:
            data = json.loads(text_data)
        except ValueError:
            return
        if isinstance(data, dict) and data.get("type") == "ping" and self.event_id is not None:
            pong = {"type": "pong", "event": str(self.event_id), "at": timezone.now().isoformat()}
            self._enqueue(json.dumps(pong, separators=(",", ":")))

    def _flooding(self) -> bool:
        """Count this frame; past ``LIVE_CLIENT_FRAMES`` in the window the socket is closed (1008)."""
        now = _monotonic()
        start, count = self.frames
        if now - start >= FRAME_WINDOW:
            start, count = now, 0
        self.frames = (start, count + 1)
        if count + 1 <= settings.LIVE_CLIENT_FRAMES:
            return False
        if not self.dropped:
            self.closer = asyncio.ensure_future(self._close_now(CLOSE_FLOOD, "flood"))
        return True

    async def disconnect(self, code: int) -> None:
        if getattr(self, "expiry", None) is not None:
            self.expiry.cancel()  # type: ignore[union-attr]
        if getattr(self, "rechecker", None) is not None:
            self.rechecker.cancel()  # type: ignore[union-attr]
        if getattr(self, "writer", None) is not None:
            self.writer.cancel()  # type: ignore[union-attr]
            metrics.connections(-1)
        if getattr(self, "counted", None):
            await self._release()
        for group in getattr(self, "joined", []):
            try:
                await self.channel_layer.group_discard(group, self.channel_name)
            except Exception:  # the layer is down: the group entry expires or dies with the process
                logger.debug("group_discard failed", exc_info=True)


class NoRouteConsumer(AsyncWebsocketConsumer):
    """Any other WebSocket path: accepted and closed with 4404, like an invisible event."""

    async def connect(self) -> None:
        metrics.socket_closed("invisible")
        await self.accept()
        await self.close(code=CLOSE_NOT_FOUND)
