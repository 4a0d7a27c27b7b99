"""Experiment-scale benchmarks: comparisons on processes, memory against the replication
count, and cost against replications × horizon.

    python benchmarks/experiment.py compare [--reps 1000] [--workers 2] [--repeat 1]
    python benchmarks/experiment.py memory  [--reps 1000,10000,100000] [--repeat 1]
                                            [--executor inline|processes] [--workers 2]
    python benchmarks/experiment.py scaling [--reps 250,500,1000,2000] [--years 2,5,10] [--repeat 1]
    python benchmarks/experiment.py kept    [--reps 200,2000] [--repeat 1] [--executor inline]

Every figure is the median of `--repeat` runs with its range (min-max): the machines are
shared. Peak RSS is `resource.getrusage(...).ru_maxrss` (KiB on Linux): the largest resident
set the process (RUSAGE_SELF), or any one of its finished children (RUSAGE_CHILDREN), ever
had, so over repeats it is the peak of them all.

- compare: `sim.compare` of a scenario with at least three options on the flagship world
  (`allied-stockpiles.yaml`: the flagship has no options of its own), executor "processes".
- memory: `sim.run` of the flagship, executor "inline" (or "processes" with
  `--executor processes`: the parent's peak RSS, and the largest worker's), default blocks,
  each count in a fresh interpreter so that its peak RSS is its own; beside it, the bytes the
  per-replication metrics need (they grow with the count by design; nothing else should).
- scaling: `sim.run` of the flagship inline (default blocks) at each count and horizon
  (`--set horizon.years=Y`; the schema takes whole years), in seconds and in seconds per
  replication-year: a flat last column means the cost is linear in both.
- kept: `minsim compare alliance-2026.yaml --keep-replications --no-plots` (all six options,
  every replication's series streamed to replications.nc), each count in a fresh process:
  wall time, the child's peak RSS, the memory estimate the run was checked against
  (`sim.experiment.memory`), and the size of replications.nc against its raw float64s.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import sim

ROOT = Path(__file__).resolve().parents[1]
FLAGSHIP = ROOT / "scenarios" / "china-export-controls.yaml"
COMPARED = ROOT / "scenarios" / "allied-stockpiles.yaml"
MIN_OPTIONS = 3  # do-nothing and at least two policies


def spread(xs: list[float], fmt: str = "{:.2f}") -> str:
    """median (min-max), or the one value."""
    med = fmt.format(statistics.median(xs))
    if len(xs) == 1:
        return med
    return f"{med} ({fmt.format(min(xs))}-{fmt.format(max(xs))})"


def rss_mib(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # KiB on Linux


def ints(text: str) -> list[int]:
    return [int(x.replace("_", "")) for x in text.split(",") if x]


def whole_years(text: str) -> list[int]:
    out = []
    for x in text.split(","):
        if not x:
            continue
        if float(x) != int(float(x)):
            raise argparse.ArgumentTypeError(
                f"{x}: horizon.years takes whole years (the schema: an int from 1 to 50)"
            )
        out.append(int(float(x)))
    return out


def per_replication_bytes(results) -> int:
    """Bytes per replication of everything a `Results` keeps per replication: the metrics,
    balance errors, fiscal costs by policy, policy reports, diagnostics and trade totals
    ([R, ...] arrays)."""
    arrays = [
        *results.metrics.values(),
        results.balance_error,
        *results.fiscal_by_policy.values(),
        *results.policy_reports.values(),
        *results.diagnostics.values(),
    ]
    if results.trade_total is not None:
        arrays.append(results.trade_total)
    if results.baseline_shortfall is not None:
        arrays.append(results.baseline_shortfall)
    return sum(a.nbytes for a in arrays) // results.reps


# --- compare ---------------------------------------------------------------------------------


def compared_scenario() -> Path:
    """The flagship if it has enough options, else the shipped scenario that does."""
    for path in (FLAGSHIP, COMPARED):
        if len(sim.load(path).scenario.options) >= MIN_OPTIONS:
            return path
    raise SystemExit(f"no shipped scenario with {MIN_OPTIONS} options on the flagship world")


def cmd_compare(args) -> None:
    path = compared_scenario()
    loaded = sim.load(path)
    options = args.options.split(",") if args.options else list(loaded.scenario.options)
    print(
        f"compare: {path.relative_to(ROOT)} (the flagship world; "
        f"{'its own options' if path == FLAGSHIP else 'the flagship has no options'}): "
        f"{len(options)} options ({', '.join(options)}), {args.reps:,} replications each, "
        f"executor processes, {args.workers} workers, blocks of {args.block_size or 'default'}"
    )
    walls: list[float] = []
    per_option: dict[str, list[float]] = {o: [] for o in options}
    n_ticks = 0
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        c = sim.compare(
            loaded,
            reps=args.reps,
            seed=1,
            executor="processes",
            workers=args.workers,
            block_size=args.block_size,
            options=options,
        )
        walls.append(time.perf_counter() - t0)
        for option, r in c.results.items():
            per_option[option].append(sum(r.timings.values()))
        n_ticks = c.results[c.baseline].world.n_ticks
    width = max(len(o) for o in options)
    for option, xs in per_option.items():
        print(f"  {option:<{width}}  {spread(xs)} s")
    print(f"  {'total':<{width}}  {spread(walls)} s (wall, including pool start-ups)")
    rate = [len(options) * args.reps * n_ticks / w for w in walls]
    print(f"replication-ticks/s: {spread(rate, '{:,.0f}')} ({n_ticks} ticks per replication)")
    print(
        f"peak RSS: parent {rss_mib(resource.RUSAGE_SELF):,.0f} MiB, "
        f"largest child {rss_mib(resource.RUSAGE_CHILDREN):,.0f} MiB"
    )


# --- memory ----------------------------------------------------------------------------------


def cmd_memory_one(args) -> None:
    """One count in this (fresh) interpreter: print a JSON line for the parent."""
    loaded = sim.load(FLAGSHIP)
    t0 = time.perf_counter()
    r = sim.run(
        loaded,
        reps=args.reps,
        seed=1,
        executor=args.executor,
        workers=args.workers,
        block_size=args.block_size,
    )
    wall = time.perf_counter() - t0
    out = {
        "reps": args.reps,
        "wall_s": wall,
        "rss_mib": rss_mib(resource.RUSAGE_SELF),
        "worker_rss_mib": rss_mib(resource.RUSAGE_CHILDREN),
        "per_rep_bytes": per_replication_bytes(r),
    }
    print(json.dumps(out))


def cmd_memory(args) -> None:
    pooled = args.executor != "inline"
    print(
        f"memory: sim.run of {FLAGSHIP.relative_to(ROOT)}, executor {args.executor}"
        f"{f' ({args.workers} workers)' if pooled else ''}, blocks of "
        f"{args.block_size or 'default (500)'}, each count in a fresh interpreter"
    )
    cmd = [sys.executable, __file__, "memory-one", "--executor", args.executor]
    cmd += ["--workers", str(args.workers)]
    if args.block_size:
        cmd += ["--block-size", str(args.block_size)]
    rows = []
    for reps in args.reps:
        runs = []
        for _ in range(args.repeat):
            done = subprocess.run(
                [*cmd, "--reps", str(reps)], capture_output=True, text=True, check=False
            )
            if done.returncode:
                sys.exit(f"memory-one --reps {reps} failed:\n{done.stderr}")
            runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
        rows.append(runs)
    worker = f"  {'largest worker MiB':>18}" if pooled else ""
    print(
        f"{'replications':>12}  {'peak RSS MiB':>16}  {'per-rep metrics MiB':>19}  "
        f"{'RSS less metrics MiB':>20}{worker}  {'wall s':>14}"
    )
    for runs in rows:
        reps = runs[0]["reps"]
        metrics = runs[0]["per_rep_bytes"] * reps / 2**20
        rss = [x["rss_mib"] for x in runs]
        worker = f"  {spread([x['worker_rss_mib'] for x in runs], '{:,.0f}'):>18}" if pooled else ""
        print(
            f"{reps:>12,}  {spread(rss, '{:,.0f}'):>16}  {metrics:>19,.1f}  "
            f"{spread([x - metrics for x in rss], '{:,.0f}'):>20}{worker}  "
            f"{spread([x['wall_s'] for x in runs]):>14}"
        )
    print(
        f"per-replication metrics: {rows[0][0]['per_rep_bytes']:,} bytes per replication "
        "(every [R, ...] array a Results keeps); the column before wall time should stay flat"
    )


# --- scaling ---------------------------------------------------------------------------------


def cmd_scaling(args) -> None:
    print(
        f"scaling: sim.run of {FLAGSHIP.relative_to(ROOT)}, executor inline, default blocks, "
        f"horizon.years set to each value; median of {args.repeat}"
    )
    print(
        f"{'replications':>12}  {'years':>5}  {'ticks':>5}  {'seconds':>18}  "
        f"{'ms per replication-year':>24}"
    )
    for years in args.years:
        loaded = sim.load(FLAGSHIP, sets=(f"horizon.years={years}",))
        for reps in args.reps:
            walls = []
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                r = sim.run(loaded, reps=reps, seed=1, executor="inline")
                walls.append(time.perf_counter() - t0)
            per = [1e3 * w / (reps * years) for w in walls]
            print(
                f"{reps:>12,}  {years:>5}  {r.world.n_ticks:>5}  {spread(walls):>18}  "
                f"{spread(per, '{:.3f}'):>24}"
            )


# --- kept -----------------------------------------------------------------------------------


def cmd_kept(args) -> None:
    import shutil
    import tempfile

    from sim.engine.recorder import SERIES
    from sim.experiment.memory import run_memory_bytes

    path = ROOT / "scenarios" / "alliance-2026.yaml"
    scenario = sim.load(path).scenario
    n = len(scenario.options)
    print(
        f"kept: minsim compare {path.relative_to(ROOT)} --keep-replications --no-plots "
        f"({n} options), executor {args.executor}"
    )
    print(
        f"{'replications':>12}  {'seconds':>18}  {'peak RSS MiB':>16}  {'estimate MiB':>12}  "
        f"{'replications.nc MB':>18}  {'of raw':>6}"
    )
    for reps in args.reps:
        walls, peaks, size = [], [], 0
        for _ in range(args.repeat):
            tmp = Path(tempfile.mkdtemp(prefix="minsim-kept-"))
            cmd = [sys.executable, "-m", "sim", "compare", str(path), "--reps", str(reps)]
            cmd += ["--no-plots", "--keep-replications", "--executor", args.executor]
            t0 = time.perf_counter()
            out = subprocess.run([*cmd, "--out", str(tmp / "run")], capture_output=True, text=True)
            walls.append(time.perf_counter() - t0)
            if out.returncode != 0:
                raise SystemExit(out.stderr)
            peaks.append(rss_mib(resource.RUSAGE_CHILDREN))  # the peak of every child so far
            size = (tmp / "run" / "replications.nc").stat().st_size
            shutil.rmtree(tmp)
        T = scenario.horizon.years * 52
        raw = n * reps * T * len(scenario.commodities) * len(scenario.blocs) * len(SERIES) * 8
        workers = 0 if args.executor == "inline" else 2
        estimate = run_memory_bytes(scenario, reps, options=n, workers=workers, keep_paths=True)
        estimate /= 2**20
        print(
            f"{reps:>12,}  {spread(walls):>18}  {spread(peaks, '{:,.0f}'):>16}  "
            f"{estimate:>12,.0f}  {size / 1e6:>18,.0f}  {size / raw:>6.0%}"
        )


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="command", required=True)

    c = sub.add_parser("compare", help="sim.compare on processes: time per option, RSS")
    c.add_argument("--reps", type=int, default=1000)
    c.add_argument("--workers", type=int, default=2)
    c.add_argument("--block-size", type=int, default=None, help="default: the library's (500)")
    c.add_argument("--repeat", type=int, default=1)
    c.add_argument(
        "--options",
        default="do-nothing,both-uncoordinated,both-coordinated",
        help="comma-separated options to compare (the baseline always runs); '' for all",
    )
    c.set_defaults(fn=cmd_compare)

    m = sub.add_parser("memory", help="peak RSS of sim.run against the replication count")
    m.add_argument("--reps", type=ints, default=ints("1000,10000,100000"))
    m.add_argument("--block-size", type=int, default=None, help="default: the library's (500)")
    m.add_argument("--repeat", type=int, default=1)
    m.set_defaults(fn=cmd_memory)

    one = sub.add_parser("memory-one", help=argparse.SUPPRESS)  # the child of `memory`
    one.add_argument("--reps", type=int, required=True)
    one.add_argument("--block-size", type=int, default=None)
    one.set_defaults(fn=cmd_memory_one)
    for parser in (m, one):
        parser.add_argument(
            "--executor",
            choices=("inline", "processes"),
            default="inline",
            help="inline: the engine alone; processes: the parent's memory as blocks come in",
        )
        parser.add_argument("--workers", type=int, default=2, help="for --executor processes")

    s = sub.add_parser("scaling", help="wall time against replications × horizon")
    s.add_argument("--reps", type=ints, default=ints("250,500,1000,2000"))
    s.add_argument("--years", type=whole_years, default=whole_years("2,5,10"))
    s.add_argument("--repeat", type=int, default=1)
    s.set_defaults(fn=cmd_scaling)

    k = sub.add_parser("kept", help="memory and time of compare --keep-replications")
    k.add_argument("--reps", type=ints, default=ints("200,2000"))
    k.add_argument("--repeat", type=int, default=1)
    k.add_argument("--executor", choices=("inline", "processes"), default="inline")
    k.set_defaults(fn=cmd_kept)

    args = ap.parse_args(argv)
    args.fn(args)


if __name__ == "__main__":
    main()
