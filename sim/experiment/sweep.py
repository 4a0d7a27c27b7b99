"""Parameter sweeps: run one scenario at many points of its parameters.

A point is a mapping of dotted keys to values written as text, exactly as `--set KEY=VALUE`
would take them (values are read as YAML). Every point is loaded and validated before any
runs, so one bad value stops the sweep at once with every problem listed. All points run on
the same seed and replication indices (common random numbers), so the differences between
points are the parameter's effect, not sampling noise.
"""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..results import Results
from ..scenario import LoadedScenario, Problem, ScenarioError, load
from .executors import shared_workers
from .runner import DEFAULT_SEED, run_replications

TABLE_STATS = ("commodity", "bloc", "metric", "mean", "p5", "p50", "p95")
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


@dataclass
class Sweep:
    """The points of a sweep and the results of each, in the same order."""

    points: list[dict[str, str]]
    results: list[Results]

    @property
    def axes(self) -> list[str]:
        """The swept keys, in the order they first appear."""
        return list(dict.fromkeys(k for p in self.points for k in p))

    def table(self) -> pd.DataFrame:
        """One row per point, commodity, bloc and metric: the point's values (one column per
        swept key), then commodity, bloc, metric, mean, p5, p50, p95."""
        axes = self.axes
        frames = []
        for point, res in zip(self.points, self.results, strict=True):
            frame = res.summary()[list(TABLE_STATS)].copy()
            for j, key in enumerate(axes):
                frame.insert(j, key, point.get(key))
            frames.append(frame)
        return pd.concat(frames, ignore_index=True)


def run_sweep(
    path: str | Path,
    points: list[dict[str, str]],
    *,
    reps: int,
    seed: int = DEFAULT_SEED,
    option: str | None = None,
    overrides: tuple[str, ...] = (),
    sets: tuple[str, ...] = (),
    **execution,
) -> Sweep:
    """Validate every point, then run each with the same seed (common random numbers).
    `execution` goes to `run_replications` (executor, workers, block_size, ...)."""
    loaded = validate_points(path, points, overrides, sets)
    with shared_workers(  # every point runs on the same workers, started once
        execution.get("executor", "inline"), execution.get("workers"), execution.get("scheduler")
    ) as shared:
        results = [
            run_replications(s, reps, seed, option=option, shared=shared, **execution)
            for s in loaded
        ]
    return Sweep([dict(p) for p in points], results)
