"""Policy instruments, one module each.

A module here defines `Spec` (its pydantic schema, whose `type` literal names the instrument
in YAML) and `Instrument` (its engine class, see `base.Instrument`). This package finds the
modules by name, so adding an instrument is one new module (and its tests): the scenario
schema, the reference docs, the checks and the engine pick it up from here. `base` (what
instruments share) and `kernels` (their compiled arithmetic) are not instruments.
"""

from __future__ import annotations

import importlib
import pkgutil
import typing
from typing import Annotated, Union

from pydantic import Field

_PRIVATE = {"base", "kernels"}
MODULES = tuple(
    m.name
    for m in pkgutil.iter_modules(__path__)
    if not m.name.startswith("_") and m.name not in _PRIVATE
)

SPECS: dict[str, type] = {}
INSTRUMENTS: dict[str, type] = {}
for _name in MODULES:
    _module = importlib.import_module(f"{__name__}.{_name}")
    _kind = typing.get_args(_module.Spec.model_fields["type"].annotation)[0]
    SPECS[_kind] = _module.Spec
    INSTRUMENTS[_kind] = _module.Instrument

PolicySpec = Annotated[Union[tuple(SPECS.values())], Field(discriminator="type")]  # noqa: UP007
"""Any policy, told apart by its `type`."""

__all__ = ["INSTRUMENTS", "MODULES", "SPECS", "PolicySpec"]
