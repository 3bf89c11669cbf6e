"""Pictures of a run: plotly figures and the offline HTML report built from them."""

from autofin.report.runs import ReportDataError
from autofin.results.folder import REPORT_HTML

__all__ = ["REPORT_HTML", "ReportDataError"]
