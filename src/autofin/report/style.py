"""The look shared by every figure: colours, the layout template and axis helpers."""

from __future__ import annotations

import plotly.graph_objects as go

RUN_COLOURS = (
    "#1f77b4",
    "#d62728",
    "#2ca02c",
    "#9467bd",
    "#ff7f0e",
    "#17becf",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
)
"""One colour per run when runs are overlaid (cycled beyond ten runs)."""

TIER_COLOURS = ("#3b3b3b", "#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2")
"""Automakers (tier 0) then supplier tiers 1, 2, ..."""

STATE_COLOURS = {"healthy": "#4c9f70", "distressed": "#f0a030", "defaulted": "#d62728"}
"""Firm states in the network figure."""

FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
"""Fonts installed on the reader's machine: nothing is fetched."""


def run_colour(index: int) -> str:
    """The colour of the `index`-th run."""
    return RUN_COLOURS[index % len(RUN_COLOURS)]


def tier_colour(tier: int) -> str:
    """The colour of a tier (0 = automakers)."""
    return TIER_COLOURS[tier % len(TIER_COLOURS)]


def tier_name(tier: int) -> str:
    """A tier's name in legends."""
    return "automakers" if tier == 0 else f"tier {tier}"


def finish(figure: go.Figure, title: str, *, height: int = 420) -> go.Figure:
    """Apply the common layout: title, white template, legend above the plot, hover by x."""
    figure.update_layout(
        title={"text": title, "x": 0.01, "xanchor": "left", "font": {"size": 17}},
        template="plotly_white",
        font={"family": FONT, "size": 12},
        height=height,
        margin={"l": 70, "r": 30, "t": 90, "b": 55},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0, "font": {"size": 11}},
        hovermode="x unified",
    )
    return figure


def rgba(colour: str, alpha: float) -> str:
    """A `#rrggbb` colour with transparency."""
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red},{green},{blue},{alpha})"
