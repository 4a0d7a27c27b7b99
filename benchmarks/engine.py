"""Engine speed on the flagship scenario, one core: wall time, replication-ticks per second,
and the speed-up of batching over replications run one at a time.

    python benchmarks/engine.py [--reps 1000] [--repeat 5] [--singles 5]

Both are measured as `minsim run` works, through `sim.run` in this process: the batch in the
default blocks (500 replications through the engine at once), one at a time with
`block_size=1` (`--block-size 1`). Prints medians with the spread (min-max) of the repeats:
these machines are shared.
"""

from __future__ import annotations

import argparse
import statistics
import time
import tracemalloc
from pathlib import Path

import sim
from sim.engine import compile_world
from sim.experiment.runner import DEFAULT_BLOCK

FLAGSHIP = Path(__file__).resolve().parents[1] / "scenarios" / "china-export-controls.yaml"


def timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=5, help="rounds of batch and singles")
    ap.add_argument("--singles", type=int, default=5, help="replications run one at a time")
    args = ap.parse_args()

    loaded = sim.load(FLAGSHIP)
    world = compile_world(loaded.scenario)
    K, S, P, B = world.shape
    countries = {
        c
        for commodity in loaded.scenario.commodities.values()
        for stage in commodity.stages.values()
        for c in stage.producers
    }
    print(
        f"flagship: {K} commodities, {S} stages, {len(countries)} producing countries "
        f"(in {P} producer slots a stage), {B} blocs, {world.n_ticks} ticks "
        f"({world.ticks_per_year}/yr)"
    )

    sim.run(loaded, 2, 1, block_size=1)  # load the compiled kernels before timing
    # Batches and single replications take turns, and each round gives its own speed-up:
    # the machine's speed drifts from minute to minute, and a ratio of two timings taken
    # minutes apart would carry that drift.
    batch, singles, ratios = [], [], []
    for _ in range(args.repeat):
        batch.append(timed(lambda: sim.run(loaded, args.reps, 1)))
        singles.append(timed(lambda: sim.run(loaded, args.singles, 1, block_size=1)) / args.singles)
        ratios.append(singles[-1] * args.reps / batch[-1])
    med = statistics.median(batch)
    rate = args.reps * world.n_ticks / med
    print(
        f"{args.reps} replications in blocks of {DEFAULT_BLOCK}: median {med:.2f} s "
        f"(min {min(batch):.2f}, max {max(batch):.2f}); {rate:,.0f} replication-ticks/s; "
        f"{1e3 * med / args.reps:.2f} ms per replication"
    )
    one = statistics.median(singles)
    print(
        f"one at a time (--block-size 1, {args.singles} replications): median {one:.3f} s per "
        f"replication (min {min(singles):.3f}, max {max(singles):.3f})"
    )
    print(
        f"speed-up of batching, paired by round: median {statistics.median(ratios):.1f}x "
        f"(min {min(ratios):.1f}x, max {max(ratios):.1f}x over {args.repeat} rounds)"
    )

    tracemalloc.start()
    sim.run(loaded, min(args.reps, 200), 1)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"peak traced memory, {min(args.reps, 200)} replications: {peak / 2**20:.0f} MiB")


if __name__ == "__main__":
    main()
