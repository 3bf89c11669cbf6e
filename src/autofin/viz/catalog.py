"""The scenarios the page may open: the shipped ones and the one given on the command line.

The browser only ever sends a scenario's name; it is looked up here, so the page never reads a
file outside the scenarios folder (or other than the file named on the command line).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from autofin.scenario.loading import load_scenario
from autofin.scenario.schema import Scenario

SHIPPED = Path(__file__).resolve().parents[3] / "scenarios"
"""The scenarios folder of the source tree."""
DEFAULT_SCENARIO = SHIPPED / "baseline.yaml"


class UnknownScenarioError(ValueError):
    """The page asked for a scenario that is not in the catalogue."""


@dataclass(frozen=True, eq=False)
class Catalog:
    """Scenario names and their files.

    Attributes:
        files: Each scenario's file by name (the file's stem), in the picker's order.
        opening: The name of the scenario the page opens with.
    """

    files: dict[str, Path] = field(default_factory=dict)
    opening: str = "baseline"

    @classmethod
    def build(cls, opening_file: str | Path | None = None, folder: Path = SHIPPED) -> Catalog:
        """The shipped scenarios of ``folder`` plus ``opening_file`` (default: the baseline).

        Args:
            opening_file: The scenario given on the command line.
            folder: Folder of shipped scenarios.

        Raises:
            ScenarioError: The opening file does not load.
        """
        opening = Path(opening_file) if opening_file is not None else DEFAULT_SCENARIO
        files = {path.stem: path.resolve() for path in sorted(folder.glob("*.yaml"))}
        name = opening.stem
        if files.get(name) != opening.resolve():
            load_scenario(opening)  # fail now, with the loader's message, not in the browser
            if name in files:
                name = f"{name} ({opening.parent.name})"
            files = {name: opening.resolve(), **files}
        return cls(files=files, opening=name)

    @property
    def names(self) -> list[str]:
        """Scenario names, for the picker."""
        return list(self.files)

    def load(self, name: str) -> Scenario:
        """Load a catalogued scenario by name.

        Raises:
            UnknownScenarioError: ``name`` is not in the catalogue.
        """
        if name not in self.files:
            raise UnknownScenarioError(
                f"scenario {name!r} is not one of the shipped scenarios: {', '.join(self.files)}"
            )
        return load_scenario(self.files[name])
