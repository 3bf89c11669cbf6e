"""Pictures of a run: plotly figures and the offline HTML report built from them."""

from autofin.report.runs import ReportDataError

REPORT_HTML = "report.html"
"""The report's name in a results directory."""

__all__ = ["REPORT_HTML", "ReportDataError"]
