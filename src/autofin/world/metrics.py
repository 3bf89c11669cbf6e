"""What a run records: one row of metrics per step, the event log and the summary.

Every metric is defined in ``docs/metrics.md``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from autofin.world.banks import INSTRUMENT_NAMES, SUPPLY_CHAIN_FINANCE, Instrument
from autofin.world.finance.context import FinanceActivity
from autofin.world.firms import Firms, steps_of
from autofin.world.funnel import consumer_metrics, consumer_summary, mean_of

if TYPE_CHECKING:
    from autofin.world.model import AutofinModel


@dataclass
class StepActivity:
    """Flows of one step that the metrics need, gathered while the step runs."""

    active_at_start: np.ndarray
    orders_by_supplier: np.ndarray = field(default_factory=lambda: np.zeros(0))
    started: np.ndarray = field(default_factory=lambda: np.zeros(0))
    shipped_value: np.ndarray = field(default_factory=lambda: np.zeros(0))
    sales_value: np.ndarray = field(default_factory=lambda: np.zeros(0))
    bad_debt: float = 0.0
    vehicle_demand: float = 0.0
    vehicles_sold: float = 0.0
    lost_sales: int = 0
    bank_failures: int = 0
    resourced: int = 0
    resourcing_cost: float = 0.0
    capacity_investment: float = 0.0
    revenue: np.ndarray = field(default_factory=lambda: np.zeros(0))
    ebit: np.ndarray = field(default_factory=lambda: np.zeros(0))
    input_price: np.ndarray = field(default_factory=lambda: np.zeros(0))
    finance: FinanceActivity | None = None

    @classmethod
    def start(cls, firms: Firms) -> StepActivity:
        """Begin a step: remember who is active."""
        return cls(active_at_start=firms.active.copy())


class MetricsRecorder:
    """Collects the per-step metrics and turns them into tidy frames."""

    def __init__(self, model: AutofinModel) -> None:
        self.model = model
        self.rows: list[dict[str, float]] = []
        self.n_tiers = model.network.n_tiers
        makers = model.firms.is_automaker
        self.opening_input_price = float(model.firms.input_price()[makers].mean())
        # Day 0 of the results: suppliers in business and losses booked before it.
        self.opening_suppliers = int((~makers & model.firms.active).sum())
        self.warmup_supplier_defaults = int((~makers & ~model.firms.active).sum())
        self.warmup_bank_failures = int(model.banks.failed.sum())
        self.opening_losses = model.banks.losses_by_instrument.copy()

    def record(self, step: int, activity: StepActivity) -> None:
        """Append the metrics of ``step``."""
        model = self.model
        firms, banks, ledger = model.firms, model.banks, model.ledger
        cash = ledger.balance[: firms.n]
        supplier = ~firms.is_automaker
        tier_rows = model.tier_rows  # each tier's firms are one contiguous range
        was_active = activity.active_at_start
        defaulted = was_active & ~firms.active
        row: dict[str, float] = {"step": step, "day": step * model.spec.step_days}
        n_active = int((was_active & supplier).sum())
        n_defaults = int((defaulted & supplier).sum())
        row["suppliers_active"] = n_active
        row["supplier_defaults"] = n_defaults
        row["supplier_default_rate"] = n_defaults / n_active if n_active else math.nan
        for tier in range(1, self.n_tiers + 1):
            rows = tier_rows[tier]
            active = int(was_active[rows].sum())
            count = int(defaulted[rows].sum())
            row[f"supplier_defaults_tier{tier}"] = count
            row[f"supplier_default_rate_tier{tier}"] = count / active if active else math.nan
        # Automakers are the rows of tier 0, suppliers all rows after them.
        makers, suppliers = tier_rows[0], slice(tier_rows[0].stop, firms.n)
        row["automaker_defaults"] = int(defaulted[makers].sum())
        row["trade_bad_debt"] = activity.bad_debt
        row["resourced_edges"] = activity.resourced
        row["automaker_cash"] = float(cash[makers].sum())
        row["supplier_cash"] = float(cash[suppliers][firms.active[suppliers]].sum())
        row["automaker_payables"] = float(firms.payables[makers].sum())
        row["supplier_receivables"] = float(firms.receivables[suppliers].sum())
        row["supplier_debt"] = float(firms.debt[suppliers].sum())
        lending = banks.lending_round
        capital = banks.capital(ledger)
        risk_assets = banks.risk_assets().sum()
        row["bank_loans"] = float(
            banks.exposure[Instrument.BANK_LOAN].sum() + banks.npl[Instrument.BANK_LOAN].sum()
        )
        row["bank_npl_ratio"] = banks.npl_ratio()
        row["bank_capital"] = float(capital.sum())
        row["bank_capital_ratio"] = float(capital.sum() / risk_assets) if risk_assets > 0 else 0.0
        row["bank_lending_volume"] = lending.volume
        row["bank_loan_applications"] = lending.applications
        row["bank_loan_approvals"] = lending.approvals
        row["bank_new_loan_rate"] = (
            lending.interest_weighted / lending.volume if lending.volume > 0 else float("nan")
        )
        row["bank_credit_losses"] = float(banks.credit_losses.sum() - self.opening_losses.sum())
        row["bank_facility"] = float(banks.facility.sum())
        pd_now = model.finance.round.pd if model.finance.round is not None else None
        live_suppliers = supplier & was_active
        if pd_now is not None and live_suppliers.any():
            scored = pd_now[live_suppliers]
            row["scored_pd_mean"] = mean_of(scored)
            # The same PDs as annual default hazards, -ln(1 - PD): the unit of defaults per
            # borrower-year, which banks learn in (Scoring.learn).
            row["scored_hazard_mean"] = -mean_of(np.log1p(-np.minimum(scored, 1.0 - 1e-12)))
        else:
            row["scored_pd_mean"] = row["scored_hazard_mean"] = float("nan")
        row["firms_in_arrears"] = int((firms.active & (firms.arrears_steps > 0)).sum())
        frozen = banks.line_frozen
        row["credit_lines_frozen"] = int((firms.active & frozen).sum())
        partly = banks.part_frozen.any(axis=0) & ~frozen
        row["credit_lines_partly_frozen"] = int((firms.active & partly).sum())
        row["credit_line_undrawn"] = float(banks.undrawn(firms)[firms.active].sum())
        row["bank_failures"] = activity.bank_failures
        # The book value of inventories, for the working-capital cycle and the tier tables.
        inventory = firms.inventory_value(activity.input_price)
        if activity.finance is not None:
            self._record_finance(row, activity.finance, activity.input_price, inventory)
        row["production_units"] = float(activity.started[makers].sum())
        row["sales_units"] = activity.vehicles_sold
        row["vehicle_demand"] = activity.vehicle_demand
        row["lost_sales_units"] = activity.lost_sales
        row["automaker_inventory_units"] = float(firms.output_inventory[makers].sum())
        row["supplier_output_value"] = float(activity.revenue[suppliers].sum())
        for tier in range(1, self.n_tiers + 1):
            rows = tier_rows[tier]
            row[f"orders_tier{tier}"] = float(
                (activity.orders_by_supplier[rows] * firms.price[rows]).sum()
            )
        live_supplier = supplier & firms.active
        row["supplier_capacity"] = float((firms.capacity * firms.price)[live_supplier].sum())
        row["supplier_backlog"] = float((firms.edge_backlog * firms.edge_price()).sum())
        row["capacity_investment"] = activity.capacity_investment
        row["resourcing_cost"] = activity.resourcing_cost
        row.update(consumer_metrics(model.market, banks))
        self._record_firm_tables(row, step, activity, inventory)
        self.rows.append(row)

    def _record_firm_tables(
        self, row: dict[str, float], step: int, act: StepActivity, inventory: np.ndarray
    ) -> None:
        """Margins and inventories by tier, per-bank ratios, decision-time spread; firm totals."""
        model = self.model
        firms, banks = model.firms, model.banks
        live = act.active_at_start
        for tier in range(1, self.n_tiers + 1):
            rows = model.tier_rows[tier]
            in_tier = live[rows]
            revenue = float(act.revenue[rows][in_tier].sum())
            row[f"supplier_ebit_margin_tier{tier}"] = (
                float(act.ebit[rows][in_tier].sum()) / revenue if revenue > 0 else float("nan")
            )
            row[f"inventory_value_tier{tier}"] = float(
                inventory[rows][in_tier & firms.active[rows]].sum()
            )
        capital_ratio = banks.capital_ratio(model.ledger).tolist()
        npl_ratio = banks.npl_ratio_by_bank().tolist()
        for bank in range(banks.count):
            row[f"bank_npl_ratio_bank{bank}"] = npl_ratio[bank]
            row[f"bank_capital_ratio_bank{bank}"] = capital_ratio[bank]
        minutes = model.market.all_decision_minutes[-1]  # this step's, joined by `shop`
        for q in (10, 90):
            row[f"decision_minutes_p{q}"] = _percentile(minutes, q)
        model.firm_ledger.record(step, model, act.revenue, act.ebit, inventory)

    def _record_finance(
        self,
        row: dict[str, float],
        act: FinanceActivity,
        input_price: np.ndarray,
        inventory: np.ndarray,
    ) -> None:
        """Financing by instrument, suppliers' working capital and the procurement cost."""
        model = self.model
        firms, banks = model.firms, model.banks
        lending = banks.lending_round
        # Per instrument, from Python lists (the same values; far fewer NumPy scalar reads).
        volumes = lending.volume_by_instrument.tolist()
        costs = lending.cost_weighted_by_instrument.tolist()
        outstanding = banks.exposure.sum(axis=1).tolist()  # each row summed as on its own
        for instrument in Instrument:
            if instrument == Instrument.CONSUMER_LOAN:
                continue
            name = INSTRUMENT_NAMES[instrument]
            volume = volumes[instrument]
            row[f"financing_volume_{name}"] = volume
            row[f"financing_cost_{name}"] = (
                costs[instrument] / volume if volume > 0 else float("nan")
            )
            row[f"financing_outstanding_{name}"] = outstanding[instrument]
        # Suppliers are the rows after the automakers' (a slice: the same values as a mask).
        supplier = slice(model.tier_rows[0].stop, firms.n)
        volume = float(act.volume[supplier].sum())
        row["supplier_financing_volume"] = volume
        row["supplier_financing_rate"] = (
            float(act.cost_weighted[supplier].sum()) / volume if volume > 0 else float("nan")
        )
        row["supplier_financing_cost"] = float(act.cost[supplier].sum())
        row["supplier_unmet_need"] = float(act.unmet_need[supplier].sum())
        face = float(act.cash_face[supplier].sum())
        row["invoice_to_cash_days"] = (
            float(act.cash_days[supplier].sum()) / face if face > 0 else float("nan")
        )
        row["supplier_ccc_days"] = cash_conversion_cycle(
            firms, model.spec.step_days, input_price, inventory
        )
        row["platform_npl_ratio"] = banks.npl_ratio(Instrument.REVERSE_FACTORING)
        row["scf_npl_ratio"] = banks.npl_ratio(SUPPLY_CHAIN_FINANCE)
        row["credit_line_npl_ratio"] = banks.npl_ratio(Instrument.BANK_LOAN)
        row["inventory_margin_calls"] = act.margin_calls
        row["inventory_max_loan_to_value"] = act.max_loan_to_value
        makers = firms.is_automaker & firms.active
        row["procurement_cost_index"] = (
            mean_of(input_price[makers]) / self.opening_input_price
            if makers.any()
            else float("nan")
        )

    def frame(self) -> pd.DataFrame:
        """The time series: one row per step."""
        frame = pd.DataFrame(self.rows)
        for column in frame.columns:
            if is_count_column(column):
                frame[column] = frame[column].astype(np.int64)
        return frame

    def events_frame(self) -> pd.DataFrame:
        """The event log: defaults with the default that caused them, if any."""
        model = self.model
        events = model.chain.events
        firms = model.firms
        ids = np.array([e.firm for e in events], dtype=np.int64)
        causes = np.array([e.cause for e in events], dtype=np.int64)
        return pd.DataFrame(
            {
                "step": pd.Series([e.step for e in events], dtype=np.int64),
                "day": pd.Series([e.step * model.spec.step_days for e in events], dtype=np.int64),
                "agent_type": pd.Series(
                    np.where(firms.tier[ids] == 0, "automaker", "supplier"), dtype=object
                ),
                "agent_id": pd.Series(ids, dtype=np.int64),
                "tier": pd.Series(firms.tier[ids], dtype=np.int64),
                "label": pd.Series([model.network.labels[i] for i in ids], dtype=object),
                "event": pd.Series([e.event for e in events], dtype=object),
                "reason": pd.Series([e.reason for e in events], dtype=object),
                "cause_id": pd.Series(
                    np.where(causes >= 0, causes, None) if len(causes) else [], dtype="Int64"
                ),
            }
        )

    def summary(self, timeseries: pd.DataFrame, events: pd.DataFrame) -> dict[str, Any]:
        """Headline figures of the run."""
        model = self.model
        n_suppliers = self.opening_suppliers
        years = model.spec.steps * model.spec.step_days / 365.0
        defaults = events[events["agent_type"] == "supplier"]
        summary: dict[str, Any] = {
            "suppliers": n_suppliers,
            "warmup_supplier_defaults": self.warmup_supplier_defaults,
            "warmup_bank_failures": self.warmup_bank_failures,
            "supplier_defaults": len(defaults),
            "supplier_default_share": len(defaults) / n_suppliers if n_suppliers else math.nan,
            "supplier_annual_default_rate": (
                len(defaults) / n_suppliers / years if n_suppliers else math.nan
            ),
            "scored_pd_one_year_ratio": one_year_pd_calibration(timeseries, model.spec.step_days),
            "automaker_defaults": int((events["agent_type"] == "automaker").sum()),
            "defaults_with_cause": int(events["cause_id"].notna().sum()),
            "largest_cascade": largest_cascade(events),
            "trade_bad_debt": float(timeseries["trade_bad_debt"].sum()),
            "bank_credit_losses": float(timeseries["bank_credit_losses"].iloc[-1]),
            "bank_npl_ratio_final": float(timeseries["bank_npl_ratio"].iloc[-1]),
            "bank_npl_ratio_mean": float(timeseries["bank_npl_ratio"].mean()),
            "bank_capital_ratio_min": float(timeseries["bank_capital_ratio"].min()),
            "bank_lending_volume": float(timeseries["bank_lending_volume"].sum()),
            "bank_failures": int(timeseries["bank_failures"].sum()),
            "sales_units": float(timeseries["sales_units"].sum()),
            "lost_sales_units": float(timeseries["lost_sales_units"].sum()),
            **self._finance_summary(timeseries),
            "steps": len(timeseries),
        }
        for tier in range(1, self.n_tiers + 1):
            summary[f"supplier_defaults_tier{tier}"] = int((defaults["tier"] == tier).sum())
        summary["capacity_investment"] = float(timeseries["capacity_investment"].sum())
        summary["resourcing_cost"] = float(timeseries["resourcing_cost"].sum())
        summary.update(bullwhip(timeseries, self.n_tiers))
        summary.update(consumer_summary(timeseries, model.market))
        return summary

    def _finance_summary(self, timeseries: pd.DataFrame) -> dict[str, float]:
        """Financing totals and costs by instrument, and the working-capital headlines."""
        if "supplier_financing_volume" not in timeseries:
            return {}
        banks = self.model.banks
        out: dict[str, float] = {}
        for instrument in Instrument:
            if instrument == Instrument.CONSUMER_LOAN:
                continue
            name = INSTRUMENT_NAMES[instrument]
            out[f"financing_volume_{name}"] = float(timeseries[f"financing_volume_{name}"].sum())
            out[f"financing_cost_{name}"] = _volume_weighted(timeseries, name)
            out[f"credit_losses_{name}"] = float(
                (banks.losses_by_instrument[instrument] - self.opening_losses[instrument]).sum()
            )
        supplier_volume = timeseries["supplier_financing_volume"]
        out["supplier_financing_volume"] = float(supplier_volume.sum())
        out["supplier_financing_rate"] = (
            float((supplier_volume * timeseries["supplier_financing_rate"].fillna(0)).sum())
            / float(supplier_volume.sum())
            if supplier_volume.sum() > 0
            else float("nan")
        )
        out["supplier_financing_cost"] = float(timeseries["supplier_financing_cost"].sum())
        out["supplier_unmet_need"] = float(timeseries["supplier_unmet_need"].sum())
        out["supplier_ccc_days_mean"] = float(timeseries["supplier_ccc_days"].mean())
        out["invoice_to_cash_days_mean"] = float(timeseries["invoice_to_cash_days"].mean())
        out["platform_npl_ratio_final"] = float(timeseries["platform_npl_ratio"].iloc[-1])
        out["scf_npl_ratio_mean"] = float(timeseries["scf_npl_ratio"].mean())
        out["credit_line_npl_ratio_mean"] = float(timeseries["credit_line_npl_ratio"].mean())
        out["procurement_cost_index_final"] = float(timeseries["procurement_cost_index"].iloc[-1])
        return out


def is_count_column(name: str) -> bool:
    """Whether a time-series column is a count, stored as integers whatever was recorded."""
    return name in ("step", "day") or name.startswith(("supplier_defaults", "suppliers_active"))


def bullwhip(timeseries: pd.DataFrame, n_tiers: int) -> dict[str, float]:
    """Order variance by tier relative to consumer demand (the bullwhip effect).

    For the automakers' production and for each tier's orders, the variance over the
    variance of vehicle demand, each relative to its mean (a ratio of squared coefficients of
    variation, so vehicles and currency compare). 1 passes demand on unamplified; above 1
    amplifies it.
    """
    demand = timeseries["vehicle_demand"]
    demand_cv2 = _squared_variation(demand)
    levels = {"bullwhip_production": timeseries["production_units"]}
    for tier in range(1, n_tiers + 1):
        levels[f"bullwhip_tier{tier}"] = timeseries[f"orders_tier{tier}"]
    out: dict[str, float] = {}
    for name, series in levels.items():
        cv2 = _squared_variation(series)
        out[name] = cv2 / demand_cv2 if demand_cv2 > 0 else float("nan")
    return out


def _squared_variation(series: pd.Series) -> float:
    """Variance over the squared mean; NaN unless the mean is positive and its square too."""
    mean = float(series.mean())
    return float(series.var()) / mean**2 if mean > 0 and mean**2 > 0 else float("nan")


def _volume_weighted(timeseries: pd.DataFrame, name: str) -> float:
    volume = timeseries[f"financing_volume_{name}"]
    total = float(volume.sum())
    if total <= 0:
        return float("nan")
    return float((volume * timeseries[f"financing_cost_{name}"].fillna(0.0)).sum() / total)


def cash_conversion_cycle(
    firms: Firms, step_days: int, input_price: np.ndarray, inventory: np.ndarray | None = None
) -> float:
    """Active suppliers' cash-conversion cycle in days: inventory + receivable − payable days.

    Each term is a stock over its expected daily flow (cost of output, revenue, purchases),
    summed over active suppliers. ``inventory``: the firms' `Firms.inventory_value` at
    ``input_price``, if already known.
    """
    live = ~firms.is_automaker & firms.active
    if not live.any():
        return float("nan")
    output = firms.expected_output[live]
    cost_per_day = (firms.unit_cost(input_price)[live] * output).sum() / step_days
    revenue_per_day = firms.daily_revenue(step_days)[live].sum()
    purchases_per_day = (input_price[live] * firms.input_per_unit[live] * output).sum() / step_days
    if inventory is None:
        inventory = firms.inventory_value(input_price)
    inventory_days = inventory[live].sum() / max(cost_per_day, 1e-12)
    receivable_days = firms.receivables[live].sum() / max(revenue_per_day, 1e-12)
    payable_days = firms.payables[live].sum() / max(purchases_per_day, 1e-12)
    return float(inventory_days + receivable_days - payable_days)


def quarterly_drift(values: np.ndarray, quarter_steps: int) -> np.ndarray:
    """How far each whole quarter's mean of a stock lies from its first value.

    Args:
        values: A stock, one value per step after the warm-up; the first is day 0.
        quarter_steps: Steps per quarter. A last, incomplete quarter is left out.

    Returns:
        One figure per quarter: its mean over day 0's value, less one (0.1 is 10% above).

    Raises:
        ValueError: If day 0's value is zero (nothing to compare with).
    """
    if values[0] == 0:
        raise ValueError("the stock is zero at day 0: no drift to measure")
    whole = values[: values.size // quarter_steps * quarter_steps]
    return whole.reshape(-1, quarter_steps).mean(axis=1) / values[0] - 1.0


def one_year_pd_calibration(timeseries: pd.DataFrame, step_days: int) -> float:
    """Banks' scored PDs against the share of each cohort that defaults within a year.

    Every step with a full year after it opens a cohort, the suppliers active at its start:
    the banks expected `scored_pd_mean` × `suppliers_active` of them to default within a year,
    and the supplier defaults of that step and the year's other steps are theirs (no supplier
    enters). The expected defaults over the realised, summed over the cohorts: 1 is calibrated,
    above 1 scores too high. Unlike `scored_hazard_mean` against the annual default frequency,
    a firm's score is compared with what befell it over the year the PD speaks of.

    Args:
        timeseries: The run's time series (`scored_pd_mean`, `suppliers_active`,
            `supplier_defaults`).
        step_days: Days per step.

    Returns:
        The ratio, or NaN when the run is shorter than a year or no cohort had a default.
    """
    year = max(steps_of(365, step_days), 1)
    cohorts = len(timeseries) - year + 1
    if cohorts <= 0:
        return float("nan")
    ran = np.concatenate([[0.0], np.cumsum(timeseries["supplier_defaults"].to_numpy(float))])
    realised = float((ran[year:] - ran[:-year]).sum())
    if realised <= 0:
        return float("nan")
    expected = (timeseries["scored_pd_mean"] * timeseries["suppliers_active"]).to_numpy(float)
    return float(np.nansum(expected[:cohorts]) / realised)


def largest_cascade(events: pd.DataFrame) -> int:
    """Size of the largest tree of defaults linked by their causes (1 = no contagion)."""
    if events.empty:
        return 0
    parent = dict(zip(events["agent_id"], events["cause_id"], strict=True))
    size: dict[int, int] = {}
    for firm in parent:
        root, seen = firm, 0
        while pd.notna(parent.get(root)) and parent[root] in parent and seen < len(parent):
            root, seen = int(parent[root]), seen + 1
        size[root] = size.get(root, 0) + 1
    return max(size.values())


def _percentile(values: np.ndarray, q: int) -> float:
    """``np.percentile(values, q)`` of a few floats (NaN if there are none), without its overhead.

    Numpy's default (linear) method, step by step and to the bit: the virtual index
    ``(n - 1) * q / 100`` between two sorted values, which are interpolated from the lower
    one, or back from the upper one from half way on; at or beyond the last index, the last
    value (numpy's index -1) with its weight counted from -1. NaN if any value is NaN (sorted
    last), as there.
    """
    n = values.size
    if n == 0:
        return float("nan")
    ordered = np.sort(values).tolist()
    if ordered[-1] != ordered[-1]:  # NaN
        return float("nan")
    if 0.0 in ordered:  # which of +0 and -0 numpy's partition picks is its own: ask it
        return float(np.percentile(values, q))
    virtual = (n - 1) * (q / 100)
    below = math.floor(virtual) if virtual < n - 1 else -1
    low, high = ordered[below], ordered[below + 1 if below >= 0 else -1]
    weight = virtual - below
    diff = high - low
    if weight >= 0.5:
        return high - diff * (1 - weight)
    return low + diff * weight
