"""The command line as an analyst uses it: exit codes, messages, run folders, byte-identical CSV."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from click.testing import CliRunner

from sim.cli import cli


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_validate_accepts_a_good_file(runner, small_path):
    result = runner.invoke(cli, ["validate", str(small_path)])
    assert result.exit_code == 0
    assert result.output == f"{small_path}: ok\n"


def test_bad_file_exits_2_with_located_messages_and_no_traceback(runner, tmp_path, small_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(small_path.read_text().replace("step: week", "stpe: week"))
    result = runner.invoke(cli, ["validate", str(bad)])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"{bad}:2:37: horizon.stpe: unknown key 'stpe'; did you mean 'step'?",
        "minsim: 1 problem found",
    ]
    assert "Traceback" not in result.output


def test_bad_set_value_is_located_on_the_command_line(runner, small_path):
    result = runner.invoke(
        cli, ["validate", str(small_path), "--set", "disruptions.ga-control.severity=1.5"]
    )
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0] == (
        "--set disruptions.ga-control.severity=1.5: disruptions.ga-control.severity: "
        "must be at most 1 (got 1.5)"
    )


def test_show_prints_the_baseline_diagnostics(runner, small_path):
    result = runner.invoke(cli, ["show", str(small_path)])
    assert result.exit_code == 0, result.output
    assert "#   gallium: HHI mining 9,604, refining 9,034; import reliance alliance 92%" in (
        result.output
    )


def test_show_prints_the_resolved_scenario(runner, small_path):
    result = runner.invoke(cli, ["show", str(small_path), "--set", "horizon.years=7"])
    assert result.exit_code == 0
    assert "# --set horizon.years=7" in result.output
    assert "  years: 7\n" in result.output


def test_schema_is_json_with_the_scenario_keys(runner):
    result = runner.invoke(cli, ["schema"])
    schema = json.loads(result.output)
    assert {"horizon", "blocs", "commodities", "disruptions", "extends"} <= set(
        schema["properties"]
    )


def _run(runner, path, out, *extra):
    result = runner.invoke(
        cli, ["run", str(path), "--reps", "12", "--seed", "5", "--out", str(out), *extra]
    )
    assert result.exit_code == 0, result.output
    return result


def test_run_writes_a_complete_folder(runner, small_path, tmp_path):
    out = tmp_path / "run"
    result = _run(runner, small_path, out)
    assert f"wrote {out}" in result.output
    names = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert {"scenario.yaml", "manifest.json", "summary.csv", "timeseries.nc"} <= names
    for fig in ("prices", "supply_shortfall", "stocks"):
        assert {f"plots/{fig}.png", f"plots/{fig}.svg"} <= names
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 5 and manifest["replications"] == 12
    assert manifest["max_mass_balance_error"] < 1e-9
    header = (out / "summary.csv").read_text().splitlines()[0]
    assert header == "option,commodity,bloc,metric,unit,mean,p5,p50,p95"
    # 2 commodities x 3 blocs x (13 metrics and the CVaR95 of social cost), the diagnostics
    # (per commodity: 2 stages x 3 HHI rows, 3 blocs x 2 import-reliance rows), the money
    # totals over commodities per bloc (4 and the CVaR) and over everything (6 and the CVaR)
    rows = len((out / "summary.csv").read_text().splitlines())
    assert rows == 1 + 2 * 3 * (13 + 1) + 2 * 12 + 3 * (4 + 1) + (6 + 1)
    assert not list(tmp_path.glob("*.run-tmp"))


def test_same_seed_gives_byte_identical_summary(runner, small_path, tmp_path):
    _run(runner, small_path, tmp_path / "a", "--no-plots")
    _run(runner, small_path, tmp_path / "b", "--no-plots", "--block-size", "5")
    a = (tmp_path / "a" / "summary.csv").read_bytes()
    b = (tmp_path / "b" / "summary.csv").read_bytes()
    assert a == b


def test_executors_give_byte_identical_summaries(runner, small_path, tmp_path):
    _run(runner, small_path, tmp_path / "inline", "--no-plots", "--executor", "inline")
    _run(
        runner,
        small_path,
        tmp_path / "procs",
        "--no-plots",
        "--executor",
        "processes",
        "--workers",
        "2",
        "--block-size",
        "4",
    )
    a = (tmp_path / "inline" / "summary.csv").read_bytes()
    b = (tmp_path / "procs" / "summary.csv").read_bytes()
    assert a == b


def test_run_refuses_to_overwrite(runner, small_path, tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    result = runner.invoke(cli, ["run", str(small_path), "--reps", "2", "--out", str(out)])
    assert result.exit_code == 2
    assert "already exists" in result.stderr


def test_python_dash_m_works(small_path):
    proc = subprocess.run(
        [sys.executable, "-m", "sim", "validate", str(small_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"{small_path}: ok"


def test_shipped_scenarios_validate(runner):
    root = Path(__file__).resolve().parents[1] / "scenarios"
    files = sorted(str(p) for p in root.rglob("*.yaml"))
    assert files, "no shipped scenarios found"
    result = runner.invoke(cli, ["validate", *files])
    assert result.exit_code == 0, result.output


class _Terminal:
    def __init__(self, tty: bool):
        self.text, self.tty = "", tty

    def write(self, s):
        self.text += s

    def flush(self):
        pass

    def isatty(self):
        return self.tty


@pytest.mark.parametrize("tty", [True, False])
def test_progress_bar_draws_on_a_terminal_only(monkeypatch, tty):
    from sim.cli import _ProgressBar

    term = _Terminal(tty)
    monkeypatch.setattr(sys, "stderr", term)
    bar = _ProgressBar("simulating")
    for done in range(1, 5):
        bar(done, 4)
    if tty:
        assert term.text.count("\r") == 4
        assert term.text.endswith("simulating [" + "#" * 30 + "] 4/4 blocks\n")
    else:
        assert term.text == ""


def test_keep_replications_writes_every_path(runner, small_path, tmp_path):
    out = tmp_path / "run"
    _run(runner, small_path, out, "--no-plots", "--keep-replications", "--block-size", "5")
    ds = xr.open_dataset(out / "timeseries.nc", engine="scipy")
    assert ds["price_path"].dims == ("option", "replication", "time", "commodity", "bloc")
    assert ds.sizes["replication"] == 12
    # with every replication kept, the fan is the exact quantile of the paths
    exact = ds["price_path"].quantile(0.95, dim="replication").values
    np.testing.assert_allclose(ds["price"].sel(quantile=0.95).values, exact, rtol=1e-12)
    ds.close()


def test_backtest_exits_0_when_every_episode_passes(runner, tmp_path):
    result = runner.invoke(
        cli, ["backtest", "ree-2010", "lithium-2021", "--reps", "3", "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    assert "ree-2010/nd-oxide" in result.stdout and "FAIL" not in result.stdout
    assert result.stdout.rstrip().endswith("all episodes pass")
    assert (tmp_path / "backtest-ree-2010.png").exists()
    assert (tmp_path / "backtest-lithium-2021.svg").exists()


def test_backtest_exits_1_when_an_episode_fails(runner, tmp_path, monkeypatch):
    """An episode whose recorded peak came within a month (gallium's rise, squeezed) fails its
    time to peak."""
    from sim.experiment import backtest

    history = tmp_path / "scenarios" / "history"  # a scenarios/ tree: history/ may reach base/
    shutil.copytree(backtest.HISTORY.parent / "base", tmp_path / "scenarios" / "base")
    history.mkdir()
    text = (backtest.HISTORY / "gallium-2023.yaml").read_text()
    text = text.replace("      months_to_peak: null", "      months_to_peak: 1 #", 1)
    (history / "gallium-fast.yaml").write_text(text)
    monkeypatch.setattr(backtest, "HISTORY", history)
    monkeypatch.setattr(backtest.select, "__defaults__", ((), history))
    result = runner.invoke(cli, ["backtest", "gallium-fast", "--reps", "3", "--no-plots"])
    assert result.exit_code == 1, result.output
    assert "FAIL (time)" in result.stdout
    assert result.stdout.rstrip().endswith("failed: gallium-fast")
    assert "Traceback" not in result.output


def test_backtest_unknown_episode_exits_2_listing_the_available_ones(runner):
    result = runner.invoke(cli, ["backtest", "ree-2010", "ree-2011"])
    assert result.exit_code == 2
    assert result.stderr == (
        "minsim: error: unknown episode 'ree-2011'; available: gallium-2023, germanium-2023, "
        "graphite-2023, lithium-2021, nickel-2014, nickel-2020, ree-2010\n"
    )


def _warnings(runner, path, out, *sets) -> list[str]:
    """The warning lines of a short run (4 replications, no figures) with `--set`s."""
    extra = [x for v in sets for x in ("--set", v)]
    result = runner.invoke(
        cli, ["run", str(path), "--reps", "4", "--no-plots", "--out", str(out), *extra]
    )
    assert result.exit_code == 0, result.output
    return [line for line in result.output.splitlines() if line.startswith("warning:")]


def test_run_says_where_a_price_reached_the_guard(runner, small_path, tmp_path):
    # a guard of 2x is reached by the gallium control; nothing else comes near it
    warned = _warnings(
        runner, small_path, tmp_path / "r", "+commodities.gallium.price.choke_multiple=2"
    )
    assert warned and all("the gallium price in alliance reached the 2x guard" in w for w in warned)
    assert "lower bound, not a market price" in warned[0]
    assert _warnings(runner, small_path, tmp_path / "q") == []


def test_run_says_when_a_disruption_moves_no_price(runner, small_path, tmp_path):
    warned = _warnings(runner, small_path, tmp_path / "r", "disruptions.ga-control.severity=0.001")
    assert any(w.startswith("warning: ga-control moved no price") for w in warned), warned
    assert _warnings(runner, small_path, tmp_path / "q") == []


def test_a_failing_figure_never_loses_the_run(runner, tmp_path, reserve_text, monkeypatch):
    """compare draws after the tables are written; a figure that raises is reported and the
    folder completes, with the report's failure noted beside it."""
    import sim.plots.compare as figures

    def broken(*args, **kwargs):
        raise ValueError("'xerr' must not contain negative values")

    monkeypatch.setattr(figures, "save_comparison_figures", broken)
    path = tmp_path / "reserve.yaml"
    path.write_text(reserve_text)
    out = tmp_path / "cmp"
    result = runner.invoke(cli, ["compare", str(path), "--reps", "6", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert (
        "warning: the figures failed (ValueError: 'xerr' must not contain negative values); "
        "the tables are complete; details in plots/FAILED.txt"
    ) in result.stderr
    for name in ("summary.csv", "differences.csv", "manifest.json", "report.html"):
        assert (out / name).is_file(), name
    assert "ValueError" in (out / "plots" / "FAILED.txt").read_text()
    assert f"wrote {out}" in result.stdout
