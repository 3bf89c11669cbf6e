"""The supply network: firms in tiers and the supplier→customer edges between them.

Firms are rows: automakers first (tier 0), then suppliers tier by tier. Each edge carries the
share of the customer's purchased inputs that comes from that supplier. The top tier buys raw
material from the outside world, represented by edges whose supplier is `OUTSIDE`.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from itertools import chain
from pathlib import Path

import numpy as np
import pandas as pd

from autofin.scenario.network_file import NetworkFileError as NetworkFileError
from autofin.scenario.network_file import read_edges
from autofin.scenario.schema import NetworkSpec

OUTSIDE = -1
"""Supplier index of raw-material edges: the world outside the model."""
MAX_TIERS = 50
"""Most supplier tiers a network file may have (the schema allows as many)."""


@dataclass
class SupplyNetwork:
    """A layered production network.

    Attributes:
        tier: Tier of every firm (0 = automaker, 1 = tier-1 supplier, ...).
        labels: Name of every firm (its id in a loaded file, or a generated one).
        edge_supplier: Supplier of every edge (`OUTSIDE` for raw material).
        edge_customer: Customer of every edge.
        edge_share: Share of the customer's purchased inputs bought over the edge.
        part: Part category every firm makes (an index into ``part_names``; -1 for
            automakers). A customer needs every part its suppliers make, in fixed proportions.
        part_names: Name of every part category.
    """

    tier: np.ndarray
    labels: list[str]
    edge_supplier: np.ndarray
    edge_customer: np.ndarray
    edge_share: np.ndarray
    part: np.ndarray
    part_names: list[str]

    @property
    def n_firms(self) -> int:
        """Number of firms, automakers included."""
        return len(self.tier)

    @property
    def n_tiers(self) -> int:
        """Number of supplier tiers."""
        return int(self.tier.max())

    @property
    def n_automakers(self) -> int:
        """Number of automakers."""
        return int((self.tier == 0).sum())


def build_network(spec: NetworkSpec, rng: np.random.Generator) -> SupplyNetwork:
    """Generate the network from its spec, or load it from the spec's file."""
    if spec.source == "file":
        return load_network(Path(spec.path or ""))
    return generate_network(spec, rng)


def generate_network(spec: NetworkSpec, rng: np.random.Generator) -> SupplyNetwork:
    """Generate a layered network with part categories, multi-sourcing and hubs.

    The suppliers of a tier make its `parts_per_tier` parts in turn (supplier ``i`` makes part
    ``i mod parts``). For each part, every supplier first gets one customer drawn at random,
    so nobody is idle; then each customer tops up to `suppliers_per_customer` suppliers of
    that part, picking with probability proportional to
    ``(customers + 1) ** preferential_attachment`` so that hubs appear. Each part is an equal
    share of a customer's purchases; within a part, suppliers' shares are random.
    """
    sizes = [spec.automakers, *spec.tiers]
    parts_per_tier = spec.parts_list()
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    tier = np.repeat(np.arange(len(sizes)), sizes)
    part = np.full(len(tier), -1, dtype=np.int64)
    part_names: list[str] = []
    suppliers: list[np.ndarray] = []
    customers: list[np.ndarray] = []
    for level in range(1, len(sizes)):
        cust_ids = np.arange(offsets[level - 1], offsets[level])
        n_parts = parts_per_tier[level - 1]
        local_part = np.arange(sizes[level]) % n_parts
        part[offsets[level] : offsets[level + 1]] = len(part_names) + local_part
        part_names += [f"t{level}_part{p}" for p in range(n_parts)]
        links = [
            _attach(spec, rng, cust_ids, offsets[level] + np.flatnonzero(local_part == p))
            for p in range(n_parts)
        ]
        supplier = np.concatenate([link[0] for link in links])
        customer = np.concatenate([link[1] for link in links])
        # Each link once (a part's suppliers make no other part), sorted by supplier, then
        # customer.
        order = np.lexsort((customer, supplier))
        suppliers.append(supplier[order])
        customers.append(customer[order])
    edge_supplier = np.concatenate(suppliers)
    edge_customer = np.concatenate(customers)
    edge_share = rng.gamma(2.0, size=len(edge_supplier))
    if max(parts_per_tier) > 1:
        # Each part an equal share of the customer's purchases, split among its suppliers.
        n_slots = len(part_names) + 1
        slot = edge_customer * n_slots + part[edge_supplier]
        _, slot_of = np.unique(slot, return_inverse=True)
        within = edge_share / np.bincount(slot_of, edge_share)[slot_of]
        parts_of_customer = np.bincount(np.unique(slot) // n_slots, minlength=len(tier)).astype(
            float
        )
        edge_share = within / parts_of_customer[edge_customer]
    labels = [f"automaker_{i}" for i in range(spec.automakers)] + [
        f"t{t}_{i}" for t, n in enumerate(spec.tiers, start=1) for i in range(n)
    ]
    return _finish(tier, labels, edge_supplier, edge_customer, edge_share, part, part_names)


def _attach(
    spec: NetworkSpec, rng: np.random.Generator, cust_ids: np.ndarray, supp_ids: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Supplier-customer links of one part of one tier: the suppliers and the customers."""
    suppliers_of: list[set[int]] = [set() for _ in cust_ids]
    first = rng.integers(0, len(cust_ids), size=len(supp_ids))
    for s, c in enumerate(first.tolist()):
        suppliers_of[c].add(s)
    degree = np.ones(len(supp_ids))  # every supplier has its first customer
    wanted = min(spec.suppliers_per_customer, len(supp_ids))
    strength = spec.preferential_attachment
    urn = _Urn((degree + 1.0) ** strength)
    # One uniform number per supplier a customer lacks, in turn (the numbers of one call each).
    missing = [max(wanted - len(have), 0) for have in suppliers_of]
    uniform = iter(rng.random(sum(missing)).tolist())
    for have, lacking in zip(suppliers_of, missing, strict=True):
        for _ in range(lacking):
            s = urn.draw(next(uniform), have)
            have.add(s)
            degree[s] += 1
            urn.set(s, (degree[s] + 1.0) ** strength)
    linked = np.fromiter(chain.from_iterable(suppliers_of), dtype=np.int64)
    return supp_ids[linked], np.repeat(cust_ids, [len(have) for have in suppliers_of])


class _Urn:
    """Weighted draws of one item, with weights that change one at a time.

    The draw of ``rng.choice(len(w), p=w / w.sum())`` for a uniform number ``u``, with some
    items left out: the first item whose cumulative weight exceeds ``u`` times the total. The
    weights are kept in blocks of about the square root of their number with each block's sum,
    so a draw reads the block sums and one block instead of every weight, and a new weight
    changes one block's sum.
    """

    def __init__(self, weight: np.ndarray) -> None:
        n = len(weight)
        self.size = max(8, int(np.sqrt(n)))
        blocks = -(-n // self.size)
        self.weight = np.zeros(blocks * self.size)
        self.weight[:n] = weight
        self.block_sum = self.weight.reshape(blocks, self.size).sum(axis=1)

    def set(self, item: int, weight: float) -> None:
        """Give ``item`` a new weight."""
        self.weight[item] = weight
        block = item // self.size
        start = block * self.size
        self.block_sum[block] = self.weight[start : start + self.size].sum()

    def draw(self, u: float, left_out: set[int]) -> int:
        """The item drawn by the uniform number ``u`` (in [0, 1)), leaving out ``left_out``."""
        # The few items left out, one at a time (cheaper than indexing with an array).
        weight, block_sum, size = self.weight, self.block_sum, self.size
        kept = [(item, weight[item]) for item in left_out]
        for item in left_out:
            weight[item] = 0.0
        blocks = sorted({item // size for item in left_out})
        kept_sums = [(block, block_sum[block]) for block in blocks]
        for block in blocks:
            start = block * size
            block_sum[block] = weight[start : start + size].sum()
        cumulative = block_sum.cumsum()
        target = u * cumulative[-1]
        block = min(int(cumulative.searchsorted(target, side="right")), len(cumulative) - 1)
        while block_sum[block] <= 0.0:  # rounding at the very end: the last block with weight
            block -= 1
        start = block * size
        within = weight[start : start + size].cumsum()
        below = cumulative[block - 1] if block else 0.0
        item = min(int(within.searchsorted(target - below, side="right")), size - 1)
        while weight[start + item] <= 0.0:
            item -= 1
        for left, value in kept:
            weight[left] = value
        for changed, value in kept_sums:
            block_sum[changed] = value
        return start + item


def load_network(path: Path) -> SupplyNetwork:
    """Load a network from an edge-list CSV (`supplier,customer[,share]`) or a GraphML file.

    Firms that supply nobody are automakers; every other firm's tier is its distance to an
    automaker, and every edge must link a tier to the tier just below it.

    The file is read and checked by `autofin.scenario.network_file.read_edges`.

    Raises:
        NetworkFileError: The file is missing, malformed or not a layered supply network.
    """
    frame = read_edges(path)
    return _layer(frame, path)


def _layer(frame: pd.DataFrame, path: Path) -> SupplyNetwork:
    names = pd.unique(pd.concat([frame["customer"], frame["supplier"]]))
    buyers_of: dict[str, list[str]] = {}
    suppliers_of: dict[str, list[str]] = {}
    for s, c in zip(frame["supplier"], frame["customer"], strict=True):
        buyers_of.setdefault(s, []).append(c)
        suppliers_of.setdefault(c, []).append(s)
    automakers = [n for n in names if n not in buyers_of]
    if not automakers:
        raise NetworkFileError(f"{path}: every firm supplies someone; no automaker found")
    tier_of = dict.fromkeys(automakers, 0)
    queue = deque(automakers)
    while queue:
        firm = queue.popleft()
        for supplier in suppliers_of.get(firm, []):
            if supplier not in tier_of:
                tier_of[supplier] = tier_of[firm] + 1
                queue.append(supplier)
    stranded = [n for n in names if n not in tier_of]
    if stranded:
        first = frame["where"][frame["supplier"] == stranded[0]].iloc[0]
        raise NetworkFileError(
            f"{path}: {first}: firm {str(stranded[0])[:40]!r} supplies in a loop that reaches "
            "no automaker; every supplier must lead to an automaker (a firm that supplies "
            "nobody)"
        )
    if max(tier_of.values()) > MAX_TIERS:
        raise NetworkFileError(
            f"{path}: the network has {max(tier_of.values())} supplier tiers; at most "
            f"{MAX_TIERS} are allowed"
        )
    for s, c, where in zip(frame["supplier"], frame["customer"], frame["where"], strict=True):
        if tier_of[s] != tier_of[c] + 1:
            raise NetworkFileError(
                f"{path}: {where}: edge {s}->{c} links tier {tier_of[s]} to tier {tier_of[c]}; "
                "autofin needs a layered network where each supplier sells to the tier "
                "just below its own"
            )
    order = sorted(names, key=lambda n: (tier_of[n], str(n)))
    index = {n: i for i, n in enumerate(order)}
    tier = np.array([tier_of[n] for n in order])
    part_of = dict(zip(frame["supplier"], frame["part"], strict=True))
    if frame["part"].isna().all():
        # No parts given: every tier makes one part, so a customer pools its inputs.
        names_of_part = [f"tier{k}" for k in range(1, int(tier.max()) + 1)]
        part = np.where(tier > 0, tier - 1, -1)
    else:
        names_of_part = sorted({str(p) for p in part_of.values()})
        code = {name: i for i, name in enumerate(names_of_part)}
        part = np.array([code[str(part_of[n])] if n in part_of else -1 for n in order])
    return _finish(
        tier,
        [str(n) for n in order],
        frame["supplier"].map(index).to_numpy(),
        frame["customer"].map(index).to_numpy(),
        frame["share"].to_numpy(dtype=float),
        part,
        names_of_part,
    )


def _finish(
    tier: np.ndarray,
    labels: list[str],
    edge_supplier: np.ndarray,
    edge_customer: np.ndarray,
    weight: np.ndarray,
    part: np.ndarray,
    part_names: list[str],
) -> SupplyNetwork:
    """Add raw-material edges for the top tier and normalise shares per customer."""
    top = np.flatnonzero(tier == tier.max())
    edge_supplier = np.concatenate([edge_supplier, np.full(len(top), OUTSIDE)])
    edge_customer = np.concatenate([edge_customer, top])
    weight = np.concatenate([weight, np.ones(len(top))])
    totals = np.bincount(edge_customer, weight, minlength=len(tier))
    return SupplyNetwork(
        tier=tier.astype(np.int64),
        labels=labels,
        edge_supplier=edge_supplier.astype(np.int64),
        edge_customer=edge_customer.astype(np.int64),
        edge_share=weight / totals[edge_customer],
        part=part.astype(np.int64),
        part_names=part_names,
    )
