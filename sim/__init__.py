"""minsim: stochastic discrete-event simulation of critical-minerals supply risk.

>>> import sim
>>> loaded = sim.load("scenarios/china-export-controls.yaml")
>>> results = sim.run(loaded, reps=200, seed=1)
>>> results.summary()
"""

from __future__ import annotations

__version__ = "0.1.0"

from .experiment import run_replications as run
from .experiment.compare import Comparison
from .experiment.compare import compare_options as compare
from .results import Results
from .scenario import Scenario, ScenarioError, load

__all__ = [
    "Comparison",
    "Results",
    "Scenario",
    "ScenarioError",
    "__version__",
    "compare",
    "load",
    "run",
]
