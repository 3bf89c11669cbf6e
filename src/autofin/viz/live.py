"""The results of a running model as the page reads them: grown step by step, built on demand.

`AutofinModel.result()` rebuilds every table of a run (time series, events, flows, network,
firms, summary) each time it is called, which is right at the end of a run and too slow for
a page that redraws every step. A `LiveResult` is a `Result` whose tables are built only when
a figure reads them, once per step; its time series grows by the new rows only, and the
supply-network table is rebuilt only when firms have re-sourced. Each table equals the one
`AutofinModel.result()` gives for the same step (tests/viz/test_live.py checks them).
"""

from __future__ import annotations

import threading
from dataclasses import fields
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from autofin.results.provenance import provenance
from autofin.results.result import Result
from autofin.world.metrics import MetricsRecorder, is_count_column
from autofin.world.model import AutofinModel
from autofin.world.records import firms_frame, network_frame


class GrowingSeries:
    """A model's time series, one row appended per step instead of the whole frame rebuilt.

    Rows are kept as a float matrix; a column is returned as integers where
    `MetricsRecorder.frame` gives integers (count columns, and columns recorded as Python
    ints only). Should a step record other columns or other kinds of values, the frame is
    rebuilt by `MetricsRecorder.frame` from then on.

    Args:
        metrics: The model's recorder (its ``rows`` grow by one per step).
    """

    def __init__(self, metrics: MetricsRecorder) -> None:
        self.metrics = metrics
        self.columns: tuple[str, ...] | None = None
        self.values = np.zeros((0, 0))
        self.integers = np.zeros(0, dtype=bool)
        self.counts = np.zeros(0, dtype=bool)
        self.count = 0
        self.rebuild = False

    def _append(self, rows: list[dict[str, float]]) -> None:
        for row in rows:
            columns = tuple(row)
            if self.columns is None:
                self.columns = columns
                self.values = np.zeros((64, len(columns)))
                self.integers = np.ones(len(columns), dtype=bool)
                self.counts = np.array([is_count_column(name) for name in columns])
            kinds = [type(value) for value in row.values()]
            if columns != self.columns or any(k is not int and k is not float for k in kinds):
                self.rebuild = True
                return
            if self.count == len(self.values):
                self.values = np.concatenate([self.values, np.zeros_like(self.values)])
            self.values[self.count] = list(row.values())
            self.integers &= np.array([k is int for k in kinds])
            self.count += 1

    def frame(self, steps: int | None = None) -> pd.DataFrame:
        """The time series so far (its first ``steps`` rows), equal to `MetricsRecorder.frame()`."""
        rows = self.metrics.rows
        if len(rows) < self.count:  # not the same run any more
            self.__init__(self.metrics)
        if not self.rebuild:
            self._append(rows[self.count :])
        steps = self.count if steps is None else min(steps, self.count)
        if self.rebuild or self.columns is None:
            return self.metrics.frame().iloc[:steps]
        block = self.values[:steps]
        # Two 2-D blocks (counts, the rest) joined once: a column at a time costs 4x more.
        whole = self.integers | self.counts
        names = np.array(self.columns, dtype=object)
        counts = pd.DataFrame(block[:, whole].astype(np.int64), columns=names[whole])
        rest = pd.DataFrame(block[:, ~whole], columns=names[~whole])
        return pd.concat([counts, rest], axis=1)[list(self.columns)]


class LiveModel:
    """A running `AutofinModel` and what its page keeps between steps to read it quickly.

    Args:
        model: The model stepping in the page.
        lock: Held while a table is built (the page steps the model in another thread).
    """

    def __init__(self, model: AutofinModel, lock: threading.RLock | None = None) -> None:
        self.model = model
        self.lock = lock or threading.RLock()
        self.series = GrowingSeries(model.metrics)
        self._network: tuple[int, pd.DataFrame] | None = None
        self._provenance: dict[str, Any] | None = None

    def network(self) -> pd.DataFrame:
        """The supply-edge table, rebuilt only after the network has changed."""
        moves = len(self.model.network_log.moves)
        if self._network is None or self._network[0] != moves:
            self._network = (moves, network_frame(self.model))
        return self._network[1]

    def provenance(self) -> dict[str, Any]:
        """The run's provenance (hashing the scenario once)."""
        if self._provenance is None:
            self._provenance = provenance(self.model.spec, 0.0)
        return self._provenance

    def result(self) -> LiveResult:
        """The results of the steps run so far, each table built when first read."""
        return LiveResult(self)


class LiveResult(Result):
    """A `Result` of the steps run so far whose tables are built when first read.

    The time series stops at the step the result was made at; the other tables are those of
    the model when first read (a panel reads them in the same redraw).

    Args:
        live: The running model.
    """

    def __init__(self, live: LiveModel) -> None:  # no dataclass __init__: tables are lazy
        self.live = live
        self.scenario = live.model.spec
        self.step = live.model.step_index

    def __getattr__(self, name: str) -> Any:
        """A `Result` field this class does not build lazily: taken from the full rebuild."""
        if name in {f.name for f in fields(Result)}:
            with self.live.lock:
                value = getattr(self.live.model.result(), name)
            setattr(self, name, value)
            return value
        raise AttributeError(name)

    @cached_property
    def timeseries(self) -> pd.DataFrame:  # type: ignore[override]
        """The time series, grown by this step's rows."""
        with self.live.lock:
            return self.live.series.frame(self.step)

    @cached_property
    def events(self) -> pd.DataFrame:  # type: ignore[override]
        """The event log."""
        with self.live.lock:
            return self.live.model.metrics.events_frame()

    @cached_property
    def flows(self) -> pd.DataFrame:  # type: ignore[override]
        """The capital flows per step."""
        with self.live.lock:
            return self.live.model.ledger.flows_frame()

    @cached_property
    def network(self) -> pd.DataFrame:  # type: ignore[override]
        """The supply edges (rebuilt after re-sourcing only)."""
        with self.live.lock:
            return self.live.network()

    @cached_property
    def firms(self) -> pd.DataFrame:  # type: ignore[override]
        """One row per firm, as of this step."""
        with self.live.lock:
            return firms_frame(self.live.model)

    @cached_property
    def panel(self) -> pd.DataFrame | None:  # type: ignore[override]
        """The firm × step panel, if the model keeps it."""
        with self.live.lock:
            return self.live.model.firm_ledger.panel_frame()

    @cached_property
    def loans(self) -> pd.DataFrame | None:  # type: ignore[override]
        """The loan log, if the model keeps it."""
        with self.live.lock:
            log = self.live.model.loan_log
            return None if log is None else log.frame()

    @cached_property
    def summary(self) -> dict[str, Any]:  # type: ignore[override]
        """The headline figures and provenance."""
        with self.live.lock:
            metrics = self.live.model.metrics
            summary = metrics.summary(self.timeseries, self.events) if self.step else {}
            summary.update(provenance(self.scenario, 0.0, known=self.live.provenance()))
            return summary
