"""autofin: an agent-based simulator of the automotive finance ecosystem.

The Python API is two calls::

    import autofin
    scenario = autofin.load_scenario("scenarios/baseline.yaml", overrides={"seed": 3})
    result = autofin.simulate(scenario)
"""

from importlib.metadata import PackageNotFoundError, version

from autofin.results.result import Result
from autofin.scenario.loading import load_scenario
from autofin.scenario.schema import Scenario
from autofin.world.model import simulate

try:
    __version__ = version("autofin")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

__all__ = ["Result", "Scenario", "__version__", "load_scenario", "simulate"]
