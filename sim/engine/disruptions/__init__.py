"""Disruptions: one module per type, found by name as policies are (`registry`).

A module here (`export_control`, `outage`, `quota`, `demand_shock`) defines what its type does
to the market (see `base` for the interface); its schema is the module of the same name in
`sim.scenario.disruptions`. Adding a type is those two modules plus tests and a doc entry:
the engine finds its module by the spec's module name. `plan` draws every occurrence of
every disruption (common random numbers); `effects` turns them into SimPy events that change
the market's arrays.
"""

from __future__ import annotations

from .base import Compiled
from .registry import MODULES, TYPES

_LAZY = {
    "ANNOUNCED": ".effects",
    "Disruptions": ".effects",
    "baseline_flow_shares": ".effects",
    "compile_specs": ".effects",
    "LazyStream": ".plan",
    "Occurrences": ".plan",
    "draw": ".plan",
    "drawn_by_row": ".plan",
    "sample_plan": ".plan",
    "stream": ".plan",
}
"""Imported on first use: they need the world, which imports this package."""


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "ANNOUNCED",
    "MODULES",
    "TYPES",
    "Compiled",
    "Disruptions",
    "LazyStream",
    "Occurrences",
    "baseline_flow_shares",
    "compile_specs",
    "draw",
    "drawn_by_row",
    "sample_plan",
    "stream",
]
