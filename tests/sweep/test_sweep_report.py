"""The sweep report (`autofin analyze` writes analysis/report.html): what its reader relies on.

Each test writes a sweep directory by hand (resolved experiment, design, runs and failures
tables, as `autofin sweep` leaves them; the outputs a known function of the parameters)
and runs `autofin analyze` on it, so that the page is the one a user gets. One test opens a
page in Chromium (Debian's, through Playwright) to see it render with nothing fetched.
"""

from __future__ import annotations

import math
import re
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from typer.testing import CliRunner

from autofin.cli import app
from autofin.results.compare import as_percent
from autofin.sweep.design import POINT, design_points
from autofin.sweep.experiment import Parameter
from chromium import open_in_chromium

TERM = "automakers.payment_term_days"
MARGIN = "banks.margin"


def write_sweep(
    folder: Path,
    parameters: dict[str, Parameter],
    outputs: dict[str, list[float]],
    *,
    design: str = "grid",
    replications: int = 3,
    failed: tuple[int, ...] = (),
    **settings: object,
) -> Path:
    """A finished sweep directory: every run of the design, less the `failed` rows.

    `outputs` gives each output's value per run, in the design's order (points, then
    replications); a failed run's value is not kept.
    """
    points = design_points(parameters, design, seed=3, **settings)  # type: ignore[arg-type]
    points[POINT] = np.arange(len(points))
    rows = points.loc[points.index.repeat(replications)].reset_index(drop=True)
    rows.insert(0, "replication", np.tile(np.arange(replications), len(points)))
    rows.insert(0, "seed", 100 + rows["replication"])
    rows.insert(
        0, "run_id", [f"r{p}-{r}" for p, r in zip(rows[POINT], rows["replication"], strict=True)]
    )
    folder.mkdir(parents=True)
    resolved = {
        "name": "terms",
        "description": "Payment terms against defaults, for the report's tests.",
        "scenario": "/somewhere/tiny.yaml",
        "parameters": {name: spec.model_dump() for name, spec in parameters.items()},
        "design": design,
        "replications": replications,
        "seed": 11,
        **settings,
    }
    (folder / "experiment.resolved.yaml").write_text(yaml.safe_dump(resolved), encoding="utf-8")
    rows.to_parquet(folder / "design.parquet", index=False)
    plain = rows[[c for c in rows.columns if not str(c).startswith("unit:")]]
    runs = plain.assign(seconds=0.1, **outputs).drop(index=list(failed))
    runs.to_parquet(folder / "runs.parquet", index=False)
    failures = plain.loc[list(failed)].assign(
        seconds=0.1,
        error="ValueError: the bank has no capital\n  (raised in step 12)",
        traceback="Traceback ...",
    )
    failures.to_parquet(folder / "failures.parquet", index=False)
    return folder


def analyze(folder: Path) -> str:
    result = CliRunner().invoke(app, ["analyze", str(folder)])
    assert result.exit_code == 0, result.output
    return (folder / "analysis" / "report.html").read_text(encoding="utf-8")


class Tables(HTMLParser):
    """The page's tables as rows of cell texts (a line break inside a cell as `|`)."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.section = ""
        self.row: list[str] | None = None
        self.cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "section":
            self.section = dict(attrs).get("id") or ""
        elif tag == "table":
            self.tables.setdefault(self.section, [])
        elif tag == "tr":
            self.row = []
        elif tag in ("td", "th"):
            self.cell = []
        elif tag == "br" and self.cell is not None:
            self.cell.append(" | ")

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.row is not None and self.cell is not None:
            self.row.append(re.sub(r"\s+", " ", "".join(self.cell)).strip())
            self.cell = None
        elif tag == "tr" and self.row is not None:
            self.tables[self.section].append(self.row)
            self.row = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def tables(page: str) -> dict[str, list[list[str]]]:
    parser = Tables()
    parser.feed(page)
    return parser.tables


def column(table: list[list[str]], header: str) -> list[str]:
    position = table[0].index(header)
    return [row[position] for row in table[1:]]


def row(table: list[list[str]], label: str) -> list[str]:
    (found,) = (cells[1:] for cells in table if cells[0] == label)
    return found


def test_every_output_is_in_the_means_table_with_its_interval_rates_in_percent(tmp_path):
    # Three replications per term: defaults 1, 2, 3 at 60 days and 5, 5, 5 at 170; an NPL
    # ratio (a rate: in percent); fraud losses undefined in every run.
    terms = {TERM: Parameter(values=[60, 170])}
    folder = write_sweep(
        tmp_path / "sweep",
        terms,
        {
            "supplier_defaults": [1, 2, 3, 5, 5, 5],
            "bank_npl_ratio_max": [0.010, 0.012, 0.014, 0.02, 0.03, 0.04],
            "fraud_losses": [math.nan] * 6,
        },
    )
    page = analyze(folder)
    means = pd.read_csv(folder / "analysis" / "means.csv").set_index([TERM, "metric"])
    table = tables(page)["means"]

    # Two design points: a column each (their settings on top), a row per output.
    assert table[:2] == [["design point", "0", "1"], [TERM, "60", "170"]]
    assert [cells[0] for cells in table[2:]] == [
        "supplier defaults",
        "bank npl ratio max",
        "fraud losses",
    ]
    # The mean and, below it, its 95% interval: defaults' cut at 0 (no negative count).
    low, high = means.loc[(60, "supplier_defaults"), ["low", "high"]]
    assert low == 0
    assert row(table, "supplier defaults") == [f"2 | 0 – {high:.4g}", "5"]  # 5, 5, 5: exact
    npl = row(table, "bank npl ratio max")
    for term, cell in zip((60, 170), npl, strict=True):
        mean, low, high = means.loc[(term, "bank_npl_ratio_max"), ["mean", "low", "high"]]
        assert cell == f"{as_percent(mean)} | {as_percent(low)} – {as_percent(high)}"
    assert npl[0].startswith("1.2% | ")
    # Undefined in every run: "no value", in the table and where its chart would be.
    assert row(table, "fraud losses") == ["no value", "no value"]
    assert "<b>fraud losses</b><br>no value (no run gave one)" in page
    assert "nan" not in " ".join(cell for row in table for cell in row).lower()


def test_the_page_opens_offline_plotly_embedded_once(tmp_path):
    folder = write_sweep(
        tmp_path / "sweep",
        {TERM: Parameter(values=[60, 170])},
        {"supplier_defaults": [1, 2, 3, 5, 5, 6]},
    )
    page = analyze(folder)

    assert page.count("plotly.js v") == 1
    assert "<script src" not in page
    assert "<script type='text/javascript' src" not in page
    assert "<link" not in page  # no style sheet or font to fetch


def sweep_with_two_failed_runs(tmp_path: Path) -> Path:
    """Two terms × three margins × three replications; two runs of one point failed."""
    return write_sweep(
        tmp_path / "sweep",
        {TERM: Parameter(values=[30, 120]), MARGIN: Parameter(range=(0.01, 0.03), points=3)},
        {"supplier_defaults": list(range(18))},
        replications=3,
        failed=(4, 5),
    )


def test_the_header_names_the_design_its_runs_and_the_failed_ones(tmp_path):
    # One of the six runs failed: the header says so with its error, and its design point's
    # means are over the two runs left.
    folder = sweep_with_two_failed_runs(tmp_path)
    page = analyze(folder)
    header = dict(row for row in tables(page)["experiment"] if len(row) == 2)

    assert "<h1>Sweep terms</h1>" in page
    assert "Payment terms against defaults, for the report&#x27;s tests." in page
    assert header["design"] == "grid"
    assert header["design points"] == "6"
    assert header["replications"] == "3 per design point"
    assert header["runs"] == "16 of 18 finished, 2 failed"
    assert header[TERM] == "30, 120"
    assert header[MARGIN] == "0.01 to 0.03, 3 points"
    failed = [row for row in tables(page)["experiment"] if row and row[0].startswith("r1-")]
    assert failed == [
        ["r1-1", f"{TERM}=30, {MARGIN}=0.02", "ValueError: the bank has no capital"],
        ["r1-2", f"{TERM}=30, {MARGIN}=0.02", "ValueError: the bank has no capital"],
    ]
    # The point that lost two of its three runs: its value, from the one run left.
    assert row(tables(page)["means"], "supplier defaults")[1] == "3 | one run"


def test_a_design_of_many_points_gets_a_row_per_point(tmp_path):
    # Twelve terms are too many for a column each: a row each, a column per output.
    terms = list(range(30, 150, 10))
    folder = write_sweep(
        tmp_path / "sweep",
        {TERM: Parameter(values=terms)},
        {"supplier_defaults": [term // 10 for term in terms for _ in range(2)]},
        replications=2,
    )
    table = tables(analyze(folder))["means"]

    assert table[0] == ["point", TERM, "supplier defaults"]
    assert column(table, TERM) == [str(term) for term in terms]
    assert column(table, "supplier defaults") == [str(term // 10) for term in terms]


def ishigami(x1, x2, x3):
    return np.sin(x1) + 7 * np.sin(x2) ** 2 + 0.1 * x3**4 * np.sin(x1)


def test_a_sobol_design_shows_its_indices_and_leaves_its_1280_points_to_the_csv(tmp_path):
    # The Ishigami function: x2 and x1 matter, x3 through its interaction with x1 only.
    parameters = {name: Parameter(range=(-math.pi, math.pi)) for name in ("x1", "x2", "x3")}
    design = design_points(parameters, "sobol", samples=256, seed=3)
    y = ishigami(design["x1"], design["x2"], design["x3"]).to_numpy()
    folder = write_sweep(
        tmp_path / "sweep",
        parameters,
        {"sales_units": 5000 + 10 * y, "supplier_defaults": [math.nan] * len(y)},
        design="sobol",
        replications=1,
        samples=256,
    )
    page = analyze(folder)
    indices = pd.read_csv(folder / "analysis" / "indices.csv").set_index(["index", "parameter"])
    found = tables(page)

    table = found["indices"]
    assert table[0] == ["output", "x1", "x2", "x3"]
    row = dict(zip(table[0], table[1], strict=True))
    assert row["output"] == "sales units"
    for name in parameters:
        total, first = (indices.loc[(index, name)] for index in ("ST", "S1"))
        assert row[name] == (
            f"ST {total['value']:.2f} ± {total['conf']:.2g} | "
            f"S1 {first['value']:.2f} ± {first['conf']:.2g}"
        )
    # An output no run gave a value for has no indices, and the page says why.
    assert table[2] == ["supplier defaults", "no indices (see the notes)"]
    assert "no indices for supplier_defaults: 1280 design points have no finished run" in page
    assert 'id="figure-indices-sales-units"' in page  # the bar chart
    # 1,280 points are not listed: each output's spread is, and the CSV is named.
    spread = found["means"]
    assert [row[0] for row in spread] == ["output", "sales units", "supplier defaults"]
    values = pd.read_csv(folder / "analysis" / "means.csv").query("metric == 'sales_units'")
    assert spread[1][1] == f"{values['mean'].min():,.0f}"
    assert spread[2][1] == "no value (no run gave one)"
    assert "1280 design points are too many to list here" in page
    assert "are in means.csv" in page


def test_a_morris_design_shows_mu_star_and_sigma(tmp_path):
    parameters = {name: Parameter(range=(0.0, 1.0)) for name in ("a", "b")}
    design = design_points(parameters, "morris", trajectories=6, levels=4, seed=3)
    folder = write_sweep(
        tmp_path / "sweep",
        parameters,
        {"sales_units": (3 * design["a"] + design["b"] ** 2).to_numpy()},
        design="morris",
        replications=1,
        trajectories=6,
        levels=4,
    )
    page = analyze(folder)
    table = tables(page)["indices"]

    assert table[0] == ["output", "a", "b"]
    mu_star, sigma = table[1][1].split(" | ")
    assert mu_star == "μ* 3 ± 0"  # slope 3 over the whole range, in every trajectory
    assert sigma == "σ 0"  # linear in a: every effect the same
    assert "Morris screening" in page


def test_a_two_parameter_grid_report_renders_in_chromium_fetching_nothing(tmp_path, artifacts):
    folder = write_sweep(
        tmp_path / "sweep",
        {TERM: Parameter(values=[30, 120]), MARGIN: Parameter(range=(0.01, 0.03), points=3)},
        {
            "supplier_defaults": list(range(18)),
            "bank_npl_ratio_max": [0.01 + 0.001 * i for i in range(18)],
        },
    )
    analyze(folder)

    seen = open_in_chromium(
        folder / "analysis" / "report.html",
        tmp_path / "profile",
        artifacts / "sweep_report_grid.png",
    )

    assert [url for url in seen["requests"] if not url.startswith("file://")] == []
    assert seen["errors"] == []
    # Per output: a heat map over both parameters and a chart against each of them.
    assert set(seen["svgs"]) == {
        f"figure-{kind}-{output}"
        for kind in (
            "heat",
            "against-automakers-payment-term-days",
            "against-banks-margin",
        )
        for output in ("supplier-defaults", "bank-npl-ratio-max")
    }
    assert all(count > 0 for count in seen["svgs"].values())


def test_a_report_written_elsewhere_with_o_keeps_the_whole_header(tmp_path):
    folder = sweep_with_two_failed_runs(tmp_path)
    target = tmp_path / "elsewhere" / "terms.html"
    result = CliRunner().invoke(app, ["analyze", str(folder), "-o", str(target)])
    assert result.exit_code == 0, result.output
    page = target.read_text(encoding="utf-8")
    header = dict(row for row in tables(page)["experiment"] if len(row) == 2)
    assert header["runs"] == "16 of 18 finished, 2 failed"
    assert "Payment terms against defaults, for the report&#x27;s tests." in page


def test_report_and_compare_given_a_sweep_point_to_analyze(tmp_path):
    # They said "not a finished autofin run (no summary.json)" and left it there.
    folder = sweep_with_two_failed_runs(tmp_path)
    for command in (["report", str(folder)], ["compare", str(folder), str(folder)]):
        result = CliRunner().invoke(app, command)
        assert result.exit_code == 2
        assert (
            f"a sweep, not a run (it has experiment.resolved.yaml); its report is made by "
            f"`autofin analyze {folder}`" in result.output.replace("\n", "")
        )


def test_analyze_refuses_an_output_it_cannot_write_before_analysing(tmp_path):
    # A path under a file was an internal "File exists" (exit 1) after the whole analysis; a
    # .csv name got an HTML page.
    folder = sweep_with_two_failed_runs(tmp_path)
    (tmp_path / "a_file").write_text("x")
    for target, message in (
        (tmp_path / "a_file" / "r.html", "a_file is a file, not a folder"),
        (tmp_path, "is a folder; give the report's file name"),
        (tmp_path / "means.csv", "--output writes an HTML report"),
    ):
        result = CliRunner().invoke(app, ["analyze", str(folder), "-o", str(target)])
        assert result.exit_code == 2, (target, result.output)
        assert message in result.output
        assert "means table" not in result.output  # refused before any analysis
    assert not (tmp_path / "means.csv").exists()


def test_runs_that_lost_suppliers_in_the_warm_up_are_noted_and_not_an_output(tmp_path):
    # A sweep counted only the defaults after day 0 and said nothing: at a point where the
    # warm-up lost 115 suppliers, "supplier_defaults 29" read as the whole story. Banks
    # failed in the warm-up are noted alike.
    lost = [0.0] * 6 + [115.0, 0.0, 40.0]
    banks = [0.0] * 8 + [2.0]
    folder = write_sweep(
        tmp_path / "sweep",
        {TERM: Parameter(values=[30, 60, 120])},
        {
            "supplier_defaults": list(range(9)),
            "warmup_supplier_defaults": lost,
            "warmup_bank_failures": banks,
        },
    )
    resolved = folder / "experiment.resolved.yaml"
    experiment = yaml.safe_load(resolved.read_text(encoding="utf-8"))
    experiment["outputs"] = {"summary": ["supplier_defaults"]}
    resolved.write_text(yaml.safe_dump(experiment), encoding="utf-8")
    result = CliRunner().invoke(app, ["analyze", str(folder)])
    assert result.exit_code == 0, result.output
    assert (
        f"note: 2 of 9 runs lost suppliers in the warm-up, before day 0 (most: 115, at {TERM}=120)"
    ) in result.output
    said = " ".join(result.output.split())
    assert f"1 of 9 runs lost banks in the warm-up, before day 0 (most: 2, at {TERM}=120)" in said
    # Kept for the note, not analysed as outputs nobody asked for.
    assert "1 output," in result.output
    assert "warmup_supplier_defaults 0" not in result.output
    assert "warmup_bank_failures 0" not in result.output
