"""Calibration of the uncertain market parameters on the back-test library (`minsim calibrate`).

The parameters marked ⚠ in the base world that set how a market answers a shock (the demand
backstop, the commercial stocks held, how fast stockholders read a change of inflow) are
fitted per *market class* of commodities (`market_class:` in the base world), never per
episode. The method (docs/validation.md, "Calibration"):

1. Every episode is run at every point of a grid of those parameters, with the same seed at
   every point (common random numbers), and each of its targets scored by z-values that are
   the back-test's own pass criteria rescaled: a peak within a factor of 2 of the observed,
   or a time to peak within ±50%, is |z| <= 1. A split of the wrong sign costs z = 2.
2. Those tolerances are read as the standard errors of a Gaussian likelihood, so with a flat
   prior on the grid (uniform in the logarithm of each parameter) the posterior weight of a
   point is exp(-chi2 / 2), chi2 the sum of squared z over the episodes of the class. The
   fit is the point of highest weight; the uncertainty is the 5-95% range of the posterior.
3. Out-of-sample skill is leave-one-out: each episode is scored at the fit of its class
   made without it. An episode alone in its class is scored at the fit of all the other
   episodes pooled (one parameter set for every commodity): the best the tool can say of a
   class it has no history for, which is also what a class without episodes is given.

The grid search is `scipy.optimize.brute` in spirit, written out because every point is
needed (for the posterior and for leave-one-out), not only the minimum.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..scenario import load
from ..scenario.loader import set_option
from ..scenario.units import parse_duration
from .backtest import (
    DEFAULT_BACKTEST_SEED,
    PEAK_FACTOR,
    TIME_TOLERANCE,
    EpisodeResult,
    run_episode,
    split_ok,
)

DEFAULT_CALIBRATION_REPS = 50
"""Replications per episode and grid point: medians of 50 with common random numbers."""

GRID: dict[str, tuple] = {
    "elasticity.backstop": (1.5, 2.0, 3.0, 5.0, 8.0, 13.0, 21.0, 34.0, 55.0),
    "elasticity.backstop_spread": (0.5, 1.0),
    "stock_days": (30.0, 60.0, 90.0, 135.0, 200.0, 300.0),
    "storage.learning": ("1 month", "3 months", "6 months", "12 months", "24 months"),
    "trade.rerouting": ("0 months", "6 months"),
}
"""The parameters fitted (keys inside a commodity) and the values tried, about evenly spaced
in their logarithm: the backstop from 1.5x to 55x the reference price with users' give-up
prices spread narrowly or widely around it, stocks from one to ten months of use, learning
from one month to two years, and buyers abroad switching origins at once or over about six
months (1,080 points)."""

SPLIT_PENALTY = 2.0
"""z of a split of the wrong sign."""

POOLED = "(pooled)"
"""Name of the fit on all episodes together."""


def parse_grid(options: Iterable[str]) -> dict[str, tuple]:
    """`KEY=V1,V2,...` options as a grid: numbers, or durations written with a unit ('3
    months'). A malformed option is a ValueError that says what to write."""
    grid: dict[str, tuple] = {}
    for option in options:
        key, eq, values = option.partition("=")
        key = key.strip()
        if not eq or not key or not values.strip():
            raise ValueError(f"--grid {option!r}: write KEY=V1,V2,... (e.g. stock_days=30,60,90)")
        parsed: list[float | str] = []
        for v in (v.strip() for v in values.split(",")):
            try:
                parsed.append(float(v))
            except ValueError:
                try:
                    numeric(v)
                except (ValueError, KeyError):
                    raise ValueError(
                        f"--grid {option!r}: {v!r} is neither a number nor a duration such as "
                        "'3 months'"
                    ) from None
                parsed.append(v)
        if key in grid:
            raise ValueError(f"--grid: {key!r} is given twice")
        grid[key] = tuple(parsed)
    return grid


def points(grid: dict[str, tuple]) -> list[dict[str, object]]:
    """Every combination of the grid's values, in a fixed order."""
    keys = list(grid)
    return [dict(zip(keys, values, strict=True)) for values in itertools.product(*grid.values())]


def numeric(value: object) -> float:
    """A grid value as a number (durations in years), for weights and ranges."""
    if isinstance(value, int | float):
        return float(value)
    return parse_duration(str(value))


# -- scoring ---------------------------------------------------------------------------------
def target_z(e: EpisodeResult) -> dict[str, float]:
    """z of each criterion of each target of a judged episode ('<target>.<criterion>')."""
    z = {}
    for t in e.targets:
        o, s = t.observed, t.simulated
        peak = s.peak_multiple if np.isfinite(s.peak_multiple) and s.peak_multiple > 0 else 1e-9
        z[f"{t.name}.peak"] = math.log(peak / o.peak_multiple) / math.log(PEAK_FACTOR)
        if o.months_to_peak is not None:
            months = s.months_to_peak if np.isfinite(s.months_to_peak) else 1e9
            z[f"{t.name}.time"] = (months - o.months_to_peak) / (TIME_TOLERANCE * o.months_to_peak)
        if o.split is not None:
            z[f"{t.name}.split"] = 0.0 if split_ok(o.split.sign, s.split_ratio) else SPLIT_PENALTY
    return z


@dataclass
class EpisodeGrid:
    """One episode run at every grid point: its class and each point's z-values."""

    name: str
    market_class: str
    commodities: tuple[str, ...]  # the commodities of its class that the grid sets
    z: list[dict[str, float]]  # per point

    def chi2(self) -> np.ndarray:
        return np.array([sum(v * v for v in zs.values()) for zs in self.z])


def episode_class(path: Path) -> tuple[str, tuple[str, ...]]:
    """The market class of an episode's targets, and every commodity of that class in the
    episode's world (the grid sets them all, as the class shares one parameter set). Targets
    of two classes in one episode are an error: its score could not be split between them."""
    loaded = load(path)
    s = loaded.scenario
    if s.backtest is None:
        raise ValueError(f"{path} has no `backtest:` section: it is not an episode")
    classes = {
        s.commodities[t.commodity].class_name(t.commodity) for t in s.backtest.targets.values()
    }
    if len(classes) != 1:
        raise ValueError(
            f"{path.name}: its targets belong to market classes {sorted(classes)}; an episode "
            "is calibrated in one class"
        )
    (cls,) = classes
    members = tuple(c for c, com in s.commodities.items() if com.class_name(c) == cls)
    return cls, members


def edits(data: dict, commodities: Iterable[str], point: dict[str, object]) -> tuple[str, ...]:
    """The `--set` edits that put a grid point into an episode whose resolved document is
    `data`."""
    return tuple(
        set_option(data, f"commodities.{c}.{key}", value)
        for c in commodities
        for key, value in point.items()
    )


def _score(args: tuple) -> dict[str, float]:
    path, sets, reps, seed = args
    return target_z(run_episode(path, reps, seed, sets=sets))


def run_grid(
    episodes: dict[str, Path],
    grid: dict[str, tuple] = GRID,
    reps: int = DEFAULT_CALIBRATION_REPS,
    seed: int = DEFAULT_BACKTEST_SEED,
    *,
    workers: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> list[EpisodeGrid]:
    """Run every episode at every grid point (in `workers` processes) and score it. The
    numbers do not depend on `workers`: each run has its own seed, the same at every point."""
    pts = points(grid)
    info = {name: episode_class(path) for name, path in episodes.items()}
    data = {name: load(path).source.data for name, path in episodes.items()}
    tasks = [
        (path, edits(data[name], info[name][1], p), reps, seed)
        for name, path in episodes.items()
        for p in pts
    ]
    done: list[dict[str, float]] = []
    if workers > 1:
        with ProcessPoolExecutor(workers) as pool:
            for z in pool.map(_score, tasks, chunksize=4):
                done.append(z)
                if progress:
                    progress(len(done), len(tasks))
    else:
        for t in tasks:
            done.append(_score(t))
            if progress:
                progress(len(done), len(tasks))
    n = len(pts)
    return [
        EpisodeGrid(name, info[name][0], info[name][1], done[i * n : (i + 1) * n])
        for i, name in enumerate(episodes)
    ]


def read_grid(text: str) -> tuple[dict[str, tuple], list[EpisodeGrid]]:
    """The grid and the episodes' z-values of a saved `grid.csv` (`grid_csv`), to refit
    without simulating again (`minsim calibrate --from-grid`)."""
    lines = text.strip().splitlines()
    head = lines[0].split(",")
    if head[:2] != ["episode", "market_class"] or head[-2:] != ["criterion", "z"]:
        raise ValueError("not a grid.csv written by minsim calibrate")
    keys = head[2:-2]
    values: dict[str, list] = {k: [] for k in keys}
    z: dict[str, dict[tuple, dict[str, float]]] = {}
    classes: dict[str, str] = {}
    for line in lines[1:]:
        cells = line.split(",")
        name, cls, point, crit, v = cells[0], cells[1], cells[2:-2], cells[-2], cells[-1]
        parsed = tuple(_grid_value(x) for x in point)
        for k, x in zip(keys, parsed, strict=True):
            if x not in values[k]:
                values[k].append(x)
        classes[name] = cls
        z.setdefault(name, {}).setdefault(parsed, {})[crit] = float(v)
    grid = {k: tuple(v) for k, v in values.items()}
    order = [tuple(p[k] for k in keys) for p in points(grid)]
    runs = []
    for name, by_point in z.items():
        missing = [p for p in order if p not in by_point]
        if missing:
            raise ValueError(f"grid.csv lacks {len(missing)} grid points of episode {name!r}")
        runs.append(EpisodeGrid(name, classes[name], (), [by_point[p] for p in order]))
    return grid, runs


def _grid_value(text: str) -> object:
    try:
        return float(text)
    except ValueError:
        return text


# -- fitting ---------------------------------------------------------------------------------
@dataclass
class Fit:
    """The posterior of one class (or of all episodes pooled) on the grid."""

    market_class: str
    episodes: tuple[str, ...]
    best: int  # index of the grid point of highest posterior weight
    weights: np.ndarray  # posterior weight of every grid point (sums to 1)
    chi2: float  # at the best point

    def value(self, pts: list[dict[str, object]], key: str) -> object:
        return pts[self.best][key]

    def interval(self, pts: list[dict[str, object]], key: str) -> tuple[float, float]:
        """5% and 95% quantiles of the posterior of one parameter."""
        x = np.array([numeric(p[key]) for p in pts])
        order = np.argsort(x, kind="stable")
        cdf = np.cumsum(self.weights[order])
        lo = x[order][min(int(np.searchsorted(cdf, 0.05)), len(x) - 1)]
        hi = x[order][min(int(np.searchsorted(cdf, 0.95)), len(x) - 1)]
        return float(lo), float(hi)


def fit(runs: list[EpisodeGrid], market_class: str) -> Fit:
    """Posterior on the grid from the episodes given (flat prior, Gaussian likelihood)."""
    chi2 = np.sum([r.chi2() for r in runs], axis=0)
    logw = -0.5 * (chi2 - chi2.min())
    w = np.exp(logw)
    best = int(np.argmin(chi2))  # the first of equal points: the grid order decides ties
    return Fit(market_class, tuple(r.name for r in runs), best, w / w.sum(), float(chi2[best]))


@dataclass
class Calibration:
    """The fits of every class, the pooled fit and the leave-one-out scores."""

    grid: dict[str, tuple]
    runs: list[EpisodeGrid]
    fits: dict[str, Fit]  # by class, and POOLED
    held_out: dict[str, tuple[str, int]] = field(default_factory=dict)  # episode -> (fit, point)

    @property
    def points(self) -> list[dict[str, object]]:
        return points(self.grid)

    def in_sample(self, run: EpisodeGrid) -> dict[str, float]:
        return run.z[self.fits[run.market_class].best]

    def out_of_sample(self, run: EpisodeGrid) -> dict[str, float]:
        return run.z[self.held_out[run.name][1]]


def calibrate(runs: list[EpisodeGrid], grid: dict[str, tuple] = GRID) -> Calibration:
    """Fit every class and the pool, and score each episode by a fit that did not see it."""
    fits = {POOLED: fit(runs, POOLED)}
    for cls in sorted({r.market_class for r in runs}):
        fits[cls] = fit([r for r in runs if r.market_class == cls], cls)
    held_out = {}
    for r in runs:
        same = [o for o in runs if o.market_class == r.market_class and o.name != r.name]
        others = same or [o for o in runs if o.name != r.name]
        if not others:
            continue  # a single episode: nothing to hold it out against
        f = fit(others, r.market_class if same else POOLED)
        held_out[r.name] = (f.market_class, f.best)
    return Calibration(grid, runs, fits, held_out)


# -- reporting -------------------------------------------------------------------------------
def _verdict(z: dict[str, float]) -> str:
    bad = sorted({k.rsplit(".", 1)[1] for k, v in z.items() if abs(v) > 1 + 1e-12})
    return "PASS" if not bad else "FAIL (" + ", ".join(bad) + ")"


def _rms(z: dict[str, float]) -> float:
    return math.sqrt(sum(v * v for v in z.values()) / max(len(z), 1))


def table(c: Calibration) -> str:
    """Per class: the fitted values with their 5-95% range; per episode: the fit's verdict and
    the leave-one-out verdict, with the rms z of each."""
    pts = c.points
    lines = ["class           episodes  " + "  ".join(f"{k:>26}" for k in c.grid)]
    for cls, f in c.fits.items():
        cells = []
        for k in c.grid:
            lo, hi = f.interval(pts, k)
            edge = "*" if f.value(pts, k) in (c.grid[k][0], c.grid[k][-1]) else " "
            cells.append(f"{f.value(pts, k)!s:>10}{edge}[{lo:.3g}-{hi:.3g}]".rjust(26))
        lines.append(f"{cls:<15} {len(f.episodes):>8}  " + "  ".join(cells))
    lines.append("")
    lines.append(
        f"{'episode':<18} {'class':<12} {'fit: verdict':<22} {'rms z':>6}   "
        f"{'left out: fit used':<20} {'verdict':<22} {'rms z':>6}"
    )
    for r in c.runs:
        z_in = c.in_sample(r)
        if r.name in c.held_out:
            z_out = c.out_of_sample(r)
            out = f"{c.held_out[r.name][0]:<20} {_verdict(z_out):<22} {_rms(z_out):>6.2f}"
        else:
            out = "n/a (one episode)"
        lines.append(
            f"{r.name:<18} {r.market_class:<12} {_verdict(z_in):<22} {_rms(z_in):>6.2f}   {out}"
        )
    lines.insert(len(c.fits) + 1, "(* at the edge of the grid: the episodes would go further)")
    n_in = sum(_verdict(c.in_sample(r)) == "PASS" for r in c.runs)
    n_out = sum(_verdict(c.out_of_sample(r)) == "PASS" for r in c.runs if r.name in c.held_out)
    lines.append(
        f"\npass in sample: {n_in}/{len(c.runs)}; pass left out: {n_out}/{len(c.held_out)}"
    )
    return "\n".join(lines)


def grid_csv(c: Calibration) -> str:
    """Every episode's z-values at every grid point (long format)."""
    keys = list(c.grid)
    rows = ["episode,market_class," + ",".join(keys) + ",criterion,z"]
    for r in c.runs:
        for p, zs in zip(c.points, r.z, strict=True):
            values = ",".join(str(p[k]) for k in keys)
            # every digit, so that --from-grid refits exactly (ties of unidentified keys too)
            rows += [f"{r.name},{r.market_class},{values},{k},{v!r}" for k, v in zs.items()]
    return "\n".join(rows) + "\n"


def fits_csv(c: Calibration) -> str:
    """Each class's fitted value and 5-95% range of each parameter."""
    pts = c.points
    rows = ["market_class,episodes,parameter,value,low,high,chi2"]
    for cls, f in c.fits.items():
        for k in c.grid:
            lo, hi = f.interval(pts, k)
            rows.append(
                f"{cls},{' '.join(f.episodes)},{k},{f.value(pts, k)},{lo:.6g},{hi:.6g},{f.chi2:.6g}"
            )
    return "\n".join(rows) + "\n"


def loo_csv(c: Calibration) -> str:
    """Each episode's z-values at its class fit and at the fit that left it out."""
    rows = ["episode,market_class,criterion,z_fit,left_out_fit,z_left_out"]
    for r in c.runs:
        z_in = c.in_sample(r)
        which, z_out = (
            (c.held_out[r.name][0], c.out_of_sample(r)) if r.name in c.held_out else ("", {})
        )
        for k, v in z_in.items():
            out = f"{z_out[k]:.6g}" if k in z_out else ""
            rows.append(f"{r.name},{r.market_class},{k},{v:.6g},{which},{out}")
    return "\n".join(rows) + "\n"


def updates(c: Calibration, classes: dict[str, str]) -> dict[str, dict]:
    """What to write into the base world, per commodity (its class given in `classes`):
    each parameter's fitted value and 5-95% range, and the episodes of the fit. A class with
    no episode gets the pooled fit, and says so."""
    pts = c.points
    out = {}
    for commodity, cls in classes.items():
        f = c.fits.get(cls, c.fits[POOLED])
        out[commodity] = {
            "fit": f.market_class,
            "episodes": list(f.episodes),
            "parameters": {
                k: {"value": f.value(pts, k), "range": list(f.interval(pts, k))} for k in c.grid
            },
            "posterior": posterior(f, pts, list(c.grid)),
        }
    return out


POSTERIOR_DRAWS = 40
"""What `calibration.posterior` keeps of a fit: 40 stratified draws from the whole posterior,
equal points merged, so a flat posterior keeps its spread and a sharp one a few points."""


def posterior(f: Fit, pts: list[dict[str, object]], keys: list[str]) -> dict:
    """The fit's posterior as `POSTERIOR_DRAWS` stratified draws (for parameter draws,
    uncertainty.py): the points ordered by weight, the draw j the point whose cumulative
    weight first passes (j + 1/2) / n, so point i is drawn about n·w_i times; the first
    draw, among the points of highest weight, is the fit itself (on a flat posterior the
    first stratum may fall just past it).
    {'keys': [...], 'points': [(weight, [values])]}: equal draws merged, weight = count / n,
    the fit (the point of highest weight) first, then the most drawn (ties in order of
    weight)."""
    n = POSTERIOR_DRAWS
    order = np.argsort(-f.weights, kind="stable")
    # the fit at the front (of points equal in weight to rounding, the one of least chi2)
    order = np.concatenate(([f.best], order[order != f.best]))
    cdf = np.cumsum(f.weights[order])
    cdf[-1] = 1.0
    drawn = np.searchsorted(cdf, (np.arange(n) + 0.5) / n, side="right").clip(0, len(order) - 1)
    drawn[0] = 0  # the first stratum holds the points of highest weight: draw the fit there
    counts = np.bincount(drawn, minlength=len(order))
    ranked = sorted(np.flatnonzero(counts), key=lambda j: (j != 0, -counts[j], j))  # the fit first
    points = [(float(counts[j]) / n, [pts[order[j]][k] for k in keys]) for j in ranked]
    return {"keys": keys, "points": points}
