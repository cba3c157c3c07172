"""The invariants of bidding.md, checked against the database (used by the concurrency tests and the
benchmark; cheap enough to run on a live event from a shell).

Rows are read in ``position`` order (every row, the invisible ones included), never by timestamp.
:func:`check_item` returns a list of human-readable violations (empty = all good) instead of raising,
so a test can show every problem at once — and so the test of the checker itself can assert it
*does* report a naive implementation.

1. The item's current bid equals the last visible row's amount; its leader is that row's paddle;
   ``bid_count`` is the number of visible rows; positions are 1..m without gaps; the visible rows,
   in position order, carry the public sequences 1..n without gaps and invisible rows none (a
   leader's raise never shows as a gap in the history).
2. Visible amounts never decrease; two consecutive rows share an amount only for a tie (the
   challenger at M, then the earlier maximum's automatic row at M, same placement).
3. Each placement's own (non-automatic) row was at least the minimum next bid computed from the
   price before that placement; automatic rows rise above that price and never exceed their
   paddle's maximum; no row was written at or after the item closed.
4. Units: ``quantity_sold`` equals purchases + live sales + a silent win and never exceeds the
   quantity; a silent item has at most one outcome (one winner, one close).
5. (Idempotency is checked by the tests that send the retries: one record per key.)
"""

from __future__ import annotations

from decimal import Decimal
from itertools import groupby, pairwise
from typing import Any

from django.db.models import Sum

from apps.auctions.models import Bid, Item, ItemKind, ItemStatus, Purchase, Sale
from apps.auctions.notifications import item_ref
from apps.auctions.rules import min_next_bid
from apps.core.models import AuditEntry, OutboxEmail


def check_item(item: Item | Any) -> list[str]:
    """Every violation of invariants 1-4 for one item (re-read from the database)."""
    item = Item.objects.get(pk=getattr(item, "pk", item))
    problems: list[str] = []
    rows = list(Bid.objects.filter(item=item).order_by("position"))
    visible = [row for row in rows if row.visible]

    # 1. Denormalised state matches the rows.
    positions = [row.position for row in rows]
    if positions != list(range(1, len(rows) + 1)):
        problems.append(f"positions are not 1..{len(rows)}: {positions[:20]}…")
    if item.last_position != len(rows):
        problems.append(f"last_position {item.last_position} != {len(rows)} rows")
    sequences = [row.sequence for row in visible]
    if sequences != list(range(1, len(visible) + 1)):
        problems.append(f"sequences of the visible rows are not 1..{len(visible)}: {sequences[:20]}…")
    if any(row.sequence is not None for row in rows if not row.visible):
        problems.append("an invisible row has a public sequence")
    if item.last_sequence != len(visible):
        problems.append(f"last_sequence {item.last_sequence} != {len(visible)} visible rows")
    if item.bid_count != len(visible):
        problems.append(f"bid_count {item.bid_count} != {len(visible)} visible rows")
    if visible:
        last = visible[-1]
        if item.current_bid != last.amount:
            problems.append(f"current_bid {item.current_bid} != last visible amount {last.amount}")
        if item.leader_paddle_id != last.paddle_id:
            problems.append("leader is not the paddle of the last visible row")
    elif item.current_bid is not None:
        problems.append("current_bid set without any visible bid")
    maxima = [row.max_amount for row in rows if not row.automatic and row.max_amount is not None]
    if maxima and item.leader_max != max(maxima):
        problems.append(f"leader_max {item.leader_max} != highest maximum {max(maxima)}")

    # 2. Visible amounts never decrease; equal neighbours only for a tie.
    for prev, row in pairwise(visible):
        if row.amount < prev.amount:
            problems.append(f"pos {row.position}: amount {row.amount} below previous {prev.amount}")
        elif row.amount == prev.amount:
            tie = (
                (not prev.automatic)
                and row.automatic
                and prev.placement == row.placement
                and prev.paddle_id != row.paddle_id
            )
            if not tie:
                problems.append(f"pos {row.position}: repeats amount {row.amount} without a tie")

    # 3. Minimums per placement, proxies within their maximum, nothing after close.
    price: Decimal | None = None
    best_max: dict[Any, Decimal] = {}
    for _, group_iter in groupby(rows, key=lambda r: r.placement):
        group = list(group_iter)
        own = [row for row in group if not row.automatic]
        if len(own) != 1:
            problems.append(f"pos {group[0].position}: placement has {len(own)} own rows")
        before = price
        minimum = min_next_bid(before, item.starting_bid, item.bid_increment)
        for row in own:
            if row.amount < minimum:
                problems.append(f"pos {row.position}: amount {row.amount} below the minimum {minimum}")
            if row.max_amount is not None:
                best_max[row.paddle_id] = max(best_max.get(row.paddle_id, Decimal(0)), row.max_amount)
        for row in group:
            if row.automatic:
                if before is not None and row.amount <= before:
                    problems.append(f"pos {row.position}: automatic row {row.amount} does not rise above {before}")
                if row.amount > best_max.get(row.paddle_id, Decimal(0)):
                    problems.append(f"pos {row.position}: automatic row {row.amount} exceeds its paddle's maximum")
            if row.visible:
                price = row.amount
        if item.closed_at is not None:
            late = [row.position for row in group if row.created_at >= item.closed_at]
            if late:
                problems.append(f"rows {late} were written at/after the close")

    # 4. Units and outcomes.
    bought = Purchase.objects.filter(item=item).aggregate(n=Sum("quantity"))["n"] or 0
    sold_live = Sale.objects.filter(item=item, undone_at__isnull=True).count()
    won = 1 if (item.kind == ItemKind.SILENT and item.winning_amount is not None) else 0
    if item.quantity_sold != bought + sold_live + won:
        problems.append(f"quantity_sold {item.quantity_sold} != purchases {bought} + sales {sold_live} + win {won}")
    if bought + sold_live + won > item.quantity:
        problems.append(f"oversold: {bought + sold_live + won} units of {item.quantity}")
    if item.kind == ItemKind.SILENT:
        if bought and won:
            problems.append("a silent item was both bought now and won by bidding")
        if won and (item.winner_paddle_id != item.leader_paddle_id or item.winning_amount != item.current_bid):
            problems.append("the winner is not the leader at the current bid")
        if item.status == ItemStatus.SOLD and not (bought or won):
            problems.append("sold without a purchase or a winning bid")

    closes = AuditEntry.objects.filter(action="item.close", object_id=str(item.pk)).count()
    if closes > 1:
        problems.append(f"closed {closes} times")
    if OutboxEmail.objects.filter(ref=item_ref(item), template="auctions/won").count() > 1:
        problems.append("more than one 'won' notification")
    return problems


def check_event(event: Any) -> dict[str, list[str]]:
    """``{item number: violations}`` for every item of the event with a violation."""
    return {str(item.number): problems for item in Item.objects.filter(event=event) if (problems := check_item(item))}
