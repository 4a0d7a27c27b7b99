"""Disruption specs: the YAML schema of each disruption type, one module each.

A module here defines `Spec`, a `base.Timing` with a `type` literal that names the type in
YAML; what the type does to the market is the module of the same name in
`sim.engine.disruptions`. This package finds the modules by name, so the scenario schema and
the reference docs pick a new type up from its module.
"""

from __future__ import annotations

import importlib
import pkgutil
import typing
from typing import TYPE_CHECKING, Annotated, Union

from pydantic import Field

from .base import Stochastic, Timing

_PRIVATE = {"base"}
MODULES = tuple(
    m.name
    for m in pkgutil.iter_modules(__path__)
    if not m.name.startswith("_") and m.name not in _PRIVATE
)
"""The disruption types' module names (`export_control`, `outage`, ...)."""

SPECS: dict[str, type] = {}
"""`type:` in YAML -> its schema."""
MODULE_OF: dict[str, str] = {}
"""`type:` in YAML -> its module's name, here and in `sim.engine.disruptions`."""
for _name in MODULES:
    _module = importlib.import_module(f"{__name__}.{_name}")
    _kind = typing.get_args(_module.Spec.model_fields["type"].annotation)[0]
    SPECS[_kind] = _module.Spec
    MODULE_OF[_kind] = _name

if TYPE_CHECKING:
    # mypy cannot read the union built from the registry below; this is the same union
    # written out (tests/scenario/test_registries.py checks that it names every module)
    from .demand_shock import DemandShock
    from .export_control import ExportControl
    from .outage import Outage
    from .quota import Quota

    DisruptionSpec = Annotated[
        DemandShock | ExportControl | Outage | Quota, Field(discriminator="type")
    ]
else:
    DisruptionSpec = Annotated[Union[tuple(SPECS.values())], Field(discriminator="type")]  # noqa: UP007
"""Any disruption, told apart by its `type`."""

__all__ = ["MODULES", "MODULE_OF", "SPECS", "DisruptionSpec", "Stochastic", "Timing"]
