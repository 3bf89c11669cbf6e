"""The estate of a defaulted firm and the waterfall that shares it among its creditors.

A pure function of an estate (what the firm owns, each kind of asset with the rate a sale
realises) and of the claims on it (who is owed how much, secured on which collateral, in which
class). The order, applied to every debtor at once:

1. **Realise the estate.** Cash at face; receivables sold at their expected-collection price
   (face × the share the buyer expects to collect, so the buyer neither gains nor loses on
   average: no money is created or leaked by the sale); inventories and fixed assets at their
   realisation rates. Receivables assigned to one lender (the invoices an order-financing
   bank is repaid from) are a collateral of their own, apart from the rest.
2. **Secured claims** are paid from the proceeds of their own collateral only, pro rata among
   the claims secured on the same collateral of the same debtor, up to those proceeds. What
   their collateral does not cover (the shortfall) joins the claim's class as an unsecured
   claim. Proceeds of a collateral left over after its secured claims join the free estate.
3. **Classes** share the free estate in order of rank (`PRIORITY` first, then `GENERAL`, then
   `SUBORDINATED`): a class is paid in full before the next gets anything, and pro rata within
   the class when the estate does not cover it.
4. **What is left** after every claim is paid belongs to the owners (the residual).

Money is conserved exactly: the payouts plus the residual are the realised estate, and each
claim's payout plus its unpaid part is its amount.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np


class Collateral(IntEnum):
    """What a secured claim is secured on (`UNSECURED`: nothing)."""

    UNSECURED = -1
    CASH = 0
    RECEIVABLES = 1
    INVENTORY = 2
    FIXED_ASSETS = 3
    ASSIGNED_RECEIVABLES = 4


class Rank(IntEnum):
    """Classes of unsecured claims, paid in this order."""

    PRIORITY = 0
    GENERAL = 1
    SUBORDINATED = 2


@dataclass(frozen=True)
class Estate:
    """What each of a set of defaulted firms owns, at book value, and what a sale realises.

    Arrays are aligned on the debtors (position ``d`` is one debtor). Rates may be scalars or
    one per debtor.

    Attributes:
        cash: Cash.
        receivables: Face value of open invoices others owe the debtor, those assigned to a
            lender excepted.
        inventory: Book value of inventories (goods on their way in included).
        fixed_assets: Book value of plant and equipment.
        collection_rate: Share of the receivables' face value their buyer expects to collect
            (1 − the obligors' probability of default over the term × loss given default):
            the price per unit of face at which they are sold.
        inventory_rate: Share of the inventories' book value a sale realises.
        fixed_asset_rate: Share of the fixed assets' book value a sale realises.
        assigned_receivables: Face value of open invoices assigned to a lender.
        assigned_collection_rate: The price per unit of face of the assigned invoices (their
            own buyers' expected collection); ``collection_rate`` if None.
    """

    cash: np.ndarray
    receivables: np.ndarray
    inventory: np.ndarray
    fixed_assets: np.ndarray
    collection_rate: np.ndarray | float = 1.0
    inventory_rate: np.ndarray | float = 1.0
    fixed_asset_rate: np.ndarray | float = 0.0
    assigned_receivables: np.ndarray | float = 0.0
    assigned_collection_rate: np.ndarray | float | None = None

    @property
    def size(self) -> int:
        """Number of debtors."""
        return int(np.shape(self.cash)[0])

    def proceeds(self) -> np.ndarray:
        """Cash each kind of asset realises: collateral × debtor (rows in `Collateral` order)."""
        rows = [
            np.maximum(np.asarray(self.cash, dtype=float), 0.0),
            np.asarray(self.receivables, dtype=float) * self.collection_rate,
            np.asarray(self.inventory, dtype=float) * self.inventory_rate,
            np.asarray(self.fixed_assets, dtype=float) * self.fixed_asset_rate,
            np.asarray(self.assigned_receivables, dtype=float)
            * (
                self.collection_rate
                if self.assigned_collection_rate is None
                else self.assigned_collection_rate
            ),
        ]
        return np.stack([np.broadcast_to(row, (self.size,)) for row in rows])

    def realised(self) -> np.ndarray:
        """What each debtor's estate realises in all."""
        return self.proceeds().sum(axis=0)


@dataclass(frozen=True)
class Claims:
    """Claims on defaulted firms, one entry per claim.

    Attributes:
        debtor: Position of the debtor in the `Estate` (0 .. estate.size − 1).
        amount: What is owed (non-negative).
        collateral: `Collateral` code each claim is secured on (`UNSECURED` = −1 for none).
        rank: `Rank` of each claim's unsecured part (its whole amount if unsecured).
    """

    debtor: np.ndarray
    amount: np.ndarray
    collateral: np.ndarray
    rank: np.ndarray

    @classmethod
    def of(
        cls,
        debtor: np.ndarray,
        amount: np.ndarray,
        collateral: int | np.ndarray = Collateral.UNSECURED,
        rank: int | np.ndarray = Rank.GENERAL,
    ) -> Claims:
        """Claims with one collateral and rank for all (or one per claim)."""
        debtor = np.asarray(debtor, dtype=np.int64)
        shape = debtor.shape
        return cls(
            debtor,
            np.broadcast_to(np.asarray(amount, dtype=float), shape).copy(),
            np.broadcast_to(np.asarray(collateral, dtype=np.int64), shape).copy(),
            np.broadcast_to(np.asarray(rank, dtype=np.int64), shape).copy(),
        )

    @classmethod
    def concat(cls, parts: list[Claims]) -> Claims:
        """All claims of ``parts`` in one list, in order."""
        if not parts:
            return cls.of(np.zeros(0, dtype=np.int64), np.zeros(0))
        return cls(
            *(np.concatenate([getattr(p, name) for p in parts]) for name in cls.__annotations__)
        )

    def __len__(self) -> int:
        return int(self.debtor.size)


@dataclass(frozen=True)
class Payout:
    """The waterfall's result.

    Attributes:
        paid: What each claim receives.
        unpaid: What each claim does not receive (its creditor's loss).
        residual: What is left to each debtor's owners after every claim.
        realised: What each debtor's estate realised.
    """

    paid: np.ndarray
    unpaid: np.ndarray
    residual: np.ndarray
    realised: np.ndarray


def _pro_rata(available: np.ndarray, owed: np.ndarray) -> np.ndarray:
    """Share of its claims each pot pays: min(1, available / owed), 1 where nothing is owed."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(owed > 0, np.minimum(available / owed, 1.0), 1.0)


def waterfall(estate: Estate, claims: Claims) -> Payout:
    """Share the realised estate of every debtor among the claims on it (see the module).

    Args:
        estate: What the debtors own and the rates a sale realises.
        claims: Everything they owe.

    Returns:
        The payout of every claim, the residual and the realised value of every estate.

    Raises:
        ValueError: A claim names a debtor outside the estate, a negative amount or an unknown
            collateral or rank.
    """
    n = estate.size
    debtor, amount = claims.debtor, claims.amount
    if len(claims) and (debtor.min() < 0 or debtor.max() >= n):
        raise ValueError(f"claims.debtor: positions must be in 0..{n - 1}")
    if np.any(amount < 0):
        raise ValueError("claims.amount: a claim cannot be negative")
    kinds = len(Collateral) - 1
    if np.any((claims.collateral < -1) | (claims.collateral >= kinds)):
        raise ValueError(f"claims.collateral: expected -1 (unsecured) to {kinds - 1}")
    ranks = len(Rank)
    if np.any((claims.rank < 0) | (claims.rank >= ranks)):
        raise ValueError(f"claims.rank: expected 0 to {ranks - 1}")

    proceeds = estate.proceeds()
    paid = np.zeros(len(claims))

    # Secured claims, from their own collateral's proceeds.
    secured = np.flatnonzero(claims.collateral >= 0)
    free = proceeds.sum(axis=0)
    if secured.size:
        pot = claims.collateral[secured] * n + debtor[secured]
        owed = np.bincount(pot, amount[secured], minlength=kinds * n)
        share = _pro_rata(proceeds.ravel(), owed)
        paid[secured] = amount[secured] * share[pot]
        free = free - np.bincount(debtor[secured], paid[secured], minlength=n)

    # Classes in rank order share the free estate; the shortfall of secured claims included.
    rest = amount - paid
    for rank in range(ranks):
        members = np.flatnonzero((claims.rank == rank) & (rest > 0))
        if members.size == 0:
            continue
        owed = np.bincount(debtor[members], rest[members], minlength=n)
        share = _pro_rata(np.maximum(free, 0.0), owed)
        got = rest[members] * share[debtor[members]]
        paid[members] += got
        free = free - np.bincount(debtor[members], got, minlength=n)

    return Payout(paid, amount - paid, np.maximum(free, 0.0), proceeds.sum(axis=0))
