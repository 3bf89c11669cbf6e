"""Writing and reading the results of runs, and comparing finished runs."""

from autofin.results.compare import compare_runs
from autofin.results.provenance import provenance
from autofin.results.result import Result
from autofin.results.writing import read_results, write_results

__all__ = ["Result", "compare_runs", "provenance", "read_results", "write_results"]
