"""Scenario files: the schema, loading with `extends` and overrides, and clear errors."""

from autofin.scenario.schema import Scenario

__all__ = ["Scenario"]
