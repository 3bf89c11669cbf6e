"""The look shared by every figure: colours of runs, tiers and firm states, fonts, names."""

from __future__ import annotations

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

SANKEY_NODE_COLOUR = "#454b54"
"""Every node (a sector) of the capital-flow Sankeys: a dark grey that is no colour of the
flow types' key, so the key is not read as colouring the sectors too (the browser view's dark
theme lightens it)."""

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


def rgba(colour: str, alpha: float) -> str:
    """A `#rrggbb` colour with transparency."""
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red},{green},{blue},{alpha})"
