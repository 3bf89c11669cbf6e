"""Tables of a run beyond the time series: the supply network, the firms and the firm panel.

`NetworkLog` keeps the supply edges as they were at the start and every re-sourcing after;
`FirmLedger` totals each firm's revenue and EBIT over the run and, when asked, records the
firm × step panel. `network_frame`, `firms_frame` and `FirmLedger.panel_frame` turn them
into the tidy tables written as `network.parquet`, `firms.parquet` and `panel.parquet`
(every column is defined in docs/metrics.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from autofin.world.auto_loans import DAYS_PER_MONTH
from autofin.world.firms import Firms
from autofin.world.network import OUTSIDE

if TYPE_CHECKING:
    from autofin.world.model import AutofinModel

HEALTHY, DISTRESSED, DEFAULTED = "healthy", "distressed", "defaulted"
FIRM_STATES = (HEALTHY, DISTRESSED, DEFAULTED)
"""States of a firm in the panel and in `firms.parquet` (see `firm_state`)."""

DISTRESS_HISTORY = 0.5
"""A live firm is distressed when it is in arrears now, or its smoothed record of steps in
arrears (`Firms.arrears_history`, 0 to 1, the one banks score) is above this, or its book
equity is negative."""


def firm_state(firms: Firms, equity: np.ndarray) -> np.ndarray:
    """Each firm's state: defaulted, distressed (see `DISTRESS_HISTORY`) or healthy."""
    distressed = (
        (firms.arrears_steps > 0) | (firms.arrears_history > DISTRESS_HISTORY) | (equity < 0)
    )
    return np.where(~firms.active, DEFAULTED, np.where(distressed, DISTRESSED, HEALTHY))


def equity_of(firms: Firms, cash: np.ndarray, inventory_value: np.ndarray) -> np.ndarray:
    """Book equity: cash, receivables and inventories less payables and bank debt."""
    return cash + firms.receivables + inventory_value - firms.payables - firms.debt


@dataclass
class NetworkLog:
    """The supply edges at the start, and each change after: re-sourcings and transfers.

    A change is (step, event, edges, supplier, customer, previous supplier, previous
    customer, share), the previous firms −1 where they did not change.
    """

    supplier: np.ndarray
    customer: np.ndarray
    share: np.ndarray
    term_days: np.ndarray
    moves: list[tuple[Any, ...]] = field(default_factory=list)

    @classmethod
    def opening(cls, firms: Firms, step_days: int) -> NetworkLog:
        """The network as the firms start with it."""
        return cls(
            supplier=firms.edge_supplier.copy(),
            customer=firms.edge_customer.copy(),
            share=firms.edge_share.copy(),
            term_days=firms.edge_term_steps * step_days,
        )

    def record_moves(self, step: int, edges: np.ndarray, before: np.ndarray, firms: Firms) -> None:
        """Remember edges re-sourced in `step`, with their supplier before and after."""
        if edges.size:
            self._record(step, "resourced", edges, firms, previous_supplier=before[edges])

    def record_transfers(
        self,
        step: int,
        edges: np.ndarray,
        before: np.ndarray,
        reshared: np.ndarray,
        firms: Firms,
    ) -> None:
        """Remember input edges moved in `step` to a new customer, and the reshared ones.

        ``before`` is each moved edge's customer before; ``reshared`` are the other edges of
        the slots they moved into, whose share of their customer's inputs changed.
        """
        if edges.size:
            self._record(step, "transferred", edges, firms, previous_customer=before)
        if reshared.size:
            self._record(step, "reshared", reshared, firms)

    def _record(
        self,
        step: int,
        event: str,
        edges: np.ndarray,
        firms: Firms,
        previous_supplier: np.ndarray | None = None,
        previous_customer: np.ndarray | None = None,
    ) -> None:
        """One change: the edges' firms and shares now, and the firm each had before (-1)."""
        unchanged = np.full(edges.size, -1, dtype=np.int64)
        self.moves.append(
            (
                step,
                event,
                edges,
                firms.edge_supplier[edges].copy(),
                firms.edge_customer[edges].copy(),
                unchanged if previous_supplier is None else previous_supplier,
                unchanged if previous_customer is None else previous_customer,
                firms.edge_share[edges].copy(),
            )
        )


def network_frame(model: AutofinModel) -> pd.DataFrame:
    """`network.parquet`: one row per opening supply edge (step 0), one per re-sourcing after.

    Raw-material edges from outside the model are left out.
    """
    log: NetworkLog = model.network_log
    tier = model.firms.tier
    labels = np.asarray(model.network.labels, dtype=object)
    inside = log.supplier != OUTSIDE
    edges = np.flatnonzero(inside)
    parts = [
        pd.DataFrame(
            {
                "step": np.zeros(edges.size, dtype=np.int64),
                "edge": edges,
                "event": "opening",
                "supplier": log.supplier[edges],
                "customer": log.customer[edges],
                "previous_supplier": np.full(edges.size, -1, dtype=np.int64),
                "previous_customer": np.full(edges.size, -1, dtype=np.int64),
                "share": log.share[edges],
            }
        )
    ]
    for step, event, moved, supplier, customer, before, before_customer, share in log.moves:
        keep = supplier != OUTSIDE
        parts.append(
            pd.DataFrame(
                {
                    "step": np.full(int(keep.sum()), step, dtype=np.int64),
                    "edge": moved[keep],
                    "event": event,
                    "supplier": supplier[keep],
                    "customer": customer[keep],
                    "previous_supplier": before[keep],
                    "previous_customer": before_customer[keep],
                    "share": share[keep],
                }
            )
        )
    frame = pd.concat(parts, ignore_index=True)
    frame["edge"] = frame["edge"].astype(np.int64)
    frame["supplier_label"] = labels[frame["supplier"].to_numpy()]
    frame["customer_label"] = labels[frame["customer"].to_numpy()]
    frame["supplier_tier"] = tier[frame["supplier"].to_numpy()]
    frame["payment_term_days"] = log.term_days[frame["edge"].to_numpy()].astype(np.int64)
    share = frame.pop("share")
    frame.insert(frame.columns.get_loc("payment_term_days"), "share", share)
    return frame


@dataclass
class FirmLedger:
    """Per-firm totals over the run (revenue, EBIT) and, if asked, the firm × step panel."""

    opening_size: np.ndarray
    revenue: np.ndarray
    ebit: np.ndarray
    keep_panel: bool = False
    panel_parts: list[dict[str, np.ndarray]] = field(default_factory=list)

    @classmethod
    def opening(cls, firms: Firms, step_days: int, *, keep_panel: bool) -> FirmLedger:
        """Start with each firm's expected revenue per day as its opening size."""
        return cls(
            opening_size=firms.daily_revenue(step_days).copy(),
            revenue=np.zeros(firms.n),
            ebit=np.zeros(firms.n),
            keep_panel=keep_panel,
        )

    def record(
        self,
        step: int,
        model: AutofinModel,
        revenue: np.ndarray,
        ebit: np.ndarray,
        inventory_value: np.ndarray,
    ) -> None:
        """Add a step's revenue and EBIT; append its panel rows when the panel is kept."""
        self.revenue += revenue
        self.ebit += ebit
        if not self.keep_panel:
            return
        firms = model.firms
        cash = model.ledger.balance[: firms.n]
        equity = equity_of(firms, cash, inventory_value)
        scored = model.finance.round.pd if model.finance.round is not None else None
        self.panel_parts.append(
            {
                "step": np.full(firms.n, step, dtype=np.int64),
                "firm": np.arange(firms.n, dtype=np.int64),
                "cash": cash.copy(),
                "debt": firms.debt.copy(),
                "receivables": firms.receivables.copy(),
                "payables": firms.payables.copy(),
                "inventory_value": inventory_value.copy(),
                "equity": equity,
                "revenue": revenue.copy(),
                "ebit": ebit.copy(),
                "scored_pd": np.full(firms.n, np.nan) if scored is None else scored.copy(),
                "state": firm_state(firms, equity),
            }
        )

    def panel_frame(self) -> pd.DataFrame | None:
        """`panel.parquet`: one row per firm and step, or None when the panel was not kept."""
        if not self.keep_panel:
            return None
        if not self.panel_parts:
            return pd.DataFrame(columns=["step", "firm"])
        columns = self.panel_parts[0].keys()
        frame = pd.DataFrame(
            {name: np.concatenate([part[name] for part in self.panel_parts]) for name in columns}
        )
        frame["state"] = pd.Categorical(frame["state"], categories=FIRM_STATES)
        return frame


def firms_frame(model: AutofinModel) -> pd.DataFrame:
    """`firms.parquet`: one row per firm, its closing state and its totals over the run."""
    firms = model.firms
    ledger: FirmLedger = model.firm_ledger
    cash = model.ledger.balance[: firms.n]
    inventory = firms.inventory_value()
    equity = equity_of(firms, cash, inventory)
    events = model.chain.events
    default_step = np.full(firms.n, -1, dtype=np.int64)
    cause = np.full(firms.n, -1, dtype=np.int64)
    event = np.full(firms.n, "", dtype=object)
    for record in events:
        default_step[record.firm] = record.step
        cause[record.firm] = record.cause
        event[record.firm] = record.event
    closing_size = np.where(firms.active, firms.daily_revenue(model.spec.step_days), 0.0)
    return pd.DataFrame(
        {
            "firm": np.arange(firms.n, dtype=np.int64),
            "label": np.asarray(model.network.labels, dtype=object),
            "type": np.where(firms.is_automaker, "automaker", "supplier"),
            "tier": firms.tier.astype(np.int64),
            "house_bank": firms.house_bank.astype(np.int64),
            "opening_size": ledger.opening_size,
            "closing_size": closing_size,
            "equity": equity,
            "fixed_assets": firms.fixed_assets.copy(),
            "revenue": ledger.revenue,
            "ebit": ledger.ebit,
            "inventory_value": inventory,
            "state": pd.Categorical(firm_state(firms, equity), categories=FIRM_STATES),
            "default_step": pd.array(np.where(default_step >= 0, default_step, None), "Int64"),
            "default_event": pd.Series(np.where(event == "", None, event), dtype=object),
            "default_cause": pd.array(np.where(cause >= 0, cause, None), "Int64"),
        }
    )


@dataclass
class LoanLog:
    """Every working-capital loan decision of the banks and every car-loan decision.

    Banks and the consumer market call it when they decide (`firm_loans`, `car_loans`) if the
    model keeps it (`--loans`); `frame` turns it into `loans.parquet`.
    """

    model: AutofinModel
    firm_parts: list[dict[str, np.ndarray]] = field(default_factory=list)
    car_parts: list[dict[str, np.ndarray]] = field(default_factory=list)

    def firm_loans(
        self,
        step: int,
        applicants: np.ndarray,
        principal: np.ndarray,
        rate: np.ndarray,
        parts: np.ndarray,
    ) -> None:
        """Record the working-capital loan decisions of a step (zero principal: declined).

        With one bank per firm, a row per decision. With several relationship banks, a row
        per bank: its part of the draw (``parts``: parts × applicants), its own score and rate.
        """
        if applicants.size == 0:
            return
        banks = self.model.banks
        finance_round = self.model.finance.round
        scored = finance_round.pd[applicants] if finance_round is not None else np.nan
        scored = np.broadcast_to(scored, applicants.shape).astype(float)
        if banks.relationships == 1:
            bank = self.model.firms.house_bank[applicants]
            amount, part = principal, np.zeros_like(applicants)
        else:
            count = banks.relationships
            bank = banks.part_bank[:, applicants].ravel()
            amount = parts.ravel()
            rate = banks.part_rate[:, applicants].ravel()
            pd_by_part = banks.scoring.part_pd[:, applicants].copy()
            pd_by_part[0] = scored  # the main bank's score as the finance round saw it
            scored = pd_by_part.ravel()
            part = np.repeat(np.arange(count), applicants.size)
            applicants = np.tile(applicants, count)
            principal = np.tile(principal, count)
        self.firm_parts.append(
            {
                "step": np.full(applicants.size, step, dtype=np.int64),
                "applicant": applicants.astype(np.int64),
                "bank": bank.astype(np.int64),
                "part": part.astype(np.int64),
                "amount": amount.astype(float),
                "scored_pd": scored,
                "rate": rate.astype(float),
                "approved": principal > 0,
            }
        )

    def car_loans(
        self,
        step: int,
        consumers: np.ndarray,
        bank: np.ndarray,
        amount: np.ndarray,
        apr: np.ndarray,
        minutes: np.ndarray,
        approved: np.ndarray,
        booked: np.ndarray,
        default_month: np.ndarray,
        fraud: np.ndarray,
    ) -> None:
        """Record the car-loan applications of a step, their prices and how they were decided."""
        if consumers.size == 0:
            return
        self.car_parts.append(
            {
                "step": np.full(consumers.size, step, dtype=np.int64),
                "applicant": consumers.astype(np.int64),
                "bank": bank.astype(np.int64),
                "amount": amount.astype(float),
                "rate": apr.astype(float),
                "decision_minutes": minutes.astype(float),
                "approved": approved.copy(),
                "booked": booked.copy(),
                "default_month": default_month.astype(np.int64),
                "fraud": fraud.copy(),
            }
        )

    def frame(self) -> pd.DataFrame:
        """`loans.parquet`: one row per decision, firm loans first, then car loans."""
        model = self.model
        last_step = model.step_index
        parts = []
        if self.firm_parts:
            firm = _concat(self.firm_parts)
            default_step = np.full(model.firms.n, -1, dtype=np.int64)
            for event in model.chain.events:
                default_step[event.firm] = event.step
            due = firm["step"] + model.banks.term_steps
            their_default = default_step[firm["applicant"]]
            defaulted = (their_default >= firm["step"]) & (their_default < due)
            firm["outcome"] = np.select(
                [~firm["approved"], defaulted, due <= last_step],
                ["declined", "defaulted", "repaid"],
                "outstanding",
            )
            firm["booked"] = firm["approved"]  # a granted loan is paid out at once
            parts.append(pd.DataFrame({"kind": "firm_loan", **firm}))
        if self.car_parts:
            car = _concat(self.car_parts)
            step_days = model.spec.step_days
            default_step = car["step"] + np.ceil(car["default_month"] * DAYS_PER_MONTH / step_days)
            defaulted = car["booked"] & (car["default_month"] > 0) & (default_step <= last_step)
            car["outcome"] = np.select(
                [~car["approved"], ~car["booked"], car["fraud"] & defaulted, defaulted],
                ["declined", "not booked", "fraud loss", "defaulted"],
                "performing",
            )
            car["scored_pd"] = np.full(car["step"].size, np.nan)
            parts.append(pd.DataFrame({"kind": "car_loan", **car}))
        if not parts:
            return pd.DataFrame(columns=["kind", "step", "applicant", "bank", "outcome"])
        frame = pd.concat(parts, ignore_index=True)
        for column in ("approved", "booked", "fraud"):
            if column in frame:
                frame[column] = frame[column].astype("boolean")
        for column in ("default_month", "part"):
            if column in frame:
                frame[column] = frame[column].astype("Int64")
        return frame


def _concat(parts: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    return {name: np.concatenate([part[name] for part in parts]) for name in parts[0]}
