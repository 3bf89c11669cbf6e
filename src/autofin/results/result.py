"""The result of one run: the only output of `simulate`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from autofin.scenario.schema import Scenario


@dataclass
class Result:
    """Tidy results of one simulated scenario.

    Attributes:
        scenario: The validated scenario that was run (after `extends` and overrides).
        timeseries: One row per step: `step`, `day` and one column per metric.
        flows: Capital flows per step: `step`, `source`, `target`, `flow`, `amount`.
        events: Events per step: `step`, `day`, `agent_type`, `agent_id`, `event`, `cause_id`.
        summary: Headline figures and provenance (scenario name and hash, seed, versions,
            wall time).
        replicates: For a run over several replications, one row per replication (its
            seed and every summary figure); `None` for a single run.
        network: Supply edges at the start (step 0) and every re-sourcing or transfer
            after: `step`, `edge`, `event`, `supplier`, `customer`, `previous_supplier`,
            `previous_customer`, labels, tier, `share`, `payment_term_days` (empty for
            results written before it existed).
        firms: One row per firm: type, tier, house bank, opening and closing size, equity,
            revenue, EBIT, inventory value, state, default step, event and cause.
        panel: Firm × step panel (cash, debt, receivables, payables, inventory value,
            equity, revenue, EBIT, scored PD, state), or None when not kept (`--panel`).
        loans: Loan decisions, or None when not kept (`--loans`).
    """

    scenario: Scenario
    timeseries: pd.DataFrame
    flows: pd.DataFrame
    events: pd.DataFrame
    summary: dict[str, Any] = field(default_factory=dict)
    replicates: pd.DataFrame | None = None
    network: pd.DataFrame = field(default_factory=pd.DataFrame)
    firms: pd.DataFrame = field(default_factory=pd.DataFrame)
    panel: pd.DataFrame | None = None
    loans: pd.DataFrame | None = None
