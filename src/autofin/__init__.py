"""autofin: an agent-based simulator of the automotive finance ecosystem.

The Python API is two calls::

    import autofin
    scenario = autofin.load_scenario("scenarios/baseline.yaml", overrides={"seed": 3})
    result = autofin.simulate(scenario)

`simulate` makes one run, at the scenario's seed; `simulate_replications` makes the
scenario's `replications` runs and combines them, as ``autofin run`` does.

Names are imported on first use, so that ``import autofin`` (and the CLI) start fast.
"""

from importlib import import_module
from importlib.metadata import PackageNotFoundError, version
from typing import Any

try:
    __version__ = version("autofin")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

_EXPORTS = {
    "Result": "autofin.results.result",
    "Scenario": "autofin.scenario.schema",
    "load_scenario": "autofin.scenario.loading",
    "simulate": "autofin.world.model",
    "simulate_replications": "autofin.results.replications",
}

__all__ = [
    "Result",
    "Scenario",
    "__version__",
    "load_scenario",
    "simulate",
    "simulate_replications",
]


def __getattr__(name: str) -> Any:
    """Import the public names lazily."""
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'autofin' has no attribute {name!r}")
