"""Disruption specs: the YAML schema of each disruption type, one module each.

A module here defines `Spec`, a `base.Timing` with a `type` literal that names the type in
YAML; what the type does to the market is the module of the same name in
`sim.engine.disruptions`. This package finds the modules by name, so the scenario schema and
the reference docs pick a new type up from its module.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Union

from pydantic import Field

from ..base import spec_modules
from .base import Stochastic, Timing

_TYPES = spec_modules(__name__, __path__, {"base"})
MODULE_OF: dict[str, str] = {kind: m.__name__.rsplit(".", 1)[1] for kind, m in _TYPES.items()}
"""`type:` in YAML -> its module's name, here and in `sim.engine.disruptions`."""
MODULES = tuple(MODULE_OF.values())
"""The types' module names."""
SPECS: dict[str, type] = {kind: m.Spec for kind, m in _TYPES.items()}
"""`type:` in YAML -> its schema."""

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
