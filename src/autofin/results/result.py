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
    """

    scenario: Scenario
    timeseries: pd.DataFrame
    flows: pd.DataFrame
    events: pd.DataFrame
    summary: dict[str, Any] = field(default_factory=dict)
    replicates: pd.DataFrame | None = None
