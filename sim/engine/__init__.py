"""The discrete-event market engine: SimPy events over numpy state with a replication axis.

Names are imported lazily so that `sim.engine.policies` (whose schemas the scenario schema
collects) can be imported without pulling in the whole engine.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "METRICS": ".recorder",
    "QUANTILES": ".recorder",
    "SERIES": ".recorder",
    "BatchResult": ".recorder",
    "Market": ".market",
    "water_fill": ".market",
    "run_batch": ".simulation",
    "World": ".world",
    "compile_world": ".world",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
