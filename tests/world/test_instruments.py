"""Supply-chain finance instruments: each mechanism, averaged over seeds where it is random."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

from autofin.scenario.loading import load_scenario
from autofin.world.banks import Instrument
from autofin.world.finance import FinanceInstrument, SupplyChainFinance
from autofin.world.finance.inventory_financing import InventoryFinancing
from autofin.world.finance.order_financing import OrderFinancing
from autofin.world.ledger import Flow
from autofin.world.model import AutofinModel, simulate
from conftest import ROOMY_GROWTH, SCENARIOS, small_scenario

SEEDS = range(6)
LONG_TERMS = {"automakers.payment_term_days": 240}


def scenario(name: str, **overrides):
    return load_scenario(SCENARIOS / f"{name}.yaml", overrides={**LONG_TERMS, **overrides})


def mean_summary(name: str, key: str, **overrides) -> float:
    return float(
        np.mean([simulate(scenario(name, seed=seed, **overrides)).summary[key] for seed in SEEDS])
    )


def flow_total(result, flow: str, source: str | None = None) -> float:
    flows = result.flows
    rows = flows["flow"] == flow
    if source is not None:
        rows &= flows["source"] == source
    return float(flows.loc[rows, "amount"].sum())


# --------------------------------------------------------------------- reverse factoring
@pytest.mark.robustness  # many seeds: the second stage of make test
def test_reverse_factoring_lowers_supplier_defaults_and_financing_cost():
    none = mean_summary("scf_none", "supplier_defaults")
    platform = mean_summary("platform_reverse_factoring", "supplier_defaults")
    assert platform < none
    rate_none = mean_summary("scf_none", "supplier_financing_rate")
    rate_platform = mean_summary("platform_reverse_factoring", "supplier_financing_rate")
    assert rate_platform < rate_none


def test_platform_finance_is_priced_on_the_sponsor_not_the_supplier():
    result = simulate(scenario("platform_reverse_factoring", seed=0))
    summary = result.summary
    assert summary["financing_volume_reverse_factoring"] > 0
    assert summary["financing_cost_reverse_factoring"] < summary["financing_cost_bank_loan"]


def test_a_sponsor_default_turns_into_platform_bank_losses():
    # An automaker with thin cash, whose assets fetch little in a liquidation.
    weak = {
        "seed": 0,
        "automakers.initial_cash_days": 60,
        "suppliers.recovery_rate": 0.1,
        "shocks": [{"type": "force_default", "day": 250, "tier": 0, "rank": 1}],
    }
    with_platform = simulate(scenario("platform_reverse_factoring", **weak))
    without = simulate(scenario("scf_none", **weak))
    assert with_platform.summary["automaker_defaults"] == 1
    assert with_platform.summary["credit_losses_reverse_factoring"] > 0
    assert with_platform.timeseries["platform_npl_ratio"].max() > 0
    assert without.summary["credit_losses_reverse_factoring"] == 0

    # The platform banks carry the automaker's risk: they lose when the sponsor defaults.
    # (Compared in the step of the default: the suppliers' cascade that follows, in both
    # worlds, dwarfs it over the whole run.)
    def loss_at_default(result):
        step = int(result.events.loc[result.events["agent_type"] == "automaker", "step"].iloc[0])
        losses = result.timeseries.set_index("step")["bank_credit_losses"]
        return float(losses.loc[step] - losses.loc[step - 1])

    assert loss_at_default(with_platform) > loss_at_default(without)


def test_multi_tier_platform_reaches_tier_two_suppliers():
    result = simulate(scenario("platform_multitier", seed=0))
    paid_to_tier2 = flow_total(result, "reverse_factoring_purchase", source="suppliers_tier1")
    assert paid_to_tier2 > 0  # tier-1 holders pass the platform's cash on to tier 2
    single = simulate(scenario("platform_reverse_factoring", seed=0))
    assert flow_total(single, "reverse_factoring_purchase", source="suppliers_tier1") == 0


# --------------------------------------------------------------------- factoring
@pytest.mark.robustness  # many seeds: the second stage of make test
def test_factoring_is_dearer_for_riskier_suppliers():
    # Suppliers with thinner equity carry more debt for the same business: banks score them
    # riskier and, with recourse, discount their invoices at a higher rate.
    safe = mean_summary("factoring", "financing_cost_factoring")
    risky = mean_summary("factoring", "financing_cost_factoring", **{"suppliers.equity_days": 20})
    assert risky > safe
    # Without recourse the price is on the customers' risk, not the suppliers'.
    model = AutofinModel(scenario("factoring", seed=0, **{"finance.factoring.recourse": False}))
    for _ in range(10):
        model.step()
    factoring, r = model.finance.factoring, model.finance.round
    edges = np.flatnonzero(factoring.edge_eligible & model.firms.edge_live)
    customers = model.firms.edge_customer[edges]
    rates = factoring._edge_rates(r, edges)
    banks = factoring.invoices.edge_bank[edges]
    expected = model.banks.price(r.pd[customers], banks, model.ledger, margin=0.02)
    np.testing.assert_allclose(rates, expected)


def test_with_recourse_a_buyer_default_comes_back_to_the_supplier():
    # An automaker whose estate cannot pay all it owes (its plant realises nothing) defaults
    # owing factored invoices to its tier-1 suppliers' banks.
    shock = [{"type": "force_default", "day": 150, "tier": 0, "rank": 1}]
    overrides = {
        "seed": 0,
        "shocks": shock,
        "suppliers.payment_term_days": [150, 120, 60],
        "finance.factoring.tiers": [1],
    }
    recourse = simulate(scenario("factoring", **overrides))
    no_recourse = simulate(
        scenario("factoring", **{**overrides, "finance.factoring.recourse": False})
    )
    assert flow_total(recourse, "factoring_recourse", source="suppliers_tier1") > 0
    # Recourse falls due when the buyer's estate has paid out, after the workout.
    flows = recourse.flows
    first_step = flows.loc[flows["flow"] == "factoring_recourse", "step"].min()
    first_day = first_step * recourse.scenario.step_days
    assert first_day >= 150 + recourse.scenario.banks.workout_days
    assert flow_total(no_recourse, "factoring_recourse") == 0
    assert (
        no_recourse.summary["credit_losses_factoring"] > recourse.summary["credit_losses_factoring"]
    )


# --------------------------------------------------------------------- order financing
def test_order_financing_is_disbursed_when_orders_arrive_and_repaid_from_invoices(monkeypatch):
    model = AutofinModel(scenario("order_financing", seed=0))
    firms = model.firms
    advances, from_invoices, from_cash = [], [], []
    on_orders, repay, collect = (
        OrderFinancing.on_orders,
        OrderFinancing.repay_from_invoices,
        OrderFinancing.collect,
    )

    def record_advances(self, r, edge_value, gap, exposure, act):
        before = model.ledger.balance[: firms.n].copy()
        on_orders(self, r, edge_value, gap, exposure, act)
        advances.append((model.ledger.balance[: firms.n] - before, firms.by_supplier(edge_value)))

    def record_repayments(self, r, edges, paid):
        owed_before = self.face[edges].copy()
        repay(self, r, edges, paid)
        repaid = owed_before - self.face[edges]
        assert np.all(repaid <= paid + 1e-9)  # never more than the invoice paid
        from_invoices.append(repaid.sum())

    def record_collections(self, r, payers):
        owed_before = self.face.sum()
        collect(self, r, payers)
        from_cash.append(owed_before - self.face.sum())

    monkeypatch.setattr(OrderFinancing, "on_orders", record_advances)
    monkeypatch.setattr(OrderFinancing, "repay_from_invoices", record_repayments)
    monkeypatch.setattr(OrderFinancing, "collect", record_collections)
    for _ in range(model.spec.steps):
        model.step()
    rate = model.spec.finance.order_financing.advance_rate
    assert sum(float(advanced.sum()) for advanced, _ in advances) > 0
    for advanced, ordered in advances:
        # Only suppliers with new orders get advances, within the advance rate of them.
        assert np.all(advanced <= rate * ordered + 1e-6)
    # The invoices repay the advances; little is left for suppliers to repay from their cash.
    assert sum(from_invoices) > 9 * sum(from_cash)


def test_an_order_advance_stays_out_until_its_invoice_is_due():
    model = AutofinModel(scenario("order_financing", seed=0))
    of = model.finance.order_financing
    for _ in range(60):
        model.step()
    # Every advance not yet due is booked for the step its order's invoice falls due:
    # production lead time + transit + the buyer's payment term after it was advanced.
    steps_left = of.pending_face.steps_left(model.step_index)
    rows, edges = np.nonzero(of.pending_face.amounts > 0)
    assert rows.size > 0
    longest = of.pipeline_steps + model.firms.edge_term_steps[edges]
    assert np.all(steps_left[rows] <= longest)
    assert np.any(steps_left[rows] == longest)  # advanced this step
    assert np.all(steps_left[rows] >= 1)


def test_who_carries_the_buyer_risk_of_order_financing_decides_who_loses():
    def totals(risk: str) -> tuple[float, float]:
        losses = bad_debt = 0.0
        for seed in range(3):
            overrides = {
                "seed": seed,
                "finance.order_financing.buyer_risk": risk,
                # The step of the forced default and the next: later, the thin-equity world's
                # own cascade swamps the one default compared here (with the credit lines
                # secured on receivables, trade creditors bear more of each default's loss
                # and the cascade starts within weeks in seed 0).
                "horizon_days": 308,
                "shocks": [{"type": "force_default", "day": 300, "tier": 1, "rank": 1}],
                # An estate that cannot pay in full: thin equity, stocks that fetch nothing,
                # and a line with room to borrow more than the estate repays (at the
                # shipped 4% growth the firm draws so little that its estate pays every
                # trade creditor: no bad debt for either rule to move).
                "suppliers.recovery_rate": 0.0,
                "suppliers.equity_days": 30,
                "banks.expected_sales_growth": ROOMY_GROWTH,
            }
            summary = simulate(load_scenario(SCENARIOS / "order_financing.yaml", overrides)).summary
            losses += summary["credit_losses_order_financing"]
            bad_debt += summary["trade_bad_debt"]
        return losses, bad_debt

    supplier_losses, supplier_bad_debt = totals("supplier")
    bank_losses, bank_bad_debt = totals("bank")
    # Assigned without recourse, the orders of a defaulting buyer are the bank's loss and no
    # longer the suppliers' bad debt.
    assert bank_losses > supplier_losses
    assert bank_bad_debt < supplier_bad_debt


def test_a_buyer_and_its_order_financed_supplier_failing_together_are_claimed_once(monkeypatch):
    # With the bank carrying the buyer's risk, the advances on a defaulting buyer's orders are
    # claimed on the buyer's estate. When the buyer's own supplier fails in the same step
    # (settlement runs tier by tier from the automakers up, so the buyer's estate is wound up
    # first), the supplier's estate must not be charged for those advances again.
    model = AutofinModel(
        scenario("order_financing", seed=0, **{"finance.order_financing.buyer_risk": "bank"}),
        check=True,  # the accounting identities, every step
    )
    firms, of = model.firms, model.finance.order_financing
    for _ in range(40):
        model.step()
    owed = of.owed_per_edge()
    pair = np.flatnonzero(
        (owed > 0)
        & (firms.tier[firms.edge_customer] == 1)
        & (firms.tier[firms.edge_supplier.clip(0)] == 2)
        & firms.active[firms.edge_customer]
        & firms.active[firms.edge_supplier.clip(0)]
    )
    edge = int(pair[np.argmax(owed[pair])])
    buyer, seller = int(firms.edge_customer[edge]), int(firms.edge_supplier[edge])
    live = firms.active.copy()
    claimed_on = []
    carried = []  # at each liquidation, on the edges of its debtors not claimed on before
    seen = np.zeros(firms.edge_customer.size, dtype=bool)
    claims_on = OrderFinancing.claims_on

    def record_claims(self, r, debtors, bought, remember_bad_debt):
        failing = np.zeros(firms.n, dtype=bool)
        failing[debtors] = True
        edges = failing[firms.edge_customer] | failing[firms.edge_supplier.clip(0)]
        carrying = self.cost + self.pending_cost.open_totals()
        carried.append(float(carrying[edges & ~seen].sum()))
        seen[edges] = True
        claims = claims_on(self, r, debtors, bought, remember_bad_debt)
        claimed_on.extend(
            (int(d), float(a)) for c in claims for d, a in zip(c.debtor, c.amount, strict=True)
        )
        return claims

    recognised = []
    recognise = type(model.banks).recognise_default

    def record_recognised(self, instrument, banks, carrying, recovered, step, *rest):
        if instrument == Instrument.ORDER_FINANCING:
            recognised.append(float(np.sum(carrying)))
        return recognise(self, instrument, banks, carrying, recovered, step, *rest)

    monkeypatch.setattr(OrderFinancing, "claims_on", record_claims)
    monkeypatch.setattr(type(model.banks), "recognise_default", record_recognised)
    model.shocks.force_default(model.step_index + 1, buyer)
    model.shocks.force_default(model.step_index + 1, seller)
    model.step()  # the accounting check passes: no money created or lost

    failed = live & ~firms.active  # the two, and any firm their losses brought down
    assert failed[buyer]
    assert failed[seller]
    on_failed = failed[firms.edge_customer] | failed[firms.edge_supplier.clip(0)]
    assert of.owed_per_edge()[on_failed].sum() == 0  # nothing left owed on their edges
    # Each advance was taken off the books once: what the failed firms' edges carried when
    # the first of the two firms on each edge failed.
    assert sum(recognised) == pytest.approx(sum(carried), rel=1e-9)
    # The advances on the buyer's orders from the seller were claimed on the buyer's estate.
    assert any(debtor == buyer and amount > 0 for debtor, amount in claimed_on)


# --------------------------------------------------------------------- inventory financing
def test_inventory_financing_never_exceeds_its_loan_to_value(monkeypatch):
    result = simulate(scenario("inventory_financing", seed=1))
    spec = result.scenario.finance.inventory_financing
    assert result.summary["financing_volume_inventory_financing"] > 0
    assert result.timeseries["inventory_max_loan_to_value"].max() <= spec.loan_to_value + 1e-9

    # A run with margin calls: inventory values fall with a slump in demand (without it,
    # suppliers that make no more than their funds carry meet none in seeds 0 and 1).
    slump = [{"type": "demand", "day": 300, "duration_days": 200, "factor": 0.3}]
    model = AutofinModel(scenario("inventory_financing", seed=1, shocks=slump))
    inventory = model.finance.inventory
    starts, draws = [], []
    start_step, quote = InventoryFinancing.start_step, InventoryFinancing.quote

    def remember_start(self, r):
        starts.append((self.limit(r.firms).copy(), self.balance.copy()))
        draws.clear()
        return start_step(self, r)

    def remember_quote(self, r, applicants, need):
        draws.append((applicants.copy(), self.limit(r.firms)[applicants]))
        return quote(self, r, applicants, need)

    monkeypatch.setattr(InventoryFinancing, "start_step", remember_start)
    monkeypatch.setattr(InventoryFinancing, "quote", remember_quote)
    called = 0
    for _ in range(model.spec.steps):
        model.step()
        limit_at_start, before = starts[-1]
        # Whoever owes after the step drew it within the limit of its inventory at the time;
        # whoever did not apply repaid everything, margin call (a loan above the limit at the
        # start of the step) included.
        limit_at_draw = np.zeros(model.firms.n)
        for applicants, limit in draws:
            limit_at_draw[applicants] = limit
        assert np.all(inventory.balance <= limit_at_draw + 1e-6)
        called += int(np.sum(model.firms.active & (before > limit_at_start + 1e-6)))
    assert called > 0


def test_falling_inventory_values_bring_margin_calls():
    result = simulate(
        scenario(
            "inventory_financing",
            seed=0,
            shocks=[{"type": "demand", "day": 300, "duration_days": 200, "factor": 0.3}],
        )
    )
    assert result.timeseries["inventory_margin_calls"].sum() > 0


# --------------------------------------------------------------------- syndicated loan
def test_syndicated_loan_losses_are_shared_in_the_set_shares():
    shares = [0.5, 0.3, 0.2]
    overrides = {
        "seed": 0,
        "finance.syndicated_loans.0.drawing": "schedule",
        "finance.syndicated_loans.0.draw_day": 7,
        "shocks": [{"type": "force_default", "day": 300, "tier": 0, "rank": 1}],
    }
    model = AutofinModel(scenario("syndicated_loan", **overrides))
    for _ in range(model.spec.steps):
        model.step()
    losses = model.banks.losses_by_instrument[Instrument.SYNDICATED_LOAN]
    assert losses.sum() > 0
    np.testing.assert_allclose(losses[:3] / losses.sum(), shares, rtol=1e-9)
    assert np.all(losses[3:] == 0)


def test_an_as_needed_facility_is_drawn_when_cash_runs_short_and_repaid_later():
    as_needed = {
        "seed": 0,
        "finance.syndicated_loans.0.drawing": "as_needed",
        "finance.syndicated_loans.0.maturity_days": 1200,
    }
    demand_slump = [{"type": "demand", "day": 200, "duration_days": 250, "factor": 0.2}]
    result = simulate(scenario("syndicated_loan", shocks=demand_slump, **as_needed))
    draws = flow_total(result, "syndicated_loan_draw")
    assert draws > 0
    assert flow_total(result, "syndicated_loan_interest") > 0
    assert flow_total(result, "syndicated_loan_repayment") > 0  # repaid from spare cash
    quiet = simulate(scenario("syndicated_loan", **as_needed))
    assert flow_total(quiet, "syndicated_loan_draw") < draws


def test_a_scheduled_facility_is_drawn_on_its_day_and_repaid_at_maturity():
    result = simulate(load_scenario(SCENARIOS / "syndicated_loan.yaml"), check=True)
    flows = result.flows
    draws = flows[flows["flow"] == "syndicated_loan_draw"]
    repaid = flows[flows["flow"] == "syndicated_loan_repayment"]
    assert set(draws["step"]) == {1}
    assert set(repaid["step"]) == {1 + round(730 / 7)}
    assert repaid["amount"].sum() == pytest.approx(draws["amount"].sum())


# --------------------------------------------------------------------- payment terms
@pytest.mark.robustness  # many seeds: the second stage of make test
def test_a_60_day_pledge_mid_run_lowers_supplier_defaults_after_it_takes_effect():
    day = 546
    pledge = {"finance.payment_terms": [{"day": day, "payment_term_days": 60}]}

    def defaults_after(**extra) -> float:
        counts = []
        for seed in SEEDS:
            series = simulate(scenario("scf_none", seed=seed, **extra)).timeseries
            counts.append(series.loc[series["day"] > day, "supplier_defaults"].sum())
        return float(np.mean(counts))

    assert defaults_after(**pledge) < defaults_after()


def test_a_pledge_changes_the_terms_of_new_invoices_only():
    model = AutofinModel(
        scenario(
            "scf_none", seed=0, **{"finance.payment_terms": [{"day": 70, "payment_term_days": 60}]}
        )
    )
    makers_edges = model.firms.tier[model.firms.edge_customer] == 0
    before = model.firms.edge_term_steps[makers_edges].copy()
    for _ in range(10):
        model.step()
    after = model.firms.edge_term_steps[makers_edges]
    assert np.all(before == round(240 / 7))
    assert np.all(after == round(60 / 7))
    # Invoices issued before the change are still due on their old dates.
    assert model.trade.edge_book.due_within(11, 30)[makers_edges].sum() > 0


# --------------------------------------------------------------------- everything on
ALL_ON = {
    "choice": "cheapest",
    "order_financing": {"advance_rate": 0.6},
    "inventory_financing": {"loan_to_value": 0.6, "tiers": [1, 2]},
    "factoring": {"recourse": True},
    "reverse_factoring": [{"sponsor": 0, "banks": [0, 1, 2], "tiers": [1, 2]}],
    "syndicated_loans": [
        {"borrower": 0, "banks": [0, 1, 2], "drawing": "schedule", "draw_day": 14},
        {"borrower": 1, "banks": [1, 2], "drawing": "as_needed"},
    ],
    "payment_terms": [{"day": 180, "payment_term_days": 60}],
}


@pytest.mark.parametrize("choice", ["cheapest", "order"])
def test_money_is_conserved_every_step_with_every_instrument_on(choice):
    # The platform's sponsor (automaker 0, the larger by a hair) defaults with thin cash, and a
    # tier-1 supplier defaults first, so recourse, platform losses and syndicated losses run.
    shocks = [
        {"type": "force_default", "day": 120, "tier": 1, "rank": 1},
        {"type": "force_default", "day": 250, "tier": 0, "rank": 1},
    ]
    finance = {**ALL_ON, "choice": choice}
    if choice == "order":
        finance["preference"] = [
            "factoring",
            "reverse_factoring",
            "inventory_financing",
            "bank_loan",
        ]
    result = simulate(
        small_scenario(
            seed=2,
            horizon_days=364,
            # No warm-up: this stress (200-day terms, 40 days of cash) takes the sponsor down
            # in a year's warm-up, before the instruments and shocks below run.
            warmup_days=0,
            automakers={"payment_term_days": 200, "initial_cash_days": 40},
            suppliers={"recovery_rate": 0.1},
            network={"automakers": 2},
            # A dear credit line, so that the cheapest choice goes to every instrument.
            banks={"count": 3, "margin": 0.04},
            finance=finance,
            shocks=shocks,
        ),
        check=True,
    )
    summary = result.summary
    used = ["order_financing", "inventory_financing", "reverse_factoring", "syndicated_loan"]
    if choice == "order":
        used.append("factoring")  # dearer than a bank loan here, so never the cheapest
    for name in used:
        assert summary[f"financing_volume_{name}"] > 0, name
    assert summary["automaker_defaults"] >= 1
    assert summary["credit_losses_reverse_factoring"] > 0
    assert summary["credit_losses_syndicated_loan"] > 0


def test_same_seed_same_results_with_every_instrument_on():
    first = simulate(small_scenario(seed=3, network={"automakers": 2}, finance=ALL_ON))
    second = simulate(small_scenario(seed=3, network={"automakers": 2}, finance=ALL_ON))
    assert first.timeseries.equals(second.timeseries)
    assert first.flows.equals(second.flows)


def test_no_instrument_is_used_unless_the_scenario_switches_it_on():
    result = simulate(scenario("scf_none", seed=0))
    for name in ("order_financing", "inventory_financing", "factoring", "reverse_factoring"):
        assert result.summary[f"financing_volume_{name}"] == 0
    assert isinstance(AutofinModel(scenario("scf_none")).finance, SupplyChainFinance)


def test_flows_carry_the_instrument_as_their_type():
    result = simulate(small_scenario(seed=1, network={"automakers": 2}, finance=ALL_ON))
    names = set(result.flows["flow"])
    for flow in (
        Flow.ORDER_FINANCING_ADVANCE,
        Flow.INVENTORY_FINANCING_DRAW,
        Flow.REVERSE_FACTORING_PURCHASE,
        Flow.REVERSE_FACTORING_COLLECTION,
    ):
        assert flow.name.lower() in names


def test_syndicated_loans_price_the_borrowers_risk_and_the_banks_capital():
    model = AutofinModel(scenario("syndicated_loan", seed=0))
    model.step()
    facility = model.finance.syndicated[0]
    r = model.finance.round
    base = facility.price(r)
    spec = model.banks.spec
    funding = model.banks.quoted_funding[facility.banks]
    charge = spec.min_capital_ratio * np.maximum(spec.cost_of_equity - funding, 0.0)
    expected_loss = r.pd[facility.borrower] * spec.loss_given_default
    expected = ((funding + expected_loss + charge) * facility.shares).sum() + facility.spec.spread
    assert base == pytest.approx(expected)
    # A riskier borrower pays more.
    r.pd[facility.borrower] += 0.05
    assert facility.price(r) == pytest.approx(base + 0.05 * spec.loss_given_default)
    # Thinner banks fund themselves more dearly and so charge more.
    r.pd[facility.borrower] -= 0.05
    model.banks.quoted_funding = model.banks.quoted_funding + 0.01
    assert facility.price(r) > base


@pytest.mark.parametrize(
    "name",
    [
        "order_financing",
        "inventory_financing",
        "factoring",
        "platform_reverse_factoring",
        "syndicated_loan",
    ],
)
def test_every_instrument_and_the_credit_line_share_one_interface(name):
    model = AutofinModel(scenario(name, seed=0))
    finance = model.finance
    instruments = [*finance.instruments, finance.credit_line]
    assert len(instruments) >= 2
    signature = inspect.signature(FinanceInstrument.claims_on)
    for instrument in instruments:
        assert isinstance(instrument, FinanceInstrument)
        assert inspect.signature(type(instrument).claims_on) == signature
    # The credit line answers from the loan book that owns the firms' debt.
    np.testing.assert_array_equal(finance.credit_line.owed(model.firms), model.firms.debt)
    np.testing.assert_allclose(
        finance.credit_line.carrying(model.firms, model.banks.count),
        model.banks.exposure[Instrument.BANK_LOAN],
    )


# ------------------------------------------- invoices that back an order-financing advance
def test_an_invoice_backing_an_order_advance_is_not_for_sale_earliest_first():
    # The order-financing bank is repaid from the edge's payments as they come: the claim
    # covers the invoices that fall due first, and only the rest can be factored or sold on
    # a platform (before, the same invoice backed the advance and was sold as well).
    from autofin.world.finance.invoices import open_invoices
    from autofin.world.obligations import DueBook

    book, step, edges = DueBook(3, 5), 10, np.arange(3)
    book.book(step, 1, edges, np.full(3, 100.0))  # due in 1 step
    book.book(step, 3, edges, np.full(3, 50.0))  # due in 3
    claimed = np.array([0.0, 120.0, 500.0])
    face, steps_left = open_invoices(book, step, edges, claimed=claimed)
    np.testing.assert_allclose(face.sum(axis=0), [150.0, 30.0, 0.0])
    np.testing.assert_allclose(face[steps_left == 3, 1], [30.0])  # the later invoice's rest
    np.testing.assert_allclose(face[steps_left == 1, 1], [0.0])
    unclaimed, _ = open_invoices(book, step, edges)
    np.testing.assert_allclose(unclaimed.sum(axis=0), [150.0, 150.0, 150.0])
    assert (book.amounts.sum(axis=0) == 150.0).all()  # the book itself is not changed


@pytest.mark.parametrize("instrument", ["reverse_factoring", "factoring"])
def test_order_financing_beside_a_sale_of_invoices_keeps_the_books(instrument):
    # The two together, the accounting checked every step: an order's invoice repays its
    # advance and is never sold while it does.
    overrides = {"finance.order_financing": {}, "horizon_days": 182}
    if instrument == "factoring":
        overrides |= {"finance.factoring": {}, "finance.preference": ["factoring", "bank_loan"]}
    model = AutofinModel(scenario("platform_reverse_factoring", **overrides), check=True)
    sold = []
    for _ in range(model.spec.steps):
        model.step()
        sold.append(float(model.finance.activity.volume.sum()))
    assert sum(sold) > 0
