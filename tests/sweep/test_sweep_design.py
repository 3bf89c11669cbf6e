"""Experiment files, designs, seeds and the sensitivity analysis (no cluster needed)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from autofin.cli import app
from autofin.sweep import ExperimentError, load_experiment, plan_sweep
from autofin.sweep.analysis import SweepAnalysis, _sensitivity, morris_indices, sobol_indices
from autofin.sweep.design import POINT, design_points, replication_seeds
from autofin.sweep.executors import check_scheduler_address
from autofin.sweep.experiment import Parameter
from autofin.sweep.report import _heat_map
from conftest import TINY, write

BASE = """
name: check
scenario: tiny.yaml
parameters:
  automakers.payment_term_days: {values: [30, 120]}
"""


def experiment(tmp_path, text):
    write(tmp_path, "tiny.yaml", TINY)
    return write(tmp_path, "exp.yaml", text)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            BASE.replace("automakers.payment_term_days", "automakers.payment_term_dayz"),
            "parameters.automakers.payment_term_dayz: unknown key 'payment_term_dayz' in "
            "automakers; did you mean 'payment_term_days'?",
        ),
        (
            BASE.replace("{values: [30, 120]}", "{range: [0.5, 2.0], points: 3}").replace(
                "automakers.payment_term_days", "banks.capital_ratio"
            ),
            "parameters.banks.capital_ratio.range: 2.0 fails",
        ),
        (BASE + "design: sobl\n", "design: got 'sobl'; expected 'grid', 'random'"),
        (BASE + "design: sobol\nsamples: 6\n", "samples: sobol needs a power of two, got 6"),
        (BASE + "samples: 8\n", "samples: a grid design takes no samples"),
        (BASE + "design: sobol\nsamples: 8\ntrajectories: 5\n", "trajectories: only a morris"),
        (
            BASE.replace("{values: [30, 120]}", "{range: [0.5, 2.0]}"),
            "design: a grid needs values: [...] or range with points: N for "
            "automakers.payment_term_days",
        ),
        (BASE + "replicatons: 3\n", "replicatons: unknown key; did you mean 'replications'?"),
        # Typos below the top level had no suggestion; pydantic's own words leaked through.
        (
            BASE.replace("{values:", "{value:"),
            "parameters.automakers.payment_term_days.value: unknown key; did you mean 'values'?",
        ),
        (
            BASE + "outputs: {timeseries: [{metric: sales_units, stats: max}]}\n",
            "outputs.timeseries.0.stats: unknown key; did you mean 'stat'?",
        ),
        (
            BASE.replace("[30, 120]", "[]"),
            "parameters.automakers.payment_term_days.values: got []; expected at least one value",
        ),
        (
            BASE.replace("name: check", "name: 'two words'"),
            "name: got 'two words'; expected letters, digits, '_', '.' and '-'",
        ),
        (BASE.replace("tiny.yaml", "missing.yaml"), "scenario: no such file: missing.yaml"),
        (BASE + "overrides: {horizon_days: -5}\n", "overrides: "),
        # Outputs are checked before any run (on a one-step run of the base scenario).
        (
            BASE + "outputs: {summary: [supplier_defaults, supplier_defualts]}\n",
            "outputs.summary: got 'supplier_defualts': did you mean 'supplier_defaults'?",
        ),
        (
            BASE + "outputs: {timeseries: [{metric: bank_npl_ratoi, stat: max}]}\n",
            "outputs.timeseries: got 'bank_npl_ratoi': did you mean 'bank_npl_ratio'?",
        ),
        (
            BASE + "overrides: {horizon_days: 364}\n"
            "outputs: {timeseries: [{metric: bank_npl_ratio, stat: max, window: [730, 1095]}]}\n",
            "outputs.timeseries.0.window: got [730, 1095]; expected days that hold a step",
        ),
        # Every run's steps count: the 14-day point's output had no value, silently.
        (
            BASE.replace("automakers.payment_term_days", "step_days").replace(
                "[30, 120]", "[7, 14]"
            )
            + "outputs: {timeseries: [{metric: bank_npl_ratio, stat: max, window: [7, 7]}]}\n",
            "expected days that hold a step of every run at step_days=14",
        ),
        # Rounded to whole numbers, every value fell outside [0.01, 0.03] (to 0).
        (
            BASE.replace("automakers.payment_term_days", "banks.margin").replace(
                "{values: [30, 120]}", "{range: [0.01, 0.03], integer: true}"
            )
            + "design: random\nsamples: 4\n",
            "range: got [0.01, 0.03] with integer: true; expected a range holding a whole number",
        ),
        (
            BASE.replace("{values: [30, 120]}", "{range: [120, 60]}")
            + "design: random\nsamples: 4\n",
            "range: got [120, 60]; expected low below high",
        ),
        # A varied parameter fixed in overrides was ignored; replications "varied" did nothing.
        (
            BASE + "overrides: {automakers.payment_term_days: 90}\n",
            "overrides.automakers.payment_term_days: automakers.payment_term_days is a "
            "parameter the sweep varies",
        ),
        (
            BASE.replace("automakers.payment_term_days", "replications"),
            "parameters.replications: a run of a sweep is one seed",
        ),
        (
            BASE + "overrides: {replications: 4}\n",
            "replications in the scenario's settings: a sweep runs each design point with the "
            "experiment's own seeds",
        ),
        # An output named as another column replaced it in runs.parquet (and broke analyze).
        (
            BASE + "outputs:\n  summary: [supplier_defaults]\n  timeseries:\n"
            "    - {metric: bank_npl_ratio, stat: max, name: supplier_defaults}\n",
            "outputs.timeseries.0: its column 'supplier_defaults' is a summary figure the sweep "
            "keeps; give the output another name",
        ),
        (
            BASE + "outputs:\n  timeseries:\n    - {metric: bank_npl_ratio, stat: max}\n"
            "    - {metric: bank_npl_ratio, stat: max}\n",
            "outputs.timeseries.1: its column 'bank_npl_ratio_max' is another time-series "
            "output's column",
        ),
        (
            BASE + "outputs:\n  timeseries:\n    - {metric: bank_npl_ratio, stat: max, name: seed}"
            "\n    - {metric: sales_units, stat: sum, name: automakers.payment_term_days}\n",
            "outputs.timeseries.1: its column 'automakers.payment_term_days' is a parameter's "
            "column in runs.parquet",
        ),
        (
            BASE + "outputs: {summary: [point]}\n",
            "outputs.summary: 'point' is a column of the design in runs.parquet",
        ),
    ],
)
def test_bad_experiments_name_the_field_and_exit_2(tmp_path, text, message):
    path = experiment(tmp_path, text)
    with pytest.raises(ExperimentError) as caught:
        load_experiment(path)
    assert message in str(caught.value)

    result = CliRunner().invoke(app, ["sweep", str(path), "-o", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def test_a_file_of_the_other_kind_is_named_as_such_with_the_command_it_needs(tmp_path):
    # Each was a list of unknown keys ("suppliers: unknown key; did you mean 'samples'?").
    path = experiment(tmp_path, BASE)
    scenario = tmp_path / "tiny.yaml"
    result = CliRunner().invoke(app, ["sweep", str(scenario), "--dry-run"])
    assert result.exit_code == 2
    assert "tiny.yaml: this is a scenario file (it has `banks:`" in result.output
    assert "run it with `autofin run`" in result.output
    assert "unknown key" not in result.output
    for command in (["run", str(path), "-o", str(tmp_path / "out")], ["validate", str(path)]):
        result = CliRunner().invoke(app, command)
        assert result.exit_code == 2
        assert "exp.yaml: this is an experiment file" in result.output
        assert "run it with `autofin sweep`" in result.output
        assert "unknown key" not in result.output


def test_a_scenario_file_that_does_not_load_is_named_as_the_cause(tmp_path):
    # Its own errors were blamed on the experiment's overrides:, which were fine.
    experiment(tmp_path, BASE)
    (tmp_path / "tiny.yaml").write_bytes(TINY.encode() + b"description: caf\xe9\n")
    path = write(tmp_path, "exp.yaml", BASE + "overrides: {horizon_days: 14}\n")
    with pytest.raises(ExperimentError, match=r"scenario: .*tiny\.yaml: not UTF-8 text"):
        load_experiment(path)
    # An experiment file that is not UTF-8 (Latin-1, say) was an internal error.
    (tmp_path / "latin.yaml").write_bytes(b"name: lat\ndescription: caf\xe9\n")
    result = CliRunner().invoke(app, ["sweep", str(tmp_path / "latin.yaml"), "--dry-run"])
    assert result.exit_code == 2
    assert "latin.yaml: not UTF-8 text" in result.output
    # A folder given as the scenario exists: it is not "no such file".
    (tmp_path / "folder").mkdir()
    folder = write(tmp_path, "folder.yaml", BASE.replace("tiny.yaml", "folder"))
    with pytest.raises(ExperimentError, match="scenario: folder is a folder"):
        load_experiment(folder)


def test_a_scenario_extending_a_file_outside_its_folder_sweeps_when_allowed(tmp_path):
    # The refusal named --allow-outside-paths, which sweep did not have.
    experiment(tmp_path, BASE)
    (tmp_path / "inner").mkdir()
    write(tmp_path / "inner", "ext.yaml", "extends: ../tiny.yaml\nname: ext\n")
    path = write(tmp_path, "exp.yaml", BASE.replace("tiny.yaml", "inner/ext.yaml"))
    with pytest.raises(ExperimentError, match=r"scenario: .*ext\.yaml: extends: .* is outside"):
        load_experiment(path)
    assert load_experiment(path, allow_outside_paths=True).base.name == "ext"
    result = CliRunner().invoke(app, ["sweep", str(path), "--dry-run", "--allow-outside-paths"])
    assert result.exit_code == 0, result.output


def test_a_value_outside_a_field_range_is_refused_before_anything_runs(tmp_path):
    path = experiment(
        tmp_path,
        BASE.replace("automakers.payment_term_days", "banks.capital_ratio").replace(
            "[30, 120]", "[0.1, 1.5]"
        ),
    )
    with pytest.raises(ExperimentError, match=r"banks\.capital_ratio.*1\.5.*less than or equal"):
        load_experiment(path)


def test_replications_share_seeds_across_points_and_run_ids_are_stable(tmp_path):
    path = experiment(tmp_path, BASE + "replications: 3\nseed: 5\n")
    first = plan_sweep(load_experiment(path))
    second = plan_sweep(load_experiment(path))

    assert list(first.design["run_id"]) == list(second.design["run_id"])
    assert first.design["run_id"].is_unique
    seeds = first.design.groupby("point")["seed"].apply(list)
    assert seeds.iloc[0] == seeds.iloc[1] == replication_seeds(5, 3)
    assert len(set(seeds.iloc[0])) == 3
    assert replication_seeds(6, 3) != replication_seeds(5, 3)


def test_designs_cover_their_ranges():
    parameters = {
        "a": Parameter(range=(1.0, 100.0), log=True),
        "b": Parameter(range=(0, 10), integer=True),
        "c": Parameter(values=["x", "y", "z"]),
    }
    lhs = design_points(parameters, "latin_hypercube", samples=30, seed=1)
    assert len(lhs) == 30
    assert lhs["a"].between(1, 100).all()
    assert (np.log(lhs["a"]).max() - np.log(lhs["a"]).min()) > 0.8 * math.log(100)
    assert set(lhs["b"]) <= set(range(11))
    assert set(lhs["c"]) == {"x", "y", "z"}
    sobol = design_points(parameters, "sobol", samples=8, seed=1)
    assert len(sobol) == 8 * (3 + 2)
    morris = design_points(parameters, "morris", trajectories=4, levels=4, seed=1)
    assert len(morris) == 4 * (3 + 1)
    grid = design_points({"a": Parameter(range=(0, 1), points=3), "c": parameters["c"]}, "grid")
    assert len(grid) == 9


def ishigami(x1, x2, x3, a=7.0, b=0.1):
    return np.sin(x1) + a * np.sin(x2) ** 2 + b * x3**4 * np.sin(x1)


def test_sobol_analysis_recovers_the_ishigami_indices():
    # Known values (Ishigami & Homma 1990; a = 7, b = 0.1).
    first = {"x1": 0.3139, "x2": 0.4424, "x3": 0.0}
    total = {"x1": 0.5576, "x2": 0.4424, "x3": 0.2437}
    parameters = {name: Parameter(range=(-math.pi, math.pi)) for name in first}
    design = design_points(parameters, "sobol", samples=2048, seed=3)
    outputs = ishigami(design["x1"], design["x2"], design["x3"]).to_numpy()

    table = sobol_indices(list(parameters), outputs).set_index(["index", "parameter"])

    for index, truth in (("S1", first), ("ST", total)):
        for name, expected in truth.items():
            value, conf = table.loc[(index, name), ["value", "conf"]]
            assert abs(value - expected) <= conf, (index, name, value, expected, conf)
            assert conf < 0.1


def test_morris_measures_the_slopes_of_a_linear_model():
    parameters = {name: Parameter(range=(-math.pi, math.pi)) for name in ("x1", "x2", "x3")}
    design = design_points(parameters, "morris", trajectories=20, levels=4, seed=3)
    unit = design[[f"unit:{name}" for name in parameters]].to_numpy()
    outputs = (3 * design["x1"] - design["x2"]).to_numpy()

    table = morris_indices(list(parameters), unit, outputs, levels=4).set_index(
        ["index", "parameter"]
    )["value"]

    # Elementary effects per unit of the design's coordinate: slope x range (2 pi).
    assert table[("mu_star", "x1")] == pytest.approx(3 * 2 * math.pi)
    assert table[("mu_star", "x2")] == pytest.approx(2 * math.pi)
    assert table[("mu_star", "x3")] == pytest.approx(0, abs=1e-9)
    assert table[("sigma", "x1")] == pytest.approx(0, abs=1e-9)


def _ishigami_analysis(samples: int, offset: float = 0.0, scale: float = 1.0) -> SweepAnalysis:
    parameters = {name: Parameter(range=(-math.pi, math.pi)) for name in ("x1", "x2", "x3")}
    design = design_points(parameters, "sobol", samples=samples, seed=3)
    design[POINT] = np.arange(len(design))
    means = pd.DataFrame(
        {
            POINT: design[POINT],
            "metric": "y",
            "mean": offset + scale * ishigami(design["x1"], design["x2"], design["x3"]).to_numpy(),
        }
    )
    analysis = SweepAnalysis(
        name="ishigami",
        design="sobol",
        parameters=list(parameters),
        outputs=["y"],
        means=means,
        indices=pd.DataFrame(),
        runs=pd.DataFrame(),
    )
    analysis.indices = _sensitivity(analysis, design, {})
    return analysis


def test_sobol_indices_outside_0_to_1_come_with_a_note_asking_for_more_samples():
    # Eight samples cannot apportion the Ishigami function's variance: indices fall outside
    # [0, 1], which no reader should take for a result. 2,048 samples can (no note).
    few = _ishigami_analysis(8)
    values = few.indices["value"]
    assert values.min() < -0.05 or values.max() > 1.05
    assert any(
        "outside 0 to 1" in note and "raise the design's samples" in note for note in few.notes
    )
    assert not any("outside 0 to 1" in note for note in _ishigami_analysis(2048).notes)


def test_indices_of_an_output_that_hardly_moves_come_with_a_note():
    # 18,310 plus or minus a unit: the indices would apportion rounding noise.
    steady = _ishigami_analysis(64, offset=18_310.0, scale=0.05)
    assert any("moves by only" in note for note in steady.notes)
    assert not any("moves by only" in note for note in _ishigami_analysis(64).notes)


def test_analyze_prints_shares_and_rates_in_percent_as_run_does():
    means = pd.DataFrame(
        {
            POINT: [0, 0],
            "banks.margin": [0.01, 0.01],
            "metric": ["bank_npl_ratio_max", "supplier_defaults"],
            "mean": [0.0123, 2.5],
            "low": [0.01, 1.0],
            "high": [0.0146, 4.0],
            "sd": [0.001, 1.0],
            "n": [3, 3],
        }
    )
    analysis = SweepAnalysis(
        name="units",
        design="grid",
        parameters=["banks.margin"],
        outputs=["bank_npl_ratio_max", "supplier_defaults"],
        means=means,
        indices=pd.DataFrame(),
        runs=pd.DataFrame(),
    )
    text = analysis.describe()
    assert "bank_npl_ratio_max 1.23% (1% to 1.46%)" in text
    assert "supplier_defaults 2.5 (1 to 4)" in text


def test_a_grid_heat_map_gives_each_cell_its_interval():
    # A colour alone cannot say whether two cells differ beyond noise: each cell reads its
    # mean and 95% interval, in percent for a rate; a cell one run made says so.
    means = pd.DataFrame(
        {
            POINT: [0, 1, 2, 3],
            "automakers.payment_term_days": [60, 170, 60, 170],
            "banks.margin": [0.01, 0.01, 0.03, 0.03],
            "metric": ["bank_npl_ratio_max"] * 4,
            "mean": [0.0123, 0.02, 0.015, 0.03],
            "low": [0.01, 0.018, 0.012, math.nan],
            "high": [0.0146, 0.022, 0.018, math.nan],
            "sd": [0.001, 0.001, 0.001, math.nan],
            "n": [3, 3, 3, 1],
        }
    )
    analysis = SweepAnalysis(
        name="heat",
        design="grid",
        parameters=["automakers.payment_term_days", "banks.margin"],
        outputs=["bank_npl_ratio_max"],
        means=means,
        indices=pd.DataFrame(),
        runs=pd.DataFrame(),
    )
    heat = _heat_map(analysis, "bank_npl_ratio_max").data[0]
    cell = {(x, y): heat.text[i][j] for i, y in enumerate(heat.y) for j, x in enumerate(heat.x)}
    assert cell[("60", "0.01")] == "1.23%<br>(1% to 1.46%)"
    assert cell[("170", "0.03")] == "3%<br>(one run)"
    assert heat.z[1][0] == 0.015  # the colour is the mean (margin 0.03, 60 days)


@pytest.mark.parametrize(
    ("address", "problem"),
    [
        ("notanaddress", "no port number"),
        ("tcp://head", "no port number"),
        ("http://head:8786", "http:// is not a protocol autofin's sweeps can join"),
        (" tcp://head:8786", "spaces around it"),
        ("tcp://head:99999", "port 99999 is not from 1 to 65535"),
        ("tcp://:8786", "no host name before :8786"),
        ("tcp://head:8786/status", "not host:port"),
    ],
)
def test_a_malformed_scheduler_address_exits_2_at_once_creating_nothing(tmp_path, address, problem):
    # Not passed on to Dask, which took a minute to call it an internal error, then printed
    # a traceback from Client.__del__ (exit 1), having created the sweep directory.
    path = experiment(tmp_path, BASE)
    result = CliRunner().invoke(
        app, ["sweep", str(path), "-o", str(tmp_path / "out"), "--scheduler", address]
    )
    assert result.exit_code == 2, result.output
    assert f"--scheduler: got {address!r} ({problem}); expected an address such as " in (
        result.output
    )
    assert "tcp://host:8786" in result.output
    assert "Traceback" not in result.output
    assert "internal error" not in result.output
    assert not (tmp_path / "out").exists()


def test_scheduler_addresses_of_every_usual_form_are_accepted():
    for address in ("tcp://head:8786", "head:8786", "tls://10.0.0.1:8786", "tcp://[::1]:8786"):
        assert check_scheduler_address(address) == address


def test_the_size_says_when_rounding_makes_design_points_coincide(tmp_path):
    # 30, 30.5 and 31 days round to 30, 30 and 31: three points, two distinct scenarios; the
    # sensitivity experiment's 512 Sobol points are 511 so.
    text = BASE.replace("{values: [30, 120]}", "{range: [30, 31], points: 3, integer: true}")
    path = experiment(tmp_path, text + "replications: 2\n")
    result = CliRunner().invoke(app, ["sweep", str(path), "-o", str(tmp_path / "s"), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert (
        "grid design, 3 design points, 2 distinct after rounding integer parameters, "
        "x 2 replications = 4 runs (4 to do)"
    ) in result.output
    # Without coinciding points, no such clause; one replication is singular.
    plain = plan_sweep(load_experiment(experiment(tmp_path, BASE)))
    assert plain.describe_size() == "2 design points x 1 replication = 2 runs"


def test_analyze_of_a_sweep_too_long_to_print_names_the_table_and_gives_each_range(tmp_path):
    # 11 points x 4 outputs = 44 lines of means: more than are printed. The terminal said
    # "in the means table below" and showed no table; now it says where the table is and,
    # per output, the lowest and highest mean with their intervals and points.
    terms = list(range(30, 140, 10))
    design = pd.DataFrame(
        [
            {
                "run_id": f"r{point}-{rep}",
                POINT: point,
                "replication": rep,
                "seed": 100 + rep,
                "automakers.payment_term_days": term,
            }
            for point, term in enumerate(terms)
            for rep in (0, 1)
        ]
    )
    runs = design.assign(
        seconds=0.1,
        supplier_defaults=design[POINT] * 10 + design["replication"] * 0.1,  # tight
        bank_npl_ratio_max=0.01 + 0.001 * design[POINT] + 0.05 * design["replication"],  # noisy
        sales_units=500.0,
        fraud_losses=np.nan,
    )
    folder = tmp_path / "sweep"
    folder.mkdir()
    resolved = {
        "name": "long",
        "design": "grid",
        "parameters": {"automakers.payment_term_days": {"values": terms}},
    }
    (folder / "experiment.resolved.yaml").write_text(yaml.safe_dump(resolved), encoding="utf-8")
    design.to_parquet(folder / "design.parquet", index=False)
    runs.to_parquet(folder / "runs.parquet", index=False)

    result = CliRunner().invoke(app, ["analyze", str(folder)])

    assert result.exit_code == 0, result.output
    table = folder / "analysis" / "means.csv"
    assert "means table below" not in result.output
    assert f"44 lines (11 design points x 4 outputs), too many to print; all in {table}" in (
        result.output
    )
    assert len(pd.read_csv(table)) == 44  # "all" is all
    lines = {
        line.split(":")[0].strip(): line for line in result.output.splitlines() if ": " in line
    }
    defaults = lines["supplier_defaults"]
    assert "lowest 0.05 (0 to 0.6853) at automakers.payment_term_days=30;" in defaults
    assert "highest 100 (99.41 to 100.7) at automakers.payment_term_days=130" in defaults
    assert "overlap" not in defaults
    npl = lines["bank_npl_ratio_max"]  # a ratio: in percent, as `autofin run` prints it
    assert "lowest 3.5% (0% to " in npl
    assert "at automakers.payment_term_days=30;" in npl
    assert "highest 4.5% (" in npl
    assert npl.endswith("(the two intervals overlap)")
    assert "sales_units: 500 (500 to 500) at every design point" in result.output
    assert "fraud_losses: no run gave a value" in result.output
    assert "Traceback" not in result.output
    # The report (which said "in the means table below" too) lists every point's means, an
    # HTML page having room for 11 points, and names the file beside it that has them too.
    page = (folder / "analysis" / "report.html").read_text(encoding="utf-8")
    assert "The same table, one line per point and output, is means.csv." in page
    assert "means table below" not in page


def test_a_whole_number_range_stays_within_its_ends():
    # round(2.4) is 2, below the range asked for.
    parameter = Parameter(range=(2.4, 5.6), integer=True)
    assert [parameter.scale(u) for u in (0.0, 0.5, 0.999)] == [3, 4, 5]
    assert Parameter(range=(30, 120), integer=True).ends() == [30, 120]
