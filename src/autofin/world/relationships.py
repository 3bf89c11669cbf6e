"""Relationship banks: every firm's committed line is shared by a main bank and others.

Corporate borrowers keep several banks, one of them the main (house) bank that holds the
largest part of the committed credit and the firm's other business (Petersen and Rajan
1994; Ongena and Smith 2000; see docs/calibration.md). A firm's line is cut into parts, one
per relationship bank (part 0 the main bank); arrays of the parts have one row per part and
one column per firm. How a sum is shared between the parts is `pro_rata`; a value per firm
repeated for each part is `per_part`.
"""

from __future__ import annotations

import math

import numpy as np


def draw_relationship_banks(
    house_bank: np.ndarray, banks: int, relationships: int, rng: np.random.Generator
) -> np.ndarray:
    """The bank of every part of every firm's line: the house bank, then distinct others.

    The other banks are a uniform draw without replacement among the banks other than the
    house bank, from their own stream (``rng``), so that switching relationships on moves no
    other random draw. Nothing is drawn for a single relationship.

    Args:
        house_bank: Each firm's main bank.
        banks: Number of banks.
        relationships: Parts of every line (the main bank's included), at most ``banks``.
        rng: The relationships' random stream.

    Returns:
        An int array (relationships × firms); row 0 is ``house_bank``.
    """
    n = house_bank.size
    parts = np.empty((relationships, n), dtype=np.int64)
    parts[0] = house_bank
    if relationships > 1:
        keys = rng.random((n, banks))
        keys[np.arange(n), house_bank] = np.inf  # the house bank is not drawn again
        parts[1:] = np.argsort(keys, axis=1)[:, : relationships - 1].T
    return parts


def pro_rata(amount: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Share ``amount`` (one per firm) between the parts in proportion to ``weights``.

    A firm whose weights are all zero puts it all on its main bank's part (row 0). With one
    part every amount is kept whole and exact (its weight divided by itself is 1).

    Args:
        amount: One amount per column.
        weights: Non-negative weights, parts × columns.

    Returns:
        The parts of every amount (parts × columns), summing to it.
    """
    if weights.shape[0] == 1 and math.isfinite(weights.sum()):
        # One part: every share is 1 (a weight over itself, or 1 on the main bank's part for
        # a zero weight), so the amounts are kept as they are, the same bits. (A finite sum
        # has no infinite or NaN term; a sum that overflows takes the general path, which
        # gives the same shares of finite weights.)
        return np.multiply(amount, 1.0, out=np.empty(weights.shape))
    total = weights.sum(axis=0)
    has = total > 0
    share = np.where(has, weights / np.where(has, total, 1.0), 0.0)
    share[0] = np.where(has, share[0], 1.0)
    return amount * share


def per_part(values: np.ndarray, parts: int) -> np.ndarray:
    """``values`` (one per firm) once per part of their lines, part by part.

    In the order of `Banks.part_bank` ravelled (``part_bank[:, firms]``); with one part,
    ``values`` itself.
    """
    return values if parts == 1 else np.tile(values, parts)
