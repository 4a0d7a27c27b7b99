"""The time of a policy design search, and designs scored per second.

    python benchmarks/optimise.py [--repeat 3] [--population N] [--generations N] [scenario ...]

Runs `minsim optimise <scenario>` in this process (the scenario's own search settings unless
given, the default executor: processes on every core), `--repeat` times, into a temporary
folder. Prints, per scenario, the median and spread (min-max) of the search, the rescoring,
the rest (loading, and writing the run folder: files, figures, report) and the whole
command, the designs scored, and the search's designs per second (paired by repeat). These
machines are shared: quote the medians with the spread.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from click.testing import CliRunner

import sim.experiment.optimise as optimise
from sim.cli import cli

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
DEFAULT = ("australia-reserve", "allied-stockpiles")


def timed(scenario: Path, out: Path, extra: list[str]) -> dict[str, float]:
    """One `minsim optimise`, with the seconds of its search and rescoring."""
    spent: dict[str, float] = {}
    originals = {name: getattr(optimise, name) for name in ("search", "rescore")}
    found: dict[str, int] = {}

    def wrap(name: str):
        fn = originals[name]

        def run(*args, **kwargs):
            t = time.perf_counter()
            try:
                result = fn(*args, **kwargs)
            finally:
                spent[name] = time.perf_counter() - t
            found["designs"] = len(result.study.evaluations)
            found["frontier"] = len(result.frontier)
            return result

        return run

    for name in originals:
        setattr(optimise, name, wrap(name))
    try:
        t = time.perf_counter()
        result = CliRunner().invoke(cli, ["optimise", str(scenario), "--out", str(out), *extra])
        spent["total"] = time.perf_counter() - t
    finally:
        for name, fn in originals.items():
            setattr(optimise, name, fn)
    if result.exit_code != 0:
        raise SystemExit(f"minsim optimise failed: {result.output}")
    return {**spent, **found}


def spread(xs: list[float]) -> str:
    return f"{statistics.median(xs):.1f} s ({min(xs):.1f}-{max(xs):.1f})"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("scenarios", nargs="*", default=list(DEFAULT))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--population", type=int)
    ap.add_argument("--generations", type=int)
    ap.add_argument("--reps", type=int)
    ap.add_argument("--rescore-reps", type=int)
    args = ap.parse_args()
    extra = []
    for flag in ("population", "generations", "reps", "rescore_reps"):
        if getattr(args, flag) is not None:
            extra += [f"--{flag.replace('_', '-')}", str(getattr(args, flag))]
    print(f"minsim optimise, {args.repeat} repeats: median (min-max)")
    for name in args.scenarios:
        path = Path(name) if Path(name).suffix else SCENARIOS / f"{name}.yaml"
        runs = []
        for i in range(args.repeat):
            with tempfile.TemporaryDirectory() as tmp:
                runs.append(timed(path, Path(tmp) / f"run-{i}", extra))
        rate = statistics.median(r["designs"] / r["search"] for r in runs)
        print(
            f"{path.stem}: search {spread([r['search'] for r in runs])}; rescore "
            f"{spread([r['rescore'] for r in runs])}; the rest (loading, the run folder's "
            f"files, figures and report) {spread([r['total'] - r['search'] - r['rescore'] for r in runs])}; "
            f"total {spread([r['total'] for r in runs])}; "
            f"{runs[0]['designs']} designs scored, {runs[0]['frontier']} on the frontier; "
            f"{rate:.2f} designs/s"
        )


if __name__ == "__main__":
    main()
