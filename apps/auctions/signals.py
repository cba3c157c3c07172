"""The auctions app's domain events, for the apps above it to plug into (a lower app never imports a
higher one): :mod:`apps.live` publishes them to the event's room (live.md "Messages"); text and push
notifications can listen to the same ones.

Every one is sent by a service **inside its transaction**, right after the change was saved, with
``sender`` the model the change is about (``Item``, ``Sale``, ``Pledge``). Two rules for receivers:

* anything that leaves the process (a WebSocket message, a text) is deferred to
  ``transaction.on_commit``: a rolled-back bid is never announced (apps.live's receivers do this);
* a receiver does not raise: what it raises rolls the service's transaction back (``send``, not
  ``send_robust``, so that a broken receiver is a failing test, not a silent no-op).

============================  =====================================================================
signal (keyword arguments)    sent when
============================  =====================================================================
``bid_placed``                a bid changed the item's visible price or bid count; ``item`` as saved
(item, paddle)                under its lock, ``paddle`` the bidder's
``item_updated`` (item)       the item opened, was withdrawn or reopened, or its closing time moved
``items_updated``             a group closing time was set on the event's items ``item_ids``
(event, item_ids)
``item_closed``               the item closed ``sold`` or ``unsold``; ``amount`` what it sold for when
(item, amount, paddle)        that is not its current bid (buy now, hammer price), ``paddle`` its one
                              buyer (None: unsold, several buyers, or read from ``winner_paddle``)
``sale_recorded`` /           a live sale of ``item`` was recorded / undone (``sale.undone_at`` set)
``sale_undone`` (sale, item)
``pledge_recorded`` /         a paddle-raise pledge was recorded / undone
``pledge_undone`` (pledge)
``totals_changed`` (event)    the event's money changed (a sale, a purchase, a pledge, a close, an
                              undo); may be sent several times in one transaction
``outbid`` (user, item)       ``user``'s paddle lost the lead on ``item`` (the outbid e-mail's person)
``won`` (user, item, amount)  ``user``'s paddle won ``item`` for ``amount``
============================  =====================================================================
"""

from __future__ import annotations

from django.dispatch import Signal

bid_placed = Signal()
item_updated = Signal()
items_updated = Signal()
item_closed = Signal()
sale_recorded = Signal()
sale_undone = Signal()
pledge_recorded = Signal()
pledge_undone = Signal()
totals_changed = Signal()
outbid = Signal()
won = Signal()
