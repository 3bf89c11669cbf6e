"""The scenario schema: every setting of one simulated world, validated by pydantic.

Durations are in days, money in the scenario's currency, rates are annual fractions
(0.03 = 3% a year) and shares are fractions in [0, 1].
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from autofin.scenario._types import (
    MAX_HORIZON_DAYS,
    NAME_PATTERN,
    Amount,
    Day,
    Days,
    Noise,
    PositiveDays,
    Probability,
    Rate,
    Section,
    Share,
    Sigma,
    Weight,
    at_most,
)
from autofin.scenario._types import Money as Money  # re-exported for importers of this module
from autofin.scenario.consumer_schema import (
    ApprovalSpec,
    AutomakerOfferSpec,
    ChannelsSpec,
    ChoiceSpec,
    ConsumerLoanSpec,
)
from autofin.scenario.finance_schema import FinanceSpec


class NetworkSpec(Section):
    """The supply network: generated tier by tier, or loaded from a file."""

    source: Literal["generated", "file"] = Field(
        "generated",
        description="`generated` builds the network from the counts below; `file` loads `path`.",
    )
    path: str | None = Field(
        None,
        max_length=4096,
        description="Edge-list CSV (columns `supplier,customer[,share][,part]`) or GraphML "
        "file, relative to the scenario file (see Network files). Nodes that supply nobody "
        "are automakers.",
    )
    automakers: Annotated[int, at_most(1000)] = Field(
        1,
        ge=1,
        description="Number of automakers (generated networks).",
    )
    tiers: list[Annotated[int, Field(ge=1), at_most(100_000)]] = Field(
        default_factory=lambda: [40, 100, 200],
        min_length=1,
        max_length=50,
        description="Suppliers in each tier, tier 1 first (generated networks).",
    )
    suppliers_per_customer: Annotated[int, at_most(100)] = Field(
        2,
        ge=1,
        description="Suppliers each customer buys each part from (multi-sourcing within a part "
        "category; with one part per tier, the suppliers it buys from).",
    )
    parts_per_tier: (
        Annotated[int, Field(ge=1), at_most(100)]
        | Annotated[list[Annotated[int, Field(ge=1), at_most(100)]], Field(max_length=50)]
    ) = Field(
        1,
        description="Part categories each supplier tier makes (one value for every tier, or "
        "one per tier, tier 1 first). Every supplier makes one part; every customer needs each "
        "part of the tier above it in fixed proportions (a bill of materials), so production "
        "stops when one part runs out. 1 pools all inputs of a tier.",
    )
    preferential_attachment: Annotated[
        float, at_most(20.0, "hub weights (customers + 1) ** x overflow beyond it")
    ] = Field(
        1.0,
        ge=0.0,
        description="Strength of preferential attachment when customers pick suppliers: "
        "0 picks uniformly, higher values concentrate customers on hub suppliers.",
    )

    @model_validator(mode="after")
    def _check_tiers(self) -> NetworkSpec:
        if self.source == "file" and not self.path:
            raise ValueError("source is 'file' but no network.path is given")
        if self.source == "generated" and self.path is not None:
            raise ValueError(
                "network.path is given but source is 'generated', so the file would be "
                "ignored; add source: file to use it, or remove network.path"
            )
        generation_only = (
            "automakers",
            "tiers",
            "suppliers_per_customer",
            "preferential_attachment",
            "parts_per_tier",
        )
        # Values equal to the defaults are harmless (a base scenario may spell them out).
        given = [
            name
            for name in generation_only
            if getattr(self, name)
            != type(self).model_fields[name].get_default(call_default_factory=True)
        ]
        if self.source == "generated":
            parts = self.parts_list()
            if len(parts) != len(self.tiers):
                raise ValueError(
                    f"network.parts_per_tier has {len(parts)} values but there are "
                    f"{len(self.tiers)} tiers; give one value for all tiers or one per tier"
                )
            for level, (count, n_parts) in enumerate(zip(self.tiers, parts, strict=True), 1):
                if n_parts > count:
                    raise ValueError(
                        f"network.parts_per_tier for tier {level} is {n_parts} but the tier has "
                        f"only {count} suppliers; every part needs at least one supplier"
                    )
        if self.source == "file" and given:
            raise ValueError(
                f"{', '.join(given)} only shape generated networks and would be ignored with "
                "source: file (the file defines the firms and tiers); remove them"
            )
        return self

    def parts_list(self) -> list[int]:
        """Part categories of every tier, tier 1 first."""
        parts = self.parts_per_tier
        return list(parts) if isinstance(parts, list) else [parts] * len(self.tiers)


class AutomakerSpec(Section):
    """The automakers (core enterprises): pricing, costs, planning and payment terms."""

    vehicle_price: Amount = Field(150_000.0, gt=0, description="Retail price of a vehicle.")
    parts_cost_share: Share = Field(
        0.70, description="Parts bought from tier-1 suppliers per vehicle, as a share of price."
    )
    assembly_cost_share: Share = Field(
        0.15, description="Wages and other variable costs per vehicle, as a share of price."
    )
    fixed_cost_share: Rate = Field(
        0.05, description="Fixed costs per year as a share of expected annual revenue."
    )
    payment_term_days: Days | Annotated[list[Days], Field(max_length=1000)] = Field(
        170,
        description="Days the automaker takes to pay its tier-1 suppliers (DPO); one value for "
        "all automakers or one per automaker.",
    )
    initial_cash_days: Days = Field(120, description="Opening cash, in days of expected revenue.")
    dividend_payout: Probability = Field(
        0.5,
        description="Share of its profits an automaker pays out as dividends each step: of its "
        "equity above its opening equity, within what payout_while_indebted allows, while it is "
        "not in arrears. Profits leave the firm, so a world with no shock stays near its "
        "opening state.",
    )
    payout_while_indebted: bool = Field(
        True,
        description="An automaker pays dividend_payout of its equity above its opening equity "
        "each step, indebted or not, as its lenders allow: at most its cash above its opening "
        "cash plus the undrawn credit beyond the headroom its line opened with (and beyond the "
        "raises for new output); none while "
        "it is in arrears or every part of its line is frozen. Off: the payout is capped by its "
        "cash above its opening cash, so a firm with a drawn line retains its profits.",
    )
    forecast_smoothing: Annotated[float, Field(gt=0.0, le=1.0)] = Field(
        0.3,
        description="Weight of the latest step (a week at 7-day steps) in the exponentially "
        "smoothed sales forecast: a planning rule applied once a step, not converted to other "
        "step lengths (see `step_days`).",
    )
    inventory_target_days: Days = Field(
        30,
        description="Finished vehicles (and parts) the automaker aims to hold, in days of sales.",
    )
    inventory_adjustment_days: PositiveDays = Field(
        28, description="Days over which a gap to the inventory target is closed."
    )
    equity_days: Days = Field(
        120,
        description="Opening book equity, in days of expected revenue. Working assets "
        "(cash, receivables, inventories) not covered by equity or payables are bank debt, so "
        "longer customer terms mean more debt and higher leverage.",
    )

    @model_validator(mode="after")
    def _check_costs(self) -> AutomakerSpec:
        if self.parts_cost_share + self.assembly_cost_share >= 1.0:
            raise ValueError(
                "parts_cost_share + assembly_cost_share must be below 1 "
                f"(got {self.parts_cost_share + self.assembly_cost_share:g}): the vehicle "
                "would sell at a loss before fixed costs"
            )
        return self


class CapacityInvestmentSpec(Section):
    """Suppliers expanding capacity when demand presses against it."""

    enabled: bool = Field(
        False,
        description="Suppliers invest in capacity; otherwise capacity stays where it opened "
        "(`capacity_slack` × expected output) and only re-sourced business adds to it.",
    )
    utilisation_trigger: Annotated[float, at_most(10.0, "a multiple of capacity")] = Field(
        0.95,
        gt=0.0,
        description="A supplier orders new capacity when its forecast demand exceeds this "
        "share of its capacity (installed and on order).",
    )
    lead_days: Days = Field(
        180, description="Days from ordering new capacity until it produces (build and ramp-up)."
    )
    demand_days: PositiveDays = Field(
        91,
        description="Suppliers size capacity to lasting demand: the orders they receive, "
        "exponentially smoothed over this many days (a longer view invests less in a "
        "bullwhip swing).",
    )
    cost_years: Annotated[float, Field(ge=0.0), at_most(100.0, "years of revenue")] = Field(
        0.5,
        description="Price of new capacity, in years of the revenue it can produce at current "
        "prices; paid from cash when ordered (drawing the credit line when cash is short) "
        "and kept as fixed assets.",
    )
    financing: Literal["cash", "house_line", "term_loan", "syndicated_loan"] = Field(
        "term_loan",
        description="How new capacity is paid for: `cash`, from cash above the firm's buffer "
        "(retained profits; a firm short of capacity pays no dividends); `house_line`, also "
        "by drawing on the committed line, which the house bank raises by the price and the "
        "added working capital (90-day draws, each repaid and drawn again while the line "
        "stays open; `banks.roll_over_maturing_draws`); `term_loan`, the rest borrowed from "
        "the house bank, repaid in equal instalments over `loan_term_days`; "
        "`syndicated_loan`, the same loan arranged by the house bank, which keeps "
        "`arranger_share` of it, and funded by the other banks in equal shares.",
    )
    loan_term_days: PositiveDays = Field(
        1820,
        description="Term of a capacity loan (`term_loan`, `syndicated_loan`): principal is "
        "repaid in equal instalments every step, interest on what is owed.",
    )
    arranger_share: Share = Field(
        0.3,
        description="Share of a syndicated capacity loan the arranging house bank keeps; the "
        "other banks fund the rest in equal shares.",
    )
    min_debt_service_coverage: Annotated[float, at_most(100.0, "times the debt service")] = Field(
        1.25,
        gt=0.0,
        description="Capacity loans are sized so that the borrower's operating profit on the "
        "output it expects with the new capacity covers the loan's instalment and interest, "
        "and its other debts' service, this many times.",
    )


class SupplierSpec(Section):
    """Suppliers of every tier: cost structure, production, inventories and payment terms."""

    margin: float = Field(
        0.05, gt=-1.0, lt=1.0, description="Mean cost-plus margin (EBIT over cost)."
    )
    margin_dispersion: Annotated[float, at_most(1.0, "a spread beyond 100% of cost")] = Field(
        0.02, ge=0.0, description="Standard deviation of the margin across suppliers."
    )
    margin_floor: float = Field(
        -0.5,
        gt=-1.0,
        le=0.9,
        description="Lowest cost-plus margin a supplier is drawn with; a draw below it prices "
        "at it (draws are also capped at 0.9). The default is no floor in practice; a floor "
        "removes suppliers born pricing below their cost.",
    )
    input_cost_share: Share = Field(
        0.60, description="Purchased inputs as a share of a supplier's unit cost."
    )
    fixed_cost_share: Rate = Field(
        0.10, description="Fixed costs per year as a share of expected annual revenue."
    )
    payment_term_days: list[Days] = Field(
        default_factory=lambda: [90, 60, 45],
        min_length=1,
        max_length=50,
        description="Days each tier takes to pay its own suppliers, tier 1 first; the top "
        "tier's term applies to raw materials bought outside the model.",
    )
    lead_time_days: Days = Field(14, description="Production lead time.")
    transit_days: Days = Field(7, description="Days from shipment to arrival at the customer.")
    capacity_slack: Annotated[float, at_most(100.0, "capacity is sized from it")] = Field(
        1.3, ge=1.0, description="Capacity as a multiple of expected output."
    )
    inventory_target_days: Days = Field(
        21, description="Input and output inventory each supplier aims to hold, in days."
    )
    inventory_adjustment_days: PositiveDays = Field(
        28, description="Days over which a gap to the inventory target is closed."
    )
    initial_cash_days: Days = Field(30, description="Opening cash, in days of cost.")
    dividend_payout: Probability = Field(
        0.5,
        description="Share of its profits a supplier pays out as dividends each step: of its "
        "equity above its opening equity, within what payout_while_indebted allows, while it is "
        "not in arrears.",
    )
    payout_while_indebted: bool = Field(
        True,
        description="A supplier pays dividend_payout of its equity above its opening equity "
        "each step, indebted or not, as its lenders allow: at most its cash above its opening "
        "cash plus the undrawn credit beyond the headroom its line opened with (and beyond the "
        "raises for new output); none while "
        "it is in arrears, every part of its line is frozen or it retains profits for new "
        "capacity. Off: the payout is capped by its cash above its opening cash, so a firm "
        "with a drawn line retains its profits.",
    )
    size_dispersion: Sigma = Field(
        0.8,
        description="Log-normal sigma of opening cash across suppliers (fat-tailed finances).",
    )
    cost_shock_sd: Annotated[float, at_most(1.0, "unit costs would turn negative")] = Field(
        0.04,
        ge=0.0,
        description="Standard deviation of the weekly idiosyncratic unit-cost shock (at other "
        "step lengths, the shock per step that keeps the same spread of the cost level).",
    )
    cost_shock_persistence: float = Field(
        0.9,
        ge=0.0,
        lt=1.0,
        description="Week-to-week persistence of the cost shock (AR(1)); at other step lengths "
        "it compounds per day.",
    )
    resourcing_delay_days: Days = Field(
        90, description="Days a customer needs to replace a supplier that defaulted."
    )
    inputs_follow_business: bool = Field(
        True,
        description="When a defaulted supplier's customers are re-sourced, its own suppliers "
        "follow the business to the firm that takes the largest share of it (directed-buy "
        "sub-suppliers and customer-owned tooling move with a programme). Off: they keep "
        "their capacity and costs with no customer until they fail in turn.",
    )
    resourcing_cost_days: Days = Field(
        0,
        description="One-off cost of qualifying a replacement supplier (tooling, audits, "
        "samples), in days of the purchases moved to it; the customer pays it when the "
        "new supplier takes over.",
    )
    order_lead_days: Days = Field(
        0,
        description="Days from placing an order until the supplier accepts it into its "
        "backlog (order processing). Customers count orders not yet accepted as on order; "
        "suppliers plan, ship and borrow (order financing) against accepted orders only.",
    )
    capacity_investment: CapacityInvestmentSpec = Field(
        default_factory=lambda: CapacityInvestmentSpec()
    )
    finance_constrained_production: bool = Field(
        True,
        description="A supplier plans production and input orders only up to the output its "
        "funds can carry: its equity (less plant) and committed credit (line limits and "
        "capacity loans), less its cash buffer, over the working capital (receivables and "
        "inventories less payables) one unit of output per step needed in its opening "
        "balance sheet. Orders beyond it wait in its backlog, and its customers run short, "
        "instead of making it illiquid. Off: it accepts and makes every order it can within "
        "capacity, financed or not.",
    )
    recovery_rate: Probability = Field(
        0.3,
        description="Share of inventory book value realised when a firm is liquidated. Its "
        "receivables are sold at their expected-collection price instead (face value × (1 − "
        "the customer's scored probability of default over the term × `banks."
        "loss_given_default`)).",
    )
    fixed_asset_recovery: Probability = Field(
        0.0,
        description="Share of fixed assets' (plant's) book value realised when a firm is "
        "liquidated. 0 by default: plant built for one customer's parts is taken as worth "
        "nothing to anyone else.",
    )
    equity_days: Days = Field(
        60,
        description="Opening book equity, in days of expected revenue. Working assets "
        "(cash, receivables, inventories) not covered by equity or payables are bank debt, so "
        "longer customer terms mean more debt and higher leverage.",
    )
    forecast_smoothing: Annotated[float, Field(gt=0.0, le=1.0)] = Field(
        0.3,
        description="Weight of the latest step (a week at 7-day steps) in the smoothed "
        "forecast of orders received: a planning rule applied once a step, not converted to "
        "other step lengths (see `step_days`).",
    )
    finance_cost_pass_through: Probability = Field(
        0.2,
        description="Share of their financing cost per unit (interest and discounts) suppliers "
        "pass into cost-plus prices: their pricing power over customers. At 0 a supplier "
        "absorbs every change in its financing cost; at 1 it passes all of it downstream.",
    )
    default_cause_window_days: Days = Field(
        365,
        description="A default is attributed to the customer whose default left the largest "
        "bad debt with the firm within this many days before.",
    )

    @model_validator(mode="after")
    def _check_costs(self) -> SupplierSpec:
        variable = 1.0 - self.input_cost_share - self.fixed_cost_share * (1.0 + self.margin)
        if variable < 0:
            raise ValueError(
                "input_cost_share + fixed_cost_share × (1 + margin) must not exceed 1 (got "
                f"{1.0 - variable:g}): no room is left for wages"
            )
        return self


class ScoringSpec(Section):
    """How banks score a borrower: log-odds of default from its observable data.

    The defaults are calibrated on the model's own history (`benchmarks/fit_scorecard.py`,
    docs/calibration.md, "The scorecard's calibration"): the slopes fitted to default within
    a year with leverage held at 5 and the arrears weight bounded at 50, then the intercept
    set so that the unlearnt scores match the baseline's long-run default frequency.
    """

    intercept: Weight = Field(
        -8.45,
        description="Log-odds of a firm with zero leverage (set so that the unlearnt scores "
        "match the baseline's long-run default frequency: docs/calibration.md).",
    )
    leverage: Weight = Field(
        5.0,
        description="Weight of leverage (liabilities over assets). Set by hand: fitted, it "
        "has no fixed point (a steeper weight makes the defaults that steepen it).",
    )
    cash_flow: Weight = Field(
        40.0,
        description="Weight of the smoothed operating cash-flow margin (lowers the odds; "
        "fitted to default within a year).",
    )
    arrears: Weight = Field(
        50.0,
        description="Weight of how often the firm was recently in arrears (a smoothed frequency "
        "of steps with payments overdue, 0 to 1). Every firm can fall into arrears whatever "
        "finance it uses. Bounded at 50 in the fit, where it separates: four late steps in a "
        "row already give a PD of almost 1.",
    )
    interest_cover: Weight = Field(
        0.19,
        description="Weight of interest cover (operating margin × revenue over financing "
        "cost, capped at 10; lowers the odds; fitted to default within a year).",
    )
    tier: Weight = Field(
        0.0,
        description="Weight of the firm's tier (0 for automakers; upstream is riskier). The "
        "fit finds none once cash flow and arrears are scored.",
    )
    learning_prior: Annotated[
        float, at_most(1e18, "a larger prior only means the bank never learns")
    ] = Field(
        3.0,
        ge=0.0,
        description="Each bank recalibrates its intercept to the defaults it observes among its "
        "clients: its scored default hazard is scaled by e^r, where r, the log-ratio of "
        "realised to predicted defaults, is estimated with a normal prior of this precision "
        "centred on the same estimate over all banks (itself centred on the unlearnt model). "
        "The precision is in defaults: it says how much of its own evidence a bank needs "
        "before it departs from the industry's experience; with a very large prior the bank "
        "never learns. See docs/calibration.md.",
    )
    memory_days: PositiveDays = Field(
        1265,
        description="Half-life of the evidence a bank learns from: defaults seen and predicted "
        "this many days ago weigh half as much as today's. 1,265 days (5 ln 2 years) weighs "
        "as much evidence in all as five years counted equally: Basel's long-run average of "
        "one-year default rates over at least five years, not the last few months'.",
    )


class BankSpec(Section):
    """Banks: capital, funding, scoring, pricing and prudential limits."""

    count: Annotated[int, at_most(1000)] = Field(5, ge=1, description="Number of banks.")
    capital: Amount | Annotated[list[Amount], Field(max_length=1000)] | None = Field(
        None,
        description="Opening capital per bank; one value for all, one per bank, or omitted to "
        "size capital at `capital_ratio` of the expected lending.",
    )
    capital_ratio: Annotated[float, Field(gt=0.0, le=1.0)] = Field(
        0.12, description="Opening capital ratio used to size capital when `capital` is omitted."
    )
    automotive_book_days: Annotated[
        float, at_most(3650.0, "ten years of the ecosystem's revenue exceeds any bank's book")
    ] = Field(
        55.0,
        gt=0.0,
        description="Size of the banks' automotive book, in days of the ecosystem's expected "
        "revenue (every firm's price × expected output). With `automotive_share` it sets the "
        "banks' total book and so their capital, independently of payment terms and of the "
        "firms' opening debt: scenarios that differ in terms start with the same banks. The "
        "banks are of equal size.",
    )
    automotive_share: Annotated[float, Field(gt=0.0, le=1.0)] = Field(
        0.05,
        description="Share of the automotive book (`automotive_book_days`) in each bank's "
        "total loan book. The rest, less the firms' actual opening debt, is other business: a "
        "constant, performing asset that counts in the capital ratio and the concentration "
        "limit but earns and costs nothing here. A larger share makes smaller banks: at 0.2 "
        "the single-borrower limit (`concentration_limit`, a share of capital) stops most "
        "suppliers' lines and 263 of the baseline's 340 suppliers fail a run (42.6 of them in "
        "the warm-up; 2.6 with the limit at 1), though the banks keep their capital. See "
        "docs/calibration.md for the figure.",
    )
    facility_spread: Rate = Field(
        0.01,
        description="Annual rate above its funding rate a bank pays on what it draws from the "
        "central-bank facility that keeps its reserves from going negative (the funding rate "
        "itself rises as capital falls).",
    )
    funding_rate: Rate = Field(0.025, description="Annual rate banks pay on their funding.")
    funding_premium: Rate = Field(
        0.02,
        description="Extra funding cost of a bank whose capital ratio equals its minimum; it "
        "shrinks in proportion as the ratio rises (better-capitalised banks fund cheaper).",
    )
    margin: Rate = Field(0.015, description="Annual lending margin over cost and expected loss.")
    cost_of_equity: Rate = Field(
        0.10,
        description="Annual return banks require on capital. Every claim is priced with the "
        "capital it consumes: `min_capital_ratio` × (cost of equity − funding rate).",
    )
    min_capital_ratio: Rate = Field(
        0.08, description="Capital ratio below which a bank stops new lending."
    )
    max_probability_of_default: Probability = Field(
        0.2,
        description="Scored probability of default above which a bank does not renew a credit "
        "line at its review, and declines other finance priced on the firm's risk.",
    )
    scoring_noise: Noise = Field(
        0.3, ge=0.0, description="Standard deviation of the scoring error (on the log-odds)."
    )
    loss_given_default: Probability = Field(
        0.6, description="Loss given default assumed in pricing."
    )
    loan_term_days: PositiveDays = Field(90, description="Term of working-capital loans.")
    concentration_limit: Probability = Field(
        0.25, description="Largest exposure to one borrower, as a share of the bank's capital."
    )
    workout_days: Days = Field(
        180, description="Days a defaulted loan stays on the books as non-performing."
    )
    borrowing_buffer: Rate = Field(
        0.10, description="Extra drawn above a cash shortfall, as a share of it."
    )
    line_limit_days: Annotated[
        float, at_most(3650.0, "a line beyond ten years of revenue is no working-capital line")
    ] = Field(
        120.0,
        gt=0.0,
        description="Committed credit line of every firm with its bank or banks "
        "(`relationships`), in days of the firm's expected revenue (at least its opening debt "
        "and `expected_sales_growth` of its working-capital need more, and at each renewal at "
        "least what the formula of `expected_sales_growth` gives on its committed output and "
        "own funds then). Draws and repayments "
        "within the limit need no approval; each draw is repaid after `loan_term_days` and "
        "may be drawn again. When a supplier commits to new output (capacity it orders, a "
        "customer's business re-sourced to it) its main bank raises the line by this many "
        "days of the revenue the new output adds.",
    )
    expected_sales_growth: Rate = Field(
        0.04,
        description="Sales growth a bank allows for when it opens a firm's credit line, as the "
        "reference formula of the CBRC's interim measures on working-capital loans (2010) "
        "does: the line is at least the firm's opening debt plus this share of its "
        "working-capital need (receivables and inventory less trade payables), the room the "
        "need at (1 + growth) leaves over what is drawn. At each renewal (`review_days`) the "
        "bank sizes the line again by the formula, on the working capital the firm's planned "
        "output needs and its own funds then (equity and term loans less plant and cash "
        "buffer), never below the line's contract. 0.04: China's vehicle output grew "
        "3.7% and its sales 4.5% in 2024 (CAAM). An adaptation of the formula, and a judgement "
        "that decides how much longer terms cost: docs/calibration.md, 'How much room a "
        "credit line opens with'.",
    )
    resize_lines_at_renewal: bool = Field(
        True,
        description="At each renewal a bank sizes a supplier's line again by the formula of "
        "`expected_sales_growth`: the working capital its committed output (opening output "
        "plus business re-sourced to it) needs, at that growth, less its own funds now "
        "(equity and term loans less plant and its cash buffer), never below the line's "
        "contract, as a bank measures the need at each loan; the room added is kept from "
        "dividends. Own funds lost are thus refinanced for any firm the cut-off and the "
        "covenant let through, unless it has not covered its interest for a year "
        "(`resize_min_interest_cover`). Off: contracts stay as they opened (raised only for new "
        "output); deeper and longer worlds than the baseline then unravel: docs/calibration.md, "
        "'Lines sized again at each renewal'.",
    )
    resize_min_interest_cover: Annotated[float, at_most(100.0, "times the financing cost")] = Field(
        1.0,
        ge=0.0,
        description="No new money for a firm that has not covered its interest: at a "
        "renewal, a supplier whose interest cover (its smoothed operating cash flow over "
        "its financing cost, as the score reads it) was below this at every scheduled "
        "review over `resize_cover_days` has its line renewed at its contract, not sized "
        "again (`resize_lines_at_renewal`); one review at or above it starts the count again. "
        "A prudent lender's rule, assumed: the zombie-firm literature labels firms whose "
        "interest cover stayed below 1 for three years running (McGowan, Andrews & Millot "
        "2018, Economic Policy; Banerjee & Hofmann 2018, BIS Quarterly Review); the window "
        "here is shorter. 0: every renewed line is sized again. See "
        "docs/calibration.md, 'No new money for firms that do not cover their interest'.",
    )
    resize_cover_days: PositiveDays = Field(
        364,
        description="The span of reviews `resize_min_interest_cover` reads: a firm is refused "
        "a raise once its cover was below the minimum at this many days' worth of scheduled "
        "reviews in a row: this span over `review_days`, rounded, at least one, the review at "
        "hand included (364 days of quarterly reviews: four).",
    )
    receivables_advance_rate: Probability = Field(
        0.8,
        description="Borrowing base of a credit line: this share of the firm's eligible trade "
        "receivables (as in asset-based lending; 70-80% of eligible receivables is common: "
        "OCC, Comptroller's Handbook 'Asset-Based Lending', 2014). Eligible: not claimed by "
        "another lender (an order-financing bank is owed out of its edge's invoices) and not "
        "owed by a buyer long past due (`ineligible_days_past_due`); invoices sold under "
        "factoring and defaulted buyers' invoices are off the books already. A line is the "
        "larger of its contract and the base; what the base supports beyond the contract is "
        "shared between the relationship banks in their line shares. A review approves that "
        "much; between reviews the limit follows the current base (never above what was "
        "approved, never below the contract or what is drawn), as monthly borrowing-base "
        "certificates do. 0: lines stay at their contract.",
    )
    ineligible_days_past_due: Days = Field(
        60,
        description="A buyer whose oldest unpaid invoice is more than this many days past due "
        "(its time in arrears: rolled-over invoices keep no age of their own) has all its "
        "invoices excluded from its suppliers' borrowing bases, as lenders' cross-ageing "
        "rules exclude a long-late customer's whole account. Asset-based lenders commonly "
        "exclude receivables over 90 days past invoice date or 60 days past due. With "
        "`grace_days` at or below it, a buyer defaults (and its invoices leave the books) "
        "before any invoice is this late.",
    )
    commitment_fee: Rate = Field(
        0.005, description="Annual fee on the undrawn part of an open credit line."
    )
    review_days: PositiveDays = Field(
        91,
        description="A bank reviews each line this often (staggered across firms), and at once "
        "when a covenant is breached. At a review it renews and reprices the line if the "
        "scored probability of default is at most `max_probability_of_default`, no covenant is "
        "breached and the bank is above its minimum capital ratio; otherwise it does not renew "
        "it: the line is frozen and its limit falls with every repayment.",
    )
    roll_over_maturing_draws: bool = Field(
        False,
        description="Whether a firm still short of what is due after its other finance, not in "
        "arrears and with no part of its line frozen, rolls the draws falling due on its line "
        "into new ones (as far as it is short): no cash moves, the principal falls due "
        "`loan_term_days` later with the new term's interest, as a revolving facility's "
        "rollover loans refinance maturing ones; in China, renewal "
        "without repaying the principal first, opened by the CBRC in 2014 and extended by the "
        "NFRA in September 2024 to all small and micro firms and, until September 2027, to "
        "medium-sized ones. Off, the principal falling due is repaid from cash before the line "
        "frees room to draw again (repay first, then borrow again), so a firm at its limit "
        "needs the cash for each maturing draw, and one without it falls into arrears: harsher "
        "than the practice, which applied to loans maturing about once a year and which firms "
        "bridged with costly short-term funds. Off by default, so every shipped result stays "
        "as measured; see docs/calibration.md.",
    )
    repay_first_days: PositiveDays = Field(
        7,
        description="Days of the line draws falling due in a step that a firm repays from "
        "cash before its line frees room to draw again (with `roll_over_maturing_draws` off, "
        "the repay-first rule). In a longer step the draws maturing in its other days roll "
        "over into new ones, as with `roll_over_maturing_draws`, so that the cash needed at "
        "once does not grow with `step_days`: at a 28-day step, repaying 28 days of "
        "maturities at once made most suppliers illiquid in the first weeks. The days are of "
        "the line's real term (`repay_first_days / loan_term_days` of the draws), however "
        "`loan_term_days` rounds to whole steps. At the shipped "
        "7-day step (or shorter) nothing rolls, and every shipped result stays as measured.",
    )
    covenant_headroom: Probability = Field(
        0.75,
        description="Leverage covenant on a credit line, set at origination with headroom over "
        "the borrower's own opening leverage L0: the line is in breach when liabilities over "
        "assets exceed 1 - (1 - headroom) x (1 - L0), i.e. when the borrower has lost this share "
        "of its opening equity-to-assets ratio. 1 switches the covenant off.",
    )
    grace_days: Days = Field(
        28,
        description="A firm that cannot pay its trade invoices and bank dues from cash and "
        "undrawn credit is in arrears: those payments roll over step by step at `late_rate`. "
        "Still in arrears after this many days, it defaults (illiquid).",
    )
    late_rate: Rate = Field(
        0.12, description="Annual penalty rate on payments in arrears (bank dues and invoices)."
    )
    insolvency_days: Days = Field(
        91,
        description="A firm whose equity (cash + receivables + inventories − payables − what "
        "it owes the banks, plus the fixed assets that make up the rest of its opening equity) "
        "has been negative this long has its lines called and defaults "
        "(insolvent).",
    )
    relationships: Annotated[int, at_most(1000)] = Field(
        1,
        ge=1,
        description="Banks in every firm's committed credit line: its main bank (the house "
        "bank) and `relationships` - 1 other banks, each holding its part of the limit. Draws "
        "and repayments are shared between the parts; each bank scores the firm with its own "
        "model and reviews, freezes, reprices or (failing) cuts only its part. At most "
        "`count`; 1 keeps the whole line with the house bank.",
    )
    main_bank_share: Annotated[float, Field(gt=0.0, le=1.0)] = Field(
        0.6,
        description="The main bank's share of every credit line when `relationships` > 1; the "
        "other banks share the rest equally. See docs/calibration.md for the figure.",
    )
    scoring: ScoringSpec = Field(default_factory=ScoringSpec)

    @model_validator(mode="after")
    def _check_relationships(self) -> BankSpec:
        if self.relationships > self.count:
            raise ValueError(
                f"relationships is {self.relationships} but there are only {self.count} banks "
                "(count); a firm's line is with distinct banks"
            )
        return self

    def line_shares(self) -> list[float]:
        """Each relationship's share of a firm's line: the main bank's first."""
        if self.relationships == 1:
            return [1.0]
        other = (1.0 - self.main_bank_share) / (self.relationships - 1)
        return [self.main_bank_share] + [other] * (self.relationships - 1)


class MarketSpec(Section):
    """The car market the supply chain and the banks are sized for."""

    vehicles_per_year: (
        Annotated[float, Field(gt=0.0), at_most(1e9, "more vehicles than the world buys")] | None
    ) = Field(
        None,
        description="Expected vehicle sales per year (all automakers) that suppliers' output "
        "and capacity, opening inventories and the banks are sized for. Omitted: the "
        "scenario's own expected demand, so a scenario that changes finance also changes the "
        "size of its supply chain. Give it (in a base scenario) to hold the supply side fixed "
        "while finance settings vary, so that extra demand can run into capacity.",
    )


class ConsumerSpec(Section):
    """The consumer population whose vehicle purchases are the automakers' revenue."""

    population: Annotated[
        int, at_most(10_000_000, "each consumer takes about 200 bytes and time every step")
    ] = Field(50_000, ge=1, description="Number of consumers.")
    replacement_years: Annotated[float, at_most(100.0, "longer than a lifetime")] = Field(
        6.0, gt=0.0, description="Mean years between two shopping trips of a consumer."
    )
    income_median: Amount = Field(120_000.0, gt=0.0, description="Median annual household income.")
    income_sigma: Sigma = Field(0.5, description="Log-normal sigma of income.")
    affordability_multiple: Annotated[float, at_most(100.0, "years of income")] = Field(
        1.5, gt=0.0, description="Vehicle price a consumer finds comfortable, in years of income."
    )
    price_sensitivity: Annotated[float, at_most(100.0, "exp() of it overflows")] = Field(
        3.0, ge=0.0, description="Steepness of the purchase probability in price over budget."
    )
    purchase_propensity: Probability = Field(
        0.8, description="Chance that a shopper who can comfortably afford the car buys it."
    )
    retry_days: PositiveDays = Field(
        28, description="Days until a buyer who found no car in stock shops again."
    )
    max_retries: Annotated[int, at_most(100)] = Field(
        2,
        ge=0,
        description="Times a buyer comes back for a car out of stock before the sale is lost.",
    )
    purchase_propensity_dispersion: float = Field(
        0.1,
        ge=0.0,
        lt=0.5,
        description="Standard deviation of the purchase propensity across consumers (beta).",
    )
    test_drive_propensity: Probability = Field(
        0.6, description="Chance that a lead who finds the car affordable books a test drive."
    )
    savings_years: Annotated[float, at_most(100.0, "years of income")] = Field(
        0.8, ge=0.0, description="Median savings available for a car, in years of income."
    )
    savings_sigma: Sigma = Field(1.0, description="Log-normal sigma of savings.")
    fraud_share: Probability = Field(
        0.002, description="Share of consumers who would take a car loan with no intent to repay."
    )
    holding_years: Annotated[float, at_most(100.0, "longer than a lifetime")] = Field(
        2.0, ge=0.0, description="Years after a purchase during which a consumer does not buy."
    )
    new_household_rate: Annotated[float, Field(ge=0.0), at_most(1.0, "a yearly growth rate")] = (
        Field(
            0.0,
            description="New households entering the car market per year, as a share of the "
            "population (first-time buyers besides the replacement calendar).",
            json_schema_extra={"unit": "share per year"},
        )
    )
    channels: ChannelsSpec = Field(default_factory=ChannelsSpec)
    approval: ApprovalSpec = Field(default_factory=ApprovalSpec)
    loans: ConsumerLoanSpec = Field(default_factory=ConsumerLoanSpec)
    choice: ChoiceSpec = Field(default_factory=ChoiceSpec)
    automaker_offers: list[AutomakerOfferSpec] = Field(
        default_factory=list,
        max_length=1000,
        description="Per-automaker overrides: a bank partnership, a faster approval, other "
        "loan terms or reach (at most one entry per automaker).",
    )

    @model_validator(mode="after")
    def _check_offers(self) -> ConsumerSpec:
        seen = [offer.automaker for offer in self.automaker_offers]
        doubled = sorted({k for k in seen if seen.count(k) > 1})
        if doubled:
            raise ValueError(f"automaker_offers: automaker {doubled[0]} is given more than once")
        return self


class ForceDefault(Section):
    """Shock: force a supplier (or an automaker) into default on a given day."""

    type: Literal["force_default"]
    day: Day = Field(description="Day the default happens.")
    tier: Annotated[int, at_most(50, "networks have at most 50 supplier tiers")] = Field(
        1, ge=0, description="Tier of the firm to default (0 = automakers, 1 = tier-1 suppliers)."
    )
    rank: Annotated[int, at_most(10_000_000)] = Field(
        1,
        ge=1,
        description=(
            "Which firm of that tier: 1 = the largest by expected revenue among those "
            "trading at day 0 (after the warm-up)."
        ),
    )


class DemandShock(Section):
    """Shock: multiply consumers' purchase propensity for a while."""

    type: Literal["demand"]
    day: Day = Field(description="Day the shock starts.")
    duration_days: Annotated[
        int, Field(gt=0), at_most(MAX_HORIZON_DAYS, "longer than the longest horizon")
    ] = Field(description="How long it lasts.")
    factor: Annotated[float, at_most(100.0, "a purchase propensity multiplier")] = Field(
        ge=0.0, description="Multiplier on purchase propensity."
    )


Shock = Annotated[ForceDefault | DemandShock, Field(discriminator="type")]


class Scenario(Section):
    """One simulated world: the only input of a run."""

    name: str = Field(
        max_length=100,
        pattern=NAME_PATTERN,
        description="Short name (letters, digits, `_`, `.`, `-`); results go to results/<name>/.",
    )
    description: str = Field("", max_length=10_000, description="Free text shown in reports.")
    extends: str | None = Field(
        None,
        max_length=4096,
        description="Scenario file this one is based on (path relative to this file); "
        "settings given here replace the base's.",
    )
    seed: Annotated[int, at_most(2**63 - 1, "seeds are 63-bit")] = Field(
        0, ge=0, description="Seed of the random generator."
    )
    replications: int = Field(
        1,
        ge=1,
        le=1000,
        description="Runs over seeds `seed`, `seed + 1`, ...; `autofin run` reports each "
        "figure's mean and 95% confidence interval (at most 1,000).",
    )
    horizon_days: Annotated[
        int,
        Field(gt=0),
        at_most(MAX_HORIZON_DAYS, "a century; run time and memory grow with the number of steps"),
    ] = Field(1095, description="Simulated days.")
    step_days: PositiveDays = Field(
        7,
        description="Days per model step. The calibration is at 7 days. Cost shocks and the "
        "smoothing of margins and arrears that banks score are given per week and converted "
        "to the step (the same persistence per day), but some rules still act once a step "
        "(production and transit times, payment terms and the grace period rounded to whole "
        "steps; forecasts smoothed with the same weight a step: converted per day, with the "
        "inventory gap closed once a step, they swing orders at 28-day steps until about a "
        "quarter of the baseline's suppliers fail; dividends a share of excess equity a "
        "step; a step shorter than "
        "`banks.repay_first_days` repays only its own days of maturing draws first), so "
        "results at other steps differ, supplier defaults much: 170-day terms lose 2.75 "
        "suppliers a run more than the 60-day pledge at 7-day steps, 0.31 more at 14-day and "
        "none at 5-day steps (docs/calibration.md, `banks.repay_first_days`).",
    )
    warmup_days: Days = Field(
        365,
        description="Days the model runs before day 0 and leaves out of the results: firms "
        "settle into their running state and banks learn from the defaults they see. Day 0 "
        "of the results is the end of the warm-up; shocks and term changes are dated from it.",
    )
    currency: str = Field("CNY", max_length=16, description="Currency unit of all money amounts.")
    network: NetworkSpec = Field(default_factory=NetworkSpec)
    automakers: AutomakerSpec = Field(default_factory=AutomakerSpec)
    suppliers: SupplierSpec = Field(default_factory=SupplierSpec)
    banks: BankSpec = Field(default_factory=BankSpec)
    consumers: ConsumerSpec = Field(default_factory=ConsumerSpec)
    market: MarketSpec = Field(default_factory=MarketSpec)
    finance: FinanceSpec = Field(
        default_factory=FinanceSpec,
        description="Supply-chain finance instruments and payment-term policies.",
    )
    shocks: list[Shock] = Field(
        default_factory=list, max_length=1000, description="Scheduled shocks."
    )

    @model_validator(mode="after")
    def _check_consistency(self) -> Scenario:
        if self.step_days > self.horizon_days:
            raise ValueError(
                f"step_days ({self.step_days}) is longer than horizon_days ({self.horizon_days})"
            )
        last_seed = self.seed + self.replications - 1
        if last_seed > 2**63 - 1:
            raise ValueError(
                f"seed ({self.seed:,}) with {self.replications} replications runs up to seed "
                f"{last_seed:,}; seeds are 63-bit (at most {2**63 - 1:,}), so with "
                f"{self.replications} replications the seed is at most "
                f"{2**63 - self.replications:,}"
            )
        if self.network.source == "generated":
            n_tiers = len(self.network.tiers)
            if len(self.suppliers.payment_term_days) != n_tiers:
                raise ValueError(
                    f"suppliers.payment_term_days has {len(self.suppliers.payment_term_days)} "
                    f"values but the network has {n_tiers} tiers; give one term per tier"
                )
            terms = self.automakers.payment_term_days
            if isinstance(terms, list) and len(terms) != self.network.automakers:
                raise ValueError(
                    f"automakers.payment_term_days has {len(terms)} values but there are "
                    f"{self.network.automakers} automakers"
                )
            for index, shock in enumerate(self.shocks):
                if isinstance(shock, ForceDefault) and shock.tier > n_tiers:
                    raise ValueError(
                        f"shocks.{index}.tier is {shock.tier} but the network has only "
                        f"{n_tiers} tiers"
                    )
                if not isinstance(shock, ForceDefault):
                    continue
                in_tier = (
                    self.network.automakers
                    if shock.tier == 0
                    else self.network.tiers[shock.tier - 1]
                )
                if shock.rank > in_tier:
                    raise ValueError(
                        f"shocks.{index}.rank is {shock.rank} but tier {shock.tier} has only "
                        f"{in_tier} firms"
                    )
            for path, tier in self.finance.tier_references():
                if tier > n_tiers:
                    raise ValueError(
                        f"{path} is {tier} but the network has only {n_tiers} supplier tiers"
                    )
            consumers = self.consumers
            makers = [
                (f"consumers.automaker_offers.{i}.automaker", offer.automaker)
                for i, offer in enumerate(consumers.automaker_offers)
            ]
            makers.append(
                ("consumers.channels.bank_app.automaker", consumers.channels.bank_app.automaker)
            )
            for path, index in [*self.finance.automaker_references(), *makers]:
                if index >= self.network.automakers:
                    raise ValueError(
                        f"{path} is {index}, but there is no automaker {index}: the network has "
                        f"{self.network.automakers} (numbered from 0)"
                    )
        capital = self.banks.capital
        if isinstance(capital, list) and len(capital) != self.banks.count:
            raise ValueError(
                f"banks.capital has {len(capital)} values but banks.count is {self.banks.count}"
            )
        for path, index in self.finance.bank_references():
            if index >= self.banks.count:
                raise ValueError(
                    f"{path} is {index}, but there is no bank {index}: banks.count is "
                    f"{self.banks.count} (numbered from 0)"
                )
        for i, offer in enumerate(self.consumers.automaker_offers):
            if offer.partner_bank is not None and offer.partner_bank >= self.banks.count:
                raise ValueError(
                    f"consumers.automaker_offers.{i}.partner_bank is {offer.partner_bank} but "
                    f"there are only {self.banks.count} banks (rows 0 to {self.banks.count - 1})"
                )
        partner = self.consumers.channels.bank_app.partner_bank
        if partner >= self.banks.count:
            raise ValueError(
                f"consumers.channels.bank_app.partner_bank is {partner} but there are only "
                f"{self.banks.count} banks (rows 0 to {self.banks.count - 1})"
            )
        for index, shock in enumerate(self.shocks):
            if shock.day > self.horizon_days:
                raise ValueError(
                    f"shocks.{index}.day is {shock.day}, after horizon_days ({self.horizon_days})"
                )
        for index, change in enumerate(self.finance.payment_terms):
            if change.day > self.horizon_days:
                raise ValueError(
                    f"finance.payment_terms.{index}.day is {change.day}, after horizon_days "
                    f"({self.horizon_days})"
                )
        for index, loan in enumerate(self.finance.syndicated_loans):
            if loan.draw_day > self.horizon_days:
                raise ValueError(
                    f"finance.syndicated_loans.{index}.draw_day is {loan.draw_day}, after "
                    f"horizon_days ({self.horizon_days})"
                )
        return self

    @property
    def steps(self) -> int:
        """Number of model steps in the horizon."""
        return self.horizon_days // self.step_days

    @property
    def warmup_steps(self) -> int:
        """Steps of the warm-up before day 0 (`warmup_days` rounded to whole steps)."""
        return max(0, round(self.warmup_days / self.step_days))

    @property
    def run_steps(self) -> int:
        """Steps one run takes: its warm-up's and its horizon's (a run's progress)."""
        return self.warmup_steps + self.steps
