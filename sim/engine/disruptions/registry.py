"""The disruption types, found by module name: every module of this package that is not one
of the shared ones below is a type (see `base` for what a type module defines)."""

from __future__ import annotations

import importlib
import pkgutil
import typing
from types import ModuleType

_SHARED = {"base", "plan", "effects", "registry"}
_PACKAGE = __name__.rsplit(".", 1)[0]
MODULES = tuple(
    m.name
    for m in pkgutil.iter_modules(importlib.import_module(_PACKAGE).__path__)
    if not m.name.startswith("_") and m.name not in _SHARED
)

TYPES: dict[str, ModuleType] = {}
"""`type:` in YAML -> the module that implements it."""
for _name in MODULES:
    _module = importlib.import_module(f"{_PACKAGE}.{_name}")
    TYPES[typing.get_args(_module.Spec.model_fields["type"].annotation)[0]] = _module

SPECS: dict[str, type] = {kind: module.Spec for kind, module in TYPES.items()}


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
