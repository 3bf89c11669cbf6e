"""Where each firm sits in the network figure: tiers as rows, few crossings within them.

Automakers form the bottom row and each supplier tier the row above the one it sells to.
Within a row, firms are ordered by the mean position of their customers (one barycentre
pass from the automakers up), so a supplier sits above the firms it delivers to.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def current_edges(network: pd.DataFrame, step: int | None = None) -> pd.DataFrame:
    """Each supply edge with its supplier as of `step` (the last one when None)."""
    table = network if step is None else network[network["step"] <= step]
    return table.sort_values("step", kind="stable").drop_duplicates("edge", keep="last")


def tier_positions(tier: np.ndarray, supplier: np.ndarray, customer: np.ndarray) -> np.ndarray:
    """Horizontal position in [0, 1] of every firm, ordered by its customers' positions.

    Args:
        tier: Tier of every firm (0 = automakers).
        supplier: Supplying firm of every edge.
        customer: Buying firm of every edge.

    Returns:
        One x per firm; firms of a row are spread evenly across it.
    """
    n = len(tier)
    x = np.zeros(n)
    for level in range(int(tier.max()) + 1 if n else 0):
        members = np.flatnonzero(tier == level)
        if members.size == 0:
            continue
        if level == 0:
            key = members.astype(float)
        else:
            upstream = tier[supplier] == level
            total = np.bincount(supplier[upstream], x[customer[upstream]], minlength=n)
            count = np.bincount(supplier[upstream], minlength=n)
            key = np.where(count[members] > 0, total[members] / np.maximum(count[members], 1), 0.5)
        order = members[np.argsort(key, kind="stable")]
        x[order] = (np.arange(order.size) + 0.5) / order.size
    return x
