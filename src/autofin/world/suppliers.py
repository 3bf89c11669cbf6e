"""Supplier rules beyond the shared goods flow: re-sourcing after a supplier defaults.

When a supplier defaults its customers lose that supply. After the re-sourcing delay each
broken edge is moved to a surviving supplier of the same tier that makes the same part, chosen
with probability proportional to its size, which adds the capacity the new business needs
(the step then has its main bank raise its line for the working capital,
`Banks.finance_new_output`).
Until then a customer whose only supplier of a part has gone cannot produce (the bill of
materials needs every part).

The defaulted supplier's own suppliers follow its business (`transfer_inputs`, unless
`suppliers.inputs_follow_business` is off): the firm that takes the largest share of it buys
their parts from then on, as directed-buy sub-suppliers and customer-owned tooling move with a
programme. Without it they would keep their capacity and costs with no customer until they
too failed, and their suppliers after them.
"""

from __future__ import annotations

import numpy as np

from autofin.world.firms import NOT_RESOURCING, Firms


def resource(
    firms: Firms, step: int, capacity_slack: float, rng: np.random.Generator
) -> np.ndarray:
    """Re-point every broken edge whose delay has run out to a new supplier.

    The supplier each edge had (the defaulted one) is left in `edge_supplier` of the edges
    returned until this returns; the caller keeps a copy to see it.

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
        added = np.bincount(chosen, flow_at(firms, edges, firms.expected_output), minlength=firms.n)
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


def transfer_inputs(
    firms: Firms, moved: np.ndarray, previous: np.ndarray, output_before: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The suppliers of each defaulted supplier follow its business to its largest taker.

    Each defaulted supplier whose customers were re-sourced this step has an heir
    (`_heirs`). The defaulted firm's input edges from live suppliers move to the heir, into
    the heir's slot for the same part, each carrying the share of its flow the heir took
    (the rest of the defaulted firm's business went to takers with suppliers of their own).
    The heir's need for each part per unit is unchanged (its bill of materials): the slot's
    share of its inputs is split among the slot's edges in proportion to their flows, its
    own edges' at its output before this step's re-sourcing, so it buys what it bought
    before from its own suppliers and the new business's inputs from the ones it inherited.
    The slot's expected flows are set to these. An input whose part the heir does not buy
    stays where it was (only in a loaded network: generated customers buy every part).

    Args:
        firms: All firms.
        moved: The edges re-sourced this step (`resource`).
        previous: Each moved edge's supplier before (the defaulted firm).
        output_before: Every firm's expected output before this step's re-sourcing.

    Returns:
        The input edges that moved, the customer each had before, and the other edges of
        the slots they moved into (whose shares changed).
    """
    nothing = np.zeros(0, dtype=np.int64)
    dead, heir, fraction = _heirs(firms, moved, previous)
    index_of = np.full(firms.n, -1, dtype=np.int64)
    index_of[dead] = np.arange(dead.size)
    supplier = firms.edge_supplier
    inputs = np.flatnonzero((index_of[firms.edge_customer] >= 0) & (supplier >= 0))
    has_heir = heir[index_of[firms.edge_customer[inputs]]] >= 0
    inputs = inputs[firms.active[supplier[inputs]] & has_heir]
    if inputs.size == 0:
        return nothing, nothing, nothing
    source = index_of[firms.edge_customer[inputs]]
    # The heir's slot for each input's part, read off the heir's own edges.
    new_customer = heir[source]
    n_parts = int(firms.part.max()) + 1
    held = np.flatnonzero(np.isin(firms.edge_customer, np.unique(new_customer)) & (supplier >= 0))
    if held.size == 0:  # heirs that buy only raw material (a loaded network)
        return nothing, nothing, nothing
    held_key = firms.edge_customer[held] * n_parts + firms.part[supplier[held]]
    key_order = np.argsort(held_key, kind="stable")
    held_key, held_slot = held_key[key_order], firms.edge_slot[held[key_order]]
    wanted = new_customer * n_parts + firms.part[supplier[inputs]]
    at = np.minimum(np.searchsorted(held_key, wanted), held_key.size - 1)
    found = held_key[at] == wanted
    inputs, source, slot = inputs[found], source[found], held_slot[at[found]]
    if inputs.size == 0:
        return nothing, nothing, nothing
    before = firms.edge_customer[inputs].copy()
    inherited_flow = flow_at(firms, inputs, firms.expected_output) * fraction[source]
    firms.edge_customer[inputs] = heir[source]
    firms.edge_slot[inputs] = slot
    firms.edge_live[inputs] = True
    # Split each receiving slot's share of its customer's inputs by flow.
    n_slots = firms.slot_customer.size
    members = np.flatnonzero(np.isin(firms.edge_slot, slot))
    own = members[~np.isin(members, inputs)]
    firms.edge_expected_flow[own] = flow_at(firms, own, output_before)
    firms.edge_expected_flow[inputs] = inherited_flow
    share = np.bincount(firms.edge_slot[own], firms.edge_share[own], minlength=n_slots)
    flow = np.bincount(
        firms.edge_slot[members], firms.edge_expected_flow[members], minlength=n_slots
    )
    member_slot = firms.edge_slot[members]
    split = firms.edge_expected_flow[members] / np.maximum(flow[member_slot], 1e-300)
    firms.edge_share[members] = np.where(
        flow[member_slot] > 0, share[member_slot] * split, firms.edge_share[members]
    )
    firms.prices_moved()
    return inputs, before, own


def flow_at(firms: Firms, edges: np.ndarray, output: np.ndarray) -> np.ndarray:
    """Units a step over ``edges`` when their customers make ``output`` (per firm)."""
    customer = firms.edge_customer[edges]
    return firms.edge_share[edges] * firms.input_per_unit[customer] * output[customer]


def _heirs(
    firms: Firms, moved: np.ndarray, previous: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each defaulted supplier's heir: the firm that took the most of its business.

    The business is the flow each moved edge's customer buys at its current output; ties go
    to the lower index.

    Returns:
        The defaulted suppliers (sorted), each one's heir (-1 if it had no business) and the
        heir's share of the business.
    """
    dead, which = np.unique(previous, return_inverse=True)
    pair, pair_of = np.unique(which * firms.n + firms.edge_supplier[moved], return_inverse=True)
    taken = np.bincount(pair_of, flow_at(firms, moved, firms.expected_output), minlength=pair.size)
    owner, taker = pair // firms.n, pair % firms.n
    # Sorted by defaulted firm, then by business taken (largest first), then by taker.
    order = np.lexsort((taker, -taken, owner))
    largest = order[np.r_[True, owner[order][1:] != owner[order][:-1]]]
    total = np.bincount(owner, taken, minlength=dead.size)
    largest = largest[total[owner[largest]] > 0]
    heir = np.full(dead.size, -1, dtype=np.int64)
    fraction = np.zeros(dead.size)
    heir[owner[largest]] = taker[largest]
    fraction[owner[largest]] = taken[largest] / total[owner[largest]]
    return dead, heir, fraction
