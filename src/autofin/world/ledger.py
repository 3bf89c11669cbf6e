"""The ledger: every movement of money is a posting between two accounts.

All money in the model lives in `Ledger.balance`, one entry per account (firms, banks, the
consumer sector and the outside world). Agent modules read their cash as views of it and never
change it directly, so total money is conserved by construction and the capital flows between
sectors are an exact by-product of the postings.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import IntEnum
from typing import NamedTuple

import numpy as np
import pandas as pd


class Flow(IntEnum):
    """Types of money movement, recorded with every posting."""

    VEHICLE_SALES = 0
    HOUSEHOLD_INCOME = 1
    TRADE_PAYMENT = 2
    WAGES = 3
    FIXED_COSTS = 4
    LOAN_DISBURSEMENT = 5
    LOAN_REPAYMENT = 6
    LOAN_INTEREST = 7
    BANK_FUNDING_COST = 8
    ASSET_SALE = 9
    LIQUIDATION_PAYOUT = 10
    ORDER_FINANCING_ADVANCE = 11
    ORDER_FINANCING_REPAYMENT = 12
    INVENTORY_FINANCING_DRAW = 13
    INVENTORY_FINANCING_REPAYMENT = 14
    FACTORING_PURCHASE = 15
    FACTORING_COLLECTION = 16
    FACTORING_RECOURSE = 17
    REVERSE_FACTORING_PURCHASE = 18
    REVERSE_FACTORING_COLLECTION = 19
    SYNDICATED_LOAN_DRAW = 20
    SYNDICATED_LOAN_REPAYMENT = 21
    SYNDICATED_LOAN_INTEREST = 22
    DOWN_PAYMENT = 23
    CONSUMER_LOAN_DISBURSEMENT = 24
    CONSUMER_LOAN_INSTALMENT = 25
    CONSUMER_LOAN_RECOVERY = 26
    FACILITY_DRAW = 27
    FACILITY_REPAYMENT = 28
    FACILITY_INTEREST = 29
    DIVIDENDS = 30
    RESOURCING_COST = 31
    CAPACITY_INVESTMENT = 32
    CAPACITY_LOAN_DISBURSEMENT = 33
    CAPACITY_LOAN_REPAYMENT = 34
    CAPACITY_LOAN_INTEREST = 35


FLOW_NAMES = [flow.name.lower() for flow in Flow]

SMALL_LEDGER = 2048
"""Up to this many accounts a posting sums over all of them (cheaper than finding its range)."""


def _one_to_many(source: np.ndarray, target: np.ndarray, amount: np.ndarray) -> bool:
    """Whether a posting is one list of amounts between equal lists of accounts or one account.

    The common case, posted without broadcasting.
    """
    n = len(amount) if amount.ndim == 1 else -1
    return (
        n >= 0
        and (source.ndim == 1 or target.ndim == 1)
        and (source.ndim == 0 or (source.ndim == 1 and len(source) == n))
        and (target.ndim == 0 or (target.ndim == 1 and len(target) == n))
    )


class _Span(NamedTuple):
    """The accounts of one side of a posting: their range, and each one's place in it.

    Attributes:
        low: The lowest account.
        high: The highest account.
        offsets: Each account less ``low`` (None for one account given as a number).
    """

    low: int
    high: int
    offsets: np.ndarray | None

    @classmethod
    def of(cls, accounts: np.ndarray) -> _Span:
        """The span of ``accounts``: one account (0-d) or a non-empty list."""
        if accounts.ndim == 0:
            return cls(int(accounts), int(accounts), None)
        low = int(np.minimum.reduce(accounts))
        high = int(np.maximum.reduce(accounts))
        return cls(low, high, accounts - low if low else accounts)


class Ledger:
    """Account balances plus the per-step capital flows between sectors.

    The last account is the outside world's (`Ledger.outside`).

    Args:
        account_sector: Sector index of every account.
        sector_names: Name of every sector (e.g. ``automakers``, ``suppliers_tier1``).
        opening_balances: Opening balance of every account; the sum is the money in the world.
    """

    def __init__(
        self,
        account_sector: np.ndarray,
        sector_names: list[str],
        opening_balances: np.ndarray,
    ) -> None:
        self.balance = np.asarray(opening_balances, dtype=float).copy()
        self.account_sector = np.asarray(account_sector, dtype=np.int64)
        self.sector_names = list(sector_names)
        self.n_accounts = len(self.balance)
        self.n_sectors = len(sector_names)
        self.total_money = float(self.balance.sum())
        self._flow_cells = self.n_sectors * self.n_sectors * len(Flow)
        # A posting's cell in the flow cube is source key + target key + flow.
        self._source_key = self.account_sector * (self.n_sectors * len(Flow))
        self._target_key = self.account_sector * len(Flow)
        # Accounts stored sector by sector: a range of accounts within one sector is all of it.
        self._sectors_sorted = bool((np.diff(self.account_sector) >= 0).all())
        self._sector_of = self.account_sector.tolist()  # read one account at a time
        self.step_flows = np.zeros(self._flow_cells)
        # A small ledger sums a posting over the sector pairs of its flow only: the cube seen as
        # one column per flow (views of `step_flows`), a pair's row source pair + target pair.
        self._n_pairs = self.n_sectors * self.n_sectors
        self._source_pair = self.account_sector * self.n_sectors
        self._flow_columns = [self.step_flows[flow :: len(Flow)] for flow in Flow]
        self._flow_records: list[tuple[int, np.ndarray, np.ndarray]] = []
        self._guarded: np.ndarray | slice = np.zeros(0, dtype=np.int64)
        self._on_overdraft: Callable[[], None] | None = None

    def guard(self, accounts: np.ndarray, on_overdraft: Callable[[], None]) -> None:
        """Call ``on_overdraft`` whenever a posting leaves one of ``accounts`` below zero.

        Banks use it to draw on their funding facility, so their reserves never go negative.
        """
        accounts = np.asarray(accounts, dtype=np.int64)
        contiguous = accounts.size and (np.diff(accounts) == 1).all()
        # A contiguous range is read as a slice (cheaper: it is read after every posting).
        self._guarded = slice(int(accounts[0]), int(accounts[-1]) + 1) if contiguous else accounts
        self._on_overdraft = on_overdraft

    def open_accounts(self, accounts: np.ndarray, balances: np.ndarray) -> None:
        """Set opening balances before the first step (they add to the money in the world)."""
        self.balance[accounts] = balances
        self.total_money = float(self.balance.sum())

    @property
    def outside(self) -> int:
        """The outside world's account: the last one."""
        return self.n_accounts - 1

    def post(
        self,
        source: np.ndarray | int,
        target: np.ndarray | int,
        amount: np.ndarray | float,
        flow: Flow,
    ) -> None:
        """Move money from source accounts to target accounts.

        Args:
            source: Paying account(s).
            target: Receiving account(s), broadcast against `source`.
            amount: Amount(s) moved; zero amounts are allowed and ignored.
            flow: The type of the movement.
        """
        if (
            isinstance(amount, float)
            and isinstance(source, int | np.integer)
            and isinstance(target, int | np.integer)
            and self.n_accounts <= SMALL_LEDGER
        ):
            self._post_one(int(source), int(target), amount, flow)
            return
        amount = np.asarray(amount, dtype=float)
        if amount.ndim == 1 and amount.size == 0:
            return  # nothing moves (a broadcast against an empty list is empty too)
        source = np.asarray(source, dtype=np.int64)
        target = np.asarray(target, dtype=np.int64)
        if not _one_to_many(source, target, amount):
            broadcast = np.broadcast_arrays(source, target, amount)
            source, target, amount = (a.ravel() for a in broadcast)
            if amount.size == 0:
                return
        # The same sums, in the same order, as full-length bincounts (see `_move`), without
        # their cost at large numbers of accounts.
        if self.n_accounts <= SMALL_LEDGER:
            self._post_small(source, target, amount, flow)
            return
        self._post_large(source, target, amount, flow, _Span.of(source), _Span.of(target))

    def post_several(
        self,
        source: np.ndarray | int,
        target: np.ndarray | int,
        amounts: list[np.ndarray],
        flows: list[Flow],
    ) -> None:
        """Post each of ``amounts`` from ``source`` to ``target`` as its flow, in turn.

        The same as `post` of each amount in order (the same bits, the same overdraft
        calls), with the accounts looked at once: the wages and fixed costs of the same
        firms, say.

        Args:
            source: Paying account(s).
            target: Receiving account(s).
            amounts: Amounts moved, each one per account of ``source`` or ``target``.
            flows: The type of each movement.
        """
        source = np.asarray(source, dtype=np.int64)
        target = np.asarray(target, dtype=np.int64)
        amounts = [np.asarray(amount, dtype=float) for amount in amounts]
        if self.n_accounts <= SMALL_LEDGER or not all(
            _one_to_many(source, target, amount) for amount in amounts
        ):
            for amount, flow in zip(amounts, flows, strict=True):
                self.post(source, target, amount, flow)
            return
        if not amounts or amounts[0].size == 0:
            return  # nothing moves (the amounts are one list's: all empty)
        source_span, target_span = _Span.of(source), _Span.of(target)
        for amount, flow in zip(amounts, flows, strict=True):
            self._post_large(source, target, amount, flow, source_span, target_span)

    def _post_large(
        self,
        source: np.ndarray,
        target: np.ndarray,
        amount: np.ndarray,
        flow: Flow,
        source_span: _Span,
        target_span: _Span,
    ) -> None:
        """`post` in a large ledger: only the ranges of accounts posted to are touched."""
        # One account on a side pays or receives the amounts summed in order from zero (as
        # its bincount would); a flow cell of one sector pair adds the same sum.
        total = amount.cumsum()[-1] if source.ndim == 0 or target.ndim == 0 else None
        self._move(source_span, amount, -1.0, total)
        self._move(target_span, amount, 1.0, total)
        sector = self._sector_of
        paying, receiving = sector[source_span.low], sector[target_span.low]
        if (
            self._sectors_sorted
            and paying == sector[source_span.high]
            and receiving == sector[target_span.high]
        ):
            # One sector pays one sector (a tier its wages, say): one cell of the flow cube.
            cell = int(self._source_key[source_span.low] + self._target_key[target_span.low])
            cell += int(flow)
            self.step_flows[cell] += amount.cumsum()[-1] if total is None else total
        else:
            self._add_flows(self._cells(source, target, flow), amount)
        if self._on_overdraft is not None and np.minimum.reduce(self.balance[self._guarded]) < 0.0:
            self._on_overdraft()

    def _post_small(
        self, source: np.ndarray, target: np.ndarray, amount: np.ndarray, flow: Flow
    ) -> None:
        """`post` in a small ledger: every sum runs over all accounts and the whole flow cube.

        Few accounts: finding the range of a posting costs more than it saves. One account
        on a side receives or pays the sequential sum of the amounts (as its bincount would;
        the two differ only in the sign of a zero, which cannot change a balance that is
        never -0). Each cell of the flow cube adds its amounts summed in order from zero, as
        in `_add_flows`; its sequential sum differs from this one only in the sign of a zero,
        which cannot change a cell of the cube (cells start at +0 and so are never -0), and
        the other cells add +0.
        """
        balance, n_accounts = self.balance, self.n_accounts
        source_pair, target_pair = self._source_pair, self.account_sector
        if source.ndim == 0:
            balance[int(source)] -= np.add.accumulate(amount)[-1]
            pairs = target_pair[target] + int(source_pair[source])
        else:
            balance -= np.bincount(source, amount, minlength=n_accounts)
            if target.ndim == 0:
                pairs = source_pair[source] + int(target_pair[target])
            else:
                pairs = source_pair[source] + target_pair[target]
        if target.ndim == 0:
            balance[int(target)] += np.add.accumulate(amount)[-1]
        else:
            balance += np.bincount(target, amount, minlength=n_accounts)
        # The flow's column only: the other flows' cells would add +0 (a no-op, see above).
        self._flow_columns[flow] += np.bincount(pairs, amount, minlength=self._n_pairs)
        if self._on_overdraft is not None and np.minimum.reduce(balance[self._guarded]) < 0.0:
            self._on_overdraft()

    def _post_one(self, source: int, target: int, amount: float, flow: Flow) -> None:
        """`post` of one amount between two accounts in a small ledger.

        The sums of `_post_small` on lists of one: the amount summed from zero (``0.0 +
        amount``, as bincount's) leaves the source, reaches the target and its flow's cell.
        """
        total = 0.0 + amount
        balance = self.balance
        balance[source] -= total
        balance[target] += total
        pair = int(self._source_pair[source]) + int(self.account_sector[target])
        self._flow_columns[flow][pair] += total
        if self._on_overdraft is not None and np.minimum.reduce(balance[self._guarded]) < 0.0:
            self._on_overdraft()

    def _cells(self, source: np.ndarray, target: np.ndarray, flow: Flow) -> np.ndarray:
        """The flow cube's cell of every posting (one account's key is added as a number)."""
        if target.ndim == 0:
            return self._source_key[source] + (int(self._target_key[target]) + int(flow))
        if source.ndim == 0:
            return self._target_key[target] + (int(self._source_key[source]) + int(flow))
        return self._source_key[source] + self._target_key[target] + int(flow)

    def _add_flows(self, cells: np.ndarray, amount: np.ndarray) -> None:
        """Add ``amount`` to the flow cube's ``cells``: a posting touches a few of them.

        The amounts of each cell are summed in order from zero, as a full-length bincount
        would, over the range of cells posted to only.
        """
        low, high = int(cells.min()), int(cells.max())
        if low == high:
            self.step_flows[low] += amount.cumsum()[-1]  # a sequential sum, as bincount's
        else:
            self.step_flows[low : high + 1] += np.bincount(cells - low, amount)

    def _move(self, span: _Span, amount: np.ndarray, sign: float, total: float | None) -> None:
        """Add (``sign`` 1) or take (``sign`` -1) ``amount`` to or from the accounts of ``span``.

        Amounts to one account are summed in order from zero (as `np.bincount` does) before
        they reach the balance, so the result is the same to the last bit; ``total`` is that
        sum when the caller has it. In a large ledger only the range of accounts posted to,
        ``span.low`` to ``span.high``, is touched.
        """
        low, high = span.low, span.high
        if span.offsets is None:
            if total is None:
                total = amount.cumsum()[-1]  # a sequential sum, as bincount's
            self.balance[low] += sign * total
            return
        sums = np.bincount(span.offsets, amount, minlength=high - low + 1)
        if sign > 0:
            self.balance[low : high + 1] += sums
        else:
            self.balance[low : high + 1] -= sums

    def sector_net_inflow(self) -> np.ndarray:
        """Net money received by each sector in the current step, from the postings."""
        cube = self.step_flows.reshape(self.n_sectors, self.n_sectors, len(Flow)).sum(axis=2)
        return cube.sum(axis=0) - cube.sum(axis=1)

    def sector_balances(self) -> np.ndarray:
        """Money held by each sector now."""
        return np.bincount(self.account_sector, self.balance, minlength=self.n_sectors)

    def close_step(self, step: int, *, keep: bool = True) -> None:
        """Store the current step's sector flows (unless ``keep`` is false) and start a new step."""
        if keep:
            cells = np.flatnonzero(self.step_flows)
            self._flow_records.append((step, cells, self.step_flows[cells].copy()))
        self.step_flows[:] = 0.0

    def forget_flows(self) -> None:
        """Drop the flows recorded so far (the results start afresh after a warm-up)."""
        self._flow_records.clear()

    def flows_frame(self) -> pd.DataFrame:
        """All recorded flows as a tidy frame: step, source, target, flow, amount."""
        if not self._flow_records:
            return pd.DataFrame({"step": [], "source": [], "target": [], "flow": [], "amount": []})
        steps = np.concatenate([np.full(len(c), s) for s, c, _ in self._flow_records])
        cells = np.concatenate([c for _, c, _ in self._flow_records])
        amounts = np.concatenate([a for _, _, a in self._flow_records])
        n_flows = len(Flow)
        flow = cells % n_flows
        pair = cells // n_flows
        names = np.array(self.sector_names, dtype=object)
        return pd.DataFrame(
            {
                "step": steps.astype(np.int64),
                "source": names[pair // self.n_sectors],
                "target": names[pair % self.n_sectors],
                "flow": np.array(FLOW_NAMES, dtype=object)[flow],
                "amount": amounts,
            }
        )
