"""Global sensitivity analysis (Morris elementary effects or Sobol indices) with SALib.

Each parameter is a dotted scenario key with a range [low, high]. SALib draws the sample;
every sample row becomes a sweep point (`--set KEY=VALUE` for each parameter) and all points
run through `run_sweep` on the same seed (common random numbers), so differences between
points come from the parameters, not from sampling noise. The model output is the mean over
replications of one metric for one commodity and bloc.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from .runner import DEFAULT_SEED
from .sweep import Sweep, _fmt, run_sweep

METHODS = ("morris", "sobol")
MORRIS_LEVELS = 4
COLUMNS = {
    "morris": ("mu_star", "mu_star_conf", "sigma"),
    "sobol": ("S1", "S1_conf", "ST", "ST_conf"),
}
IMPORTANCE = {"morris": "mu_star", "sobol": "ST"}
"""The index that ranks parameters for each method."""
CONFIDENCE = {"morris": "mu_star_conf", "sobol": "ST_conf"}
_FORM = "expected KEY=LOW:HIGH, e.g. disruptions.ga-control.severity=0.2:1.0"


@dataclass(frozen=True)
class Parameter:
    """One uncertain input: a dotted scenario key varied over [low, high]."""

    key: str
    low: float
    high: float

    def __post_init__(self) -> None:
        if not self.key:
            raise ValueError("a parameter needs a key")
        if not (math.isfinite(self.low) and math.isfinite(self.high)):
            raise ValueError(f"the range of {self.key!r} must be finite numbers")
        if not self.low < self.high:
            raise ValueError(
                f"the range of {self.key!r} must have low < high (got {self.low}, {self.high})"
            )


def parse_parameter(text: str) -> Parameter:
    """'a.b=0.2:1.0' -> Parameter('a.b', 0.2, 1.0). Raises ValueError naming the text."""
    key, eq, raw = text.partition("=")
    key, raw = key.strip(), raw.strip()
    if not eq or not key or not raw:
        raise ValueError(f"cannot read parameter {text!r}: {_FORM}")
    low_text, colon, high_text = raw.partition(":")
    if not colon or ":" in high_text:
        raise ValueError(f"cannot read parameter {text!r}: {_FORM}")
    try:
        low, high = float(low_text), float(high_text)
    except ValueError:
        raise ValueError(f"cannot read parameter {text!r}: LOW and HIGH must be numbers") from None
    try:
        return Parameter(key, low, high)
    except ValueError as exc:
        raise ValueError(f"cannot read parameter {text!r}: {exc}") from None


@dataclass
class SensitivityResult:
    """A sensitivity analysis: the sample `X` (one row per model run, one column per
    parameter), the outputs `Y`, and `indices` (one row per parameter, most important
    first)."""

    method: str
    metric: str
    commodity: str
    bloc: str
    parameters: list[Parameter]
    X: np.ndarray
    Y: np.ndarray
    indices: pd.DataFrame
    runs: Sweep | None = field(default=None, repr=False)
    """The model runs themselves, so that other outputs are analysed without running again
    (`for_output`)."""

    @property
    def importance(self) -> str:
        """The column that ranks the parameters (mu_star or ST)."""
        return IMPORTANCE[self.method]

    @property
    def confidence(self) -> str:
        """The confidence half-width column of the importance index."""
        return CONFIDENCE[self.method]


def problem(parameters: list[Parameter]) -> dict:
    """The SALib problem for the parameters."""
    return {
        "num_vars": len(parameters),
        "names": [p.key for p in parameters],
        "bounds": [[p.low, p.high] for p in parameters],
    }


def _check(parameters: list[Parameter], method: str, samples: int) -> None:
    if method not in METHODS:
        raise ValueError(f"unknown sensitivity method {method!r} (known: {', '.join(METHODS)})")
    if not parameters:
        raise ValueError("a sensitivity analysis needs at least one parameter")
    keys = [p.key for p in parameters]
    duplicates = sorted({k for k in keys if keys.count(k) > 1})
    if duplicates:
        raise ValueError(f"parameter given more than once: {', '.join(duplicates)}")
    least = 2 if method == "morris" else 1
    if samples < least:
        raise ValueError(f"{method} needs samples >= {least} (got {samples})")


def _sample(prob: dict, method: str, samples: int, seed: int) -> np.ndarray:
    if method == "morris":
        from SALib.sample import morris as morris_sample

        return morris_sample.sample(prob, samples, num_levels=MORRIS_LEVELS, seed=seed)
    from SALib.sample import sobol as sobol_sample

    return sobol_sample.sample(prob, samples, calc_second_order=False, seed=seed)


def _analyze(prob: dict, method: str, X: np.ndarray, Y: np.ndarray, seed: int) -> pd.DataFrame:
    if method == "morris":
        from SALib.analyze import morris

        raw = morris.analyze(prob, X, Y, num_levels=MORRIS_LEVELS, seed=seed)
    else:
        from SALib.analyze import sobol

        raw = sobol.analyze(prob, Y, calc_second_order=False, seed=seed)
    frame = pd.DataFrame(
        {c: np.asarray(raw[c], dtype=float) for c in COLUMNS[method]},
        index=pd.Index(prob["names"], name="parameter"),
    )
    key = IMPORTANCE[method]
    return frame.sort_values(key, ascending=False, kind="stable", na_position="last")


def _index(known: tuple[str, ...], value: str, what: str) -> int:
    if value not in known:
        raise ValueError(f"no {what} {value!r} in the scenario (known: {', '.join(known)})")
    return known.index(value)


def sensitivity(
    path: str | Path,
    parameters: list[Parameter],
    *,
    method: str = "morris",
    samples: int,
    metric: str,
    commodity: str,
    bloc: str,
    reps: int,
    seed: int = DEFAULT_SEED,
    option: str | None = None,
    overrides: tuple[str, ...] = (),
    sets: tuple[str, ...] = (),
    **execution,
) -> SensitivityResult:
    """Sample the parameters with SALib (Morris: `samples` trajectories on 4 levels; Sobol:
    `samples` base points, first and total order), run every sample row as a sweep point on
    the same seed, and analyze the mean of `metric` for `commodity` in `bloc`.
    `execution` goes to `run_replications` (executor, workers, ...)."""
    parameters = list(parameters)
    _check(parameters, method, samples)
    prob = problem(parameters)
    X = np.asarray(_sample(prob, method, samples, seed), dtype=float)
    points = [{p.key: _fmt(float(v)) for p, v in zip(parameters, row, strict=True)} for row in X]
    sweep = run_sweep(
        path,
        points,
        reps=reps,
        seed=seed,
        option=option,
        overrides=overrides,
        sets=sets,
        **execution,
    )
    first = sweep.results[0]
    if metric not in first.metrics:
        known = ", ".join(sorted(first.metrics))
        raise ValueError(f"no metric {metric!r} in the results (known: {known})")
    k = _index(tuple(first.world.commodities), commodity, "commodity")
    b = _index(tuple(first.world.blocs), bloc, "bloc")
    Y = np.array([float(np.mean(r.metrics[metric][:, k, b])) for r in sweep.results])
    indices = _analyze(prob, method, X, Y, seed)
    return SensitivityResult(method, metric, commodity, bloc, parameters, X, Y, indices, sweep)


def for_output(result: SensitivityResult, commodity: str, bloc: str, seed: int = DEFAULT_SEED):
    """The same analysis of the same runs for another commodity and bloc (no simulation)."""
    if result.runs is None:
        raise ValueError("this sensitivity result kept no runs to analyse again")
    first = result.runs.results[0]
    k = _index(tuple(first.world.commodities), commodity, "commodity")
    b = _index(tuple(first.world.blocs), bloc, "bloc")
    Y = np.array([float(np.mean(r.metrics[result.metric][:, k, b])) for r in result.runs.results])
    indices = _analyze(problem(result.parameters), result.method, result.X, Y, seed)
    return replace(result, commodity=commodity, bloc=bloc, Y=Y, indices=indices)
