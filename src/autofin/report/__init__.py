"""Pictures of a run: plotly figures and the offline HTML report built from them."""

from autofin.report.runs import ReportDataError

__all__ = ["ReportDataError"]
