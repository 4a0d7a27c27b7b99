"""Storage-table solve times (sim/engine/storage.py), accelerated against plain time
iteration, on the distinct tables of the flagship's world, one core.

    python benchmarks/storage.py [--scenario FILE] [--tables N] [--repeat 3]

Each table is solved from scratch (no cache) `--repeat` times by each solver; prints per
table the rounds and the median time (min-max) of each, and the largest difference of log
prices between the two. These machines are shared: read the spread beside the median.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np

import sim
from sim.engine import storage

FLAGSHIP = Path(__file__).resolve().parents[1] / "scenarios" / "alliance-2026.yaml"


def tables_of(path: Path) -> list[storage.StorageParameters]:
    """The distinct calm-market tables a world's compilation asks for."""
    asked: list[storage.StorageParameters] = []
    original = storage._cached
    solve = original.__wrapped__

    def record(par, announced):
        if announced is None and par not in asked:
            asked.append(par)
        return solve(par, announced)

    storage._cached = record  # type: ignore[assignment]
    try:
        sim.engine.compile_world(sim.load(path).scenario)
    finally:
        storage._cached = original
    return asked


def timed(par: storage.StorageParameters, memory: int, repeat: int):
    times, table = [], None
    for _ in range(repeat):
        storage.ANDERSON_MEMORY = memory
        t = time.perf_counter()
        table = storage._solve(par)
        times.append(time.perf_counter() - t)
    storage.ANDERSON_MEMORY = MEMORY
    return table, times


MEMORY = storage.ANDERSON_MEMORY


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scenario", type=Path, default=FLAGSHIP)
    ap.add_argument("--tables", type=int, default=None, help="at most this many tables")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    pars = tables_of(args.scenario)[: args.tables]
    print(f"{len(pars)} distinct storage tables of {args.scenario.name}, {args.repeat} solves each")
    print(f"{'table':>5}  {'accelerated: rounds, s':>28}  {'plain: rounds, s':>28}  max|d ln p|")
    fast_all, plain_all = [], []
    for i, par in enumerate(pars):
        fast, ft = timed(par, MEMORY, args.repeat)
        plain, pt = timed(par, 0, args.repeat)
        fast_all.append(statistics.median(ft))
        plain_all.append(statistics.median(pt))
        gap = float(np.abs(np.log(fast.price) - np.log(plain.price)).max())
        print(
            f"{i:>5}  {fast.iterations:>6} {statistics.median(ft):6.2f} "
            f"({min(ft):.2f}-{max(ft):.2f})  {plain.iterations:>6} {statistics.median(pt):6.2f} "
            f"({min(pt):.2f}-{max(pt):.2f})  {gap:.1e}"
        )
    print(
        f"all tables: accelerated {sum(fast_all):.2f} s, plain {sum(plain_all):.2f} s "
        f"(medians summed), speed-up {sum(plain_all) / sum(fast_all):.1f}x"
    )


if __name__ == "__main__":
    main()
