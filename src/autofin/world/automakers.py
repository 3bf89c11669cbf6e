"""Automaker rules: sell finished vehicles to the buyers who chose them, from stock."""

from __future__ import annotations

import numpy as np

from autofin.world.firms import Firms


def sell_vehicles(
    firms: Firms, makers: np.ndarray, choice: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Each automaker serves the buyers who chose it, in random order, from finished stock.

    Defaulted automakers sell nothing. The money is posted by the consumer side
    (`autofin.world.sales`), which knows how each buyer pays.

    Args:
        firms: All firms.
        makers: Firm rows of the automakers.
        choice: For every buyer, the automaker chosen (index into ``makers``).
        rng: The shopping stream (the order buyers are served in).

    Returns:
        Vehicles sold by each automaker in ``makers``, and which buyers got a car.
    """
    wanted = np.bincount(choice, minlength=len(makers)).astype(float)
    sold = take_from_stock(firms, makers, wanted)
    draws = rng.random(choice.size)  # drawn even when the order does not matter
    if (sold == wanted).all():
        return sold, np.ones(choice.size, dtype=bool)  # enough stock for every buyer
    order = np.lexsort((draws, choice))
    rank = np.empty(choice.size, dtype=np.int64)
    group_start = np.concatenate([[0], np.cumsum(wanted)[:-1]]).astype(np.int64)
    rank[order] = np.arange(choice.size) - group_start[choice[order]]
    return sold, rank < sold[choice]


def take_from_stock(firms: Firms, makers: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """Hand over finished vehicles up to what buyers want; defaulted automakers sell nothing.

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


def availability(firms: Firms, makers: np.ndarray) -> np.ndarray:
    """Finished stock over a step's expected demand, capped at 1, per automaker."""
    expected = np.maximum(firms.order_forecast[makers], 1e-9)
    return np.minimum(firms.output_inventory[makers] / expected, 1.0)
