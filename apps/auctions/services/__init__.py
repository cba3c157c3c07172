"""Every write of the auction (bidding.md), one module per concern (pretix's ``base/services``):

==================  =====================================================================
``items``           create, edit, delete, open, withdraw, group closing times
``images``          an item's pictures through the upload service
``bidding``         silent-auction bids (the donor's and the clerk's entry points, one engine)
``buy_now``         buy-now purchases
``live``            live sales recorded by the clerk, and their undo
``paddle_raise``    giving levels, flags, pledges and their undo
``closing``         closing one item, the due ones (cron) and an event's (on ``event_closed``)
``bidders``         who a money row is for: resolved before, locked and re-checked inside
``common``          input parsing, the item lock, the open/closed gates, the clerk check
==================  =====================================================================

Each money service has the pretix shape: validate the input, lock the item row
(``select_for_update``), read the clock *after* the lock, apply the rules (``rules.py``), write
immutable rows plus the denormalised item state, audit, queue notifications in the outbox — all in
one transaction — and send mail only after commit. The API, the admin and the commands call these
functions and nothing else; reads (totals, the paddle-raise summary) are in ``selectors``.

Locks follow the platform's one order, written down with its reasons in :mod:`apps.attendance.locks`:
event → registration → guest → paddle → item → sale/pledge. Every bid, purchase, sale and pledge
locks the bidder's registration and paddle before the item (``bidders.bidder_lock``) and re-checks
them there, so a cancellation racing a bid is decided one way or the other, never half; a first-time
bidder's paddle is allocated in its own short transaction before any of that
(``bidders.bidder_resolve``). ``event_close`` (events app) locks the event and then closes its items.
"""
