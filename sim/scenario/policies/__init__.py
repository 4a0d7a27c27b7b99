"""Policy specs: the YAML schema of each policy type and its checks, one module each.

A module here defines `Spec` (its pydantic schema, whose `type` literal names the policy in
YAML) and `check(spec, checks, path)` (what the schema alone cannot check: names, currencies,
dates against the scenario). What the policy does to the market is the module of the same
name in `sim.engine.policies`. This package finds the modules by name, so the scenario
schema, the reference docs and the checks pick a new type up from its module; `base` holds
what every spec shares.
"""

from __future__ import annotations

import importlib
import pkgutil
import typing
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, Union

from pydantic import Field

if TYPE_CHECKING:
    from ..checks import Checks
    from .capacity_programme import CapacityProgramme
    from .offtake import Offtake
    from .price_floor import PriceFloor
    from .recycling_target import RecyclingTarget
    from .stockpile import Stockpile
    from .tariff import Tariff

_PRIVATE = {"base"}
MODULES = tuple(
    m.name
    for m in pkgutil.iter_modules(__path__)
    if not m.name.startswith("_") and m.name not in _PRIVATE
)
"""The policy types' module names (`stockpile`, `offtake`, ...)."""

SPECS: dict[str, type] = {}
"""`type:` in YAML -> its schema."""
MODULE_OF: dict[str, str] = {}
"""`type:` in YAML -> its module's name, here and in `sim.engine.policies`."""
_CHECKS: dict[str, Callable[[Any, Checks, tuple], None]] = {}
for _name in MODULES:
    _module = importlib.import_module(f"{__name__}.{_name}")
    _kind = typing.get_args(_module.Spec.model_fields["type"].annotation)[0]
    SPECS[_kind] = _module.Spec
    MODULE_OF[_kind] = _name
    _CHECKS[_kind] = _module.check

if TYPE_CHECKING:
    # mypy cannot read the union built from the registry; this is the same union written
    # out (tests/scenario/test_registries.py checks that it names every module)
    PolicySpec = Annotated[
        CapacityProgramme | Offtake | PriceFloor | RecyclingTarget | Stockpile | Tariff,
        Field(discriminator="type"),
    ]
else:
    PolicySpec = Annotated[Union[tuple(SPECS.values())], Field(discriminator="type")]  # noqa: UP007
"""Any policy, told apart by its `type`."""


def check(spec: Any, checks: Checks, path: tuple) -> None:
    """The checks of a policy's own type against the scenario."""
    _CHECKS[spec.type](spec, checks, path)


__all__ = ["MODULES", "MODULE_OF", "SPECS", "PolicySpec", "check"]
