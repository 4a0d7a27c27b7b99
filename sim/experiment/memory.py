"""How much memory a run needs, estimated before it starts, against what the machine has.

A run holds, per option, each replication's metrics, diagnostics and trade totals (rows that
grow with the replications); when it keeps every replication, the blocks in flight (each
block's paths, on every worker and once more in this process while it is merged) and, kept
in memory (`keep_paths` without a file), every path. The rest (the engine's arrays for a
block, numba, the world) is flat in the replications: `BASE_BYTES`. An estimate above the memory available is refused
with the estimate in the message (exit 2 at the command line), before anything is allocated:
`--reps 1000000000` is a typing slip, not a run. Measured against the peak resident memory
of flagship runs in docs/performance.md.
"""

from __future__ import annotations

import os

from ..engine.recorder import METRICS, SERIES
from ..scenario.schema import Scenario

BASE_BYTES = 400 * 2**20
"""Python, numpy, numba's compiled kernels and the compiled world (measured: 300-420 MiB)."""
PER_ROW = 3
"""Rows kept per replication, commodity and bloc besides the metrics (diagnostics, trade
totals, policy reports, the baseline's shortfall), in float64s (an upper bound)."""


IN_FLIGHT = 5
"""Copies of a block's paths alive at once where a block is simulated or merged."""


class MemoryBound(ValueError):
    """A run would need more memory than the machine has available."""


def available_bytes() -> int | None:
    """Memory available to a new allocation (Linux: MemAvailable), or None if unknown."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def run_memory_bytes(
    scenario: Scenario,
    reps: int,
    *,
    options: int = 1,
    block_size: int = 500,
    workers: int = 1,
    keep_paths: bool = False,
    paths_in_memory: bool = False,
) -> int:
    """About the peak memory of `reps` replications of `options` options (bytes). Blocks
    that keep their paths hold them on every worker and in this process while merged
    (`keep_paths`); `paths_in_memory` holds all of them, twice while they are joined."""
    from ..engine.world import TICKS_PER_YEAR

    T = scenario.horizon.years * TICKS_PER_YEAR[scenario.horizon.step]
    K, B = len(scenario.commodities), len(scenario.blocs)
    rows = reps * K * B * (len(METRICS) + PER_ROW + B) * 8  # per option
    block = min(block_size, reps) * T * K * B * (len(SERIES) + 1) * 8
    # a block's paths, the recorder's working arrays and the block's quantiles over them,
    # on each worker and here: 2.8 GB measured for the flagship compare of 2,000 kept
    in_flight = block * IN_FLIGHT * (workers + 1) if keep_paths or paths_in_memory else 0
    paths = reps * T * K * B * (len(SERIES) + 1) * 8 * 2 if paths_in_memory else 0
    return BASE_BYTES + options * (rows + paths) + in_flight


def _size(n: float) -> str:
    for unit, scale in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n / 1e3:.0f} kB"


def check_memory(need: int, reps: int, available: int | None = None) -> None:
    """Refuse a run whose estimate `need` exceeds the memory available."""
    have = available_bytes() if available is None else available
    if have is None or need <= have:
        return
    fit = max(reps * (have - BASE_BYTES) / max(need - BASE_BYTES, 1), 0)
    if fit >= 100:  # two significant figures: an estimate, not a count
        fit = round(fit, 2 - len(str(int(fit))))
    fit = int(fit)
    raise MemoryBound(
        f"{reps:,} replications need about {_size(need)} of memory and {_size(have)} is "
        f"available; run fewer replications (about {fit:,} would fit)"
    )
