"""The disruption types' engine modules, found by the names of their specs' modules in
`sim.scenario.disruptions` (see `base` for what a type module defines)."""

from __future__ import annotations

import importlib
from types import ModuleType

from ...scenario.disruptions import MODULE_OF

_PACKAGE = __name__.rsplit(".", 1)[0]
MODULES = tuple(MODULE_OF.values())

TYPES: dict[str, ModuleType] = {
    kind: importlib.import_module(f"{_PACKAGE}.{name}") for kind, name in MODULE_OF.items()
}
"""`type:` in YAML -> the module that implements it."""


def module_of(d) -> ModuleType:
    """The module of a disruption's type."""
    return TYPES[d.type]


def steps(d, level: float, start: int, end: int, tpy: int) -> list[tuple[int, float]]:
    step = getattr(module_of(d), "steps", None)
    return step(d, level, start, end, tpy) if step is not None else []


def stopped(d, persistence: float) -> tuple[list[str], float] | None:
    """What an announcement of `d` makes known, or None for a type that stops no output."""
    known = getattr(module_of(d), "stopped", None)
    return known(d, persistence) if known is not None else None
