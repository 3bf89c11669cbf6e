"""Automaker rules: sell finished vehicles to consumers from stock."""

from __future__ import annotations

import numpy as np

from autofin.world.firms import Firms


def take_from_stock(firms: Firms, makers: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """Hand over finished vehicles up to what buyers want; defaulted automakers sell nothing.

    The money is posted by the consumer side (`autofin.world.funnel`), which knows how each
    buyer pays.

    Args:
        firms: All firms.
        makers: Firm rows of the automakers.
        wanted: Vehicles wanted from each automaker in ``makers``.

    Returns:
        Vehicles sold by each automaker in ``makers``.
    """
    sold = np.floor(np.minimum(wanted, firms.output_inventory[makers] + 1e-9))
    sold *= firms.active[makers]
    firms.output_inventory[makers] -= sold
    return sold
