"""The figures of a run, one function per figure, shared by the HTML report and the browser view.

Every function takes `results`, a `Result`, a results directory or a sequence of them (several
runs are overlaid: one colour per run, the legend by scenario name), and returns a
`plotly.graph_objects.Figure`. None runs the model; each raises `ReportDataError` when a run
lacks the table or column it draws. Time runs along days since the start of the run.
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from autofin.report.canvas import Canvas
from autofin.report.network_layout import current_edges, tier_positions
from autofin.report.runs import ReportDataError, Results, Run, runs
from autofin.report.style import (
    SANKEY_NODE_COLOUR,
    STATE_COLOURS,
    rgba,
    run_colour,
    tier_colour,
    tier_name,
)
from autofin.results.writing import json_number

DAYS = "days since start"
MAX_NETWORK_NODES = 1500
"""Above this many firms the network figure draws a sample of them (see `_sample_firms`)."""
SHORT_SERIES = 20
"""Below this many points plotly draws a line with its markers (a line of one point is
invisible); stacked areas are given the same rule."""
MIN_TEXT_PX = 9
"""Smallest text written in a bar (pixels); a number that would need smaller is left out."""
MAX_STEP_LABELS = 40
"""Up to this many defaulted firms drawn, each is labelled with the step of its default."""
STEP_LABEL_GAP = 0.03
"""Defaulted firms of a tier within this share of the network's width of a group's first
share its label (their steps, or the first and last and how many): each its own, they were
written over one another."""
STEP_LABEL_COLOUR = "#a51d1d"
"""The colour of those labels (a darker red than a defaulted firm's marker)."""

FUNNEL_STAGES = (
    ("traffic", "traffic"),
    ("leads", "leads"),
    ("test_drives", "test drives"),
    ("loan_applications", "loan applications"),
    ("loan_approvals", "loan approvals"),
    ("sales_units", "sales (cash or loan)"),
)
"""Stages of the sales funnel: time-series column prefix and label. Cash buyers skip the loan
stages, so sales can outnumber approvals: the label says so where the funnel widens."""

_TRADE, _SALES = ("trade", "#1f77b4"), ("vehicle sales", "#2ca02c")
_COSTS, _FUNDING = ("wages and operating costs", "#7f7f7f"), ("bank funding", "#8c564b")
_LIQUIDATION, _SCF = ("liquidation", "#d62728"), ("supply-chain finance", "#ff7f0e")
_BANK_LOANS, _CAR_LOANS = ("bank loans", "#9467bd"), ("car loans", "#17becf")
FLOW_FAMILIES = {
    "trade_payment": _TRADE,
    "vehicle_sales": _SALES,
    "down_payment": _SALES,
    "household_income": ("household income", "#98df8a"),
    "wages": _COSTS,
    "fixed_costs": _COSTS,
    "resourcing_cost": _COSTS,
    "dividends": ("dividends", "#e377c2"),
    "capacity_investment": ("capacity investment", "#bcbd22"),
    "bank_funding_cost": _FUNDING,
    "facility_draw": _FUNDING,
    "facility_repayment": _FUNDING,
    "facility_interest": _FUNDING,
    "asset_sale": _LIQUIDATION,
    "liquidation_payout": _LIQUIDATION,
    **dict.fromkeys(
        [
            "loan_disbursement",
            "loan_repayment",
            "loan_interest",
            "syndicated_loan_draw",
            "syndicated_loan_repayment",
            "syndicated_loan_interest",
            "capacity_loan_disbursement",
            "capacity_loan_repayment",
            "capacity_loan_interest",
        ],
        _BANK_LOANS,
    ),
    **dict.fromkeys(
        [
            "order_financing_advance",
            "order_financing_repayment",
            "inventory_financing_draw",
            "inventory_financing_repayment",
            "factoring_purchase",
            "factoring_collection",
            "factoring_recourse",
            "reverse_factoring_purchase",
            "reverse_factoring_collection",
        ],
        _SCF,
    ),
    **dict.fromkeys(
        ["consumer_loan_disbursement", "consumer_loan_instalment", "consumer_loan_recovery"],
        _CAR_LOANS,
    ),
}
"""Colour family of every flow type (`autofin.world.ledger.Flow`), named in the Sankey's key.
(Dividends, capacity investment and the banks' facility were once shown as supply-chain
finance, the family of any flow not listed.)"""


# ---------------------------------------------------------------- defaults
def defaults_figure(results: Results) -> go.Figure:
    """Supplier default rate per tier and automaker defaults, with the cumulative count.

    One run: bars of each tier's default rate per step (% of the tier's active suppliers),
    the cumulative number of defaults on the right axis, crosses on it where an automaker
    defaulted, and triangles where defaults were caused by another firm's default
    (cascades). Several runs: each run's overall supplier default rate and cumulative count,
    one colour per run.
    """
    drawn = runs(results)
    canvas = Canvas(secondary_y=True)
    most_defaults = 0.0
    single = len(drawn) == 1
    for index, run in enumerate(drawn):
        ts = run.columns("defaults", "day", "supplier_default_rate", "supplier_defaults")
        day = ts["day"]
        cumulative = (ts["supplier_defaults"] + ts.get("automaker_defaults", 0)).cumsum()
        colour = run_colour(index)
        if single:
            tiers = sorted(_numbered(ts.columns, "supplier_default_rate_tier"))
            for tier in tiers:
                canvas.add(
                    "bar",
                    x=day,
                    y=100 * ts[f"supplier_default_rate_tier{tier}"],
                    name=f"{tier_name(tier)} default rate",
                    marker={"color": tier_colour(tier)},
                    hovertemplate="%{y:.2f}%",
                )
            if "automaker_defaults" in ts and ts["automaker_defaults"].any():
                # A mark on the count, not a bar: one automaker of one is a rate of 100% and
                # flattened the suppliers' bars of a few percent beside it.
                hit = ts["automaker_defaults"] > 0
                count = ts["automaker_defaults"][hit].astype(int)
                canvas.add(
                    "scatter",
                    x=day[hit],
                    y=cumulative[hit],
                    mode="markers",
                    name="automaker default",
                    marker={
                        "symbol": "x",
                        "size": 13,
                        "color": tier_colour(0),
                        "line": {"color": "white", "width": 1},
                    },
                    customdata=count,
                    hovertemplate=f"%{{customdata}} of {_automakers(run)} automakers defaulted",
                    secondary_y=True,
                )
        else:
            canvas.add(
                "scatter",
                x=day,
                y=100 * ts["supplier_default_rate"],
                name=f"{run.label}: default rate",
                legendgroup=run.label,
                line={"color": colour, "width": 1.2},
                hovertemplate="%{y:.2f}%",
            )
        most_defaults = max(most_defaults, float(cumulative.max()) if len(cumulative) else 0.0)
        canvas.add(
            "scatter",
            x=day,
            y=cumulative,
            name="cumulative defaults" if single else f"{run.label}: cumulative defaults",
            legendgroup=run.label,
            line={"color": "#222222" if single else colour, "width": 2.5, "shape": "hv"},
            secondary_y=True,
        )
        caused = _caused_defaults_by_step(run)
        if not caused.empty:
            at = ts.set_index("step")
            canvas.add(
                "scatter",
                x=at.loc[caused.index, "day"],
                y=cumulative.set_axis(ts["step"]).loc[caused.index],
                mode="markers",
                name="cascade (defaults caused by a default)"
                if single
                else f"{run.label}: cascade steps",
                legendgroup=run.label,
                marker={
                    "symbol": "triangle-up",
                    "size": 7 + 3 * np.sqrt(caused.to_numpy()),
                    "color": "#d62728" if single else colour,
                    "line": {"color": "white", "width": 1},
                },
                customdata=caused.to_numpy(),
                hovertemplate="%{customdata} default(s) caused by another firm's default",
                secondary_y=True,
            )
    canvas.axis("x", title={"text": DAYS}, **_day_axis(drawn))
    canvas.axis(
        "y", title={"text": "default rate (% of active firms per step)"}, rangemode="tozero"
    )
    canvas.axis(
        "y",
        secondary_y=True,
        title={"text": "cumulative defaults (firms)"},
        showgrid=False,
        rangemode="tozero",
        tickformat=",d",
        # Whole firms: a few defaults would otherwise get ticks at 0.2 shown as 0, 0, 1, 1.
        **(
            {"tickmode": "linear", "tick0": 0, "dtick": 1}
            if most_defaults < 5
            else {"tickmode": "auto"}
        ),
    )
    return canvas.figure("Defaults over time", barmode="stack", bargap=0)


FEW_DAYS = 10
"""Data spanning fewer days than this (a run's first steps) are drawn on an axis set to whole
days: plotly's own range for one point at day 7 ran from 6.6 to 7.4, ticked in fractions."""


def _day_axis(drawn: list[Run]) -> dict[str, Any]:
    """The range and ticks of an axis of days since start: whole days however few have run.

    Over `FEW_DAYS` days or more, plotly's own (whole numbers at that span); below, a step's
    room either side of the data (day 0 to 14 for one 7-day step) and ticks a whole number
    of steps apart.
    """
    days = np.unique(
        np.concatenate([run.result.timeseries["day"].to_numpy(dtype=float) for run in drawn])
    )
    days = days[np.isfinite(days)]
    if days.size == 0 or days[-1] - days[0] >= FEW_DAYS:
        return {"autorange": True}
    lengths = [getattr(run.result.scenario, "step_days", None) for run in drawn]
    known = [float(length) for length in lengths if length]
    step = min(known) if known else float(np.diff(days).min()) if days.size > 1 else 1.0
    low, high = float(days[0] - step), float(days[-1] + step)
    steps_per_tick = max(math.ceil(round((high - low) / step) / 6), 1)
    return {
        "autorange": False,  # said, not left out: the browser view patches a drawn layout
        "range": [low, high],
        "tickmode": "linear",
        "tick0": 0,
        "dtick": step * steps_per_tick,
    }


def _automakers(run: Run) -> int:
    """Number of automakers of a run (from firms.parquet, else the generated network's)."""
    firms = run.result.firms
    if firms is not None and "type" in firms:
        return int((firms["type"] == "automaker").sum())
    return int(run.result.scenario.network.automakers)


def _caused_defaults_by_step(run: Run) -> pd.Series:
    """Number of defaults per step attributed to another firm's default."""
    events = run.result.events
    if events is None or events.empty or not {"cause_id", "step"} <= set(events.columns):
        return pd.Series(dtype=int)
    caused = events[events["cause_id"].notna()]
    # A run over several replications: the mean number per step (see `first_replication`).
    replications = int(run.result.summary.get("replications") or 1)
    return caused.groupby("step").size() / replications


# ---------------------------------------------------------------- banks
def banks_figure(results: Results) -> go.Figure:
    """Banks' NPL ratio and capital ratio, per bank and overall, and their lending volume.

    One run: a thin line per bank and a thick line for the system. Several runs: the system
    figures of each run, one colour per run.
    """
    drawn = runs(results)
    currency = drawn[0].currency
    canvas = Canvas(
        rows=3,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.09,
        titles=(
            "Non-performing loans, car loans included (gross, % of claims)",
            "Capital ratio (% of risk assets)",
            f"New lending ({currency} per step)",
        ),
    )
    single = len(drawn) == 1
    for index, run in enumerate(drawn):
        ts = run.columns(
            "banks", "day", "bank_npl_ratio", "bank_capital_ratio", "bank_lending_volume"
        )
        colour = run_colour(index)
        name = "all banks" if single else run.label
        day = ts["day"].to_numpy()
        if single:
            banks = sorted(_numbered(ts.columns, "bank_npl_ratio_bank"))
            for bank in banks:
                shade = run_colour(bank + 1)
                for row, column in ((1, "bank_npl_ratio_bank"), (2, "bank_capital_ratio_bank")):
                    values = _finite(ts[f"{column}{bank}"])
                    canvas.add(
                        "scatter",
                        x=day,
                        y=100 * values,
                        name=f"bank {bank}",
                        legendgroup=f"bank {bank}",
                        showlegend=row == 1,
                        line={"color": shade, "width": 1},
                        opacity=0.75,
                        hovertemplate="%{y:.2f}%",
                        row=row,
                        col=1,
                    )
        for row, column in ((1, "bank_npl_ratio"), (2, "bank_capital_ratio")):
            canvas.add(
                "scatter",
                x=ts["day"],
                y=100 * ts[column],
                name=name,
                legendgroup=name,
                showlegend=row == 1,
                line={"color": "#222222" if single else colour, "width": 3},
                hovertemplate="%{y:.2f}%",
                row=row,
                col=1,
            )
        if single:
            canvas.add(
                "bar",
                x=ts["day"],
                y=ts["bank_lending_volume"],
                name=f"{name}: new lending",
                legendgroup=name,
                marker={"color": rgba("#222222", 0.6)},
                row=3,
                col=1,
            )
        else:  # runs compared: one step line each, at the same days (bars would be offset)
            canvas.add(
                "scatter",
                x=ts["day"],
                y=ts["bank_lending_volume"],
                name=f"{name}: new lending",
                legendgroup=name,
                showlegend=False,
                line={"color": colour, "width": 2, "shape": "hv"},
                row=3,
                col=1,
            )
    canvas.axis("y", 1, title={"text": "NPL ratio (%)"}, rangemode="tozero")
    canvas.axis("y", 2, title={"text": "capital ratio (%)"})
    canvas.axis("y", 3, title={"text": f"new loans ({currency} per step)"})
    days = _day_axis(drawn)  # on the rows above too: their grid lines are its ticks' days
    for row in (1, 2):
        canvas.axis("x", row, **days)
    canvas.axis("x", 3, title={"text": DAYS}, **days)
    return canvas.figure("Banks: credit quality, capital and lending", height=760, barmode="group")


# ---------------------------------------------------------------- capital flows
def flows_sankey(results: Results, window: tuple[int, int] | None = None) -> go.Figure:
    """Money between sectors by flow type, over the whole horizon or a window of steps.

    Args:
        results: One run, or several (one Sankey each, two to a row; see `_sankey_cells`).
        window: First and last step (inclusive) to add up; the whole run when None.

    Returns:
        A Sankey per run: a node per sector (automakers, supplier tiers, banks, consumers,
        outside world), a link per paying sector, receiving sector and flow type, its width
        the money moved. Flows within a sector (e.g. between two banks) are left out.
    """
    drawn = runs(results)
    canvas = Canvas()
    cells, height = _sankey_cells(len(drawn))
    families_drawn: list[tuple[str, str]] = []
    for run, ((left, right), (bottom, top)) in zip(drawn, cells, strict=True):
        flows = run.table("flows", "capital flows", "step", "source", "target", "flow", "amount")
        if window is not None:
            first, last = window
            if first > last:
                raise ReportDataError(f"flow window {window}: the first step is after the last")
            flows = flows[(flows["step"] >= first) & (flows["step"] <= last)]
        flows = flows[flows["source"] != flows["target"]]
        links = flows.groupby(["source", "target", "flow"], sort=False)["amount"].sum()
        links = links[links > 0].reset_index()
        if links.empty:
            canvas.annotate(
                f"{run.label}: no flows in these steps", (left + right) / 2, (bottom + top) / 2
            )
            continue
        payers = _sector_order(links["source"].unique())
        payees = _sector_order(links["target"].unique())
        node = {("pays", name): i for i, name in enumerate(payers)}
        node.update({("gets", name): len(payers) + i for i, name in enumerate(payees)})
        families = [_flow_family(flow) for flow in links["flow"]]
        families_drawn.extend(families)
        canvas.add(
            "sankey",
            domain={"x": [left, right], "y": [bottom, top - SANKEY_LABEL_PX / height]},
            arrangement="snap",
            valueformat=",.0f",
            valuesuffix=f" {run.currency}",
            node={
                "label": [f"{_sector_label(n)} {_verb(n, 'pay')}" for n in payers]
                + [f"{_sector_label(n)} {_verb(n, 'receive')}" for n in payees],
                "color": SANKEY_NODE_COLOUR,
                "x": [0.001] * len(payers) + [0.999] * len(payees),
                "y": list(_spread(len(payers))) + list(_spread(len(payees))),
                "pad": 12,
                "thickness": 18,
                "line": {"color": "white", "width": 0.5},
            },
            link={
                "source": [node[("pays", name)] for name in links["source"]],
                "target": [node[("gets", name)] for name in links["target"]],
                "value": links["amount"].to_numpy(),
                "label": [flow.replace("_", " ") for flow in links["flow"]],
                "color": [rgba(colour, 0.5) for _, colour in families],
                "customdata": [family for family, _ in families],
                "hovertemplate": "%{source.label} → %{target.label}<br>%{label} "
                "(%{customdata}): %{value}<extra></extra>",
            },
            name=run.label,
        )
        if len(drawn) > 1:
            canvas.annotate(f"<b>{run.label}</b>", (left + right) / 2, top, yanchor="top")
    # The key names the families drawn (a key of families not drawn took rows from the
    # Sankeys), in alphabetical order.
    key = dict(sorted(set(families_drawn)))
    if key:
        canvas.annotate(
            _key_lines(
                [
                    (f"<span style='color:{c}'>■</span> {name}", len(name) + 2)
                    for name, c in key.items()
                ]
            ),
            0,
            1 + SANKEY_KEY_PX / height,
            xanchor="left",
            yanchor="bottom",
            font={"size": 11},
            align="left",
            name="colour key",
        )
    span = "whole run" if window is None else f"steps {window[0]}–{window[1]}"
    currency = drawn[0].currency
    return canvas.figure(
        f"Capital flows between sectors ({span}, {currency})",
        height=SANKEY_MARGINS_PX + round(height),
        hovermode="closest",
    )


SANKEY_ROW_PX = 400
"""Height of a row of Sankeys: a run's label (`SANKEY_LABEL_PX`) and its Sankey."""
SANKEY_LABEL_PX = 20
"""Height of the run's label above its Sankey when runs are compared."""
SANKEY_GAP_PX = 60
"""Space between two rows of Sankeys."""
SANKEY_KEY_PX = 16
"""Space between the colour key and the Sankeys below it."""
SANKEY_MARGINS_PX = 180
"""The margins above (title and colour key) and below the Sankeys."""
SANKEY_COLUMNS = 2
"""Most Sankeys side by side: a third beside them squeezed each one's labels into the next."""


def _sankey_cells(
    count: int,
) -> tuple[list[tuple[tuple[float, float], tuple[float, float]]], float]:
    """Where the Sankeys of `count` runs go: two to a row, rows from the top.

    Returns:
        Each Sankey's x and y domain (paper fractions; the y domain includes the run's label
        at its top), and the height of the rows in pixels.
    """
    columns = min(count, SANKEY_COLUMNS)
    rows = math.ceil(count / columns)
    height = rows * SANKEY_ROW_PX + (rows - 1) * SANKEY_GAP_PX
    cells = []
    for index in range(count):
        row, column = divmod(index, columns)
        top = 1 - row * (SANKEY_ROW_PX + SANKEY_GAP_PX) / height
        x = (column / columns + 0.01, (column + 1) / columns - 0.01)
        cells.append((x, (top - SANKEY_ROW_PX / height, top)))
    return cells, height


KEY_LINE_CHARS = 60
"""Characters of a colour key's line (about 400 px in 11-point type: a cell of the browser view)."""


def _key_lines(items: list[tuple[str, int]]) -> str:
    """A colour key's items (markup, visible length) in lines of at most `KEY_LINE_CHARS`."""
    lines: list[list[str]] = [[]]
    used = 0
    for markup, length in items:
        if lines[-1] and used + length > KEY_LINE_CHARS:
            lines.append([])
            used = 0
        lines[-1].append(markup)
        used += length + 2
    return "<br>".join("  ".join(line) for line in lines)


def _sector_order(names: np.ndarray) -> list[str]:
    """Sectors upstream first: supplier tiers from the top, automakers, consumers, banks."""

    def rank(name: str) -> tuple[int, int]:
        tier = re.fullmatch(r"suppliers_tier(\d+)", name)
        if tier:
            return (0, -int(tier.group(1)))
        return ({"automakers": 1, "consumers": 2, "banks": 3, "outside": 4}.get(name, 5), 0)

    return sorted((str(name) for name in names), key=rank)


def _sector_label(name: str) -> str:
    return {"outside": "outside world"}.get(name, name.replace("_", " ").replace("tier", "tier "))


def _verb(sector: str, verb: str) -> str:
    """``verb`` agreeing with a sector's name: "automakers pay", "outside world pays"."""
    return f"{verb}s" if sector == "outside" else verb


def _spread(count: int) -> np.ndarray:
    """Vertical positions of `count` Sankey nodes, top to bottom."""
    return (np.arange(count) + 0.5) / max(count, 1)


def _flow_family(flow: str) -> tuple[str, str]:
    """A flow type's family and colour; a flow type unknown to this version is "other"."""
    return FLOW_FAMILIES.get(flow, ("other", "#c7c7c7"))


def _step_labels(
    x: np.ndarray, y: np.ndarray, steps: np.ndarray, width: float
) -> tuple[np.ndarray, list[str]]:
    """Where the step-of-default labels go and what they say, neighbours merged.

    Left to right in each tier (one ``y``), a defaulted firm within `STEP_LABEL_GAP` of the
    network's ``width`` of the first firm of the group before it joins that group, which
    has one label at its middle: "75, 95" for up to three steps, "75–121 (5)" for more (a
    group spans at most the gap, however many firms are spread along a tier). The caller
    alternates the labels above and below their firms.
    """
    order = np.lexsort((x, y))
    x, y, steps = x[order], y[order], steps[order]
    reach = STEP_LABEL_GAP * max(width, 1e-9)
    groups: list[list[int]] = []
    for k in range(x.size):
        first = groups[-1][0] if groups else None
        if first is not None and y[k] == y[first] and x[k] - x[first] <= reach:
            groups[-1].append(k)
        else:
            groups.append([k])
    places, texts = [], []
    for group in groups:
        seen = np.sort(steps[group]).astype(int)
        if seen.size <= 3:
            texts.append(", ".join(str(step) for step in seen))
        else:
            texts.append(f"{seen[0]}–{seen[-1]} ({seen.size})")
        places.append((float(x[group].mean()), float(y[group[0]])))
    return np.array(places).reshape(-1, 2), texts


# ---------------------------------------------------------------- supply-chain finance
def finance_figure(results: Results) -> go.Figure:
    """Supply-chain finance: volume and cost by instrument, working-capital days, procurement.

    Four panels: new financing per step by instrument (stacked for one run, the total per
    run for several), its volume-weighted annual cost with the car loans' posted APR beside
    it (dashed), suppliers' cash-conversion cycle and invoice-to-cash days, and the
    automakers' procurement cost index.
    """
    drawn = runs(results)
    one = len(drawn) == 1
    canvas = Canvas(
        rows=2,
        cols=2,
        shared_xaxes=True,
        horizontal_spacing=0.1,
        vertical_spacing=0.12,
        titles=(
            "New financing by instrument" if one else "New financing, all instruments",
            "Cost of new financing" if one else "Cost: suppliers (solid), car loans (dashed)",
            "Suppliers' working capital"
            if one
            else "Cash-conversion cycle (solid), invoice-to-cash (dotted)",
            "Procurement cost index",
        ),
    )
    single = len(drawn) == 1
    for index, run in enumerate(drawn):
        ts = run.columns("supply-chain finance", "day", "supplier_ccc_days")
        colour = run_colour(index)
        instruments = [
            name
            for name in _suffixes(ts.columns, "financing_volume_")
            if ts[f"financing_volume_{name}"].fillna(0).any()
        ]
        day = ts["day"]
        # The cost lines take plotly's default mode: points while a series is short (the
        # browser view's first steps, where a line of one point draws nothing), lines after.
        # Stacked areas default to lines whatever their length, so they are told the same.
        stacked_mode = "lines+markers" if len(day) < SHORT_SERIES else "lines"
        if single:
            for k, name in enumerate(instruments):
                shade = run_colour(k)
                label = name.replace("_", " ")
                canvas.add(
                    "scatter",
                    x=day,
                    y=ts[f"financing_volume_{name}"],
                    name=label,
                    legendgroup=name,
                    stackgroup="volume",
                    mode=stacked_mode,
                    line={"color": shade, "width": 0.5},
                    row=1,
                    col=1,
                )
                canvas.add(
                    "scatter",
                    x=day,
                    y=100 * ts[f"financing_cost_{name}"],
                    name=label,
                    legendgroup=name,
                    showlegend=False,
                    connectgaps=False,
                    line={"color": shade, "width": 1.5},
                    hovertemplate="%{y:.2f}% a year",
                    row=1,
                    col=2,
                )
        else:
            total = sum(
                (ts[f"financing_volume_{name}"].fillna(0) for name in instruments),
                start=pd.Series(0.0, index=ts.index),
            )
            canvas.add(
                "scatter",
                x=day, y=total, name=run.label, legendgroup=run.label,
                line={"color": colour}, row=1, col=1,
            )  # fmt: skip
            if "supplier_financing_rate" in ts:
                canvas.add(
                "scatter",
                    x=day, y=100 * ts["supplier_financing_rate"], name=run.label,
                    legendgroup=run.label, showlegend=False, line={"color": colour},
                    hovertemplate="%{y:.2f}% a year", row=1, col=2,
                )  # fmt: skip
        if "car_loan_apr" in ts and ts["car_loan_apr"].notna().any():
            # Consumer credit beside the suppliers': both are priced on the banks' funding,
            # losses and capital, so both move when bank capital does.
            canvas.add(
                "scatter",
                x=day,
                y=100 * ts["car_loan_apr"],
                name="car loans (posted APR)" if single else f"{run.label}: car loans",
                legendgroup="car_loan_apr" if single else run.label,
                showlegend=single,
                line={"color": "#444444" if single else colour, "dash": "dash", "width": 1.5},
                hovertemplate="%{y:.2f}% a year",
                row=1,
                col=2,
            )
        for column, label, dash in (
            ("supplier_ccc_days", "cash-conversion cycle", "solid"),
            ("invoice_to_cash_days", "invoice-to-cash", "dot"),
        ):
            if column in ts:
                canvas.add(
                    "scatter",
                    x=day,
                    y=ts[column],
                    name=label if single else f"{run.label}: {label}",
                    legendgroup=run.label if not single else column,
                    showlegend=single,
                    line={"color": "#444444" if single else colour, "dash": dash},
                    hovertemplate="%{y:.1f} days",
                    row=2,
                    col=1,
                )
        if "procurement_cost_index" in ts:
            canvas.add(
                "scatter",
                x=day,
                y=ts["procurement_cost_index"],
                name="procurement cost index" if single else run.label,
                legendgroup=run.label,
                showlegend=single,
                line={"color": "#2ca02c" if single else colour, "width": 2},
                hovertemplate="%{y:.4f}",
                row=2,
                col=2,
            )
    currency = drawn[0].currency
    canvas.axis("y", 1, 1, title={"text": f"{currency} per step"})
    canvas.axis("y", 1, 2, title={"text": "% a year"})
    canvas.axis("y", 2, 1, title={"text": "days"})
    canvas.axis("y", 2, 2, title={"text": "index (start = 1)"}, **_index_range(drawn))
    days = _day_axis(drawn)
    for col in (1, 2):
        canvas.axis("x", 1, col, **days)
        canvas.axis("x", 2, col, title={"text": DAYS}, **days)
    return canvas.figure("Supply-chain finance", height=680)


MIN_INDEX_SPAN = 0.01
"""Narrowest range of the procurement cost index's axis (1%): autoscaled to its noise, a few
hundredths of a percent filled the plot and looked like a swing."""


def _index_range(drawn: list[Run]) -> dict:
    """The procurement cost index's axis: autoranged, or `MIN_INDEX_SPAN` about its values."""
    series = [run.result.timeseries.get("procurement_cost_index") for run in drawn]
    values = np.concatenate([_finite(s) for s in series if s is not None] or [np.zeros(0)])
    values = values[np.isfinite(values)]
    if values.size == 0 or values.max() - values.min() >= MIN_INDEX_SPAN:
        return {"autorange": True}
    middle = float(values.max() + values.min()) / 2
    return {"autorange": False, "range": [middle - MIN_INDEX_SPAN / 2, middle + MIN_INDEX_SPAN / 2]}


# ---------------------------------------------------------------- sales funnel
def funnel_figure(results: Results) -> go.Figure:
    """The sales funnel per channel, conversion over time, and the time to a loan decision.

    Left: traffic → leads → test drives → applications → approvals → sales over the run, per
    channel (for several runs: per run, all channels); from leads on, each channel's traffic
    in its legend entry, when traffic dwarfs leads (see `traffic_dwarfs_leads`). Middle:
    conversion (sales / leads) per step. Right: median minutes to a loan decision, with the
    10th–90th percentile band, broken over the steps in which no loan was decided.
    """
    drawn = runs(results)
    from_leads = traffic_dwarfs_leads(drawn)
    canvas = Canvas(
        rows=1,
        cols=3,
        column_widths=(0.4, 0.3, 0.3),
        horizontal_spacing=0.09,
        titles=(
            "Funnel over the run, from leads" if from_leads else "Funnel over the run",
            "Conversion (sales / leads)",
            "Decision time",
        ),
    )
    single = len(drawn) == 1
    stages = FUNNEL_STAGES[1:] if from_leads else FUNNEL_STAGES
    labels = [label for _, label in stages]
    histogram = all(_car_loan_minutes(run).size for run in drawn)
    for index, run in enumerate(drawn):
        ts = run.columns("sales funnel", "day", *(column for column, _ in FUNNEL_STAGES))
        colour = run_colour(index)
        channels = [
            channel
            for channel in (_suffixes(ts.columns, "traffic_") if single else [])
            if ts[f"traffic_{channel}"].sum() > 0
        ]
        if channels:
            for k, channel in enumerate(channels):
                canvas.add(
                    "funnel",
                    y=labels,
                    x=[float(ts[f"{column}_{channel}"].sum()) for column, _ in stages],
                    name=channel.replace("_", " ")
                    + (_traffic_note(ts[f"traffic_{channel}"]) if from_leads else ""),
                    legendgroup=channel,
                    marker={"color": run_colour(k)},
                    texttemplate="%{value:,.0f}",
                    cliponaxis=False,  # a thin last bar's number, written beside it
                )
                canvas.add(
                    "scatter",
                    x=ts["day"],
                    y=100 * ts[f"conversion_rate_{channel}"],
                    name=channel.replace("_", " "),
                    legendgroup=channel,
                    showlegend=False,
                    line={"color": run_colour(k), "width": 1.5},
                    **_isolated_points_marked(ts[f"conversion_rate_{channel}"]),
                    hovertemplate="%{y:.1f}%",
                    row=1,
                    col=2,
                )
        else:
            canvas.add(
                "funnel",
                y=labels,
                x=[float(ts[column].sum()) for column, _ in stages],
                name=run.label + (_traffic_note(ts["traffic"]) if from_leads else ""),
                legendgroup=run.label,
                marker={"color": colour},
                texttemplate="%{value:,.0f}",
                cliponaxis=False,
                # Side by side, one run's connectors would shade the other run's bars.
                connector={"visible": single},
            )
        canvas.add(
            "scatter",
            x=ts["day"],
            y=100 * ts["conversion_rate"],
            name="all channels" if single else run.label,
            legendgroup="all" if single else run.label,
            showlegend=single,
            line={"color": "#222222" if single else colour, "width": 2.5},
            **_isolated_points_marked(ts["conversion_rate"]),
            hovertemplate="%{y:.1f}%",
            row=1,
            col=2,
        )
        if histogram:
            _decision_histogram(canvas, run, colour, single)
            continue
        if {"decision_minutes_p10", "decision_minutes_p90"} <= set(ts.columns):
            outline_x, outline_y, lone = _band_outlines(
                ts["day"], ts["decision_minutes_p10"], ts["decision_minutes_p90"]
            )
            canvas.add(
                "scatter",
                x=outline_x,
                y=outline_y,
                fill="toself",
                fillcolor=rgba(colour, 0.18),
                mode="lines",  # a short series' default adds markers: corners, not data
                line={"width": 0},
                name="10th–90th percentile" if single else f"{run.label}: 10th–90th pct.",
                legendgroup=run.label,
                showlegend=single,
                hoverinfo="skip",
                row=1,
                col=3,
            )
            # A step with decisions between two without has a band of no width: its range
            # is a whisker, ticked at both ends (they show even when the two are equal).
            canvas.add(
                "scatter",
                x=_segments(ts["day"].to_numpy(dtype=float), lone, lone),
                y=np.column_stack(
                    [
                        ts["decision_minutes_p10"].to_numpy(dtype=float)[lone],
                        ts["decision_minutes_p90"].to_numpy(dtype=float)[lone],
                        np.full(lone.size, np.nan),
                    ]
                ).ravel(),
                mode="lines+markers",
                line={"color": rgba(colour, 0.45), "width": 2},
                marker={"symbol": "line-ew-open", "size": 8, "color": rgba(colour, 0.6)},
                name="10th–90th percentile" if single else f"{run.label}: 10th–90th pct.",
                legendgroup=run.label,
                showlegend=False,
                hoverinfo="skip",
                row=1,
                col=3,
            )
        if "median_decision_minutes" in ts:
            canvas.add(
                "scatter",
                x=ts["day"],
                y=ts["median_decision_minutes"],
                name="median decision time" if single else run.label,
                legendgroup=run.label,
                showlegend=single,
                mode="markers",
                marker={"color": colour, "size": 4},
                hovertemplate="%{y:,.0f} min",
                row=1,
                col=3,
            )
    canvas.axis("x", 1, 1, title={"text": "people over the run"})
    canvas.axis("x", 1, 2, title={"text": DAYS}, **_day_axis(drawn))
    canvas.axis("y", 1, 2, title={"text": "% of leads who bought"})
    if histogram:
        canvas.axis("x", 1, 3, title={"text": "minutes to a decision (log)"}, type="log", dtick=1)
        canvas.axis("y", 1, 3, title={"text": "% of car-loan applications"})
    else:
        canvas.axis("x", 1, 3, title={"text": DAYS}, **_day_axis(drawn))
        canvas.axis("y", 1, 3, title={"text": "minutes to a decision (log)"}, type="log", dtick=1)
    return canvas.figure(
        "Sales funnel and car-loan decisions",
        height=500,
        hovermode="closest",
        # One run's channels add up to its funnel; two runs' funnels do not add up to anything,
        # and stacked, the thinner stages of one hid the other's numbers: side by side.
        funnelmode="stack" if single else "group",
        # Plotly shrinks a number to fit its bar, to a few pixels in a thin one: below
        # `MIN_TEXT_PX` it is left out (its value stays on hover).
        uniformtext={"mode": "hide", "minsize": MIN_TEXT_PX},
    )


TRAFFIC_DWARFS_LEADS = 20
"""Traffic over this many times the leads is not drawn as the funnel's first stage."""


def traffic_dwarfs_leads(drawn: list[Run]) -> bool:
    """Whether a run's traffic is over `TRAFFIC_DWARFS_LEADS` times its leads.

    A bank app's partnership shows offers to hundreds of thousands a step, of whom a few
    hundred become leads: drawn as the funnel's first stage, its width set the scale and the
    other channels' stages were a few pixels wide.
    """
    for run in drawn:
        series = run.result.timeseries
        if "traffic" in series and "leads" in series:
            leads = float(series["leads"].sum())
            if float(series["traffic"].sum()) > TRAFFIC_DWARFS_LEADS * max(leads, 1.0):
                return True
    return False


def _traffic_note(traffic: pd.Series) -> str:
    """A legend entry's note of the traffic over the run, the stage the funnel leaves out."""
    return f" ({traffic.sum():,.0f} traffic)"


def _car_loan_minutes(run: Run) -> np.ndarray:
    """Minutes to a decision of every car-loan application (from loans.parquet), or none."""
    loans = run.result.loans
    if loans is None or loans.empty or "decision_minutes" not in loans:
        return np.zeros(0)
    minutes = loans.loc[loans["kind"] == "car_loan", "decision_minutes"]
    return minutes.dropna().to_numpy(dtype=float)


def _decision_histogram(canvas: Canvas, run: Run, colour: str, single: bool) -> None:
    """Share of car-loan applications by minutes to a decision, on log-spaced bins."""
    minutes = np.maximum(_car_loan_minutes(run), 0.1)
    edges = np.logspace(-1, np.log10(max(minutes.max(), 1.0)) + 1e-9, 36)
    counts, _ = np.histogram(minutes, edges)
    canvas.add(
        "bar",
        x=np.sqrt(edges[:-1] * edges[1:]),
        y=100 * counts / minutes.size,
        width=np.diff(edges),
        name=f"decisions ({minutes.size:,})" if single else f"{run.label}: decisions",
        legendgroup=run.label,
        marker={"color": rgba(colour, 0.6), "line": {"width": 0}},
        hovertemplate="%{x:,.0f} min: %{y:.1f}%<extra></extra>",
        row=1,
        col=3,
    )


# ---------------------------------------------------------------- supply network
def network_figure(results: Results, step: int | None = None) -> go.Figure:
    """The supply network: tiers as rows, firms sized by revenue and coloured by state.

    Automakers are the bottom row, each supplier tier the row above its customers. A
    marker's area follows the firm's expected revenue at the start; its colour is the
    firm's state (healthy, distressed, defaulted, with the step of default on hover and, up
    to `MAX_STEP_LABELS` defaults, in red beside it, as the caption says).
    Supply edges are grey lines; default cascades are red arrows from the firm whose default
    caused a loss to the firm that then defaulted. Above `MAX_NETWORK_NODES` firms the
    automakers, the firms of the cascades and a sample of the others, each state in its
    proportion, are drawn, as a note says (`_sample_firms`).

    Args:
        results: One run (for several, the first is drawn).
        step: Draw the network as of this step (edges re-sourced later and defaults later
            are not shown); the end of the run when None.
    """
    run = runs(results)[0]
    firms = run.table(
        "firms", "supply network", "tier", "state", "label", "opening_size", "default_step"
    ).reset_index(drop=True)
    network = run.table("network", "supply network", "step", "edge", "supplier", "customer")
    edges = current_edges(network, step)
    state = firms["state"].astype(str).to_numpy()
    default_step = firms["default_step"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    if step is not None:
        later = default_step > step
        state = np.where(later & (state == "defaulted"), "healthy", state)
        default_step = np.where(later, np.nan, default_step)
    tier = firms["tier"].to_numpy()
    x = tier_positions(tier, edges["supplier"].to_numpy(), edges["customer"].to_numpy())
    y = tier.astype(float)

    cause, effect = _cascade_links(first_replication(run.result.events), step)
    shown, note = _sample_firms(state, tier, cause, effect)

    canvas = Canvas()
    on = edges[shown[edges["supplier"].to_numpy()] & shown[edges["customer"].to_numpy()]]
    canvas.add(
        "scatter",
        x=_segments(x, on["supplier"].to_numpy(), on["customer"].to_numpy()),
        y=_segments(y, on["supplier"].to_numpy(), on["customer"].to_numpy()),
        mode="lines",
        line={"color": "rgba(120,120,120,0.22)", "width": 0.7},
        name="supply edge",
        hoverinfo="skip",
    )
    size = firms["opening_size"].to_numpy(dtype=float)
    reference = np.nanmax(size[tier > 0]) if (tier > 0).any() else np.nanmax(size)
    marker_size = np.clip(5 + 17 * np.sqrt(size / max(reference, 1e-12)), 5, 26)
    marker_size[tier == 0] = 30
    labels = firms["label"].astype(str).to_numpy()
    for name in ("healthy", "distressed", "defaulted"):
        members = np.flatnonzero(shown & (state == name))
        if members.size == 0:
            continue
        when = default_step[members]
        hover = [
            f"firm {i}: {labels[i]} ({tier_name(int(tier[i]))})<br>{name}"
            + (f" at step {int(w)}" if not np.isnan(w) else "")
            for i, w in zip(members, when, strict=True)
        ]
        canvas.add(
            "scatter",
            x=x[members],
            y=y[members],
            mode="markers",
            name=name,
            marker={
                "color": STATE_COLOURS[name],
                "size": marker_size[members],
                "line": {"color": "white", "width": 0.6},
            },
            text=hover,
            hovertemplate="%{text}<extra></extra>",
        )
    visible = shown[cause] & shown[effect]
    cause, effect = cause[visible], effect[visible]
    if cause.size:
        canvas.add(
            "scatter",
            x=_segments(x, cause, effect),
            y=_segments(y, cause, effect),
            mode="lines+markers",
            name="default cascade (cause → effect)",
            line={"color": "rgba(214,39,40,0.7)", "width": 1.8 if cause.size < 50 else 1.1},
            marker={
                "symbol": "arrow",
                "angleref": "previous",
                "size": np.tile([0, 11 if cause.size < 50 else 8, 0], cause.size),
                "color": "#d62728",
            },
            hoverinfo="skip",
        )
    # Firms that defaulted during the warm-up (before day 0) have no default step to show.
    failed = np.flatnonzero(shown & (state == "defaulted") & np.isfinite(default_step))
    if 0 < failed.size <= MAX_STEP_LABELS:
        width = float(x[shown].max() - x[shown].min())
        where, said = _step_labels(x[failed], y[failed], default_step[failed], width)
        canvas.add(
            "scatter",
            x=where[:, 0],
            y=where[:, 1],
            mode="text",
            text=said,
            textposition=np.where(np.arange(len(said)) % 2 == 0, "top center", "bottom center"),
            textfont={"size": 10, "color": STEP_LABEL_COLOUR},
            # A text trace's legend sample is plotly's "Aa", read as a symbol: the caption
            # says what the numbers are.
            showlegend=False,
            hoverinfo="skip",
            name="step of default",
        )
    caption = "firms of a tier, each placed near its customers"
    if 0 < failed.size <= MAX_STEP_LABELS:  # on a line of its own: a cell is narrow
        caption += (
            f"<br><span style='color:{STEP_LABEL_COLOUR}'>red numbers: the step a firm "
            "defaulted</span>"
        )
    levels = int(tier.max()) + 1 if len(tier) else 1
    canvas.axis(
        "y",
        tickvals=list(range(levels)),
        ticktext=[tier_name(level) for level in range(levels)],
        title={"text": "tier (upstream is up)"},
        range=[-0.5, levels - 0.5],
        zeroline=False,
    )
    canvas.axis(
        "x",
        showticklabels=False,
        showgrid=False,
        zeroline=False,
        range=[-0.02, 1.02],
        title={"text": caption},
    )
    when = "end of run" if step is None else f"step {step}"
    title = f"Supply network ({when}); marker size grows with opening revenue"
    summary = run.result.summary
    replications = int(summary.get("replications") or 1)
    if replications > 1:  # firms.parquet and network.parquet are the first replication's
        seeds = summary.get("replication_seeds") or [summary.get("seed")]
        first = f"the first of {replications} replications (seed {seeds[0]})"
        note = f"{first}; {note}" if note else first
    if note:
        title += f"<br><span style='font-size:12px;color:#555'>{note}</span>"
    return canvas.figure(
        title,
        height=660 if note else 640,
        hovermode="closest",
        margin={"l": 75, "r": 30, "t": 145 if note else 120, "b": 60},
    )


def _cascade_links(events: pd.DataFrame | None, step: int | None) -> tuple[np.ndarray, np.ndarray]:
    """Firm ids of each default's cause and of the default itself, up to `step`."""
    if events is None or events.empty or not {"cause_id", "agent_id"} <= set(events.columns):
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    caused = events[events["cause_id"].notna()]
    if step is not None:
        caused = caused[caused["step"] <= step]
    return caused["cause_id"].to_numpy(dtype=np.int64), caused["agent_id"].to_numpy(dtype=np.int64)


def _sample_firms(
    state: np.ndarray, tier: np.ndarray, cause: np.ndarray, effect: np.ndarray
) -> tuple[np.ndarray, str]:
    """Which firms to draw, and a note when not all of them are.

    Up to `MAX_NETWORK_NODES` firms: all when there are no more; otherwise the automakers,
    the firms of the cascades (up to 30% of the budget) and a random sample of the others
    with each state in its proportion, so colours still show how common each state is.
    """
    n = len(state)
    if n <= MAX_NETWORK_NODES:
        return np.ones(n, dtype=bool), ""
    rng = np.random.default_rng(0)
    shown = tier == 0
    in_cascades = np.unique(np.concatenate([cause, effect]))
    budget = int(0.3 * MAX_NETWORK_NODES)
    if in_cascades.size > budget:
        in_cascades = rng.choice(in_cascades, size=budget, replace=False)
    shown[in_cascades] = True
    room = MAX_NETWORK_NODES - int(shown.sum())
    rest = np.flatnonzero(~shown)
    for name in np.unique(state[rest]):
        members = rest[state[rest] == name]
        take = min(members.size, round(room * members.size / rest.size))
        shown[rng.choice(members, size=take, replace=False)] = True
    counts = ", ".join(
        f"{(state == name).sum():,} {name}" for name in ("healthy", "distressed", "defaulted")
    )
    note = (
        f"{int(shown.sum()):,} of {n:,} firms drawn ({counts} in all): the automakers, "
        "firms in default cascades and a random sample of the rest in proportion to their states"
    )
    return shown, note


def _segments(values: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Coordinates of line segments start→end, separated by gaps (one trace for all)."""
    out = np.full(3 * len(start), np.nan)
    out[0::3] = values[start]
    out[1::3] = values[end]
    return out


# ---------------------------------------------------------------- cascades
def first_replication(events: pd.DataFrame | None) -> pd.DataFrame | None:
    """The events of a run's first replication (all events of a single run).

    A run over several replications keeps every replication's events with a `replication`
    column, but its network and firm tables are those of the first replication.
    """
    if events is None or "replication" not in events.columns:
        return events
    return events[events["replication"] == 0]


def _band_outlines(
    x: pd.Series, low: pd.Series, high: pd.Series
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A band from ``low`` to ``high`` as one outline per run of steps that have both.

    Each outline goes along ``high`` and back along ``low``; the outlines are separated by
    NaN, and plotly's ``fill="toself"`` closes each apart. (One outline along every step and
    back closed each stretch of ``high`` onto itself across the steps without a value: false
    triangles spanning the whole axis.) Also returns the steps defined alone, between two
    that are not, whose band has no width to fill.
    """
    days = x.to_numpy(dtype=float)
    bottom, top = low.to_numpy(dtype=float), high.to_numpy(dtype=float)
    defined = np.isfinite(bottom) & np.isfinite(top)
    change = np.diff(np.r_[0, defined.astype(np.int8), 0])
    starts, ends = np.flatnonzero(change == 1), np.flatnonzero(change == -1)
    outline_x: list[np.ndarray] = []
    outline_y: list[np.ndarray] = []
    for start, end in zip(starts, ends, strict=True):
        if end - start < 2:
            continue
        outline_x += [days[start:end], days[start:end][::-1], np.array([np.nan])]
        outline_y += [top[start:end], bottom[start:end][::-1], np.array([np.nan])]
    lone = starts[ends - starts == 1]
    if not outline_x:
        return np.zeros(0), np.zeros(0), lone
    return np.concatenate(outline_x)[:-1], np.concatenate(outline_y)[:-1], lone


def _isolated_points_marked(values: pd.Series) -> dict[str, Any]:
    """A line's mode and markers: a value between two undefined steps is a dot.

    A line joins defined neighbours only (a rate is NaN in a step with nothing to divide
    by), so a step defined alone would draw nothing.
    """
    defined = values.notna().to_numpy()
    neighbour = np.zeros_like(defined)
    neighbour[1:] |= defined[:-1]
    neighbour[:-1] |= defined[1:]
    isolated = defined & ~neighbour
    if not isolated.any():
        return {}  # plotly's own: lines, with markers on a short series
    return {"mode": "lines+markers", "marker": {"size": np.where(isolated, 5, 0).tolist()}}


def cascade_sizes(events: pd.DataFrame) -> np.ndarray:
    """Size of every cascade: a tree of defaults linked by their causes (1 = isolated).

    Events of several replications (a `replication` column) give the cascades of each.
    """
    if events is None or events.empty:
        return np.zeros(0, dtype=np.int64)
    if "replication" in events.columns:
        sizes = [
            cascade_sizes(group.drop(columns="replication"))
            for _, group in events.groupby("replication")
        ]
        return np.sort(np.concatenate(sizes)) if sizes else np.zeros(0, dtype=np.int64)
    firm = events["agent_id"].to_numpy(dtype=np.int64)
    cause = events["cause_id"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    parent = {
        int(f): (int(c) if not np.isnan(c) else None) for f, c in zip(firm, cause, strict=True)
    }
    roots: dict[int, int] = {}
    for start in parent:
        node, hops = start, 0
        while parent.get(node) is not None and parent[node] in parent and hops < len(parent):
            node, hops = parent[node], hops + 1
        roots[node] = roots.get(node, 0) + 1
    return np.array(sorted(roots.values()), dtype=np.int64)


LOG_DECADES = {"type": "log", "dtick": 1, "minor": {"dtick": "D1", "showgrid": True}}
"""A log axis labelled at powers of ten only, with unlabelled grid lines at 2, 3, ... 9."""


def cascade_sizes_figure(results: Results) -> go.Figure:
    """Distribution of cascade sizes: share of cascades at least that large (log-log).

    A cascade is a tree of defaults linked by the default that caused each one; a default
    with no cause in the model starts a cascade of its own (size 1 if none followed).
    """
    drawn = runs(results)
    canvas = Canvas()
    largest, rarest = 1, 1.0
    for index, run in enumerate(drawn):
        sizes = cascade_sizes(run.table("events", "cascade sizes", "agent_id", "cause_id"))
        if sizes.size == 0:
            canvas.add(
                "scatter",
                x=[],
                y=[],
                name=f"{run.label} (no defaults)",
                mode="lines",
                line={"color": run_colour(index)},
            )
            continue
        values, counts = np.unique(sizes, return_counts=True)
        at_least = counts[::-1].cumsum()[::-1] / sizes.size
        largest, rarest = max(largest, int(values.max())), min(rarest, float(at_least[-1]))
        canvas.add(
            "scatter",
            x=values,
            y=at_least,
            mode="lines+markers",
            name=f"{run.label} ({sizes.size} cascades)",
            line={"color": run_colour(index), "width": 2, "shape": "hv"},
            customdata=counts,
            showlegend=True,
            hovertemplate="size ≥ %{x}: %{y:.1%} of cascades (%{customdata} of size %{x})"
            "<extra></extra>",
        )
    if all(len(trace["x"]) == 0 for trace in canvas.traces):
        canvas.annotate("no defaults in these runs", 0.5, 0.5, font={"size": 14})
    elif largest == 1:
        canvas.annotate(
            "every cascade is one default: no default caused another", 0.5, 0.5, font={"size": 14}
        )
    # Sizes start at 1 and shares end at 1: the axes' ranges (in log10) start and end there,
    # where plotly's own would reach a size of 0.1 and a share of 10. Each spans a decade at
    # least, so that two powers of ten are labelled; plotly's labels between them (2, 5) read
    # as values of their own and are left out (`LOG_DECADES`).
    canvas.axis(
        "x",
        range=[-0.05, max(math.log10(largest), 1) + 0.1],
        title={"text": "cascade size (defaulted firms, log)"},
        **LOG_DECADES,
    )
    canvas.axis(
        "y",
        range=[min(math.log10(rarest), -1) - 0.15, 0.03],
        title={"text": "share of cascades at least this large (log)"},
        **LOG_DECADES,
    )
    return canvas.figure("Cascade sizes (complementary CDF)", height=440, hovermode="closest")


# ---------------------------------------------------------------- bullwhip
def bullwhip_table(run: Run) -> pd.Series:
    """Variance of orders at each level relative to consumer demand (squared CV ratios).

    The run's own `bullwhip_*` summary figures (over several replications, the mean of each
    replication's, as the summary table shows them); for results without them, computed from
    the time series: each series's variance over its squared mean (so units cancel), divided
    by that of `vehicle_demand`. 1 means orders swing as much as demand does; above 1,
    amplification. (The variance of a mean over replications is not the mean variance:
    averaging seeds smooths demand more than orders, so the mean series overstates it.)
    """
    timeseries = run.columns("bullwhip", "vehicle_demand", "production_units")
    tiers = sorted(_numbered(timeseries.columns, "orders_tier"))
    keys = ["bullwhip_production", *(f"bullwhip_tier{tier}" for tier in tiers)]
    ratios = run.result.summary
    if not all(key in ratios for key in keys):  # results written before the summary had them
        from autofin.world.metrics import bullwhip  # late: only old results need the model

        ratios = bullwhip(timeseries, len(tiers))
    names = ["automaker production", *(f"orders to {tier_name(tier)}" for tier in tiers)]
    return pd.Series(
        {
            "consumer demand": 1.0,
            **{n: json_number(ratios[k]) for n, k in zip(names, keys, strict=True)},
        }
    )


def bullwhip_figure(results: Results) -> go.Figure:
    """Bullwhip: how much more orders swing at each tier than consumer demand does.

    Bars: each level's squared coefficient of variation over the run divided by that of
    consumer demand (1 = no amplification; `bullwhip_table`), one bar group per run.
    """
    drawn = runs(results)
    canvas = Canvas()
    for index, run in enumerate(drawn):
        table = bullwhip_table(run)
        canvas.add(
            "bar",
            x=table.index,
            y=table.to_numpy(),
            name=run.label,
            marker={"color": run_colour(index)},
            text=[f"{value:.2f}×" for value in table],
            textposition="outside",
            hovertemplate="%{x}: %{y:.2f}× demand's variance<extra></extra>",
        )
    canvas.axis("y", title={"text": "variance relative to demand (×, squared CV ratio)"})
    canvas.axis("x", title={"text": "level of the supply chain (downstream → upstream)"})
    line = {"color": "#555555", "dash": "dash", "width": 1}
    shape = {"type": "line", "xref": "paper", "x0": 0, "x1": 1, "y0": 1, "y1": 1, "line": line}
    return canvas.figure(
        "Bullwhip: order variability by tier",
        height=440,
        hovermode="closest",
        barmode="group",
        shapes=[shape],
    )


# ---------------------------------------------------------------- helpers
def _numbered(columns: pd.Index, prefix: str) -> list[int]:
    """The numbers k of columns named `<prefix>k`."""
    pattern = re.compile(re.escape(prefix) + r"(\d+)")
    found = (pattern.fullmatch(c) for c in map(str, columns.tolist()))
    return [int(match.group(1)) for match in found if match]


def _suffixes(columns: pd.Index, prefix: str) -> list[str]:
    """The names n of columns `<prefix>n` (letters and underscores, not numbers)."""
    pattern = re.compile(re.escape(prefix) + r"([a-z_]+)")
    found = (pattern.fullmatch(c) for c in map(str, columns.tolist()))
    return [match.group(1) for match in found if match]


def _finite(values: pd.Series) -> np.ndarray:
    """A column as floats, infinities (ratios over nothing) as gaps."""
    array = values.to_numpy(dtype=float, copy=True)
    array[np.isinf(array)] = np.nan
    return array


FIGURES = {
    "defaults": defaults_figure,
    "banks": banks_figure,
    "flows": flows_sankey,
    "finance": finance_figure,
    "funnel": funnel_figure,
    "network": network_figure,
    "cascades": cascade_sizes_figure,
    "bullwhip": bullwhip_figure,
}
"""Every figure function by a short name, in the report's order."""
