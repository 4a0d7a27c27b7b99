"""Run replications of a scenario in blocks and gather them into one `Results`.

Replication i always draws from the streams keyed by (seed, i), so results do not depend on
the block size: a block is only a batch of rows advanced by one SimPy calendar.
"""

from __future__ import annotations

import time

import numpy as np

from ..engine import run_batch
from ..engine.world import compile_world
from ..results import Results
from ..scenario import LoadedScenario

DEFAULT_REPS = 1000
DEFAULT_SEED = 20260204
"""Default seed: the day of the Washington ministerial (2026-02-04)."""


def run_replications(
    loaded: LoadedScenario,
    reps: int = DEFAULT_REPS,
    seed: int = DEFAULT_SEED,
    *,
    block_size: int | None = None,
    keep_paths: bool = False,
    option: str = "base",
) -> Results:
    """Simulate `reps` replications; `block_size` replications go through the engine together."""
    if reps < 1:
        raise ValueError("reps must be at least 1")
    t0 = time.perf_counter()
    world = compile_world(loaded.scenario)
    size = block_size or reps
    blocks = []
    for first in range(0, reps, size):
        ids = np.arange(first, min(first + size, reps))
        blocks.append(run_batch(loaded.scenario, ids, seed, world=world, keep_paths=keep_paths))
    elapsed = time.perf_counter() - t0
    return Results.from_blocks(
        loaded, world, blocks, seed=seed, option=option, timings={"simulate_s": elapsed}
    )
