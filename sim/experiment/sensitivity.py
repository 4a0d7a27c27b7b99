"""Global sensitivity analysis (Morris elementary effects or Sobol indices) with SALib.

Each parameter is a dotted scenario key with a range [low, high]. SALib draws the sample;
every sample row becomes a sweep point (`--set KEY=VALUE` for each parameter) and all points
run through `run_sweep` on the same seed (common random numbers), so differences between
points come from the parameters, not from sampling noise. The model output is the mean over
replications of one metric for one commodity and bloc.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..scenario import load
from .runner import DEFAULT_SEED, default_option
from .sweep import _fmt, check_names, run_sweep

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
    option: str = ""
    table: pd.DataFrame = field(default_factory=pd.DataFrame)
    """Every metric of every model run (`run`, the parameters, then the columns of a
    sweep's table), not only the one analysed."""

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


def sensitivity(
    path: str | Path,
    parameters: list[Parameter],
    *,
    option: str | None = None,
    overrides: tuple[str, ...] = (),
    sets: tuple[str, ...] = (),
    **settings: Any,
) -> SensitivityResult:
    """`sensitivities` of one option (`option`, else the scenario's first): SALib samples
    of the parameters (Morris: `samples` trajectories on 4 levels; Sobol: `samples` base
    points, first and total order), every row run as a sweep point on the same seed, and
    the mean of `metric` for `commodity` in `bloc` analyzed. `settings` are `sensitivities`'
    keywords (method, samples, metric, commodity, bloc, reps, seed) and the runner's
    (executor, workers, ...)."""
    chosen = option or default_option(load(path, tuple(overrides), tuple(sets)))
    (result,) = sensitivities(
        path, parameters, options=[chosen], overrides=overrides, sets=sets, **settings
    ).values()
    return result


def sensitivities(
    path: str | Path,
    parameters: list[Parameter],
    *,
    method: str = "morris",
    samples: int,
    metric: str,
    commodity: str,
    bloc: str,
    reps: int,
    options: Sequence[str],
    seed: int = DEFAULT_SEED,
    overrides: tuple[str, ...] = (),
    sets: tuple[str, ...] = (),
    **execution,
) -> dict[str, SensitivityResult]:
    """`sensitivity` for each of `options`, on one sample: every sample row runs every
    option on the same replications, and each option's indices come from its own outputs.
    The metric, commodity, bloc and options are checked before anything is sampled or run."""
    parameters = list(parameters)
    _check(parameters, method, samples)
    options = list(options)
    if not options:
        raise ValueError("a sensitivity analysis needs at least one option")
    base = load(path, tuple(overrides), tuple(sets))
    check_names(base, metrics=[metric], commodities=[commodity], blocs=[bloc], options=options)
    prob = problem(parameters)
    X = np.asarray(_sample(prob, method, samples, seed), dtype=float)
    points = [{p.key: _fmt(float(v)) for p, v in zip(parameters, row, strict=True)} for row in X]
    sweep = run_sweep(
        path,
        points,
        reps=reps,
        seed=seed,
        options=options,
        overrides=overrides,
        sets=sets,
        **execution,
    )
    table = sweep.table(number="run")
    out = {}
    for option in options:
        rows = table[
            (table.option == option)
            & (table.metric == metric)
            & (table.commodity == commodity)
            & (table.bloc == bloc)
        ]
        if len(rows) != len(points):  # a name the scenario has, but this run did not report
            known = ", ".join(sorted(table[table.option == option].metric.unique()))
            raise ValueError(
                f"no metric {metric!r} for {commodity} in {bloc} in the results of option "
                f"{option!r} (known: {known})"
            )
        Y = rows.sort_values("run", kind="stable")["mean"].to_numpy(dtype=float)
        indices = _analyze(prob, method, X, Y, seed)
        out[option] = SensitivityResult(
            method,
            metric,
            commodity,
            bloc,
            parameters,
            X,
            Y,
            indices,
            option,
            table[table.option == option].reset_index(drop=True),
        )
    return out


def for_output(result: SensitivityResult, commodity: str, bloc: str, seed: int = DEFAULT_SEED):
    """The same analysis of the same model runs for another commodity and bloc, from the
    runs' table (`SensitivityResult.table`): nothing is simulated again."""
    table = result.table
    if table.empty:
        raise ValueError("this sensitivity result kept no table of its runs to analyse again")
    rows = table[
        (table.metric == result.metric) & (table.commodity == commodity) & (table.bloc == bloc)
    ]
    if len(rows) != len(result.X):
        raise ValueError(
            f"no {result.metric!r} for {commodity} in {bloc} in the runs of option "
            f"{result.option!r}"
        )
    Y = rows.sort_values("run", kind="stable")["mean"].to_numpy(dtype=float)
    indices = _analyze(problem(result.parameters), result.method, result.X, Y, seed)
    return replace(result, commodity=commodity, bloc=bloc, Y=Y, indices=indices)


def outputs(results: dict[str, SensitivityResult], loaded) -> list[tuple[str, str]]:
    """The (commodity, bloc) outputs analysed by default: the rule of the figures
    (`experiment.touched`) applied to the runs' own tables. A mineral is touched if a disruption
    or a policy of the options run names it, or if its peak price or shortfall moved beyond
    the start-up noise in some run and bloc; a bloc is hit if a disruption hits it by its
    definition or if a price or shortfall moved there."""
    from .touched import PRICE_NOISE, SHORTFALL_NOISE, named_blocs, named_commodities

    s = loaded.scenario
    table = pd.concat([r.table for r in results.values()], ignore_index=True)
    table = table[table.commodity.isin(s.commodities) & table.bloc.isin(s.blocs)]
    price = (table.metric == "peak_price_multiple") & ((table["mean"] - 1).abs() > PRICE_NOISE)
    short = (table.metric == "shortfall_share") & (table["mean"] > SHORTFALL_NOISE)
    moved = table[price | short]
    commodities = named_commodities(s, results) | set(moved.commodity)
    blocs = named_blocs(s) | set(moved.bloc)
    return [
        (c, b)
        for c in [c for c in s.commodities if c in commodities] or list(s.commodities)
        for b in [b for b in s.blocs if b in blocs] or list(s.blocs)
    ]
