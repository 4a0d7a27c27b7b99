"""minsim: stochastic discrete-event simulation of critical-minerals supply risk.

>>> import sim
>>> loaded = sim.load("scenarios/china-export-controls.yaml")
>>> results = sim.run(loaded, reps=200, seed=1)
>>> results.summary()
"""

from __future__ import annotations

__version__ = "0.1.0"

from typing import TYPE_CHECKING, Any

from .scenario import Scenario, ScenarioError, load

if TYPE_CHECKING:
    from .experiment import run_replications as run
    from .experiment.compare import Comparison
    from .experiment.compare import compare_options as compare
    from .experiment.results import Results
    from .plots.notebook import plot

_LAZY = {
    "run": ("sim.experiment", "run_replications"),
    "compare": ("sim.experiment.compare", "compare_options"),
    "Comparison": ("sim.experiment.compare", "Comparison"),
    "Results": ("sim.experiment.results", "Results"),
    "plot": ("sim.plots.notebook", "plot"),
}
"""Imported on first use: a worker process that only simulates blocks (it imports the scenario
schema and the engine) is spared pandas, xarray and scipy.stats, about a second at start-up;
`plot` brings matplotlib only when called."""


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        value = getattr(importlib.import_module(module), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'sim' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


__all__ = [
    "Comparison",
    "Results",
    "Scenario",
    "ScenarioError",
    "__version__",
    "compare",
    "load",
    "plot",
    "run",
]
