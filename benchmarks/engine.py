"""Engine speed on the flagship scenario: wall time, replication-ticks per second, and the
speed-up of one batch over replications run one at a time.

    python benchmarks/engine.py [--reps 1000] [--repeat 3] [--singles 5]

Prints medians with the spread (min-max) of the repeats: these machines are shared.
"""

from __future__ import annotations

import argparse
import statistics
import time
import tracemalloc
from pathlib import Path

import numpy as np

import sim
from sim.engine import compile_world, run_batch

FLAGSHIP = Path(__file__).resolve().parents[1] / "scenarios" / "china-export-controls.yaml"


def timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--singles", type=int, default=5, help="replications run one at a time")
    args = ap.parse_args()

    loaded = sim.load(FLAGSHIP)
    world = compile_world(loaded.scenario)
    K, S, P, B = world.shape
    print(
        f"flagship: {K} commodities, {S} stages, {P} producer slots, {B} blocs, "
        f"{world.n_ticks} ticks ({world.ticks_per_year}/yr)"
    )

    batch = [
        timed(lambda: run_batch(loaded.scenario, np.arange(args.reps), 1, world=world))
        for _ in range(args.repeat)
    ]
    med = statistics.median(batch)
    rate = args.reps * world.n_ticks / med
    print(
        f"batch of {args.reps}: median {med:.2f} s (min {min(batch):.2f}, max {max(batch):.2f}); "
        f"{rate:,.0f} replication-ticks/s"
    )

    singles = [
        timed(lambda i=i: run_batch(loaded.scenario, np.array([i]), 1, world=world))
        for i in range(args.singles)
    ]
    one = statistics.median(singles)
    print(
        f"one at a time: median {one:.3f} s per replication "
        f"(min {min(singles):.3f}, max {max(singles):.3f})"
    )
    print(f"speed-up of batching: {one * args.reps / med:.1f}x")

    tracemalloc.start()
    run_batch(loaded.scenario, np.arange(min(args.reps, 200)), 1, world=world)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"peak traced memory, batch of {min(args.reps, 200)}: {peak / 2**20:.0f} MiB")


if __name__ == "__main__":
    main()
