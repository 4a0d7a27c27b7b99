"""Policy instruments: what each policy type does to the market, one module each.

A module here defines `Instrument` (its engine class, see `base.Instrument`) for the spec of
the same module name in `sim.scenario.policies`, which holds its YAML schema and checks.
Adding a policy type is those two modules (and their tests and doc entry); this package
finds the instruments by the specs' module names. `base` (what instruments share) and
`kernels` (their compiled arithmetic) are not instruments.
"""

from __future__ import annotations

import importlib

from ...scenario.policies import MODULE_OF

INSTRUMENTS: dict[str, type] = {
    kind: importlib.import_module(f"{__name__}.{module}").Instrument
    for kind, module in MODULE_OF.items()
}
"""`type:` in YAML -> the instrument class that runs it."""

__all__ = ["INSTRUMENTS"]
