"""Scenario discovery: PRIM finds the drawn conditions of failure; the command's errors."""

from __future__ import annotations

import json
import sys

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from sim.cli import cli
from sim.results import discovery as sd
from sim.results.experiments import Experiments

pytest.importorskip("ema_workbench", reason="scenario discovery needs the 'discovery' extra")


def synthetic(n: int = 1000, seed: int = 1) -> Experiments:
    """Failure is exactly 'onset < 24 and duration > 6' (months); severity and the count are
    noise, and a disruption that never occurred has no onset (NaN), as in experiments.csv."""
    rng = np.random.default_rng(seed)
    onset = rng.uniform(0, 60, n)
    duration = rng.uniform(0, 18, n)
    fail = (onset < 24) & (duration > 6)
    never = rng.uniform(size=n) < 0.1
    onset[never & ~fail] = np.nan
    cost = np.where(fail, 10 + rng.uniform(size=n), rng.uniform(0, 5, n))
    frame = pd.DataFrame(
        {
            "option": "reserve",
            "replication": np.arange(n),
            "cut:onset": onset,
            "cut:duration": duration,
            "cut:severity": rng.uniform(size=n),
            "cut:occurrences": rng.integers(0, 3, n),
            "social_cost": cost,
        }
    )
    units = {"cut:onset": "months from 2026-01", "cut:duration": "months", "social_cost": "USD PV"}
    drawn = ["cut:onset", "cut:duration", "cut:severity", "cut:occurrences"]
    return Experiments(frame, units, drawn, ["social_cost"])


def test_prim_recovers_the_box_of_failure():
    d = sd.discover(synthetic(), "reserve", "social_cost", threshold=7, horizon_months=60)
    box = d.boxes[0]
    assert box.dense and box.density >= 0.9 and box.coverage >= 0.9
    limits = box.limits.set_index("variable")
    assert set(limits.index) == {"cut:onset", "cut:duration"}  # the noise is left alone
    assert limits.at["cut:onset", "upper"] == pytest.approx(24, abs=1.5)
    assert limits.at["cut:onset", "lower"] == limits.at["cut:onset", "minimum"]  # one-sided
    assert limits.at["cut:duration", "lower"] == pytest.approx(6, abs=0.75)
    assert limits.at["cut:duration", "upper"] == limits.at["cut:duration", "maximum"]
    assert d.failures == int((synthetic().frame.social_cost > 7).sum())
    text = d.text()
    assert "cut:onset <= 2" in text and "cut:duration >= " in text


def test_quantile_threshold_and_tables():
    d = sd.discover(synthetic(), "reserve", "social_cost", quantile=0.9, horizon_months=60)
    assert d.failures == 100 and d.threshold == pytest.approx(
        np.quantile(synthetic().frame.social_cost, 0.9)
    )
    boxes = d.boxes_table()
    assert {"coverage", "density", "mass", "lower", "upper", "unit"} <= set(boxes.columns)
    trajectory = d.trajectory_table()
    assert trajectory.kept.sum() == len(d.boxes)
    first = trajectory[trajectory.box == 1]
    assert first.mass.iloc[0] == 1.0 and first.coverage.iloc[0] == 1.0  # from the whole space
    kept = first[first.kept].iloc[0]
    assert (kept.coverage, kept.density, kept.mass) == pytest.approx(
        (d.boxes[0].coverage, d.boxes[0].density, d.boxes[0].mass)
    )


def test_restrictions_that_chance_made_are_dropped():
    """On 300 noisy replications (failures 85% likely inside the box, 5% anywhere) peeling
    also restricts a variable that has nothing to do with failure; its quasi-p value is high
    and the restriction goes, the two real ones stay."""
    rng = np.random.default_rng(3)
    n = 300
    onset, duration = rng.uniform(0, 60, n), rng.uniform(0, 18, n)
    inside = (onset < 24) & (duration > 6)
    fail = (inside & (rng.uniform(size=n) < 0.85)) | (rng.uniform(size=n) < 0.05)
    frame = pd.DataFrame(
        {
            "option": "reserve",
            "replication": np.arange(n),
            "cut:onset": onset,
            "cut:duration": duration,
            "cut:severity": rng.uniform(size=n),
            "other:onset": rng.uniform(0, 60, n),
            "social_cost": np.where(fail, 10.0, 1.0),
        }
    )
    drawn = ["cut:onset", "cut:duration", "cut:severity", "other:onset"]
    ex = Experiments(frame, {}, drawn, ["social_cost"])
    kept_all = sd.discover(ex, "reserve", "social_cost", threshold=5, significance=1.0)
    pruned = sd.discover(ex, "reserve", "social_cost", threshold=5)
    assert set(kept_all.boxes[0].limits.variable) == {"cut:onset", "cut:duration", "other:onset"}
    assert set(pruned.boxes[0].limits.variable) == {"cut:onset", "cut:duration"}
    trajectory = pruned.trajectory_table()
    assert trajectory.dropped[trajectory.kept].tolist() == ["other:onset"]


def test_nothing_failing_or_everything_failing_is_refused():
    ex = synthetic()
    with pytest.raises(ValueError, match="nothing fails"):
        sd.discover(ex, "reserve", "social_cost", threshold=1e9)
    with pytest.raises(ValueError, match="every replication of reserve"):
        sd.discover(ex, "reserve", "social_cost", threshold=-1)
    with pytest.raises(ValueError, match="not both"):
        sd.discover(ex, "reserve", "social_cost", threshold=1, quantile=0.5)


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory, reserve_text):
    folder = tmp_path_factory.mktemp("discover")
    path = folder / "reserve.yaml"
    path.write_text(reserve_text)
    out = folder / "run"
    args = ["compare", str(path), "--reps", "60", "--seed", "4", "--out", str(out), "--no-plots"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    return out


def test_discover_writes_boxes_trajectory_and_figure(run_folder):
    args = ["discover", str(run_folder), "--option", "reserve"]
    args += ["--metric", "peak_price_multiple:antimony:alliance", "--quantile", "0.5"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    out = run_folder / "discovery" / "reserve-peak_price_multiple-antimony-alliance"
    assert f"wrote {out}" in result.output
    names = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert {"boxes.csv", "boxes.txt", "trajectory.csv", "manifest.json"} <= names
    assert {"plots/peeling.png", "plots/peeling.svg"} <= names
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["failures"] == 30 and manifest["replications"] == 60
    assert "box 1: coverage" in result.output
    # a second run beside it takes the next name, never the first one's folder
    again = CliRunner().invoke(cli, args)
    assert again.exit_code == 0 and (out.parent / (out.name + "-2")).is_dir()


@pytest.mark.parametrize(
    "args, message",
    [
        (["--option", "nope", "--metric", "social_cost"], "no option 'nope' in"),
        (["--option", "reserve", "--metric", "nope"], "no outcome 'nope' in"),
        (["--option", "reserve", "--metric", "social_cost", "--quantile", "2"], "--quantile"),
    ],
)
def test_bad_option_or_metric_exits_2(run_folder, args, message):
    result = CliRunner().invoke(cli, ["discover", str(run_folder), *args])
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output
    assert not (run_folder / "discovery" / "nope-social_cost").exists()


def test_missing_folder_or_table_exits_2(tmp_path):
    args = ["--option", "a", "--metric", "social_cost"]
    result = CliRunner().invoke(cli, ["discover", str(tmp_path / "nothere"), *args])
    assert result.exit_code == 2
    assert "nothere does not exist" in result.output
    result = CliRunner().invoke(cli, ["discover", str(tmp_path), *args])
    assert result.exit_code == 2
    assert "has no experiments.csv" in result.output


def test_missing_ema_workbench_names_the_pip_command(run_folder, monkeypatch):
    monkeypatch.setitem(sys.modules, "ema_workbench", None)  # import fails
    monkeypatch.setitem(sys.modules, "ema_workbench.analysis", None)
    with pytest.raises(sd.MissingDiscovery, match=r"pip install 'minsim\[discovery\]'"):
        sd.import_prim()
    args = ["discover", str(run_folder), "--option", "reserve", "--metric", "social_cost"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1
    assert "pip install 'minsim[discovery]'" in result.output
