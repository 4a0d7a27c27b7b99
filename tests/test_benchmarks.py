"""The experiment benchmark script runs (tiny arguments; the real measurements are long)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "experiment.py"


def run(script: Path, *args: str, timeout: int = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(script), *args], capture_output=True, text=True, timeout=timeout
    )


def test_scaling_prints_its_table():
    out = run(SCRIPT, "scaling", "--reps", "4", "--years", "1")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[1].split() == [
        "replications",
        "years",
        "ticks",
        "seconds",
        "ms",
        "per",
        "replication-year",
    ]
    assert lines[2].split()[:3] == ["4", "1", "52"]


def test_years_must_be_whole():
    out = run(SCRIPT, "scaling", "--years", "2.5", timeout=60)
    assert out.returncode == 2
    assert "horizon.years takes whole years" in out.stderr


def test_engine_benchmark_prints_the_speed_up_of_batching():
    out = run(SCRIPT.with_name("engine.py"), "--reps", "4", "--repeat", "2", "--singles", "1")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].startswith("flagship: 10 commodities, 2 stages, 20 producing countries ")
    assert lines[1].startswith("4 replications in blocks of 500: median ")
    assert lines[2].startswith("one at a time (--block-size 1, 1 replications): median ")
    assert lines[3].startswith("speed-up of batching, paired by round: median ")
    assert lines[3].endswith("over 2 rounds)")


def test_memory_on_processes_shows_the_workers_too():
    out = run(SCRIPT, "memory", "--reps", "4", "--executor", "processes")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert "executor processes (2 workers)" in lines[0]
    assert "largest worker MiB" in lines[1]
    assert lines[2].split()[0] == "4" and len(lines[2].split()) == 6


def test_kept_prints_memory_and_the_file_size():
    out = run(SCRIPT, "kept", "--reps", "3")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].startswith("kept: minsim compare scenarios/alliance-2026.yaml")
    assert lines[1].split()[:2] == ["replications", "seconds"]
    row = lines[2].split()
    assert row[0] == "3" and row[-1].endswith("%") and len(row) == 6


def test_figures_benchmark_splits_the_simulation_from_files_and_figures(small_path):
    out = run(SCRIPT.with_name("figures.py"), str(small_path), "--reps", "4", "--repeat", "2")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].startswith("minsim run, 4 replications, 2 repeats: median (min-max)")
    assert lines[1].startswith("small: simulation ")
    for part in ("; tables ", "; figures ", "; total ", "; files and figures / simulation "):
        assert part in lines[1]


def test_optimise_benchmark_times_the_search_and_counts_the_designs(tmp_path, one_mineral_text):
    path = tmp_path / "one.yaml"
    path.write_text(one_mineral_text)
    out = run(
        SCRIPT.with_name("optimise.py"),
        str(path),
        "--repeat",
        "1",
        "--generations",
        "1",
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == "minsim optimise, 1 repeats: median (min-max)"
    assert lines[1].startswith("one: search ")
    parts = ("; rescore ", "; the rest ", "; total ", " designs scored, ", " on the frontier; ")
    for part in (*parts, " designs/s"):
        assert part in lines[1]


def test_storage_benchmark_compares_the_solvers(small_path):
    out = run(
        SCRIPT.parent / "storage.py",
        "--scenario",
        str(small_path),
        "--tables",
        "1",
        "--repeat",
        "1",
    )
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].endswith("1 solves each")
    _, fast_rounds, _, _, plain_rounds, _, _, gap = lines[2].split()
    assert int(fast_rounds) < int(plain_rounds)
    assert float(gap) < 1e-4
    assert lines[-1].startswith("all tables: accelerated")
