"""Global sensitivity analysis: parsing parameters, Morris and Sobol on CRN, tornado chart."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.experiment.sensitivity import Parameter, parse_parameter, sensitivity
from sim.plots.sensitivity import tornado

SEVERITY = "disruptions.ga-control.severity"
BOOM = "disruptions.boom.change"
TARGET = {"metric": "peak_price_multiple", "commodity": "gallium", "bloc": "alliance"}
FAST = ("horizon.step=month", "horizon.years=2")
"""A coarser, shorter horizon keeps the tests quick; the gallium control still falls in it."""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a.b=0.2:1.0", Parameter("a.b", 0.2, 1.0)),
        (" a.b = -1 : 2.5 ", Parameter("a.b", -1.0, 2.5)),
        (f"{SEVERITY}=0:1", Parameter(SEVERITY, 0.0, 1.0)),
    ],
)
def test_parse_parameter(text, expected):
    assert parse_parameter(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a.b", "KEY=LOW:HIGH"),
        ("=0:1", "KEY=LOW:HIGH"),
        ("a.b=", "KEY=LOW:HIGH"),
        ("a.b=0.5", "KEY=LOW:HIGH"),
        ("a.b=0:1:2", "KEY=LOW:HIGH"),
        ("a.b=x:1", "must be numbers"),
        ("a.b=1:1", "low < high"),
        ("a.b=2:1", "low < high"),
        ("a.b=0:inf", "finite"),
    ],
)
def test_parse_parameter_rejects(text, message):
    with pytest.raises(ValueError, match=message) as info:
        parse_parameter(text)
    assert repr(text) in str(info.value)


def _morris(path, seed=7):
    params = [Parameter(SEVERITY, 0.1, 1.0), Parameter(BOOM, 0.0, 0.5)]
    return sensitivity(
        path,
        params,
        method="morris",
        samples=4,
        reps=2,
        seed=seed,
        sets=FAST,
        executor="inline",
        **TARGET,
    )


@pytest.fixture(scope="module")
def module_path(tmp_path_factory, small_text):
    path = tmp_path_factory.mktemp("sensitivity") / "small.yaml"
    path.write_text(small_text)
    return path


@pytest.fixture(scope="module")
def morris_result(module_path):
    return _morris(module_path)


def test_morris_ranks_severity_first(morris_result):
    res = morris_result
    idx = res.indices
    assert list(idx.columns) == ["mu_star", "mu_star_conf", "sigma"]
    assert list(idx.index) == [SEVERITY, BOOM]
    assert idx.loc[SEVERITY, "mu_star"] > 0
    assert idx.loc[BOOM, "mu_star"] < 1e-9  # the antimony boom cannot move gallium prices
    assert idx["mu_star"].is_monotonic_decreasing
    assert res.X.shape == (4 * 3, 2)  # 4 trajectories of (parameters + 1) points
    assert res.Y.shape == (12,)
    assert np.all(np.isfinite(res.Y))
    assert res.X[:, 0].min() >= 0.1 and res.X[:, 0].max() <= 1.0
    assert (res.method, res.metric, res.commodity, res.bloc) == (
        "morris",
        "peak_price_multiple",
        "gallium",
        "alliance",
    )


def test_morris_is_deterministic(module_path, morris_result):
    again = _morris(module_path)
    pd.testing.assert_frame_equal(again.indices, morris_result.indices)
    np.testing.assert_array_equal(again.Y, morris_result.Y)


def test_sobol_smoke(small_path):
    res = sensitivity(
        small_path,
        [Parameter(SEVERITY, 0.1, 1.0)],
        method="sobol",
        samples=8,
        reps=1,
        seed=3,
        sets=FAST,
        executor="inline",
        **TARGET,
    )
    assert list(res.indices.columns) == ["S1", "S1_conf", "ST", "ST_conf"]
    assert list(res.indices.index) == [SEVERITY]
    assert res.X.shape == (8 * 3, 1)  # N * (D + 2) without second order
    assert res.indices.loc[SEVERITY, "ST"] > 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"method": "fast"}, "unknown sensitivity method"),
        ({"parameters": []}, "at least one parameter"),
        ({"samples": 1}, "samples >= 2"),
        ({"commodity": "tin"}, "no commodity 'tin'"),
        ({"bloc": "moon"}, "no bloc 'moon'"),
        ({"metric": "nope"}, "no metric 'nope'"),
    ],
)
def test_sensitivity_rejects(small_path, kwargs, message):
    args = {
        "parameters": [Parameter(SEVERITY, 0.1, 1.0)],
        "method": "morris",
        "samples": 2,
        "reps": 1,
        "sets": FAST,
        "executor": "inline",
        **TARGET,
        **kwargs,
    }
    with pytest.raises(ValueError, match=message):
        sensitivity(small_path, **args)


def test_duplicate_parameter_rejected(small_path):
    p = Parameter(SEVERITY, 0.1, 1.0)
    with pytest.raises(ValueError, match="more than once"):
        sensitivity(small_path, [p, p], samples=2, reps=1, sets=FAST, executor="inline", **TARGET)


def test_tornado_writes_png_and_svg(morris_result, tmp_path):
    paths = tornado(morris_result, tmp_path / "figs" / "tornado")
    assert [p.suffix for p in paths] == [".png", ".svg"]
    for p in paths:
        assert p.exists() and p.stat().st_size > 0
    svg = paths[1].read_text()
    assert "Morris" in svg or "morris" in svg.lower()


def test_sensitivity_command_writes_indices_runs_and_tornado(small_path, tmp_path):
    from click.testing import CliRunner

    from sim.cli import cli

    out = tmp_path / "sa"
    result = CliRunner().invoke(
        cli,
        [
            "sensitivity",
            str(small_path),
            "--param",
            "disruptions.ga-control.severity=0.1:1.0",
            "--param",
            "disruptions.boom.change=0.0:0.5",
            "--commodity",
            "gallium",
            "--bloc",
            "alliance",
            "--samples",
            "2",
            "--reps",
            "2",
            "--executor",
            "inline",
            "--set",
            "horizon.step=month",
            "--set",
            "horizon.years=2",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    indices = pd.read_csv(out / "indices.csv")
    assert indices.parameter.iloc[0] == "disruptions.ga-control.severity"
    runs = pd.read_csv(out / "runs.csv")
    assert len(runs) == 2 * 3  # Morris: trajectories x (parameters + 1)
    assert (out / "plots" / "tornado.png").is_file()


def test_sensitivity_command_rejects_a_bad_range(small_path):
    from click.testing import CliRunner

    from sim.cli import cli

    result = CliRunner().invoke(
        cli,
        [
            "sensitivity",
            str(small_path),
            "--param",
            "disruptions.ga-control.severity=1.0:0.1",
            "--commodity",
            "gallium",
            "--bloc",
            "alliance",
        ],
    )
    assert result.exit_code == 2
    assert "disruptions.ga-control.severity=1.0:0.1" in result.stderr


def test_sensitivity_checks_names_before_running(small_path, monkeypatch):
    import sim.experiment.sensitivity as module

    def boom(*args, **kwargs):
        raise AssertionError("ran before checking the names")

    monkeypatch.setattr(module, "run_sweep", boom)
    with pytest.raises(ValueError, match=r"no metric 'shortfal_t' .*did you mean 'shortfall_t'"):
        sensitivity(
            small_path,
            [Parameter(SEVERITY, 0.1, 1.0)],
            samples=2,
            reps=1,
            sets=FAST,
            executor="inline",
            **{**TARGET, "metric": "shortfal_t"},
        )


def test_sensitivity_keeps_every_metric_and_runs_every_option(tmp_path, reserve_text):
    from click.testing import CliRunner

    from sim.cli import cli

    path = tmp_path / "reserve.yaml"
    path.write_text(reserve_text)
    out = tmp_path / "sa"
    result = CliRunner().invoke(
        cli,
        [
            "sensitivity",
            str(path),
            "--param",
            f"{SEVERITY}=0.1:1.0",
            "--commodity",
            "gallium",
            "--bloc",
            "alliance",
            "--all-options",
            "--samples",
            "2",
            "--reps",
            "2",
            "--executor",
            "inline",
            *[a for s in FAST for a in ("--set", s)],
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    indices = pd.read_csv(out / "indices.csv")
    assert set(indices.option) == {"do-nothing", "reserve"}
    assert list(indices.columns[:7]) == [
        "option",
        "commodity",
        "bloc",
        "parameter",
        "metric",
        "unit",
        "currency",
    ]
    runs = pd.read_csv(out / "runs.csv")
    assert len(runs) == 2 * 2 * 2  # options x trajectories x (parameters + 1)
    outcomes = pd.read_csv(out / "outcomes.csv")
    assert {"peak_price_multiple", "shortfall_t", "social_cost", "fiscal_cost"} <= set(
        outcomes.metric
    )
    assert set(outcomes.run) == set(range(4))
    # the analysed output is the outcome table's mean for that metric, commodity and bloc
    picked = outcomes[
        (outcomes.option == "reserve")
        & (outcomes.metric == "peak_price_multiple")
        & (outcomes.commodity == "gallium")
        & (outcomes.bloc == "alliance")
    ].sort_values("run")
    mine = runs[runs.option == "reserve"].sort_values("run")
    np.testing.assert_allclose(picked["mean"].to_numpy(), mine["mean"].to_numpy(), rtol=1e-5)
    assert {p.name for p in (out / "plots").iterdir()} >= {
        "tornado_reserve.png",
        "tornado_do-nothing.png",
    }
