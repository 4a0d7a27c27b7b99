"""The command line as an analyst uses it: exit codes, messages, run folders, byte-identical CSV."""

from __future__ import annotations

import errno
import glob
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import namedtuple
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
    assert header == "option,commodity,bloc,metric,unit,currency,mean,p5,p50,p95"
    # 2 commodities x 3 blocs x (13 metrics and the CVaR95 of social cost), the diagnostics
    # (per commodity: 2 stages x 3 HHI rows, 3 blocs x 2 import-reliance rows), the money
    # totals over commodities per bloc (4 and the CVaR) and over everything (6 and the CVaR)
    rows = len((out / "summary.csv").read_text().splitlines())
    assert rows == 1 + 2 * 3 * (13 + 1) + 2 * 12 + 3 * (4 + 1) + (6 + 1)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run", "small.yaml"]  # no partial


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
    kept = xr.open_dataset(out / "replications.nc", engine="h5netcdf")
    ds = xr.open_dataset(out / "timeseries.nc", engine="scipy")
    assert kept["price_path"].dims == ("option", "replication", "time", "commodity", "bloc")
    assert kept.sizes["replication"] == 12
    assert kept["price_path"].attrs["units"] == "USD/t"
    assert (kept["time"].values == ds["time"].values).all()
    assert "price_path" not in ds  # the summaries stay small
    # with every replication kept, the fan is the exact quantile of the paths
    exact = kept["price_path"].quantile(0.95, dim="replication").values
    np.testing.assert_allclose(ds["price"].sel(quantile=0.95).values, exact, rtol=1e-12)
    np.testing.assert_allclose(ds["price_mean"].values, kept["price_path"].mean("replication"))
    ds.close()
    kept.close()
    assert not list(tmp_path.glob(".*partial"))  # no partial folder left


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


@pytest.mark.parametrize("names", [[], ["ree-2010"]])
def test_backtest_with_no_episode_to_score_exits_1_and_says_so(
    runner, tmp_path, monkeypatch, names
):
    """A wheel without its episodes once printed an empty table and "all episodes pass"."""
    from sim.experiment import backtest

    empty = tmp_path / "history"
    empty.mkdir()
    monkeypatch.setattr(backtest, "HISTORY", empty)
    monkeypatch.setattr(backtest.select, "__defaults__", ((), empty))
    for command in ("backtest", "calibrate"):
        result = runner.invoke(cli, [command, *names, "--reps", "2"])
        assert result.exit_code == 1, result.output
        assert result.stdout == ""
        assert result.stderr == (
            f"minsim: error: no episode to score: {empty} holds no scenario (*.yaml); a "
            "back-test of nothing cannot pass\n"
        )


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
    assert any(w.startswith("warning: ga-control moved nothing") for w in warned), warned
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


# --- run folders: claimed before the work, written whole, never mixed (issue 15) ---

ROOT = Path(__file__).resolve().parents[1]

# The CLI with trade_csv (written after summary.csv) slowed down, so that a signal lands
# mid-write: argv[1] is a file it creates when the write has begun.
MID_WRITE = """
import pathlib, sys, time
import sim.results.io as io
real = io.trade_csv
def slow(results):
    pathlib.Path(sys.argv[1]).write_text("writing")
    time.sleep(60)
    return real(results)
io.trade_csv = slow
from sim.cli import cli
cli(sys.argv[2:], prog_name="minsim")
"""


def _env() -> dict:
    return {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }


def _visible(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))


def test_two_cli_runs_into_one_out_one_is_refused_and_the_folder_is_the_winners(
    small_path, tmp_path
):
    """Two `minsim run` processes started together with seeds 1 and 2: one writes, the other
    exits 2 at its claim, and manifest, summary and series are all the winner's."""
    import sim
    from sim.results.io import summary_csv

    out = tmp_path / "run"
    args = ["run", str(small_path), "--reps", "2", "--no-plots", "--executor", "inline"]
    procs = {
        seed: subprocess.Popen(
            [sys.executable, "-m", "sim", *args, "--seed", str(seed), "--out", str(out)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=_env(),
        )
        for seed in (1, 2)
    }
    done = {seed: (p.wait(timeout=120), p.stderr.read()) for seed, p in procs.items()}
    for p in procs.values():
        p.stdout.close()
        p.stderr.close()
    assert sorted(rc for rc, _ in done.values()) == [0, 2], done
    (winner,) = [seed for seed, (rc, _) in done.items() if rc == 0]
    (loser,) = {1, 2} - {winner}
    assert (
        f"minsim: error: {out} already exists (or another run is writing it); choose another "
        "--out or remove it"
    ) in done[loser][1]
    assert json.loads((out / "manifest.json").read_text())["seed"] == winner
    expected = summary_csv([sim.run(sim.load(small_path), reps=2, seed=winner)])
    assert (out / "summary.csv").read_text() == expected
    with xr.open_dataset(out / "timeseries.nc", engine="scipy") as ds:
        assert ds.attrs["seed"] == winner
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run", "small.yaml"]


def _killed_mid_write(small_path, tmp_path, sig):
    """Start a run, wait until its write has begun, send `sig`; the exit status and stderr."""
    began = tmp_path / "began"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            MID_WRITE,
            str(began),
            "run",
            str(small_path),
            "--reps",
            "2",
            "--no-plots",
            "--executor",
            "inline",
            "--out",
            str(tmp_path / "runs" / "r"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
    )
    deadline = time.monotonic() + 120
    while not began.exists():
        assert proc.poll() is None, proc.stderr.read()
        assert time.monotonic() < deadline, "the write never began"
        time.sleep(0.05)
    partial = [p for p in (tmp_path / "runs").iterdir() if p.name.endswith(".partial")]
    assert len(partial) == 1 and (partial[0] / "r" / "summary.csv").is_file()  # half-written
    proc.send_signal(sig)
    rc = proc.wait(timeout=60)
    err = proc.stderr.read()
    proc.stderr.close()
    return rc, err


def test_sigterm_during_the_write_leaves_nothing(small_path, tmp_path):
    rc, err = _killed_mid_write(small_path, tmp_path, signal.SIGTERM)
    assert rc == 143, err
    assert err.endswith("minsim: interrupted; nothing was written\n")
    assert "Traceback" not in err
    assert list((tmp_path / "runs").iterdir()) == []  # neither the run folder nor its partial


def test_sigkill_during_the_write_leaves_nothing_a_results_glob_finds(small_path, tmp_path):
    """SIGKILL cannot be cleaned up: what is left is the empty claim and a hidden partial
    folder, which `runs/*/summary.csv` does not match."""
    rc, _ = _killed_mid_write(small_path, tmp_path, signal.SIGKILL)
    assert rc == -signal.SIGKILL
    runs = tmp_path / "runs"
    assert list(runs.glob("*/summary.csv")) == []  # pathlib's glob matches dot-names too
    assert glob.glob(str(runs / "*" / "summary.csv")) == []
    assert _visible(runs) == ["r"] and list((runs / "r").iterdir()) == []
    assert [p.name.endswith(".partial") for p in runs.glob(".*")] == [True]


def test_sigterm_is_handled_like_ctrl_c_and_the_handler_restored(
    runner, small_path, tmp_path, monkeypatch
):
    import sim.results.io as io

    def terminated(signum, frame):  # a stand-in for whatever handler the caller had
        raise AssertionError("the CLI did not handle SIGTERM")

    def slow(results):
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(30)  # interrupted by the handler

    monkeypatch.setattr(io, "trade_csv", slow)
    previous = signal.signal(signal.SIGTERM, terminated)
    try:
        out = tmp_path / "run"
        result = runner.invoke(
            cli, ["run", str(small_path), "--reps", "2", "--no-plots", "--out", str(out)]
        )
        assert signal.getsignal(signal.SIGTERM) is terminated
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert result.exit_code == 143, result.output
    assert result.stderr.endswith("minsim: interrupted; nothing was written\n")
    assert _visible(tmp_path) == ["small.yaml"] and _visible(tmp_path) == sorted(
        p.name for p in tmp_path.iterdir()
    )


def test_a_full_disk_while_writing_exits_1_and_leaves_nothing(
    runner, small_path, tmp_path, monkeypatch
):
    import sim.results.io as io

    def full(results):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(io, "trade_csv", full)
    out = tmp_path / "run"
    result = runner.invoke(
        cli, ["run", str(small_path), "--reps", "2", "--no-plots", "--out", str(out)]
    )
    assert result.exit_code == 1
    assert result.stderr.endswith(
        f"minsim: error: could not write {out}: No space left on device; nothing was written; "
        "free some space or choose another --out\n"
    )
    assert "Traceback" not in result.output and "internal error" not in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["small.yaml"]


def test_foreign_temporary_folders_are_never_deleted(runner, small_path, tmp_path):
    """Another run's partial folder, or the old <out>.run-tmp with files in it, survive a
    run into the same --out."""
    foreign = [tmp_path / "run.run-tmp", tmp_path / ".run.0badc0de.partial"]
    for f in foreign:
        f.mkdir()
        (f / "summary.csv").write_text("someone else's\n")
    out = tmp_path / "run"
    result = runner.invoke(
        cli, ["run", str(small_path), "--reps", "2", "--no-plots", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert (out / "manifest.json").is_file()
    for f in foreign:
        assert (f / "summary.csv").read_text() == "someone else's\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["run", "small.yaml", *(f.name for f in foreign)]
    )


# each command that writes to --out, and the function that would start its work
WRITERS = {
    "run": (["run", "{small}", "--reps", "2"], "sim.experiment.run_replications"),
    "compare": (["compare", "{small}", "--reps", "2"], "sim.experiment.compare.compare_options"),
    "sweep": (
        ["sweep", "{small}", "--sweep", "disruptions.ga-control.severity=0.5,0.6", "--reps", "2"],
        "sim.experiment.sweep.run_sweep",
    ),
    "sensitivity": (
        [
            "sensitivity",
            "{small}",
            "--param",
            "disruptions.ga-control.severity=0.2:1.0",
            "--commodity",
            "gallium",
            "--bloc",
            "alliance",
            "--reps",
            "2",
        ],
        "sim.experiment.sensitivity.sensitivity",
    ),
    "calibrate": (
        ["calibrate", "ree-2010", "--reps", "2", "--grid", "stock_days=30,60"],
        "sim.experiment.calibrate.run_grid",
    ),
    "backtest": (["backtest", "ree-2010", "--reps", "2"], "sim.experiment.backtest.run_episode"),
}


def _refused_before_work(runner, monkeypatch, command, small_path, out) -> str:
    """Invoke `command` into `out` with its work replaced by a failure; it must exit 2
    without starting. Returns stderr."""
    args, work = WRITERS[command]
    started = []
    monkeypatch.setattr(work, lambda *a, **k: started.append(1))
    argv = [a.format(small=small_path) for a in args] + ["--out", str(out)]
    result = runner.invoke(cli, argv)
    assert result.exit_code == 2, result.output
    assert started == [], f"{command} started its work"
    assert "Traceback" not in result.output
    return result.stderr


@pytest.mark.parametrize("command", list(WRITERS))
def test_an_out_under_a_file_is_refused_before_the_work(
    runner, small_path, tmp_path, monkeypatch, command
):
    (tmp_path / "file").write_text("")
    out = tmp_path / "file" / "out"
    err = _refused_before_work(runner, monkeypatch, command, small_path, out)
    assert err == (
        f"minsim: error: cannot write {out}: {tmp_path / 'file'} is a file, not a folder; "
        "choose another --out\n"
    )


@pytest.mark.parametrize("command", ["run", "backtest"])
def test_a_read_only_folder_is_refused_before_the_work(
    runner, small_path, tmp_path, monkeypatch, command
):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        if os.access(ro, os.W_OK):  # root ignores the mode: say the folder is read-only
            real = os.access
            monkeypatch.setattr(os, "access", lambda p, m, **k: Path(p) != ro and real(p, m, **k))
        out = ro / "out"
        err = _refused_before_work(runner, monkeypatch, command, small_path, out)
    finally:
        ro.chmod(0o755)
    assert err == (
        f"minsim: error: cannot write {out}: {ro} is not writable (read-only or no permission); "
        "choose another --out\n"
    )
    assert list(ro.iterdir()) == []


def test_too_little_room_is_refused_before_the_work(runner, small_path, tmp_path, monkeypatch):
    import sim.results.io as io

    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(io.shutil, "disk_usage", lambda path: usage(10**9, 10**9 - 10**5, 10**5))
    err = _refused_before_work(runner, monkeypatch, "run", small_path, tmp_path / "out")
    assert f"{tmp_path} has 100.0 kB free and the output needs about " in err
    assert err.endswith("(estimated); free some space or choose another --out\n")
    assert not (tmp_path / "out").exists()


@pytest.fixture
def tmpfs(tmp_path):
    """A 2 MB tmpfs, where this process may mount one (root on Linux); else a skip."""
    disk = tmp_path / "disk"
    disk.mkdir()
    if not sys.platform.startswith("linux") or os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("mounting a tmpfs needs root on Linux")
    mount = ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(disk)]
    if subprocess.run(mount, capture_output=True, check=False).returncode:
        pytest.skip("this machine does not allow mounting a tmpfs")
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def _fill(disk: Path, leave: int) -> None:
    free = shutil.disk_usage(disk).free
    with open(disk / "filler", "ab") as f:
        f.write(b"\0" * max(free - leave, 0))


def test_a_real_full_or_read_only_disk(runner, small_path, tmpfs, monkeypatch):
    """On a real 2 MB tmpfs: too little room is refused before the work (exit 2), a disk
    that fills during the run fails the write (exit 1) leaving nothing, and a read-only
    mount is refused before the work."""
    import importlib

    study = importlib.import_module("sim.studies.run")  # the module, not the function
    out = tmpfs / "run"
    args = ["run", str(small_path), "--reps", "2", "--no-plots", "--out", str(out)]
    _fill(tmpfs, 100_000)
    result = runner.invoke(cli, args)
    assert result.exit_code == 2, result.output
    assert "kB free and the output needs about" in result.stderr
    (tmpfs / "filler").unlink()

    real = study.run_replications

    def then_fill(*a, **k):  # someone else fills the disk while this run simulates
        results = real(*a, **k)
        _fill(tmpfs, 100_000)
        return results

    monkeypatch.setattr(study, "run_replications", then_fill)
    result = runner.invoke(cli, args)
    assert result.exit_code == 1, result.output
    assert f"minsim: error: could not write {out}: No space left on device" in result.stderr
    assert "free some space or choose another --out" in result.stderr
    assert sorted(p.name for p in tmpfs.iterdir()) == ["filler"]
    (tmpfs / "filler").unlink()
    monkeypatch.setattr(study, "run_replications", real)

    remount = ["mount", "-o", "remount,ro", str(tmpfs)]
    if subprocess.run(remount, capture_output=True, check=False).returncode:
        pytest.skip("this machine does not allow remounting the tmpfs read-only")
    result = runner.invoke(cli, args)
    assert result.exit_code == 2, result.output
    assert result.stderr == (
        f"minsim: error: cannot write {out}: {tmpfs} is not writable (read-only or no "
        "permission); choose another --out\n"
    )


# --- what the outputs are about: --bloc and --commodity (issue 16) ---------------------------


@pytest.mark.parametrize("command", ["run", "compare", "sweep", "sensitivity"])
@pytest.mark.parametrize(
    ("option", "name", "message"),
    [
        (
            "--bloc",
            "allaince",
            "no bloc 'allaince' in the scenario; did you mean 'alliance'? "
            "(blocs: alliance, china, rest)",
        ),
        (
            "--commodity",
            "galium",
            "no commodity 'galium' in the scenario; did you mean 'gallium'? "
            "(commodities: gallium, antimony)",
        ),
        ("--bloc", "mars", "no bloc 'mars' in the scenario (blocs: alliance, china, rest)"),
    ],
)
def test_unknown_bloc_or_commodity_is_refused_before_any_work(
    runner, small_path, tmp_path, monkeypatch, command, option, name, message
):
    args, work = WRITERS[command]
    started = []
    monkeypatch.setattr(work, lambda *a, **k: started.append(1))
    out = tmp_path / "out"
    argv = [a.format(small=small_path) for a in args] + [option, name, "--out", str(out)]
    result = runner.invoke(cli, argv)
    assert result.exit_code == 2, result.output
    assert result.stderr == f"minsim: error: {message}\n"
    assert started == [] and not out.exists()


@pytest.fixture
def reserve_path(tmp_path, reserve_text) -> Path:
    path = tmp_path / "reserve.yaml"
    path.write_text(reserve_text)
    return path


def _compare(runner, path, out, *extra) -> str:
    args = ["compare", str(path), "--reps", "4", "--executor", "inline", "--no-plots"]
    result = runner.invoke(cli, [*args, "--out", str(out), *extra])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_compare_ranks_for_the_blocs_asked_for(runner, reserve_path, tmp_path):
    """--bloc chooses whose social cost ranks the options; several are ranked together,
    and differences.csv carries that total, so the table agrees with it."""
    import pandas as pd

    rest = _compare(runner, reserve_path, tmp_path / "a", "--bloc", "rest")
    assert "ranked by expected social cost in rest (" in rest
    both = _compare(runner, reserve_path, tmp_path / "b", "--bloc", "rest", "--bloc", "alliance")
    assert "ranked by expected social cost in alliance + rest (" in both  # the scenario's order
    diffs = pd.read_csv(tmp_path / "b" / "differences.csv")
    row = diffs[
        (diffs.bloc == "alliance + rest")
        & (diffs.metric == "social_cost")
        & (diffs.option == "reserve")
    ].iloc[0]
    line = next(x for x in both.splitlines() if x.split()[1:2] == ["reserve"])
    assert f"{row.mean_difference / 1e6:,.1f} [" in line
    assert rest != both


def test_run_table_keeps_the_commodity_asked_for(runner, small_path, tmp_path):
    args = ["run", str(small_path), "--reps", "2", "--no-plots", "--executor", "inline"]
    result = runner.invoke(cli, [*args, "--commodity", "antimony", "--out", str(tmp_path / "r")])
    assert result.exit_code == 0, result.output
    rows = [
        x.split()[0] for x in result.stdout.splitlines()[1:] if x and not x.startswith("social")
    ]
    assert rows and set(rows[: rows.index("mass")]) == {"antimony"}


def test_manifest_names_the_set_values_the_run_was_made_with(runner, small_path, tmp_path):
    out = tmp_path / "r"
    args = ["run", str(small_path), "--reps", "2", "--no-plots", "--out", str(out)]
    result = runner.invoke(cli, [*args, "--set", "disruptions.ga-control.severity=0.6"])
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["set"] == ["disruptions.ga-control.severity=0.6"]
    assert manifest["changes"] == [
        {"by": "--set", "key": "disruptions.ga-control.severity", "change": "set", "value": 0.6}
    ]
    assert "points" not in manifest


def test_a_sweep_manifest_lists_each_point_not_the_first_for_all(runner, small_path, tmp_path):
    out = tmp_path / "s"
    args = ["sweep", str(small_path), "--reps", "2", "--no-plots", "--executor", "inline"]
    sweep = ["--sweep", "disruptions.ga-control.severity=0.3,0.9"]
    result = runner.invoke(cli, [*args, *sweep, "--set", "horizon.years=2", "--out", str(out)])
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["set"] == ["horizon.years=2"]  # what held for every point
    assert [c["key"] for c in manifest["changes"]] == ["horizon.years"]
    assert manifest["points"] == [
        {"name": "point-0", "set": ["disruptions.ga-control.severity=0.3"]},
        {"name": "point-1", "set": ["disruptions.ga-control.severity=0.9"]},
    ]
    assert (out / "scenario.yaml").read_text().startswith("# the first of 2 points")


def test_sensitivity_analyses_every_commodity_and_bloc_asked_for_from_one_set_of_runs(
    runner, small_path, tmp_path, monkeypatch
):
    import pandas as pd

    import sim.experiment.sweep as sweep

    calls = []
    original = sweep.run_sweep
    monkeypatch.setattr(
        "sim.experiment.sensitivity.run_sweep", lambda *a, **k: calls.append(1) or original(*a, **k)
    )
    out = tmp_path / "s"
    args = ["sensitivity", str(small_path), "--param", "disruptions.ga-control.severity=0.2:1.0"]
    args += ["--samples", "2", "--reps", "2", "--executor", "inline", "--no-plots"]
    args += ["--commodity", "gallium", "--bloc", "alliance", "--bloc", "rest"]
    result = runner.invoke(cli, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert calls == [1]  # simulated once
    indices = pd.read_csv(out / "indices.csv")
    assert indices[["commodity", "bloc"]].drop_duplicates().values.tolist() == [
        ["gallium", "alliance"],
        ["gallium", "rest"],
    ]
    runs = pd.read_csv(out / "runs.csv")
    assert runs[["commodity", "bloc"]].drop_duplicates().values.tolist() == [
        ["gallium", "alliance"],
        ["gallium", "rest"],
    ]
    assert set(runs.metric) == {"peak_price_multiple"}
