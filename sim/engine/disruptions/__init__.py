"""Disruptions: one module per type, found by name as policies are (`registry`).

A module here (`export_control`, `outage`, `quota`, `demand_shock`) defines the type's schema
and what it does to the market (see `base` for the interface), so adding a type is one new
module plus its tests and doc entry: the scenario schema, the reference docs and the engine
pick it up from here. `plan` draws every occurrence of every disruption (common random
numbers); `effects` turns them into SimPy events that change the market's arrays.
"""

from __future__ import annotations

from typing import Annotated, Union

from pydantic import Field

from .base import Compiled, Stochastic, Timing
from .registry import MODULES, SPECS, TYPES

DisruptionSpec = Annotated[Union[tuple(SPECS.values())], Field(discriminator="type")]  # noqa: UP007
"""Any disruption, told apart by its `type`."""

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
"""Names of the engine side, imported on first use: the scenario schema imports this package
for `DisruptionSpec` before the world they need can be imported."""


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "ANNOUNCED",
    "MODULES",
    "SPECS",
    "TYPES",
    "Compiled",
    "DisruptionSpec",
    "Disruptions",
    "LazyStream",
    "Occurrences",
    "Stochastic",
    "Timing",
    "baseline_flow_shares",
    "compile_specs",
    "draw",
    "drawn_by_row",
    "sample_plan",
    "stream",
]
