"""Supplier rules beyond the shared goods flow: re-sourcing after a supplier defaults.

When a supplier defaults its customers lose that supply. After the re-sourcing delay each
broken edge is moved to a surviving supplier of the same tier that makes the same part, chosen
with probability proportional to its size, which adds the capacity the new business needs
(the step then has its main bank raise its line for the working capital,
`Banks.finance_new_output`).
Until then a customer whose only supplier of a part has gone cannot produce (the bill of
materials needs every part).
"""

from __future__ import annotations

import numpy as np

from autofin.world.firms import NOT_RESOURCING, Firms


def resource(
    firms: Firms, step: int, capacity_slack: float, rng: np.random.Generator
) -> np.ndarray:
    """Re-point every broken edge whose delay has run out to a new supplier.

    Returns:
        The edges re-sourced this step.
    """
    due = np.flatnonzero(firms.edge_resource_step == step)
    if due.size == 0:
        return due
    customer = firms.edge_customer[due]
    due, customer = due[firms.active[customer]], customer[firms.active[customer]]
    firms.edge_resource_step[firms.edge_resource_step == step] = NOT_RESOURCING
    moved = []
    part = firms.part[firms.edge_supplier[due]]
    for level, made in np.unique(np.stack([firms.tier[customer] + 1, part]), axis=1).T:
        edges = due[(firms.tier[customer] + 1 == level) & (part == made)]
        candidates = np.flatnonzero(firms.active & (firms.tier == level) & (firms.part == made))
        if candidates.size == 0:
            firms.edge_resource_step[edges] = step + 1  # nobody left: try again later
            continue
        weight = firms.expected_output[candidates]
        chosen = rng.choice(candidates, size=edges.size, p=weight / weight.sum())
        demand = (
            firms.edge_share[edges]
            * firms.input_per_unit[firms.edge_customer[edges]]
            * firms.expected_output[firms.edge_customer[edges]]
        )
        added = np.bincount(chosen, demand, minlength=firms.n)
        firms.expected_output += added
        firms.capacity += capacity_slack * added
        firms.order_forecast += added
        firms.edge_supplier[edges] = chosen
        firms.prices_moved()
        firms.edge_live[edges] = True
        moved.append(edges)
    return np.concatenate(moved) if moved else np.zeros(0, dtype=np.int64)


def resourcing_costs(
    firms: Firms, moved: np.ndarray, cost_days: float, step_days: int
) -> np.ndarray:
    """What each customer pays to qualify the suppliers it moved to this step.

    Args:
        firms: All firms.
        moved: The edges re-sourced this step.
        cost_days: `suppliers.resourcing_cost_days`: the cost in days of the moved purchases.
        step_days: Days per step.

    Returns:
        The cost per firm, due this step.
    """
    value = firms.edge_expected_flow[moved] * firms.edge_price()[moved] * cost_days / step_days
    return np.bincount(firms.edge_customer[moved], value, minlength=firms.n)
