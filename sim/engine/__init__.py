"""The discrete-event market engine: SimPy events over numpy state with a replication axis."""

from .market import Market, water_fill
from .recorder import METRICS, QUANTILES, SERIES, BatchResult
from .simulation import run_batch
from .world import World, compile_world

__all__ = [
    "METRICS",
    "QUANTILES",
    "SERIES",
    "BatchResult",
    "Market",
    "World",
    "compile_world",
    "run_batch",
    "water_fill",
]
