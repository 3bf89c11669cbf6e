"""Writing and reading the results of runs."""

from autofin.results.provenance import provenance
from autofin.results.result import Result
from autofin.results.writing import read_results, write_results

__all__ = ["Result", "provenance", "read_results", "write_results"]
