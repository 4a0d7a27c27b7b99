"""Parameter sweeps: run one scenario at many points of its parameters.

A point is a mapping of dotted keys to values written as text, exactly as `--set KEY=VALUE`
would take them (values are read as YAML). Every point is loaded and validated before any
runs, so one bad value stops the sweep at once with every problem listed. All points run on
the same seed and replication indices (common random numbers), so the differences between
points are the parameter's effect, not sampling noise.
"""

from __future__ import annotations

import itertools
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..scenario import LoadedScenario, Problem, ScenarioError, load
from .executors import shared_workers
from .progress import within
from .results import Results
from .runner import BASE, DEFAULT_SEED, run_replications

TABLE_STATS = ("option", "commodity", "bloc", "metric", "unit", "mean", "p5", "p50", "p95")
_FORMS = "expected KEY=V1,V2,..., KEY=range(START,STOP[,STEP]) or KEY=linspace(START,STOP,N)"
MAX_VALUES = 10_000
"""Bound on the values one axis may expand to (a typo in a step should not hang a run)."""
_CALL = re.compile(r"^(range|linspace)\((.*)\)$")


def _fmt(x: float) -> str:
    """Short text for a number: 0.6000000000000001 -> '0.6', 2.0 -> '2'."""
    if x == 0:
        return "0"  # never '-0'
    return format(x, ".15g")


def _numbers(text: str, args: str, func: str) -> list[float]:
    parts = [a.strip() for a in args.split(",")]
    try:
        numbers = [float(a) for a in parts]
    except ValueError:
        raise ValueError(f"cannot read sweep {text!r}: {func}() takes numbers") from None
    if not all(math.isfinite(v) for v in numbers):
        raise ValueError(f"cannot read sweep {text!r}: {func}() takes finite numbers")
    return numbers


def _range(text: str, args: list[float]) -> list[str]:
    if not 1 <= len(args) <= 3:
        raise ValueError(f"cannot read sweep {text!r}: range() takes 1 to 3 numbers")
    start, stop, step = (0.0, args[0], 1.0) if len(args) == 1 else (*args[:2], 1.0)
    if len(args) == 3:
        step = args[2]
    if step == 0:
        raise ValueError(f"cannot read sweep {text!r}: range() needs a non-zero step")
    n = max(0, math.ceil((stop - start) / step - 1e-9))  # stop excluded, as in range()
    if n > MAX_VALUES:
        raise ValueError(f"cannot read sweep {text!r}: {n:,} values (at most {MAX_VALUES:,})")
    return [_fmt(start + i * step) for i in range(n)]


def _linspace(text: str, args: list[float]) -> list[str]:
    if len(args) != 3 or args[2] != int(args[2]) or not 1 <= args[2] <= MAX_VALUES:
        raise ValueError(
            f"cannot read sweep {text!r}: linspace() takes START,STOP,N with N a whole number "
            f"from 1 to {MAX_VALUES:,}"
        )
    return [_fmt(float(v)) for v in np.linspace(args[0], args[1], int(args[2]))]


def parse_sweep(text: str) -> tuple[str, list[str]]:
    """'a.b=1,2,3' -> ('a.b', ['1', '2', '3']); also 'a.b=range(0.2,1.0,0.2)' (stop excluded)
    and 'a.b=linspace(0,1,5)' (both ends included). Raises ValueError naming the text."""
    key, eq, raw = text.partition("=")
    key, raw = key.strip(), raw.strip()
    if not eq or not key or not raw:
        raise ValueError(f"cannot read sweep {text!r}: {_FORMS}")
    call = _CALL.match(raw)
    if call:
        func, args = call.groups()
        numbers = _numbers(text, args, func)
        values = _range(text, numbers) if func == "range" else _linspace(text, numbers)
    else:
        values = [v.strip() for v in raw.split(",")]
        if any(v == "" for v in values):
            raise ValueError(f"cannot read sweep {text!r}: an empty value between commas")
    if not values:
        raise ValueError(f"cannot read sweep {text!r}: it gives no values")
    return key, values


def grid(axes: dict[str, list[str]]) -> list[dict[str, str]]:
    """Every combination of the axes' values (full factorial); the last axis varies fastest."""
    keys = list(axes)
    return [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*axes.values())]


def latin_hypercube(
    ranges: dict[str, tuple[float, float]], n: int, seed: int = DEFAULT_SEED
) -> list[dict[str, str]]:
    """`n` points of a Latin hypercube over the ranges [low, high) of each key; the same
    seed gives the same points."""
    from scipy.stats import qmc

    if n < 1:
        raise ValueError("a Latin hypercube needs at least 1 point")
    if not ranges:
        raise ValueError("a Latin hypercube needs at least one range")
    for key, (low, high) in ranges.items():
        if not low < high:
            raise ValueError(f"the range of {key!r} must have low < high (got {low}, {high})")
    keys = list(ranges)
    unit = qmc.LatinHypercube(d=len(keys), seed=seed).random(n)
    lows = [float(ranges[k][0]) for k in keys]
    highs = [float(ranges[k][1]) for k in keys]
    sample = qmc.scale(unit, lows, highs)
    return [{k: _fmt(float(v)) for k, v in zip(keys, row, strict=True)} for row in sample]


def sweep_axes(loaded: LoadedScenario, sweeps: Sequence[str] = ()) -> dict[str, list[str]]:
    """The axes of a sweep: the scenario's `sweep:` section, then each `KEY=VALUES` text of
    `sweeps` (`parse_sweep`), which replaces an axis of the same key."""
    axes: dict[str, list[str]] = {}
    for key, values in loaded.scenario.sweep.items():
        if isinstance(values, str):
            axes.update([parse_sweep(f"{key}={values}")])
        else:
            axes[key] = [json.dumps(v) if not isinstance(v, str) else v for v in values]
    for text in sweeps:
        key, values = parse_sweep(text)
        axes[key] = values
    if not axes:
        raise ValueError("nothing to sweep: give --sweep KEY=VALUES or a `sweep:` section")
    return axes


DESIGNS = ("grid", "lhs")
"""How a sweep places its points: every combination, or a Latin hypercube."""


def design_points(
    axes: dict[str, list[str]], design: str = "grid", samples: int = 20, seed: int = DEFAULT_SEED
) -> list[dict[str, str]]:
    """The points of a sweep over `axes`: every combination (`grid`), or `samples` points of
    a Latin hypercube over each axis's range of values (`lhs`)."""
    if design == "grid":
        return grid(axes)
    if design != "lhs":
        raise ValueError(f"unknown sweep design {design!r}: choose one of {', '.join(DESIGNS)}")
    try:
        ranges = {k: (min(map(float, v)), max(map(float, v))) for k, v in axes.items()}
    except ValueError:
        raise ValueError("a Latin hypercube needs numeric values on every axis") from None
    return latin_hypercube(ranges, samples, seed)


def point_sets(point: dict[str, str], sets: tuple[str, ...] = ()) -> tuple[str, ...]:
    """The `--set` options that make a point: the sweep's own sets first, then the point's."""
    return (*sets, *(f"{k}={v}" for k, v in point.items()))


def _label(i: int, point: dict[str, str]) -> str:
    return f"sweep point {i + 1}: " + ", ".join(f"{k}={v}" for k, v in point.items())


def validate_points(
    path: str | Path,
    points: list[dict[str, str]],
    overrides: tuple[str, ...] = (),
    sets: tuple[str, ...] = (),
) -> list[LoadedScenario]:
    """Load every point before anything runs; raise one ScenarioError with the problems of
    every failing point. A problem that does not already point at one of the point's own
    `--set` options is marked with the point it came from."""
    if not points:
        raise ValueError("a sweep needs at least one point")
    loaded: list[LoadedScenario] = []
    problems: list[Problem] = []
    for i, point in enumerate(points):
        own = point_sets(point)
        try:
            loaded.append(load(path, tuple(overrides), point_sets(point, tuple(sets))))
        except ScenarioError as exc:
            for p in exc.problems:
                at_point = p.location is not None and p.location.file in {f"--set {s}" for s in own}
                if not at_point and len(points) > 1:
                    p = Problem(p.location, p.key, f"{p.message} ({_label(i, point)})")
                problems.append(p)
    if problems:
        raise ScenarioError(problems)
    return loaded


def summary_metrics(loaded: LoadedScenario, options: Sequence[str] = ()) -> list[str]:
    """The metric names a run of `loaded` puts in its summary, known before anything runs:
    the per-replication metrics and CVaR95; shortfall avoided and cost per tonne when an
    option has policies; the supply-risk diagnostics (HHI and import reliance always, the
    JRC and USGS indices with `governance:` scores) named by stage as summary.csv names
    them. A name outside this list cannot be in the results, so a sweep refuses it at once."""
    from ..engine.diagnostics import BLOC_METRICS, STAGE_METRICS
    from ..engine.recorder import METRICS

    s = loaded.scenario
    names = [*METRICS, "social_cost_cvar95"]
    if any(o != BASE and s.options.get(o) for o in options):
        names += ["shortfall_avoided_t", "cost_per_tonne_avoided"]
    scored = bool(s.governance)
    stages = list(dict.fromkeys(st for c in s.commodities.values() for st in c.stages))
    for name in STAGE_METRICS:
        if scored or name.startswith("hhi_"):
            index, reduction = name.rsplit("_", 1)
            names += [f"{index}_{stage}_{reduction}" for stage in stages]
    names += [m for m in BLOC_METRICS if scored or not m.startswith("jrc_")]
    if scored:
        names += [f"jrc_sr_{stage}_mean" for stage in stages]
    return list(dict.fromkeys(names))


def _unknown(what: str, value: str, known: Sequence[str]) -> ValueError:
    """The one message for a name the scenario does not have (`compare.unknown_name`)."""
    from .compare import unknown_name

    return ValueError(unknown_name(what, value, known))


def check_names(
    loaded: LoadedScenario,
    *,
    metrics: Sequence[str] = (),
    commodities: Sequence[str | None] = (),
    blocs: Sequence[str | None] = (),
    options: Sequence[str] = (),
) -> None:
    """Refuse, before anything runs, a metric, commodity, bloc or option the results could
    not hold, with the nearest known name: a misspelt metric was found only after every
    point had been simulated. Commodity `all` (totals in money) and blocs `all` and `world`
    (the stage figures) are names the summary uses as well. None passes (not chosen)."""
    s = loaded.scenario
    known_options = list(s.options) or [BASE]
    for option in options:
        if option not in known_options:
            raise _unknown("option", option, known_options)
    known_metrics = summary_metrics(loaded, options)
    for metric in metrics:
        if metric not in known_metrics:
            raise _unknown("metric", metric, known_metrics)
    known_commodities = [*s.commodities, "all"]
    for commodity in commodities:
        if commodity is not None and commodity not in known_commodities:
            raise _unknown("commodity", commodity, known_commodities)
    known_blocs = [*s.blocs, "all", "world"]
    for bloc in blocs:
        if bloc is not None and bloc not in known_blocs:
            raise _unknown("bloc", bloc, known_blocs)


@dataclass
class Sweep:
    """The points of a sweep and the results of each: point-major, one `Results` per point
    and option (`options`, in that order; one per point when `options` is empty)."""

    points: list[dict[str, str]]
    results: list[Results]
    options: list[str] = field(default_factory=list)

    @property
    def axes(self) -> list[str]:
        """The swept keys, in the order they first appear."""
        return list(dict.fromkeys(k for p in self.points for k in p))

    def __repr__(self) -> str:
        of = f" x {len(self.options)} options" if len(self.options) > 1 else ""
        return f"<minsim Sweep of {', '.join(self.axes)}: {len(self.points)} points{of}>"

    def runs(self) -> list[tuple[int, Results]]:
        """(index of the point, results) for every run, in the order of `results`."""
        per_point = max(len(self.options), 1)
        return [(i // per_point, r) for i, r in enumerate(self.results)]

    def table(self, number: str | None = None) -> pd.DataFrame:
        """One row per point, option, commodity, bloc and metric: the point's values (one
        column per swept key), then option, commodity, bloc, metric, unit, mean, p5, p50,
        p95 (every metric of the summary, in summary.csv's order); with `number`, first a
        column of that name holding the point's index."""
        axes = self.axes
        frames = []
        for i, res in self.runs():
            frame = res.summary()[list(TABLE_STATS)].copy()
            for j, key in enumerate(axes):
                frame.insert(j, key, self.points[i].get(key))
            if number is not None:
                frame.insert(0, number, i)
            frames.append(frame)
        return pd.concat(frames, ignore_index=True)


def _replications_per_point(loaded: LoadedScenario, reps: int, options: list) -> int:
    """Replications one point simulates: each option's, with the baseline's once when a
    single option with policies needs it for its cost per tonne (`run_replications`)."""
    from .runner import baseline_option, default_option

    if len(options) > 1:
        return reps * len({*options, baseline_option(loaded) or BASE})
    one = options[0] or default_option(loaded)
    return reps * (2 if one != BASE and loaded.scenario.options.get(one) else 1)


def run_sweep(
    path: str | Path,
    points: list[dict[str, str]],
    *,
    reps: int,
    seed: int = DEFAULT_SEED,
    option: str | None = None,
    options: Sequence[str] | None = None,
    overrides: tuple[str, ...] = (),
    sets: tuple[str, ...] = (),
    **execution,
) -> Sweep:
    """Validate every point, then run each with the same seed (common random numbers):
    `option` (default the scenario's first), or every one of `options`, which run on the
    same replications as one comparison per point (`compare_options`; the results are
    those `run_replications` gives each option). `execution` goes to the runner
    (executor, workers, block_size, progress, ...)."""
    from .compare import compare_options

    loaded = validate_points(path, points, overrides, sets)
    chosen = list(options or ())
    if chosen:
        check_names(loaded[0], options=chosen)
    report = execution.pop("report", None)
    per_point = _replications_per_point(loaded[0], reps, chosen or [option])
    total = per_point * len(loaded)
    with shared_workers(  # every point runs on the same workers, started once
        execution.get("executor", "inline"), execution.get("workers"), execution.get("scheduler")
    ) as shared:
        results: list[Results] = []
        for i, s in enumerate(loaded):
            told = within(report, f"point {i + 1}/{len(loaded)}", i * per_point, total)
            if len(chosen) > 1:
                ran = compare_options(
                    s, reps, seed, options=chosen, shared=shared, report=told, **execution
                )
                results += [ran.results[o] for o in chosen]
            else:
                one = chosen[0] if chosen else option
                results.append(
                    run_replications(
                        s, reps, seed, option=one, shared=shared, report=told, **execution
                    )
                )
    return Sweep([dict(p) for p in points], results, chosen)
