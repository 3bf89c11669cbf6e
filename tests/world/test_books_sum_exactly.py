"""The books' shortcuts give the same bits as the general sums they stand for.

Speed changes must not change results (`benchmarks/same_results.py`); these tests pin the
shortcuts in the due books, the ledger's flow cube, the banks' capacity check and the
per-supplier sums against the plain full-length form, including the cases that must fall
back to it.
"""

from __future__ import annotations

import numpy as np
import pytest

from autofin.world.banks import Banks
from autofin.world.finance.context import FinanceActivity
from autofin.world.ledger import Flow, Ledger
from autofin.world.model import AutofinModel
from autofin.world.obligations import DueBook


def same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    return np.asarray(a).tobytes() == np.asarray(b).tobytes()


def general_fit(banks: np.ndarray, offer: np.ndarray, capacity: np.ndarray) -> np.ndarray:
    """The running-sum rule of `Banks.fit_in_capacity`, without its shortcut."""
    order = np.argsort(banks, kind="stable")
    sorted_bank = banks[order]
    before = np.cumsum(offer[order]) - offer[order]
    first = np.searchsorted(sorted_bank, np.arange(len(capacity)))
    used_before = before - before[first[sorted_bank]] if banks.size else before
    fits = used_before + offer[order] <= capacity[sorted_bank]
    kept = np.zeros_like(offer)
    kept[order] = np.where(fits, offer[order], 0.0)
    capacity -= np.bincount(banks, kept, minlength=len(capacity))
    return kept


@pytest.mark.parametrize("room", [1e9, 1.0, 0.999999, 0.5, 0.0])
def test_capacity_shortcut_keeps_and_uses_up_what_the_running_sums_would(room):
    rng = np.random.default_rng(3)
    for _ in range(50):
        banks = rng.integers(0, 4, size=rng.integers(0, 40))
        offer = rng.lognormal(0.0, 2.0, size=banks.size) * (rng.random(banks.size) < 0.9)
        totals = np.bincount(banks, offer, minlength=4)
        capacity = totals * room + rng.random(4) * (room > 0.9)
        ours, theirs = capacity.copy(), capacity.copy()
        kept = Banks.fit_in_capacity(banks, offer, ours)
        assert same_bits(kept, general_fit(banks, offer, theirs))
        assert same_bits(ours, theirs)


def test_capacity_shortcut_is_not_taken_for_negative_offers():
    banks = np.array([0, 0])
    offer = np.array([5.0, -4.0])
    capacity = np.array([1.5])
    kept = Banks.fit_in_capacity(banks, offer, capacity)
    # The first offer alone exceeds the capacity: dropped, although the total fits.
    np.testing.assert_array_equal(kept, [0.0, -4.0])


@pytest.mark.parametrize(
    "columns",
    [np.arange(7), np.array([1, 4, 6]), np.array([0]), np.array([2, 2, 5]), np.array([5, 1])],
)
@pytest.mark.parametrize("delay", ["one", "per column"])
def test_due_book_adds_exactly_as_an_unbuffered_add(columns, delay):
    rng = np.random.default_rng(7)
    book = DueBook(7, 5)
    book.amounts[:] = rng.normal(size=book.amounts.shape)
    expected = book.amounts.copy()
    amounts = rng.normal(size=columns.size)
    delays = 3 if delay == "one" else rng.integers(1, 6, size=columns.size)
    book.book(11, delays, columns, amounts)
    rows = (11 + np.maximum(np.asarray(delays), 1)) % book.horizon
    np.add.at(expected, (rows, columns), amounts)
    assert same_bits(book.amounts, expected)


def test_due_book_still_refuses_columns_outside_it():
    book = DueBook(4, 2)
    with pytest.raises(IndexError):
        book.book(0, np.array([1, 2]), np.array([2, 4]), np.ones(2))


@pytest.mark.parametrize("small_ledger", [2048, 0], ids=["small", "large"])
def test_flow_cube_holds_the_sums_of_full_length_bincounts(small_ledger, monkeypatch):
    monkeypatch.setattr("autofin.world.ledger.SMALL_LEDGER", small_ledger)
    rng = np.random.default_rng(11)
    sectors = np.array([0, 1, 1, 2, 2, 2, 3, 4])
    ledger = Ledger(sectors, ["a", "b", "c", "d", "outside"], np.full(8, 100.0))
    cube = np.zeros(5 * 5 * len(Flow))
    for _ in range(30):
        n = int(rng.integers(1, 6))
        source = rng.integers(0, 7, size=n)
        target = int(rng.integers(0, 8)) if rng.random() < 0.5 else rng.integers(0, 8, size=n)
        amount = rng.lognormal(size=n)
        flow = Flow(int(rng.integers(0, len(Flow))))
        ledger.post(source, target, amount, flow)
        key = sectors[source] * 5 * len(Flow) + sectors[np.broadcast_to(target, (n,))] * len(Flow)
        cube += np.bincount(key + int(flow), amount, minlength=cube.size)
    assert same_bits(ledger.step_flows, cube)


@pytest.mark.parametrize("small_ledger", [2048, 0], ids=["small", "large"])
@pytest.mark.parametrize(
    "sectors", [[0, 1, 1, 2, 2, 2, 3, 4], [2, 1, 1, 2, 0, 2, 3, 4]], ids=["sorted", "unsorted"]
)
def test_flow_cube_sums_one_sector_paying_another_as_a_bincount(sectors, small_ledger, monkeypatch):
    """A tier paying its wages, say: every posting one cell of the cube (or, with accounts
    not stored sector by sector, the general path); a large ledger takes the shortcut."""
    monkeypatch.setattr("autofin.world.ledger.SMALL_LEDGER", small_ledger)
    rng = np.random.default_rng(12)
    sectors = np.array(sectors)
    ledger = Ledger(sectors, ["a", "b", "c", "d", "outside"], np.full(8, 100.0))
    cube = np.zeros(5 * 5 * len(Flow))
    for _ in range(20):
        source = rng.integers(3, 6, size=int(rng.integers(1, 40)))
        amount = rng.lognormal(sigma=4.0, size=source.size)
        ledger.post(source, 7, amount, Flow.WAGES)
        key = sectors[source] * 5 * len(Flow) + sectors[7] * len(Flow) + int(Flow.WAGES)
        cube += np.bincount(key, amount, minlength=cube.size)
    assert same_bits(ledger.step_flows, cube)


def test_due_book_totals_of_some_columns_are_those_of_all_columns():
    rng = np.random.default_rng(13)
    book = DueBook(5000, 25)
    book.amounts[:] = rng.standard_normal(book.amounts.shape) * 10.0 ** rng.integers(
        -8, 8, size=book.amounts.shape
    )
    before = book.amounts.copy()
    columns = np.sort(rng.choice(5000, size=400, replace=False))
    for some in (columns, columns[:40], columns[:1], columns[:3]):  # summed whole, by rows
        assert same_bits(book.open_totals_of(some), book.open_totals()[some])
    assert same_bits(book.amounts, before)  # reading the totals changes nothing


def test_finance_activity_adds_repeated_and_distinct_firms_as_bincounts():
    activity = FinanceActivity.empty(6)
    expected = np.zeros(6)
    for firms in (np.array([0, 2, 5]), np.array([3, 3, 1]), np.array([4])):
        values = np.linspace(0.1, 0.7, firms.size) * 3.3
        activity.cash_in(firms, values, np.ones(firms.size))
        expected += np.bincount(firms, values, minlength=6)
    assert same_bits(activity.cash_face, expected)


def test_sums_per_supplier_skip_only_the_raw_material_edges():
    from autofin.scenario.loading import load_scenario
    from autofin.world.model import AutofinModel
    from autofin.world.network import OUTSIDE
    from conftest import SCENARIOS

    model = AutofinModel(load_scenario(SCENARIOS / "baseline.yaml", overrides=["warmup_days=0"]))
    firms = model.firms
    values = np.random.default_rng(5).normal(size=firms.edge_supplier.size)
    inside = firms.edge_supplier != OUTSIDE
    full = np.bincount(np.maximum(firms.edge_supplier, 0), values * inside, minlength=firms.n)
    assert inside.any()
    assert not inside[-1]  # raw-material edges are there, and last
    assert same_bits(firms.by_supplier(values), full)


@pytest.mark.parametrize("few_firms", [2048, 0], ids=["few", "many"])
def test_sums_added_per_supplier_and_customer_touch_only_the_firms_involved(few_firms, monkeypatch):
    """Paying one tier's invoices changes those firms' receivables and payables by the
    full-length sums, and no other firm's (in a large world, by summing over them only)."""
    monkeypatch.setattr("autofin.world.firms.FEW_FIRMS", few_firms)
    from autofin.scenario.loading import load_scenario
    from autofin.world.model import AutofinModel
    from autofin.world.network import OUTSIDE
    from conftest import SCENARIOS

    model = AutofinModel(load_scenario(SCENARIOS / "baseline.yaml", overrides=["warmup_days=0"]))
    firms = model.firms
    rng = np.random.default_rng(6)
    top = firms.tier.max()
    for tier in range(top + 1):
        edges = np.flatnonzero(firms.tier[firms.edge_customer] == tier)
        values = rng.lognormal(sigma=3.0, size=edges.size)
        assert (firms.edge_supplier[edges] == OUTSIDE).any() == (tier == top)
        for sign in (1.0, -1.0):
            target = rng.normal(size=firms.n)
            expected = target + sign * firms.by_supplier(values, edges)
            firms.add_by_supplier(target, values, edges, sign)
            assert same_bits(target, expected)
            target = rng.normal(size=firms.n)
            expected = target + sign * firms.by_customer(values, edges)
            firms.add_by_customer(target, values, edges, sign)
            assert same_bits(target, expected)


def test_kept_prices_follow_pricing_and_re_sourcing():
    """The edge and input prices a firm keeps are those of its current suppliers at their
    current prices, after cost-plus pricing and after an edge moves to a new supplier."""
    from autofin.scenario.loading import load_scenario
    from autofin.world import production, suppliers
    from autofin.world.firms import RAW_MATERIAL_PRICE
    from autofin.world.network import OUTSIDE
    from conftest import SCENARIOS

    model = AutofinModel(load_scenario(SCENARIOS / "baseline.yaml", overrides=["warmup_days=0"]))
    firms = model.firms

    def fresh() -> tuple[np.ndarray, np.ndarray]:
        outside = firms.edge_supplier == OUTSIDE
        supplier_price = firms.price[np.maximum(firms.edge_supplier, 0)]
        edge = np.where(outside, RAW_MATERIAL_PRICE, supplier_price)
        return edge, np.bincount(firms.edge_customer, firms.edge_share * edge, minlength=firms.n)

    before = firms.input_price().copy()
    firms.cost_shock[firms.tier == firms.tier.max()] += 0.5  # the top tier's wages jump
    production.update_prices(firms)
    edge, inputs = fresh()
    assert same_bits(firms.edge_price(), edge)
    assert same_bits(firms.input_price(), inputs)
    assert (firms.input_price() > before).any()

    # A tier-1 supplier fails; its customers' edges move to another supplier of the part.
    gone = int(np.flatnonzero(firms.tier == 1)[0])
    edges = np.flatnonzero(firms.edge_supplier == gone)
    firms.active[gone] = False
    firms.price[np.flatnonzero(firms.tier == 1)] *= np.linspace(0.5, 1.5, (firms.tier == 1).sum())
    firms.prices_moved()
    firms.edge_price()  # kept
    firms.edge_resource_step[edges] = 5
    moved = suppliers.resource(firms, 5, 0.0, np.random.default_rng(0))
    assert moved.size == edges.size
    assert (firms.edge_supplier[edges] != gone).all()
    edge, inputs = fresh()
    assert same_bits(firms.edge_price(), edge)
    assert same_bits(firms.input_price(), inputs)


def test_inventory_value_of_some_firms_is_that_of_all_firms():
    """A liquidation values its debtors' inventories alone: the same bits as for everyone."""
    from autofin.scenario.loading import load_scenario
    from conftest import SCENARIOS

    model = AutofinModel(load_scenario(SCENARIOS / "baseline.yaml", overrides=["warmup_days=0"]))
    for _ in range(6):  # work in progress, stocks and financing costs of a running world
        model.step()
    firms = model.firms
    rows = np.array([0, 3, 7, firms.n // 2, firms.n - 1])
    assert same_bits(firms.inventory_value(rows=rows), firms.inventory_value()[rows])
    price = firms.input_price() * 1.1
    assert same_bits(firms.inventory_value(price, rows), firms.inventory_value(price)[rows])


@pytest.mark.parametrize("small_ledger", [2048, 0], ids=["small", "large"])
def test_several_postings_at_once_are_those_posted_in_turn(small_ledger, monkeypatch):
    """Wages and fixed costs of the same firms, posted at once: the same balances, flows and
    overdraft calls as each posted in turn (a bank's account is guarded)."""
    monkeypatch.setattr("autofin.world.ledger.SMALL_LEDGER", small_ledger)
    rng = np.random.default_rng(21)
    sectors = np.array([0, 1, 1, 2, 2, 2, 3, 4])
    books = [Ledger(sectors, ["a", "b", "c", "d", "outside"], np.full(8, 10.0)) for _ in "ab"]
    calls: list[list[float]] = [[], []]
    for ledger, seen in zip(books, calls, strict=True):
        ledger.guard(np.array([6]), lambda ledger=ledger, seen=seen: seen.append(ledger.balance[6]))
    for _ in range(30):
        n = int(rng.integers(0, 5))
        source = rng.integers(0, 7, size=n)
        target = 7 if rng.random() < 0.5 else rng.integers(0, 8, size=n)
        amounts = [rng.lognormal(sigma=2.0, size=n) for _ in range(int(rng.integers(1, 4)))]
        flows = [Flow(int(f)) for f in rng.integers(0, len(Flow), size=len(amounts))]
        for amount, flow in zip(amounts, flows, strict=True):
            books[0].post(source, target, amount, flow)
        books[1].post_several(source, target, amounts, flows)
    assert same_bits(books[0].balance, books[1].balance)
    assert same_bits(books[0].step_flows, books[1].step_flows)
    assert calls[0]
    assert calls[0] == calls[1]


def test_kept_unit_costs_follow_every_change_of_their_inputs():
    """`Firms.unit_cost` is kept between changes: each input's change is seen at once."""
    from autofin.scenario.loading import load_scenario
    from autofin.world import production
    from conftest import SCENARIOS

    model = AutofinModel(load_scenario(SCENARIOS / "baseline.yaml", overrides=["warmup_days=0"]))
    for _ in range(3):
        model.step()
    firms = model.firms

    def fresh() -> np.ndarray:
        return firms._unit_cost_of(firms.input_price(), slice(None))

    assert same_bits(firms.unit_cost(), fresh())
    assert firms.unit_cost() is firms.unit_cost(firms.input_price())  # kept, not recomputed
    assert not firms.unit_cost().flags.writeable
    price = firms.input_price() * 1.1  # other input prices: computed afresh
    assert same_bits(firms.unit_cost(price), firms._unit_cost_of(price, slice(None)))
    kept = firms.unit_cost()
    # Cost-plus pricing moves the input prices and so the unit costs.
    firms.cost_shock[:] += 0.3
    firms.finance_cost_per_step += 5.0
    firms.costs_moved()
    assert not same_bits(firms.unit_cost(), kept)
    assert same_bits(firms.unit_cost(), fresh())
    kept = firms.unit_cost()
    production.update_prices(firms)
    assert not same_bits(firms.unit_cost(), kept)
    assert same_bits(firms.unit_cost(), fresh())
    # A step smooths the financing cost into it.
    model.step()
    assert same_bits(firms.unit_cost(), fresh())
    for name in ("expected_output", "wage_per_unit", "fixed_cost_per_step"):
        kept = firms.unit_cost()
        getattr(firms, name)[1:] *= 1.5
        firms.costs_moved()
        assert not same_bits(firms.unit_cost(), kept), name
        assert same_bits(firms.unit_cost(), fresh()), name


def test_kept_slot_shares_and_needs_follow_the_edges():
    """The edges' shares of their slots and the slots' needs are kept until edges move."""
    from autofin.scenario.loading import load_scenario
    from autofin.world import production
    from conftest import SCENARIOS

    model = AutofinModel(load_scenario(SCENARIOS / "baseline.yaml", overrides=["warmup_days=0"]))
    firms, scenario = model.firms, model.spec
    within = firms.within_slot()
    assert same_bits(within, firms.edge_share / firms.slot_weight[firms.edge_slot])
    assert same_bits(
        firms.slot_need(), firms.input_per_unit[firms.slot_customer] * firms.slot_weight
    )
    firms.edge_share[: firms.edge_share.size // 2] *= 0.5
    firms.prices_moved()
    assert same_bits(firms.within_slot(), firms.edge_share / firms.slot_weight[firms.edge_slot])
    assert not same_bits(firms.within_slot(), within)
    firms.input_per_unit[:] *= 2.0
    firms.costs_moved()
    assert same_bits(
        firms.slot_need(), firms.input_per_unit[firms.slot_customer] * firms.slot_weight
    )
    # Planning with the rules kept by the model is planning with the scenario's.
    demand = firms.order_forecast * 1.2
    kept = production.plan_and_order(firms, scenario, demand, rules=model.planning)
    afresh = production.plan_and_order(firms, scenario, demand)
    assert all(same_bits(a, b) for a, b in zip(kept, afresh, strict=True))


@pytest.mark.parametrize("longest", [5, 9], ids=["within the book", "past its end"])
def test_due_rows_of_many_delays_are_the_ring_buffers_rows(longest):
    """Rows found without dividing are ``(step + delay) % horizon``, warm-up steps included."""
    rng = np.random.default_rng(17)
    book = DueBook(3, 5)
    for step in range(-30, 30):
        delays = rng.integers(-1, longest + 1, size=20)
        expected = (step + np.maximum(delays, 1)) % book.horizon
        rows = book._due_rows(step, delays)
        assert rows.dtype == expected.dtype
        np.testing.assert_array_equal(rows, expected)
