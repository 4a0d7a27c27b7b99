"""Where the time of `minsim run` goes: the simulation against the files and figures.

    python benchmarks/figures.py [--reps 1000] [--repeat 5] [scenario ...]

Runs the command itself in this process (`minsim run <scenario> --reps N --out <tmp>`, the
default executor), `--repeat` times per scenario, and times its parts by wrapping the
functions it calls: the simulation (`run_replications`), the tables (`write_run` without the
figures) and the figures (`save_run_figures`, PNG and SVG). Prints, per scenario, the median
of each part with its spread (min-max) over the repeats, and the median ratio of files and
figures to the simulation, paired by repeat (these machines are shared: a ratio within one
run carries less of the machine's drift than two medians).
"""

from __future__ import annotations

import argparse
import importlib
import statistics
import tempfile
import time
from pathlib import Path

from click.testing import CliRunner

import sim.experiment
import sim.plots
import sim.results.io
from sim.cli import cli

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
DEFAULT = ("china-export-controls", "australia-reserve", "alliance-2026")


def timed_run(scenario: Path, reps: int, out: Path) -> dict[str, float]:
    """One `minsim run`, with the seconds of each of its parts."""
    spent: dict[str, float] = {}
    originals = {}

    def wrap(module, name: str, key: str) -> None:
        fn = getattr(module, name)
        originals[(module, name)] = fn

        def timed(*args, **kwargs):
            t = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[key] = spent.get(key, 0.0) + time.perf_counter() - t

        setattr(module, name, timed)

    study = importlib.import_module("sim.studies.run")  # the module `minsim run` calls
    wrap(study, "run_replications", "simulation")
    wrap(study, "write_run", "files")
    wrap(sim.plots, "save_run_figures", "figures")
    try:
        t = time.perf_counter()
        result = CliRunner().invoke(
            cli, ["run", str(scenario), "--reps", str(reps), "--out", str(out)]
        )
        spent["total"] = time.perf_counter() - t
    finally:
        for (module, name), fn in originals.items():
            setattr(module, name, fn)
    if result.exit_code != 0:
        raise SystemExit(f"minsim run failed: {result.output}")
    if (out / "plots" / "FAILED.txt").exists():
        raise SystemExit((out / "plots" / "FAILED.txt").read_text())
    spent["tables"] = spent["files"] - spent.get("figures", 0.0)
    return spent


def spread(xs: list[float]) -> str:
    return f"{statistics.median(xs):.2f} s ({min(xs):.2f}-{max(xs):.2f})"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("scenarios", nargs="*", default=list(DEFAULT))
    ap.add_argument("--reps", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    print(
        f"minsim run, {args.reps} replications, {args.repeat} repeats: median (min-max); "
        "files and figures = tables + figures"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.scenarios:
            path = Path(name) if name.endswith(".yaml") else SCENARIOS / f"{name}.yaml"
            timed_run(path, 2, Path(tmp) / f"{path.stem}-warm")  # compile the kernels first
            runs = [
                timed_run(path, args.reps, Path(tmp) / f"{path.stem}-{i}")
                for i in range(args.repeat)
            ]
            ratio = [r["files"] / r["simulation"] for r in runs]
            print(
                f"{path.stem}: simulation {spread([r['simulation'] for r in runs])}; tables "
                f"{spread([r['tables'] for r in runs])}; figures "
                f"{spread([r['figures'] for r in runs])}; total {spread([r['total'] for r in runs])}; "
                f"files and figures / simulation {statistics.median(ratio):.2f} "
                f"({min(ratio):.2f}-{max(ratio):.2f})"
            )


if __name__ == "__main__":
    main()
