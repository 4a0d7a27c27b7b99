"""Policy specs: the YAML schema of each policy type and its checks, one module each.

A module here defines `Spec` (its pydantic schema, whose `type` literal names the policy in
YAML) and `check(spec, checks, path)` (what the schema alone cannot check: names, currencies,
dates against the scenario). What the policy does to the market is the module of the same
name in `sim.engine.policies`. This package finds the modules by name, so the scenario
schema, the reference docs and the checks pick a new type up from its module; `base` holds
what every spec shares.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, Union

from pydantic import Field

from ..base import spec_modules

if TYPE_CHECKING:
    from ..checks import Checks
    from .capacity_programme import CapacityProgramme
    from .offtake import Offtake
    from .price_floor import PriceFloor
    from .recycling_target import RecyclingTarget
    from .stockpile import Stockpile
    from .tariff import Tariff

_TYPES = spec_modules(__name__, __path__, {"base"})
MODULE_OF: dict[str, str] = {kind: m.__name__.rsplit(".", 1)[1] for kind, m in _TYPES.items()}
"""`type:` in YAML -> its module's name, here and in `sim.engine.policies`."""
MODULES = tuple(MODULE_OF.values())
"""The types' module names."""
SPECS: dict[str, type] = {kind: m.Spec for kind, m in _TYPES.items()}
"""`type:` in YAML -> its schema."""
_CHECKS: dict[str, Callable[[Any, Checks, tuple], None]] = {
    kind: m.check for kind, m in _TYPES.items()
}

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
