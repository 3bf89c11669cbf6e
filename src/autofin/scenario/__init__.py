"""Scenario files: the schema, loading with `extends` and overrides, and clear errors."""

from autofin.scenario.errors import ScenarioError
from autofin.scenario.loading import dump_scenario, load_scenario, scenario_hash
from autofin.scenario.schema import Scenario

__all__ = ["Scenario", "ScenarioError", "dump_scenario", "load_scenario", "scenario_hash"]
