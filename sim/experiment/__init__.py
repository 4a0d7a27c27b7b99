"""Experiments: replications in blocks through the engine, one seed, reproducible results."""

from .runner import DEFAULT_REPS, DEFAULT_SEED, run_replications

__all__ = ["DEFAULT_REPS", "DEFAULT_SEED", "run_replications"]
