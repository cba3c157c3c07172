"""The auctions app's domain events (:mod:`apps.auctions.signals`) published to the event's room as
live.md's messages, through :mod:`apps.live.publisher` — which sends after commit, invalidates the
public cache of the event and never fails the request. Connected in ``LiveConfig.ready``.

Each receiver looks the publisher's function up when it runs (``publisher.bid_placed``), so a test
may replace one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.dispatch import Signal

from apps.auctions import signals as auctions
from apps.live import publisher


def bid_placed(sender: Any, *, item: Any, paddle: Any = None, **kwargs: Any) -> None:
    publisher.bid_placed(item=item, paddle=paddle)


def item_updated(sender: Any, *, item: Any, **kwargs: Any) -> None:
    publisher.item_updated(item=item)


def items_updated(sender: Any, *, event: Any, item_ids: Any, **kwargs: Any) -> None:
    publisher.items_updated(event=event, item_ids=list(item_ids))


def item_closed(sender: Any, *, item: Any, amount: Any = None, paddle: Any = None, **kwargs: Any) -> None:
    publisher.item_closed(item=item, amount=amount, paddle=paddle)


def sale_changed(sender: Any, *, sale: Any, item: Any, **kwargs: Any) -> None:
    """A sale recorded or undone: one ``sale`` message (``undone`` follows ``sale.undone_at``)."""
    publisher.sale(sale=sale, item=item)


def pledge_changed(sender: Any, *, pledge: Any, **kwargs: Any) -> None:
    """A pledge recorded or undone: one ``pledge`` message with the level's count and the total."""
    publisher.pledge(pledge=pledge)


def totals_changed(sender: Any, *, event: Any, **kwargs: Any) -> None:
    publisher.totals(event=event)  # coalesced: once per transaction and event


def outbid(sender: Any, *, user: Any, item: Any, **kwargs: Any) -> None:
    publisher.outbid(user=user, item=item)


def won(sender: Any, *, user: Any, item: Any, amount: Any, **kwargs: Any) -> None:
    publisher.won(user=user, item=item, amount=amount)


#: signal → receiver; ``connect`` wires them all, and the test checks that none is missing.
RECEIVERS: dict[Signal, Callable[..., None]] = {
    auctions.bid_placed: bid_placed,
    auctions.item_updated: item_updated,
    auctions.items_updated: items_updated,
    auctions.item_closed: item_closed,
    auctions.sale_recorded: sale_changed,
    auctions.sale_undone: sale_changed,
    auctions.pledge_recorded: pledge_changed,
    auctions.pledge_undone: pledge_changed,
    auctions.totals_changed: totals_changed,
    auctions.outbid: outbid,
    auctions.won: won,
}


def connect() -> None:
    """Connect every receiver once (``dispatch_uid``: a second ``ready`` adds nothing)."""
    for signal, receiver in RECEIVERS.items():
        name = next(key for key, value in vars(auctions).items() if value is signal)
        signal.connect(receiver, dispatch_uid=f"live.{name}")
