"""The publisher: what the domain apps call to push live updates (live.md "Messages").

One function per message type of live.md. Each takes models and plain values, picks exactly the
fields live.md lists (never a maximum, never a name — a ``bidder_number`` is the only identity), and
sends the message **after the surrounding transaction commits** (``transaction.on_commit``), so a
rolled-back bid is never announced. Domain apps import this module and nothing of Channels.

Delivery never fails nor delays the request that caused it:

* the message is serialised once, after commit, and handed to :class:`Broadcaster` — a queue and
  one background thread per process that talks to the channel layer with a bounded timeout
  (``LIVE_PUBLISH_TIMEOUT``). A channel-layer error, a timeout or a full queue drops the message,
  logs it (rate-limited) and counts it in ``augeo_broadcast_failures_total{reason}``;
* one thread per process keeps the messages of that process in commit order (per item, ``sequence``
  lets clients discard anything older than what they have shown, see :mod:`apps.live.consumers`);
* the in-memory layer (embedded default, one ``runserver`` process) is called inline instead: its
  queues belong to the server's event loop, which ``async_to_sync`` reaches from a request thread.

Reads a message needs beyond the caller's objects (a paddle's number, the totals, the paddle-raise
sums) run after commit too, outside every row lock. ``totals`` is coalesced per transaction: closing
an event with 200 items announces the totals once.
"""

from __future__ import annotations

import asyncio
import atexit
import json
import logging
import os
import queue
import threading
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone

from apps.attendance.models import Paddle
from apps.auctions.models import Item, ItemStatus
from apps.auctions.rules import min_next_bid
from apps.auctions.selectors import event_totals, paddle_raise_totals
from apps.core import public_cache
from apps.core.money import money_str
from apps.live import metrics

logger = logging.getLogger("augeo.live")

Message = dict[str, Any]
#: The channel-layer message type the consumer handles (``EventConsumer.live_message``).
LAYER_TYPE = "live.message"


# --- groups ------------------------------------------------------------------------------------


def _hex(value: Any) -> str:
    return getattr(value, "hex", None) or str(value).replace("-", "")


def event_group(event_id: Any) -> str:
    """The room of one event: every socket joined to it receives the public messages."""
    return f"live.e.{_hex(event_id)}"


def user_group(event_id: Any, user_id: Any) -> str:
    """A signed-in user's personal group inside one event's room (``outbid``/``won``): a phone
    following event A never receives event B's personal messages."""
    return f"live.e.{_hex(event_id)}.u.{user_id}"


def account_group(user_id: Any) -> str:
    """Every socket of one signed-in user, in any room: told to re-check its user at once when their
    sessions are cut off (:func:`account_recheck`)."""
    return f"live.u.{user_id}"


#: The channel-layer message type that makes a socket re-check its user (``EventConsumer.live_recheck``).
RECHECK_TYPE = "live.recheck"


def account_recheck(*, user_id: Any) -> None:
    """Make every socket of the user re-check now whether its credential still holds (sent when the
    user signed out everywhere, reset their password, was deactivated or deleted — the sockets' own
    timer would notice within ``LIVE_RECHECK_SECONDS`` anyway). Call it after commit."""
    broadcaster.submit(account_group(user_id), "recheck", {"type": RECHECK_TYPE})


def account_recheck_on_cut_off(sender: Any, *, user_id: Any, **kwargs: Any) -> None:
    """Receiver of ``apps.users.signals.access_cut_off`` (connected in ``LiveConfig.ready``)."""
    account_recheck(user_id=user_id)


# --- the message types of live.md ----------------------------------------------------------------


def bid_placed(*, item: Any, paddle: Any = None) -> None:
    """``bid_placed``: a bid changed ``item``'s visible price or bid count. Call it with the item as
    saved under its lock (the new public state). ``paddle`` is the bidder's paddle, used for
    ``bidder_number`` when it leads (else the leader's number is read after commit)."""
    leader_id = item.leader_paddle_id
    known = paddle.number if paddle is not None and paddle.pk == leader_id else None
    fields = {
        "item": str(item.pk),
        "number": item.number,
        "current_bid": money_str(item.current_bid),
        "min_next_bid": money_str(_min_next_bid(item)),
        "bid_count": item.bid_count,
        "bidder_number": known,
        "sequence": item.last_sequence,
        "closes_at": _iso(item.closes_at),
    }
    event_id = item.event_id

    def build() -> Message:
        if fields["bidder_number"] is None and leader_id is not None:
            fields["bidder_number"] = _paddle_number(leader_id)
        return _message("bid_placed", event_id, fields)

    # The consumer drops a bid_placed older than one its socket already carried, without parsing it.
    _publish(event_group(event_id), build, extra={"item": fields["item"], "sequence": fields["sequence"]})


def item_updated(*, item: Any) -> None:
    """``item_updated``: ``item`` opened, was withdrawn, or its ``closes_at`` moved. Drafts are never
    announced (an outsider in a published event's room must not learn a draft item exists)."""
    if item.status == "draft":
        return
    fields = {"item": str(item.pk), "status": item.status, "closes_at": _iso(item.closes_at)}
    event_id = item.event_id
    _publish(event_group(event_id), lambda: _message("item_updated", event_id, fields))


def items_updated(*, event: Any, item_ids: list[Any]) -> None:
    """``item_updated`` for each open item of ``item_ids`` (a group closing time was set); the rows
    are read after commit."""
    event_id = event.pk
    group = event_group(event_id)
    ids = list(item_ids)

    def send_all() -> None:
        rows = Item.objects.filter(pk__in=ids, event_id=event_id, status=ItemStatus.OPEN).values(
            "pk", "status", "closes_at"
        )
        for row in rows:
            fields = {"item": str(row["pk"]), "status": row["status"], "closes_at": _iso(row["closes_at"])}
            _deliver(group, _message("item_updated", event_id, fields))

    if ids:
        _after_commit(send_all)


def item_closed(*, item: Any, amount: Any = None, paddle: Any = None) -> None:
    """``item_closed``: ``item`` closed ``sold`` or ``unsold``. ``current_bid`` is what it sold for
    (``amount`` when it was not a bid — a buy-now price, a hammer price), else its current bid;
    ``bidder_number`` the winner's (``paddle``, or the item's ``winner_paddle``), null when unsold or
    shared by several buyers."""
    status = item.status if item.status in ("sold", "unsold") else "unsold"
    winner_id = None
    if status == "sold":
        winner_id = paddle.pk if paddle is not None else item.winner_paddle_id
    known = paddle.number if paddle is not None and status == "sold" else None
    fields = {
        "item": str(item.pk),
        "status": status,
        "current_bid": money_str(amount if amount is not None else item.current_bid),
        "bidder_number": known,
    }
    event_id = item.event_id

    def build() -> Message:
        if fields["bidder_number"] is None and winner_id is not None:
            fields["bidder_number"] = _paddle_number(winner_id)
        return _message("item_closed", event_id, fields)

    _publish(event_group(event_id), build)


def sale(*, sale: Any, item: Any) -> None:
    """``sale``: a live sale of ``item`` was recorded (or undone, when ``sale.undone_at`` is set)."""
    paddle = sale._state.fields_cache.get("paddle")  # loaded by sale_record, not by sale_undo
    paddle_id = sale.paddle_id
    fields = {
        "item": str(item.pk),
        "bidder_number": paddle.number if paddle is not None else None,
        "amount": money_str(sale.amount),
        "undone": sale.undone_at is not None,
    }
    event_id = item.event_id

    def build() -> Message:
        if fields["bidder_number"] is None:
            fields["bidder_number"] = _paddle_number(paddle_id)
        return _message("sale", event_id, fields)

    _publish(event_group(event_id), build)


def pledge(*, pledge: Any) -> None:
    """``pledge``: a paddle-raise pledge was recorded or undone. ``level`` is the giving level it
    matches (null for another amount); ``total`` is the paddle raise's running total and ``count`` the
    number of pledges at that level — what the projector shows per level. Read after commit."""
    event_id = pledge.event_id
    amount = pledge.amount

    def build() -> Message:
        summary = paddle_raise_totals(pledge.event)
        row = next((r for r in summary["totals_by_level"] if r["level"] == money_str(amount)), None)
        if row is None:  # an amount that is not (or no longer) a level
            row = next((r for r in summary["totals_by_level"] if r["level"] is None), {"count": 0})
        fields = {
            "amount": money_str(amount),
            "level": row.get("level"),
            "total": summary["total"],
            "count": row["count"],
        }
        return _message("pledge", event_id, fields)

    _publish(event_group(event_id), build)


def totals(*, event: Any) -> None:
    """``totals``: something changed the event's money (a sale, a purchase, a pledge, a close, an
    undo). Computed after commit from the money of record (``event_totals``), once per transaction
    and event however many times it is called."""
    event_id = event.pk
    if _totals_pending(event_id):
        return

    def build() -> Message:
        values = event_totals(event)
        fields = {key: values[key] for key in ("raised", "by_source", "goal", "percent")}
        return _message("totals", event_id, fields)

    callback = _publisher(event_group(event_id), build)
    callback.live_totals_event = event_id  # type: ignore[attr-defined]
    _after_commit(callback)


def outbid(*, user: Any, item: Any) -> None:
    """Personal ``outbid``: ``user``'s paddle lost the lead on ``item`` (the same person the outbid
    e-mail goes to). Nothing for an account-less paddle."""
    if user is None or getattr(user, "pk", None) is None:
        return
    fields = {
        "item": str(item.pk),
        "current_bid": money_str(item.current_bid),
        "min_next_bid": money_str(_min_next_bid(item)) if item.status == "open" else None,
    }
    event_id = item.event_id
    _publish(user_group(event_id, user.pk), lambda: _message("outbid", event_id, fields))


def won(*, user: Any, item: Any, amount: Any) -> None:
    """Personal ``won``: ``user``'s paddle won ``item`` for ``amount``."""
    if user is None or getattr(user, "pk", None) is None:
        return
    fields = {"item": str(item.pk), "amount": money_str(amount)}
    event_id = item.event_id
    _publish(user_group(event_id, user.pk), lambda: _message("won", event_id, fields))


# --- plumbing ----------------------------------------------------------------------------------


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _min_next_bid(item: Any) -> Decimal | None:
    if item.kind == "buy_now_only":
        return None
    return min_next_bid(item.current_bid, item.starting_bid, item.bid_increment)


def _paddle_number(paddle_id: Any) -> int | None:
    return Paddle.objects.filter(pk=paddle_id).values_list("number", flat=True).first()


def _message(message_type: str, event_id: Any, fields: dict[str, Any]) -> Message:
    return {"type": message_type, "event": str(event_id), "at": timezone.now().isoformat(), **fields}


def _publisher(group: str, build: Callable[[], Message], extra: dict[str, Any] | None = None) -> Callable[[], None]:
    def publish() -> None:
        try:
            message = build()
        except Exception:
            logger.exception("live message for %s could not be built", group)
            metrics.broadcast_failed("build")
            return
        _deliver(group, message, extra)

    return publish


def _publish(group: str, build: Callable[[], Message], extra: dict[str, Any] | None = None) -> None:
    _after_commit(_publisher(group, build, extra))


def _after_commit(callback: Callable[[], None]) -> None:
    # robust: whatever the callback raises is logged by Django, never turned into an error for the
    # request whose transaction has already committed.
    transaction.on_commit(callback, robust=True)


def _totals_pending(event_id: Any) -> bool:
    """True when this transaction already has a ``totals`` callback for the event (a rolled-back
    savepoint drops its callbacks from the list, so this never suppresses a needed message)."""
    if not connection.in_atomic_block:
        return False
    return any(getattr(func, "live_totals_event", None) == event_id for _, func, *_ in connection.run_on_commit)


def _deliver(group: str, message: Message, extra: dict[str, Any] | None = None) -> None:
    """Serialise once (every socket forwards the same text) and hand over to the broadcaster.
    Never raises. A message to the event's room means its public state changed: the short-lived
    cache of its public reads (catalogue, totals) is invalidated first (apps.core.public_cache)."""
    if ".u." not in group:  # personal groups (outbid, won) always accompany a public message
        try:
            public_cache.event_changed(message["event"])
        except Exception:  # pragma: no cover - the cache fails open; entries expire within a second
            logger.warning("public cache of event %s not invalidated", message.get("event"))
    try:
        text = json.dumps(message, cls=DjangoJSONEncoder, separators=(",", ":"))
    except Exception:  # pragma: no cover - every field above is JSON-safe
        logger.exception("live message for %s could not be serialised", group)
        metrics.broadcast_failed("build")
        return
    layer_message = {"type": LAYER_TYPE, "text": text, **(extra or {})}
    broadcaster.submit(group, message["type"], layer_message)


class Broadcaster:
    """Hands messages to the channel layer without ever blocking the caller.

    A bounded queue (``LIVE_PUBLISH_QUEUE``) and one daemon thread with its own event loop, created
    lazily in each process (after gunicorn forks) and drained for a moment at interpreter exit so a
    management command (``close_auctions``) does not lose its last messages. Each send waits at most
    ``LIVE_PUBLISH_TIMEOUT`` seconds; failures are counted and logged at most every few seconds.
    """

    LOG_EVERY_SECONDS = 10.0

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: queue.Queue[tuple[str, str, Message] | None] | None = None
        self._thread: threading.Thread | None = None
        self._pid: int | None = None
        self._failures_unlogged = 0
        self._last_log = 0.0

    # The in-memory layer lives in the server's event loop: call it from here (a request thread).
    def _send_inline(self, layer: Any, group: str, message_type: str, message: Message) -> None:
        try:
            async_to_sync(layer.group_send)(group, message)
        except Exception as exc:
            self._failed("error", exc)
            return
        metrics.broadcast_sent(message_type)

    def submit(self, group: str, message_type: str, message: Message) -> None:
        try:
            layer = get_channel_layer()
        except Exception as exc:
            self._failed("error", exc)
            return
        if layer is None:
            return
        if isinstance(layer, InMemoryChannelLayer):
            self._send_inline(layer, group, message_type, message)
            return
        try:
            self._started().put_nowait((group, message_type, message))
        except queue.Full as exc:
            self._failed("queue_full", exc)

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until every queued message was sent or dropped (tests, interpreter exit)."""
        pending = self._queue
        if pending is None or self._pid != os.getpid():
            return True
        deadline = time.monotonic() + timeout
        with pending.all_tasks_done:
            while pending.unfinished_tasks:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                pending.all_tasks_done.wait(remaining)
        return True

    def _started(self) -> queue.Queue[tuple[str, str, Message] | None]:
        with self._lock:
            if self._queue is None or self._pid != os.getpid() or not (self._thread and self._thread.is_alive()):
                self._pid = os.getpid()
                self._queue = queue.Queue(maxsize=settings.LIVE_PUBLISH_QUEUE)
                self._thread = threading.Thread(
                    target=self._run, args=(self._queue,), name="augeo-live-publisher", daemon=True
                )
                self._thread.start()
            return self._queue

    def _run(self, pending: queue.Queue[tuple[str, str, Message] | None]) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        while True:
            entry = pending.get()
            try:
                if entry is None:
                    return
                group, message_type, message = entry
                try:
                    layer = get_channel_layer()
                    send = layer.group_send(group, message)
                    loop.run_until_complete(asyncio.wait_for(send, timeout=settings.LIVE_PUBLISH_TIMEOUT))
                except TimeoutError as exc:
                    self._failed("timeout", exc)
                except Exception as exc:
                    self._failed("error", exc)
                else:
                    metrics.broadcast_sent(message_type)
            finally:
                pending.task_done()

    def _failed(self, reason: str, exc: BaseException) -> None:
        metrics.broadcast_failed(reason)
        self._failures_unlogged += 1
        now = time.monotonic()
        if now - self._last_log >= self.LOG_EVERY_SECONDS:
            logger.warning(
                "live broadcast dropped (%s: %s); %d dropped since the last report",
                reason,
                exc.__class__.__name__ if not str(exc) else f"{exc.__class__.__name__}: {exc}",
                self._failures_unlogged,
            )
            self._failures_unlogged = 0
            self._last_log = now


broadcaster = Broadcaster()


@atexit.register
def _drain_at_exit() -> None:  # pragma: no cover - runs at interpreter exit
    broadcaster.flush(timeout=2.0)
