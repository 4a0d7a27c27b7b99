"""Parameter sweeps: parsing axes, designs, validating every point first, and running on CRN."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.experiment import sweep as sweep_module
from sim.experiment.sweep import (
    Sweep,
    grid,
    latin_hypercube,
    parse_sweep,
    run_sweep,
    validate_points,
)
from sim.plots.sweep import plot_sweep
from sim.scenario import ScenarioError

SEVERITY = "disruptions.ga-control.severity"
DURATION = "disruptions.ga-control.duration"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a.b=1,2,3", ("a.b", ["1", "2", "3"])),
        ("a.b=range(0.2,1.0,0.2)", ("a.b", ["0.2", "0.4", "0.6", "0.8"])),
        ("a.b=range(3)", ("a.b", ["0", "1", "2"])),
        ("a.b=range(1, 0, -0.5)", ("a.b", ["1", "0.5"])),
        ("a.b=linspace(0,1,5)", ("a.b", ["0", "0.25", "0.5", "0.75", "1"])),
        (f"{DURATION}=6 months, 12 months", (DURATION, ["6 months", "12 months"])),
    ],
)
def test_parse_sweep_forms(text, expected):
    assert parse_sweep(text) == expected


def test_parse_sweep_bad_forms_name_the_text():
    with pytest.raises(ValueError) as exc:
        parse_sweep("a.b")
    assert str(exc.value) == (
        "cannot read sweep 'a.b': expected KEY=V1,V2,..., KEY=range(START,STOP[,STEP]) "
        "or KEY=linspace(START,STOP,N)"
    )
    for bad in ("a=1,,2", "a=range(0,1,0)", "a=range(x)", "a=linspace(0,1,2.5)", "a=range(1,0)"):
        with pytest.raises(ValueError, match=re.escape(f"cannot read sweep {bad!r}: ")):
            parse_sweep(bad)


def test_grid_is_full_factorial_in_order():
    points = grid({"a": ["1", "2"], "b": ["x", "y", "z"]})
    assert len(points) == 6
    assert points[:4] == [
        {"a": "1", "b": "x"},
        {"a": "1", "b": "y"},
        {"a": "1", "b": "z"},
        {"a": "2", "b": "x"},
    ]


def test_latin_hypercube_deterministic_and_in_range():
    ranges = {"a": (0.2, 0.9), "b": (10.0, 20.0)}
    first = latin_hypercube(ranges, 8, seed=7)
    assert first == latin_hypercube(ranges, 8, seed=7)
    assert first != latin_hypercube(ranges, 8, seed=8)
    assert len(first) == 8
    for key, (low, high) in ranges.items():
        values = np.array([float(p[key]) for p in first])
        assert ((values >= low) & (values <= high)).all()
        # one point in each of the n equal strata: the Latin property
        strata = np.floor((values - low) / (high - low) * 8).astype(int)
        assert sorted(strata) == list(range(8))


def test_invalid_point_stops_before_any_run(small_path, monkeypatch):
    calls = []
    monkeypatch.setattr(sweep_module, "run_replications", lambda *a, **k: calls.append(a))
    points = grid({SEVERITY: ["0.2", "1.5"], DURATION: ["6 months", "forever"]})
    with pytest.raises(ScenarioError) as exc:
        run_sweep(small_path, points, reps=2, seed=1, executor="inline")
    assert calls == []
    text = str(exc.value)
    assert f"--set {SEVERITY}=1.5: {SEVERITY}: must be at most 1 (got 1.5)" in text
    assert f"--set {DURATION}=forever" in text
    assert f"--set {SEVERITY}=0.2:" not in text  # the good value is not blamed
    with pytest.raises(ScenarioError, match=f"--set {SEVERITY}=1.5"):
        validate_points(small_path, grid({SEVERITY: ["0.2", "1.5"]}))


def test_validate_points_loads_every_point(small_path):
    loaded = validate_points(small_path, grid({SEVERITY: ["0.2", "0.6"]}))
    assert [s.scenario.disruptions["ga-control"].severity for s in loaded] == [0.2, 0.6]


@pytest.fixture(scope="module")
def severity_sweep(tmp_path_factory, small_text) -> Sweep:
    path = tmp_path_factory.mktemp("sweep") / "small.yaml"
    path.write_text(small_text)
    _, values = parse_sweep(f"{SEVERITY}=0.2,0.6,1.0")
    return run_sweep(path, grid({SEVERITY: values}), reps=2, seed=11, executor="inline")


def test_run_sweep_deeper_cut_never_lowers_peak(severity_sweep):
    table = severity_sweep.table()
    assert list(table.columns) == [
        SEVERITY,
        "option",
        "commodity",
        "bloc",
        "metric",
        "unit",
        "mean",
        "p5",
        "p50",
        "p95",
    ]
    rows = table[
        (table["commodity"] == "gallium")
        & (table["bloc"] == "alliance")
        & (table["metric"] == "peak_price_multiple")
    ]
    assert list(rows[SEVERITY]) == ["0.2", "0.6", "1.0"]
    peaks = rows["mean"].to_numpy()
    assert (np.diff(peaks) >= 0).all(), peaks
    assert peaks[-1] > peaks[0]
    assert len(table) == 3 * len(severity_sweep.results[0].summary())


def test_run_sweep_uses_common_random_numbers(severity_sweep):
    assert {r.seed for r in severity_sweep.results} == {11}


def test_plot_one_axis(severity_sweep, tmp_path):
    out = plot_sweep(severity_sweep, "peak_price_multiple", "gallium", "alliance", tmp_path / "s")
    assert [p.suffix for p in out] == [".png", ".svg"]
    assert all(p.stat().st_size > 0 for p in out)
    with pytest.raises(ValueError, match="no bloc 'nowhere'"):
        plot_sweep(severity_sweep, "peak_price_multiple", "gallium", "nowhere", tmp_path / "x")


def test_plot_two_axes_and_more(small_path, tmp_path):
    points = grid({SEVERITY: ["0.2", "1.0"], DURATION: ["6 months", "12 months"]})
    sweep = run_sweep(small_path, points, reps=2, seed=3, executor="inline")
    assert sweep.axes == [SEVERITY, DURATION]
    assert list(sweep.table().columns[:2]) == [SEVERITY, DURATION]
    out = plot_sweep(sweep, "shortfall_t", "gallium", "alliance", tmp_path / "heat")
    assert [p.name for p in out] == ["heat.png", "heat.svg"]
    assert all(p.stat().st_size > 0 for p in out)
    three = Sweep([{**p, "x": "1"} for p in sweep.points], sweep.results)
    out = plot_sweep(three, "shortfall_t", "gallium", "alliance", tmp_path / "index")
    assert all(Path(p).exists() for p in out)


# -- the command ---------------------------------------------------------------------------------


def test_sweep_command_writes_the_table_and_plot(small_path, tmp_path):
    from click.testing import CliRunner

    from sim.cli import cli

    out = tmp_path / "sweep"
    result = CliRunner().invoke(
        cli,
        [
            "sweep",
            str(small_path),
            "--sweep",
            "disruptions.ga-control.severity=0.2,1.0",
            "--reps",
            "2",
            "--executor",
            "inline",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "sweep.csv")
    assert sorted(table["disruptions.ga-control.severity"].unique()) == [0.2, 1.0]
    # by default a figure for every mineral touched in every bloc hit, named after both
    assert (out / "plots" / "sweep_peak_price_multiple_gallium_alliance.png").is_file()
    assert "peak_price_multiple of gallium in alliance" in result.output


def test_sweep_command_refuses_a_bad_point_before_running(small_path, monkeypatch):
    from click.testing import CliRunner

    import sim.experiment.sweep as sweep_module
    from sim.cli import cli

    def boom(*args, **kwargs):
        raise AssertionError("ran before validating every point")

    monkeypatch.setattr(sweep_module, "run_replications", boom)
    result = CliRunner().invoke(
        cli, ["sweep", str(small_path), "--sweep", "disruptions.ga-control.severity=0.2,1.5"]
    )
    assert result.exit_code == 2
    assert (
        "--set disruptions.ga-control.severity=1.5: disruptions.ga-control.severity: "
        "must be at most 1 (got 1.5)"
    ) in result.stderr


def test_sweep_section_in_the_yaml(small_path, tmp_path):
    from click.testing import CliRunner

    from sim.cli import cli

    path = small_path.with_name("swept.yaml")
    path.write_text(
        small_path.read_text() + "sweep:\n  disruptions.ga-control.severity: [0.3, 0.9]\n"
    )
    out = tmp_path / "s"
    result = CliRunner().invoke(
        cli,
        [
            "sweep",
            str(path),
            "--reps",
            "2",
            "--executor",
            "inline",
            "--no-plots",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "sweep.csv")
    assert sorted(table["disruptions.ga-control.severity"].unique()) == [0.3, 0.9]


# -- names checked first, every option ------------------------------------------------------


@pytest.fixture
def reserve_path(tmp_path, reserve_text) -> Path:
    path = tmp_path / "reserve.yaml"
    path.write_text(reserve_text)
    return path


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--metric", "peak_prise_multiple"],
            "no metric 'peak_prise_multiple' in the scenario; did you mean 'peak_price_multiple'?",
        ),
        (
            ["--commodity", "galium"],
            "no commodity 'galium' in the scenario; did you mean 'gallium'?",
        ),
        (["--bloc", "aliance"], "no bloc 'aliance' in the scenario; did you mean 'alliance'?"),
        (["--option", "reserv"], "no option 'reserv' in the scenario; did you mean 'reserve'?"),
    ],
)
def test_sweep_command_refuses_a_misspelt_name_before_running(
    reserve_path, monkeypatch, args, message
):
    from click.testing import CliRunner

    from sim.cli import cli

    def boom(*args, **kwargs):
        raise AssertionError("ran before checking the names")

    monkeypatch.setattr(sweep_module, "run_replications", boom)
    monkeypatch.setattr(sweep_module, "shared_workers", boom)
    result = CliRunner().invoke(
        cli, ["sweep", str(reserve_path), "--sweep", f"{SEVERITY}=0.2,1.0", *args]
    )
    assert result.exit_code == 2, result.output
    assert f"minsim: error: {message}" in result.stderr
    assert "Traceback" not in result.output


def test_known_metrics_are_those_the_summary_holds(reserve_path):
    import sim
    from sim.experiment.runner import run_replications
    from sim.experiment.sweep import summary_metrics

    loaded = sim.load(reserve_path)
    for option in ("do-nothing", "reserve"):
        ran = set(run_replications(loaded, 2, 1, option=option, executor="inline").summary().metric)
        assert ran <= set(summary_metrics(loaded, [option])), option
    assert "cost_per_tonne_avoided" not in summary_metrics(loaded, ["do-nothing"])
    assert "cost_per_tonne_avoided" in summary_metrics(loaded, ["reserve"])


def test_a_sweep_of_every_option_pairs_them_at_each_point(reserve_path, tmp_path):
    from sim.experiment.runner import run_replications

    sweep = run_sweep(
        reserve_path,
        grid({SEVERITY: ["0.4", "1.0"]}),
        reps=3,
        seed=5,
        options=["do-nothing", "reserve"],
        executor="inline",
    )
    assert sweep.options == ["do-nothing", "reserve"]
    assert [(i, r.option) for i, r in sweep.runs()] == [
        (0, "do-nothing"),
        (0, "reserve"),
        (1, "do-nothing"),
        (1, "reserve"),
    ]
    table = sweep.table()
    assert set(table.option) == {"do-nothing", "reserve"}
    # each option's results are those it has run alone on the same seed
    import sim

    alone = run_replications(
        sim.load(reserve_path, sets=(f"{SEVERITY}=1.0",)), 3, 5, option="reserve", executor="inline"
    )
    np.testing.assert_array_equal(
        sweep.results[3].metrics["shortfall_t"], alone.metrics["shortfall_t"]
    )
    rows = table[(table.metric == "peak_price_multiple") & (table.commodity == "gallium")]
    out = plot_sweep(sweep, "peak_price_multiple", "gallium", "alliance", tmp_path / "both")
    assert all(p.stat().st_size > 0 for p in out)
    assert len(rows) == 2 * 2 * 3  # points x options x blocs


def test_sweep_command_runs_every_option_with_units(reserve_path, tmp_path):
    from click.testing import CliRunner

    from sim.cli import cli

    out = tmp_path / "all"
    result = CliRunner().invoke(
        cli,
        [
            "sweep",
            str(reserve_path),
            "--sweep",
            f"{SEVERITY}=0.4,1.0",
            "--all-options",
            "--commodity",
            "gallium",
            "--bloc",
            "alliance",
            "--metric",
            "shortfall_t",
            "--reps",
            "2",
            "--executor",
            "inline",
            "--no-plots",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "sweep.csv")
    assert list(table.columns[:7]) == [
        SEVERITY,
        "option",
        "commodity",
        "bloc",
        "metric",
        "unit",
        "currency",
    ]
    assert set(table.option) == {"do-nothing", "reserve"}
    assert set(table[table.metric == "shortfall_t"].unit) == {"t"}
    assert set(table.currency) == {"USD"}
    assert "shortfall_t of gallium in alliance, mean" in result.output
    assert "(reserve)" in result.output and "(do-nothing)" in result.output
