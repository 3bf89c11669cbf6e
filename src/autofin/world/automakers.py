"""Automaker rules: sell finished vehicles to consumers."""

from __future__ import annotations

import numpy as np

from autofin.world.firms import Firms
from autofin.world.ledger import Flow, Ledger


def sell_vehicles(
    firms: Firms, ledger: Ledger, demand: np.ndarray, consumer_account: int
) -> np.ndarray:
    """Sell from finished stock up to demand; consumers pay the vehicle price in cash.

    Args:
        firms: All firms (automakers are the rows with tier 0).
        ledger: The ledger.
        demand: Vehicles wanted from each firm (zero for suppliers).
        consumer_account: The consumer sector's ledger account.

    Returns:
        Vehicles sold by each firm.
    """
    sold = np.floor(np.minimum(demand, firms.output_inventory + 1e-9)) * firms.active
    firms.output_inventory -= sold
    sellers = np.flatnonzero(sold > 0)
    ledger.post(consumer_account, sellers, sold[sellers] * firms.price[sellers], Flow.VEHICLE_SALES)
    return sold
