"""The pure rulebook (apps.auctions.rules): increments, minimums and proxy rules 1-5 of bidding.md."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest

from apps.auctions.rules import (
    AuctionState,
    Outcome,
    bid_increment_at,
    min_next_bid,
    proxy_resolve,
)
from apps.core.exceptions import Conflict
from apps.core.money import money_parse, money_str

D = Decimal


def apply(state: AuctionState, outcome: Outcome) -> AuctionState:
    return AuctionState(
        starting_bid=state.starting_bid,
        increment=state.increment,
        reserve=state.reserve,
        current=outcome.current,
        leader=outcome.leader,
        leader_max=outcome.leader_max,
    )


def visible(outcome: Outcome) -> list[tuple[str, str, bool]]:
    return [(row.paddle, str(row.amount), row.automatic) for row in outcome.visible_rows]


# --- increments --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("price", "step"),
    [
        ("0.01", "5"),
        ("49.99", "5"),
        ("50", "5"),
        ("50.01", "10"),
        ("150", "10"),
        ("150.01", "25"),
        ("500", "25"),
        ("500.01", "50"),
        ("1000", "50"),
        ("1000.01", "100"),
        ("2500", "100"),
        ("2500.01", "250"),
        ("1000000", "250"),
    ],
)
def test_tiered_increment_bounds_are_inclusive(price: str, step: str) -> None:
    assert bid_increment_at(D(price)) == D(step)


def test_explicit_increment_wins_over_tiers() -> None:
    assert bid_increment_at(D("10"), D("7.50")) == D("7.50")
    assert bid_increment_at(D("5000"), D("1")) == D("1")


def test_min_next_bid_is_starting_bid_without_bids() -> None:
    assert min_next_bid(None, D("100")) == D("100.00")


@pytest.mark.parametrize(
    ("current", "expected"),
    [("45", "50.00"), ("50", "55.00"), ("120", "130.00"), ("490", "515.00"), ("3000", "3250.00")],
)
def test_min_next_bid_tiered(current: str, expected: str) -> None:
    assert min_next_bid(D(current), D("10")) == D(expected)


def test_min_next_bid_explicit() -> None:
    assert min_next_bid(D("120"), D("100"), D("10")) == D("130.00")


# --- amounts (every money input goes through apps.core.money.money_parse) ------------------------------


@pytest.mark.parametrize(
    "raw",
    ["", "abc", "1e", None, True, [], {}, "NaN", "Infinity", "-Infinity", "1.2.3", "1e3", "1E+2", "0x10", "1_000"],
)
def test_money_parse_rejects_malformed(raw: object) -> None:
    with pytest.raises(ValueError):
        money_parse(raw)


@pytest.mark.parametrize("raw", ["0", "0.00", 0, "-1", -5, "-0.01"])
def test_money_parse_rejects_zero_and_negative(raw: object) -> None:
    with pytest.raises(ValueError):
        money_parse(raw)


@pytest.mark.parametrize("raw", ["1.001", "10.555", 0.125, "1.500", "100.000", Decimal("5.000")])
def test_money_parse_rejects_three_decimals(raw: object) -> None:
    with pytest.raises(ValueError, match="two decimal"):
        money_parse(raw)


def test_money_parse_rejects_too_large() -> None:
    with pytest.raises(ValueError, match=r"cannot be more than 1,000,000\.00"):
        money_parse("10000000000")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("125", "125.00"),
        ("125.5", "125.50"),
        (12.5, "12.50"),
        (7, "7.00"),
        ("1.10", "1.10"),
        (" 3 ", "3.00"),
        ("1.50", "1.50"),
        (".5", "0.50"),
        ("+4", "4.00"),
        (Decimal("9.9"), "9.90"),
    ],
)
def test_money_parse_accepts(raw: object, expected: str) -> None:
    assert money_str(money_parse(raw)) == expected


def test_money_str_none() -> None:
    assert money_str(None) is None


# --- the worked example of bidding.md ----------------------------------------------------------


def test_worked_example() -> None:
    state = AuctionState(starting_bid=D("100"), increment=D("10"))
    # A bids 100 max 200 → C 100, A leads.
    out = proxy_resolve(state, paddle="A", amount=D("100"), max_amount=D("200"))
    assert (out.current, out.leader, out.leading, out.rule) == (D("100"), "A", True, 1)
    assert visible(out) == [("A", "100.00", False)]
    state = apply(state, out)
    # B bids 110 (max 110) → rule 4: rows B 110, A(auto) 120; C 120.
    out = proxy_resolve(state, paddle="B", amount=D("110"))
    assert out.rule == 4 and not out.leading and out.leader == "A"
    assert visible(out) == [("B", "110.00", False), ("A", "120.00", True)]
    assert out.current == D("120")
    state = apply(state, out)
    # B bids 250 → rule 3: rows A(auto) 200, B 250; C 250.
    out = proxy_resolve(state, paddle="B", amount=D("250"))
    assert out.rule == 3 and out.leading and out.outbid == "A"
    assert visible(out) == [("A", "200.00", True), ("B", "250.00", False)]
    assert out.current == D("250")
    state = apply(state, out)
    # A bids 255 → 409 BID_TOO_LOW, min_bid 260.
    with pytest.raises(Conflict) as exc:
        proxy_resolve(state, paddle="A", amount=D("255"))
    assert exc.value.code == "BID_TOO_LOW"
    assert exc.value.extra["min_bid"] == "260.00"


# --- each rule ---------------------------------------------------------------------------------


def test_rule1_first_bid_below_starting_bid_is_too_low() -> None:
    with pytest.raises(Conflict) as exc:
        proxy_resolve(AuctionState(starting_bid=D("100")), paddle="A", amount=D("99.99"))
    assert exc.value.code == "BID_TOO_LOW" and exc.value.extra["min_bid"] == "100.00"


def test_rule1_first_bid_above_starting_bid_sets_price_to_amount() -> None:
    out = proxy_resolve(AuctionState(starting_bid=D("100")), paddle="A", amount=D("130"), max_amount=D("500"))
    assert out.current == D("130") and out.leader_max == D("500") and out.price_changed


def test_rule2_leader_raises_maximum_without_visible_row() -> None:
    state = AuctionState(starting_bid=D("100"), current=D("100"), leader="A", leader_max=D("200"))
    out = proxy_resolve(state, paddle="A", amount=D("110"), max_amount=D("300"))
    assert out.rule == 2 and out.leading and not out.price_changed
    assert out.current == D("100") and out.leader_max == D("300")
    assert out.visible_rows == () and len(out.rows) == 1 and not out.rows[0].visible


@pytest.mark.parametrize("new_max", ["110", "200"])
def test_rule2_leader_not_raising_is_already_leading(new_max: str) -> None:
    state = AuctionState(starting_bid=D("100"), current=D("100"), leader="A", leader_max=D("200"))
    with pytest.raises(Conflict) as exc:
        proxy_resolve(state, paddle="A", amount=D("110"), max_amount=D(new_max))
    assert exc.value.code == "ALREADY_LEADING"


def test_rule2_leader_below_minimum_is_too_low_first() -> None:
    state = AuctionState(starting_bid=D("100"), current=D("100"), leader="A", leader_max=D("200"))
    with pytest.raises(Conflict) as exc:
        proxy_resolve(state, paddle="A", amount=D("100"), max_amount=D("500"))
    assert exc.value.code == "BID_TOO_LOW"


def test_rule3_no_auto_row_when_leader_max_equals_price() -> None:
    state = AuctionState(starting_bid=D("100"), current=D("100"), leader="A", leader_max=D("100"))
    out = proxy_resolve(state, paddle="B", amount=D("110"), max_amount=D("400"))
    assert visible(out) == [("B", "110.00", False)]
    assert out.current == D("110") and out.leader == "B" and out.outbid == "A"


def test_rule3_price_is_one_increment_over_old_max() -> None:
    state = AuctionState(starting_bid=D("100"), current=D("100"), leader="A", leader_max=D("300"))
    out = proxy_resolve(state, paddle="B", amount=D("110"), max_amount=D("1000"))
    # increment(300) = 25 (tier ≤ 500)
    assert visible(out) == [("A", "300.00", True), ("B", "325.00", False)]
    assert out.leader_max == D("1000")


def test_rule3_price_capped_by_challenger_max() -> None:
    state = AuctionState(starting_bid=D("100"), current=D("100"), leader="A", leader_max=D("300"))
    out = proxy_resolve(state, paddle="B", amount=D("110"), max_amount=D("310"))
    assert visible(out) == [("A", "300.00", True), ("B", "310.00", False)]


def test_rule4_tie_goes_to_earlier_maximum() -> None:
    state = AuctionState(starting_bid=D("100"), current=D("100"), leader="A", leader_max=D("200"))
    out = proxy_resolve(state, paddle="B", amount=D("150"), max_amount=D("200"))
    assert out.rule == 4 and out.leader == "A" and not out.leading
    assert visible(out) == [("B", "200.00", False), ("A", "200.00", True)]
    assert out.current == D("200")


def test_rule4_leader_auto_bid_capped_by_leader_max() -> None:
    state = AuctionState(starting_bid=D("100"), current=D("100"), leader="A", leader_max=D("205"))
    out = proxy_resolve(state, paddle="B", amount=D("200"))
    assert visible(out) == [("B", "200.00", False), ("A", "205.00", True)]


def test_rule5_reserve_bump_on_first_bid() -> None:
    state = AuctionState(starting_bid=D("100"), reserve=D("500"))
    out = proxy_resolve(state, paddle="A", amount=D("100"), max_amount=D("600"))
    assert visible(out) == [("A", "100.00", False), ("A", "500.00", True)]
    assert out.current == D("500")


def test_rule5_no_bump_while_max_below_reserve() -> None:
    state = AuctionState(starting_bid=D("100"), reserve=D("500"))
    out = proxy_resolve(state, paddle="A", amount=D("100"), max_amount=D("499"))
    assert out.current == D("100") and len(out.visible_rows) == 1


def test_rule5_leader_raising_max_to_reserve_moves_price() -> None:
    state = AuctionState(starting_bid=D("100"), reserve=D("500"), current=D("100"), leader="A", leader_max=D("200"))
    out = proxy_resolve(state, paddle="A", amount=D("110"), max_amount=D("500"))
    assert out.current == D("500") and out.price_changed
    assert visible(out) == [("A", "500.00", True)]


def test_rule5_after_rule4_leader_bumped_to_reserve() -> None:
    state = AuctionState(starting_bid=D("100"), reserve=D("400"), current=D("100"), leader="A", leader_max=D("800"))
    out = proxy_resolve(state, paddle="B", amount=D("150"))
    assert visible(out) == [("B", "150.00", False), ("A", "160.00", True), ("A", "400.00", True)]


def test_rule5_after_rule3_challenger_bumped_to_reserve() -> None:
    state = AuctionState(starting_bid=D("100"), reserve=D("400"), current=D("100"), leader="A", leader_max=D("120"))
    out = proxy_resolve(state, paddle="B", amount=D("110"), max_amount=D("450"))
    assert visible(out) == [("A", "120.00", True), ("B", "130.00", False), ("B", "400.00", True)]


def test_reserve_already_met_no_extra_row() -> None:
    state = AuctionState(starting_bid=D("100"), reserve=D("100"))
    out = proxy_resolve(state, paddle="A", amount=D("100"), max_amount=D("900"))
    assert len(out.visible_rows) == 1


def test_max_below_amount_is_rejected_by_pure_function() -> None:
    with pytest.raises(ValueError):
        proxy_resolve(AuctionState(starting_bid=D("1")), paddle="A", amount=D("10"), max_amount=D("5"))


# --- randomized: the rules keep eBay's invariants -----------------------------------------------


@pytest.mark.parametrize("seed", range(40))
def test_random_sequences_keep_invariants(seed: int) -> None:
    rng = random.Random(seed)
    reserve = rng.choice([None, D("150"), D("900")])
    state = AuctionState(
        starting_bid=D(rng.choice(["10", "50", "100"])), increment=rng.choice([None, D("10")]), reserve=reserve
    )
    maxima: dict[str, Decimal] = {}
    first_max_at: dict[tuple[str, Decimal], int] = {}
    history: list[tuple[str, Decimal, bool]] = []
    for step in range(60):
        paddle = rng.choice("ABCDE")
        minimum = min_next_bid(state.current, state.starting_bid, state.increment)
        amount = minimum + D(rng.choice([0, 0, 0, 5, 20, -1]))
        top = amount + D(rng.choice([0, 0, 10, 50, 300]))
        try:
            out = proxy_resolve(state, paddle=paddle, amount=amount, max_amount=top)
        except Conflict as exc:
            assert exc.code in {"BID_TOO_LOW", "ALREADY_LEADING"}
            if exc.code == "BID_TOO_LOW":
                assert amount < minimum
            else:
                assert paddle == state.leader and top <= state.leader_max
            continue
        assert amount >= minimum
        maxima[paddle] = max(maxima.get(paddle, D(0)), top)
        first_max_at.setdefault((paddle, top), step)
        rows = [(r.paddle, r.amount, r.automatic) for r in out.visible_rows]
        previous = history[-1][1] if history else None
        for i, (_, value, _auto) in enumerate(rows):
            if previous is not None:
                assert value >= previous
                if value == previous:  # only a tie: challenger at M then leader's auto row at M
                    assert i > 0 and rows[i - 1][2] is False and _auto is True
            previous = value
        history.extend(rows)
        state = apply(state, out)
        # Invariant 1: the price is the last visible row; the leader holds it.
        assert history[-1][1] == state.current and history[-1][0] == state.leader
        # The leader has the highest maximum; the price never exceeds it.
        assert state.leader_max == max(maxima.values())
        assert state.current <= state.leader_max
        # The price is at least every other paddle's maximum (their proxy went all the way) …
        others = [m for p, m in maxima.items() if p != state.leader]
        if others:
            assert state.current >= min(max(others), state.leader_max)
        if reserve is not None and state.leader_max >= reserve:
            assert state.current >= reserve
