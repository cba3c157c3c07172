"""The bidding rulebook (bidding.md) as pure functions: no database, no clock, no Django models.

:func:`bid_increment_at`, :func:`min_next_bid` and :func:`proxy_resolve` hold every pricing rule;
``services.bid_place`` feeds them the item's state read under its row lock and persists the outcome.
Keeping the arithmetic here means it can be tested exhaustively without a database, and the
service cannot drift from the rulebook.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from apps.core.errors import ErrorCode
from apps.core.exceptions import Conflict
from apps.core.money import money, money_format, money_str

#: (upper bound inclusive, increment) — bidding.md "Amounts". Above the last bound: 250.
INCREMENT_TIERS: tuple[tuple[Decimal, Decimal], ...] = (
    (Decimal("50"), Decimal("5")),
    (Decimal("150"), Decimal("10")),
    (Decimal("500"), Decimal("25")),
    (Decimal("1000"), Decimal("50")),
    (Decimal("2500"), Decimal("100")),
)
TOP_INCREMENT = Decimal("250")


def bid_increment_at(price: Decimal, explicit: Decimal | None = None) -> Decimal:
    """The increment at price ``price``: the item's explicit increment if set, else the tier table
    (bounds inclusive: 50 → 5, 50.01 → 10)."""
    if explicit is not None:
        return explicit
    for bound, step in INCREMENT_TIERS:
        if price <= bound:
            return step
    return TOP_INCREMENT


def min_next_bid(current: Decimal | None, starting_bid: Decimal, explicit: Decimal | None = None) -> Decimal:
    """Starting bid before the first bid, else current + increment(current)."""
    if current is None:
        return money(starting_bid)
    return money(current + bid_increment_at(current, explicit))


@dataclass(frozen=True)
class AuctionState:
    """What the rules need to know about an item (read under its lock)."""

    starting_bid: Decimal
    increment: Decimal | None = None  # explicit increment; None = tiered
    reserve: Decimal | None = None
    current: Decimal | None = None  # C (None before the first bid)
    leader: Any = None  # L: the leading paddle's key
    leader_max: Decimal | None = None  # W


@dataclass(frozen=True)
class Row:
    """One bid row to persist, in order. ``visible`` rows make the public history; a leader raising
    their own maximum (rule 2) is stored as an invisible row."""

    paddle: Any
    amount: Decimal
    max_amount: Decimal | None
    automatic: bool
    visible: bool = True


@dataclass(frozen=True)
class Outcome:
    """The new state after a bid plus the rows that record it."""

    current: Decimal
    leader: Any
    leader_max: Decimal
    rows: tuple[Row, ...]
    leading: bool  # does the challenger lead afterwards?
    price_changed: bool  # did the visible price move (soft close trigger)?
    outbid: Any = None  # the previous leader's key when they lost the lead, else None
    rule: int = 0  # which rule of bidding.md decided (1-4); for audit and tests

    @property
    def visible_rows(self) -> tuple[Row, ...]:
        return tuple(row for row in self.rows if row.visible)


def proxy_resolve(state: AuctionState, *, paddle: Any, amount: Decimal, max_amount: Decimal | None = None) -> Outcome:
    """Apply bidding.md "Proxy (maximum) bids" rules 1-5 to a challenger bid.

    ``amount`` (A) and ``max_amount`` (M, defaults to A) must already be valid money with M ≥ A.
    Raises ``Conflict("BID_TOO_LOW", min_bid=…)`` below the minimum and ``Conflict("ALREADY_LEADING")``
    when the leader does not raise their maximum.
    """
    A = money(amount)
    M = money(max_amount) if max_amount is not None else A
    if M < A:  # the service validates this first; kept for callers of the pure function
        raise ValueError("max_amount must be at least amount")
    C = money(state.current) if state.current is not None else None
    W = money(state.leader_max) if state.leader_max is not None else None
    L = state.leader
    inc = state.increment

    minimum = min_next_bid(C, state.starting_bid, inc)
    if minimum > A:
        raise Conflict(
            ErrorCode.BID_TOO_LOW, f"The minimum bid is {money_format(minimum)}.", min_bid=money_str(minimum)
        )

    rows: list[Row] = []
    if C is None or L is None:
        # Rule 1: the first bid.
        new_c, new_l, new_w = A, paddle, M
        rows.append(Row(paddle, A, M, automatic=False))
        leading, outbid, rule = True, None, 1
    elif paddle == L:
        # Rule 2: the leader only raises the maximum; the price stays.
        assert W is not None
        if M <= W:
            raise Conflict(ErrorCode.ALREADY_LEADING, "You are already the highest bidder; raise your maximum instead.")
        new_c, new_l, new_w = C, paddle, M
        rows.append(Row(paddle, A, M, automatic=False, visible=False))
        leading, outbid, rule = True, None, 2
    else:
        assert W is not None
        if M > W:
            # Rule 3: the challenger beats the leader.
            new_c = money(max(A, min(M, W + bid_increment_at(W, inc))))
            if W > C:
                rows.append(Row(L, W, None, automatic=True))
            rows.append(Row(paddle, new_c, M, automatic=False))
            new_l, new_w = paddle, M
            leading, outbid, rule = True, L, 3
        else:
            # Rule 4: the leader holds; ties go to the earlier maximum.
            new_c = money(min(W, M + bid_increment_at(M, inc)))
            rows.append(Row(paddle, M, M, automatic=False))
            rows.append(Row(L, new_c, None, automatic=True))
            new_l, new_w = L, W
            leading, outbid, rule = False, None, 4

    # Rule 5: the leader's maximum covers the reserve but the price is below it.
    reserve = state.reserve
    if reserve is not None and new_w >= reserve and new_c < reserve:
        new_c = money(reserve)
        rows.append(Row(new_l, new_c, None, automatic=True))

    return Outcome(
        current=money(new_c),
        leader=new_l,
        leader_max=new_w,
        rows=tuple(rows),
        leading=leading,
        price_changed=C is None or new_c != C,
        outbid=outbid,
        rule=rule,
    )
