"""Obligations with due dates, stored so that "everything due now" is one row read.

A `DueBook` is a ring buffer of shape (horizon, columns): row ``step % horizon`` holds the
amounts falling due at that step, one column per edge (invoices) or per firm (loans).
"""

from __future__ import annotations

import numpy as np


class DueBook:
    """Amounts owed per column, bucketed by the step they fall due.

    Args:
        columns: Number of columns (edges or firms).
        max_delay_steps: Longest delay between booking and due step that will be used.
    """

    def __init__(self, columns: int, max_delay_steps: int) -> None:
        self.horizon = max_delay_steps + 1
        self.amounts = np.zeros((self.horizon, columns))

    def book(
        self,
        step: int,
        delay_steps: np.ndarray | int,
        columns: np.ndarray,
        amounts: np.ndarray,
        *,
        increasing: bool = False,
    ) -> None:
        """Add amounts due ``delay_steps`` after ``step`` to the given columns.

        Args:
            step: The current step.
            delay_steps: Steps until due (at least 1, at most the book's maximum).
            columns: Column of each amount.
            amounts: The amounts.
            increasing: The caller knows ``columns`` to be one list of increasing indices
                (so distinct): they are not checked again.
        """
        rows = self._due_rows(step, delay_steps)
        columns = np.asarray(columns)
        if increasing or (
            columns.ndim == 1 and (columns.size < 2 or (columns[1:] > columns[:-1]).all())
        ):
            # Distinct columns (the usual case: indices in increasing order): one amount per
            # cell, added in place; the same sums as the general paths below.
            self._add_to_cells(rows, columns, amounts)
        elif np.ndim(rows) == 0:
            # One due step: a bincount is much faster than an unbuffered add.
            self.amounts[int(rows)] += np.bincount(
                np.asarray(columns, dtype=np.int64).ravel(),
                np.broadcast_to(np.asarray(amounts, dtype=float), np.shape(columns)).ravel(),
                minlength=self.amounts.shape[1],
            )
        else:
            np.add.at(self.amounts, (rows, columns), amounts)

    def _due_rows(self, step: int, delay_steps: np.ndarray | int) -> np.ndarray | int:
        """The row of the amounts due ``delay_steps`` (at least 1) after ``step``."""
        horizon = self.horizon
        if isinstance(delay_steps, int):  # one due step (the usual case): a Python int
            return (step + max(delay_steps, 1)) % horizon
        delay = np.maximum(np.asarray(delay_steps), 1)
        if delay.dtype.kind not in "iu" or delay.size == 0 or delay.max() >= horizon:
            return (step + delay) % horizon
        # Delays within the book: (step + delay) % horizon is the step's row plus the delay,
        # less the horizon if that passes the last row (the same integers, without dividing).
        rows = np.add(delay, step % horizon, out=delay)  # `delay` is a new array
        np.subtract(rows, horizon, out=rows, where=rows >= horizon)
        return rows

    def cells(self, step: int, delay_steps: np.ndarray | int, columns: np.ndarray) -> np.ndarray:
        """Where amounts due ``delay_steps`` after ``step`` in ``columns`` go, as flat indices.

        For booking the same cells of several books of one shape (`add_to`): the cells are
        found once. ``columns`` must be distinct indices of the book's columns.
        """
        return self._due_rows(step, delay_steps) * self.amounts.shape[1] + np.asarray(columns)

    def add_to(self, cells: np.ndarray, amounts: np.ndarray) -> None:
        """Add ``amounts`` to ``cells`` (distinct, from `cells`): what `book` adds to them."""
        self.amounts.reshape(-1)[cells] += amounts  # the book is contiguous: a view

    def _add_to_cells(
        self, rows: np.ndarray | int, columns: np.ndarray, amounts: np.ndarray
    ) -> None:
        """Add ``amounts`` to the cells (``rows``, ``columns``), the columns distinct and sorted.

        Each cell receives one addition, so any order of the additions gives the same bits; a
        whole row is added as a row and per-column rows through the flat index (numpy's
        one-dimensional indexing is several times faster than its two-dimensional one).
        """
        n_columns = self.amounts.shape[1]
        inside = (
            columns.dtype.kind in "iu"
            and columns.size > 0
            and columns[0] >= 0
            and columns[-1] < n_columns
        )
        if not inside or not self.amounts.flags.c_contiguous:
            self.amounts[rows, columns] += amounts  # numpy's own checks and wrapping
        elif isinstance(rows, int) or rows.ndim == 0:
            row = self.amounts[int(rows)]  # a view
            if columns.size == n_columns:  # sorted, distinct and inside: every column
                row += amounts
            else:
                row[columns] += amounts
        else:
            self.amounts.reshape(-1)[rows * n_columns + columns] += amounts

    def take_due(self, step: int) -> np.ndarray:
        """Remove and return the amounts due at ``step``, one per column."""
        row = step % self.horizon
        due = self.amounts[row].copy()
        self.amounts[row] = 0.0
        return due

    def peek_due(self, step: int) -> np.ndarray:
        """The amounts due at ``step`` without removing them."""
        return self.amounts[step % self.horizon]

    def due_within(self, step: int, steps: int) -> np.ndarray:
        """Everything due from ``step`` to ``step + steps - 1``, one total per column."""
        rows = (step + np.arange(min(max(steps, 0), self.horizon))) % self.horizon
        return self.amounts[rows].sum(axis=0)

    def steps_left(self, step: int) -> np.ndarray:
        """For every row of the book, the steps from ``step`` until it falls due (0 = now)."""
        return (np.arange(self.horizon) - step) % self.horizon

    def open_totals(self) -> np.ndarray:
        """Everything still owed, one total per column."""
        return self.amounts.sum(axis=0)

    def open_totals_of(self, columns: np.ndarray) -> np.ndarray:
        """``open_totals()[columns]`` without summing the other columns.

        The rows are added in order, as the sum over the whole book adds them, so the totals
        are the same to the last bit.
        """
        columns = np.asarray(columns)
        if columns.size * self.horizon > self.amounts.shape[1]:
            return self.amounts.sum(axis=0)[columns]  # as cheap as the rows one by one
        total = self.amounts[0, columns].copy()  # never a view into the book
        for row in self.amounts[1:]:
            total += row[columns]
        return total

    def clear_columns(self, columns: np.ndarray) -> np.ndarray:
        """Cancel every open amount of the given columns and return their totals."""
        totals = self.amounts[:, columns].sum(axis=0)
        self.amounts[:, columns] = 0.0
        return totals
