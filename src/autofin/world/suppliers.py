"""Supplier rules beyond the shared goods flow: re-sourcing after a supplier defaults.

When a supplier defaults its customers lose that supply. After the re-sourcing delay each
broken edge is moved to a surviving supplier of the same tier, chosen with probability
proportional to its size, which adds the capacity the new business needs.
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
    for level in np.unique(firms.tier[customer] + 1):
        edges = due[firms.tier[customer] + 1 == level]
        candidates = np.flatnonzero(firms.active & (firms.tier == level))
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
        firms.edge_live[edges] = True
        moved.append(edges)
    return np.concatenate(moved) if moved else np.zeros(0, dtype=np.int64)
