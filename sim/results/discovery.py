"""Scenario discovery on an experiments table: which drawn conditions make an option fail.

A replication fails when its outcome (a column of experiments.csv) is above a threshold,
given or taken as a quantile of the option's replications. PRIM (Friedman & Fisher 1999, as
EMA Workbench implements it for scenario discovery, Bryant & Lempert 2010) peels the space of
the draws down to boxes, ranges of a few drawn variables, where failures are dense. Of each
box's peeling trajectory the box kept is the one that balances coverage (the share of all
failures inside it) and density (the share of failures among the replications inside it):
the highest harmonic mean of the two among the boxes at least `min_density` dense, or the
densest if none is. The whole trajectory is written too, for an analyst who would choose
another point of the trade-off.

ema-workbench is an optional dependency (the extra `discovery`): it brings scikit-learn,
statsmodels and seaborn, which nothing else in minsim needs. It is imported only here, when
discovery runs.
"""

from __future__ import annotations

import contextlib
import io
import logging
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .experiments import SEP, Experiments

INSTALL = "pip install 'minsim[discovery]'  (or: pip install 'ema-workbench>=2.5,<3')"
MIN_DENSITY = 0.8
"""The density a box must reach to count as found (EMA Workbench's examples use 0.8)."""
MASS_MIN = 0.05
"""Peeling stops at boxes holding this share of the replications."""
PEEL_ALPHA = 0.05
"""Share of the replications peeled off at each step."""
DEFAULT_QUANTILE = 0.9
SIGNIFICANCE = 0.05
"""Restrictions of a box whose quasi-p value is above this are dropped (1 keeps them all)."""
LIMIT_COLUMNS: list[str] = [
    "variable",
    "unit",
    "lower",
    "upper",
    "minimum",
    "maximum",
    "qp_lower",
    "qp_upper",
]
"""The columns of a box's limits, one row per variable it restricts: its range in the box
(lower, upper), in all the draws (minimum, maximum) and PRIM's quasi-p-values of the two
limits; boxes.csv repeats them after the box's statistics."""


class MissingDiscovery(ImportError):
    """ema-workbench is not installed: the message says how to install it."""


def import_prim():
    """EMA Workbench's PRIM, imported now (its import warns of optional parts minsim does not
    use, and takes seconds)."""
    try:
        with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()):
            warnings.simplefilter("ignore")
            from ema_workbench.analysis import prim
    except ImportError as exc:
        raise MissingDiscovery(
            f"scenario discovery needs ema-workbench, which is not installed: {INSTALL}"
        ) from exc
    logging.getLogger("EMA").setLevel(logging.WARNING)
    return prim


@dataclass
class Box:
    """One box PRIM found: its statistics and the limits of the variables it restricts."""

    index: int
    coverage: float
    density: float
    mass: float
    replications: int  # in the box
    failures: int  # of them, failures
    limits: pd.DataFrame  # LIMIT_COLUMNS
    step: int  # the point of its peeling trajectory kept
    dense: bool  # at least --min-density: a box found; else the densest PRIM reached


@dataclass
class Discovery:
    option: str
    metric: str
    unit: str | None
    threshold: float
    quantile: float | None
    replications: int
    failures: int
    variables: list[str]
    min_density: float
    boxes: list[Box]
    trajectories: list[pd.DataFrame] = field(default_factory=list)

    def boxes_table(self) -> pd.DataFrame:
        """boxes.csv: one row per restricted variable of each box, with the box's stats."""
        cols = ["box", "found", "coverage", "density", "mass", "replications", "failures"]
        rows = []
        for b in self.boxes:
            head = (b.index, b.dense, b.coverage, b.density, b.mass, b.replications, b.failures)
            for lim in b.limits.itertuples(index=False):
                rows.append((*head, *lim))
        return pd.DataFrame(rows, columns=cols + LIMIT_COLUMNS)

    def trajectory_table(self) -> pd.DataFrame:
        """trajectory.csv: every step of every box's peeling and pasting, and which was kept."""
        frames = []
        for b, t in zip(self.boxes, self.trajectories, strict=True):
            t = t[["coverage", "density", "mass", "res_dim", "n", "k", "dropped"]].copy()
            t.insert(0, "step", np.arange(len(t)))
            t.insert(0, "box", b.index)
            t["kept"] = t["step"] == b.step
            t = t.rename(columns={"res_dim": "restricted", "n": "replications", "k": "failures"})
            frames.append(t)
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    def text(self) -> str:
        """What the terminal shows."""
        unit = f" {self.unit}" if self.unit else ""
        how = f" (its {self.quantile:g} quantile)" if self.quantile is not None else ""
        lines = [
            f"{self.option}: a replication fails where {self.metric} > {self.threshold:,.6g}"
            f"{unit}{how}: {self.failures} of {self.replications} replications "
            f"({self.failures / self.replications:.0%}); {len(self.variables)} drawn variables"
        ]
        for b in self.boxes:
            if not b.dense:
                lines.append(
                    f"no {'further ' if b.index > 1 else ''}box is at least "
                    f"{self.min_density:.0%} dense: the failures{' left' if b.index > 1 else ''} "
                    "are not confined to a range of the draws (--min-density lowers the bar); "
                    "the best PRIM found:"
                )
            lines.append(
                f"box {b.index}: coverage {b.coverage:.0%} (of the failures), density "
                f"{b.density:.0%} (failures among its {b.replications} replications), mass "
                f"{b.mass:.0%} (of the replications)"
            )
            if b.limits.empty:
                lines.append("  restricts nothing")
            for lim in b.limits.itertuples(index=False):
                lines.append("  " + limit_text(lim))
        return "\n".join(lines)


def limit_text(lim) -> str:
    """One restricted variable of a box in words: only the sides it restricts."""
    u = f" {lim.unit}" if isinstance(lim.unit, str) and lim.unit else ""
    if lim.lower > lim.minimum and lim.upper < lim.maximum:
        rule = f"{lim.lower:,.4g} <= {lim.variable} <= {lim.upper:,.4g}{u}"
    elif lim.lower > lim.minimum:
        rule = f"{lim.variable} >= {lim.lower:,.4g}{u}"
    else:
        rule = f"{lim.variable} <= {lim.upper:,.4g}{u}"
    qp = [q for q in (lim.qp_lower, lim.qp_upper) if np.isfinite(q) and q >= 0]
    sig = f", quasi-p {max(qp):.2g}" if qp else ""
    return f"{rule}   (drawn {lim.minimum:,.4g} to {lim.maximum:,.4g}{sig})"


def failure_threshold(y: np.ndarray, threshold: float | None, quantile: float | None) -> float:
    if threshold is not None and quantile is not None:
        raise ValueError("give --threshold or --quantile, not both")
    if threshold is not None:
        return float(threshold)
    q = DEFAULT_QUANTILE if quantile is None else quantile
    if not 0 < q < 1:
        raise ValueError(f"--quantile must lie between 0 and 1, not {q}")
    return float(np.quantile(y, q))


def _design(ex: Experiments, rows: pd.Series, horizon_months: float | None) -> pd.DataFrame:
    """The drawn variables PRIM peels: a disruption that never occurred has its onset at the
    horizon's end (it did not start within the run) and no duration or severity; the
    parameter set's index (an arbitrary label) and variables that do not vary are left out,
    as are copies of another column (the parameters of commodities that share one fit)."""
    x = ex.frame.loc[rows, [v for v in ex.drawn if v != "parameter_set"]].reset_index(drop=True)
    for v in x.columns:
        if v.endswith(SEP + "onset"):
            end = horizon_months if horizon_months is not None else np.nanmax(x[v], initial=0) + 1
            x[v] = x[v].fillna(end)
        elif v.endswith((SEP + "duration", SEP + "severity")):
            x[v] = x[v].fillna(0.0)
    keep = [v for v in x.columns if x[v].nunique(dropna=False) > 1]
    x = x[keep]
    x = x.loc[:, ~x.T.duplicated()]
    # all as floats: ema-workbench 2.5's pasting of integer columns writes float limits
    # into them, which pandas 3 refuses; the limits of a count come out whole all the same
    return x.astype(np.float64)


def _kept(trajectory: pd.DataFrame, min_density: float) -> int:
    """The point of a peeling trajectory kept (see the module docstring)."""
    c = trajectory["coverage"].to_numpy(float)
    d = trajectory["density"].to_numpy(float)
    dense = d >= min_density - 1e-12
    if not dense.any():
        return int(np.argmax(d))
    score = np.where(dense, 2 * c * d / np.maximum(c + d, 1e-300), -1.0)
    return int(np.argmax(score))


def discover(
    ex: Experiments,
    option: str,
    metric: str,
    *,
    threshold: float | None = None,
    quantile: float | None = None,
    min_density: float = MIN_DENSITY,
    boxes: int = 1,
    mass_min: float = MASS_MIN,
    peel_alpha: float = PEEL_ALPHA,
    significance: float = SIGNIFICANCE,
    horizon_months: float | None = None,
) -> Discovery:
    """PRIM on one option's replications of an experiments table: the boxes of the draws
    where `metric` exceeds the threshold. Errors name what was asked and what exists."""
    if option not in ex.options:
        raise ValueError(
            f"no option {option!r} in the experiments table (options: {', '.join(ex.options)})"
        )
    if metric not in ex.outcomes:
        raise ValueError(
            f"no outcome {metric!r} in the experiments table; outcomes: {', '.join(ex.outcomes)}"
        )
    if not 0 < min_density <= 1:
        raise ValueError(f"--min-density must lie in (0, 1], not {min_density}")
    if boxes < 1:
        raise ValueError(f"--boxes must be at least 1, not {boxes}")
    rows = ex.frame["option"] == option
    y_all = ex.frame.loc[rows, metric].to_numpy(float)
    limit = failure_threshold(y_all, threshold, quantile)
    failed = y_all > limit
    n, k = len(failed), int(failed.sum())
    x = _design(ex, rows, horizon_months)
    if k == 0:
        raise ValueError(
            f"no replication of {option} has {metric} above {limit:,.6g}: nothing fails, "
            "so there is nothing to explain; lower --threshold or --quantile"
        )
    if k == n:
        raise ValueError(
            f"every replication of {option} has {metric} above {limit:,.6g}: nothing "
            "tells failures apart; raise --threshold or --quantile"
        )
    if x.shape[1] == 0:
        raise ValueError(
            f"nothing varies among the draws of {option}: its replications differ only by "
            "chance inside the market, and no box of the draws can explain its failures"
        )
    prim = import_prim()
    # every box is kept (a threshold just above 0: PRIM counts y >= it as failures), so its
    # trajectory can be shown even when it is not dense enough; `min_density` is judged here
    with warnings.catch_warnings():  # ema-workbench 2.5's own deprecations under pandas 3
        warnings.filterwarnings("ignore", module="ema_workbench")
        p = prim.Prim(
            x, failed.astype(int), threshold=1e-9, peel_alpha=peel_alpha, mass_min=mass_min
        )
        found, trajectories = _peel(p, failed, boxes, min_density, x, ex.units, significance)
    return Discovery(
        option,
        metric,
        ex.units.get(metric),
        limit,
        None if threshold is not None else (DEFAULT_QUANTILE if quantile is None else quantile),
        n,
        k,
        list(x.columns),
        min_density,
        found,
        trajectories,
    )


def _drop_insignificant(box, step: int, significance: float) -> list[str]:
    """Drop the restrictions of the box at `step` whose quasi-p value (a one-sided binomial
    test of the density gained by that restriction alone, Bryant & Lempert 2010) is above
    `significance`: peeling restricts variables by chance too. Each drop is a new point of
    the trajectory; returns the variables dropped, in order."""
    weak = []
    for v, sides in box.qp[step].items():
        q = [float(z) for z in sides if np.isfinite(z) and z >= 0]
        if q and max(q) > significance:
            weak.append(v)
    for v in weak:
        box.drop_restriction(v)
    return weak


def _peel(
    p, failed, boxes, min_density, x, units, significance
) -> tuple[list[Box], list[pd.DataFrame]]:
    """Up to `boxes` boxes, each on the replications the earlier ones left, until one is not
    dense enough or no failure is left outside them."""
    n = len(failed)
    found: list[Box] = []
    trajectories: list[pd.DataFrame] = []
    inside = np.zeros(n, dtype=bool)  # replications in the boxes found so far
    for i in range(boxes):
        if not (failed & ~inside).any():
            break  # every failure is in a box already
        box = p.find_box()
        if box is None:
            break
        step = _kept(box.peeling_trajectory.reset_index(drop=True), min_density)
        box.select(step)
        dropped = _drop_insignificant(box, step, significance) if significance < 1 else []
        step = box._cur_box
        t = box.peeling_trajectory.reset_index(drop=True)
        t["dropped"] = [""] * (len(t) - len(dropped)) + dropped
        inside[box.yi] = True
        found.append(_box(i + 1, box, step, t, x, units, p.box_init, min_density))
        trajectories.append(t)
        if not found[-1].dense:
            break  # what is left of the failures is not dense anywhere
    return found, trajectories


def _box(index, box, step, t, x, units, box_init, min_density) -> Box:
    lims = box.box_lims[step]
    qp = box.qp[step] if step < len(box.qp) else {}
    rows = []
    for v in x.columns:
        lo, hi = float(lims[v][0]), float(lims[v][1])
        lo0, hi0 = float(box_init[v][0]), float(box_init[v][1])
        if lo == lo0 and hi == hi0:
            continue
        q = qp.get(v, (np.nan, np.nan))
        rows.append((v, units.get(v), lo, hi, lo0, hi0, *(float(z) for z in q)))
    limits = pd.DataFrame(rows, columns=LIMIT_COLUMNS)
    r = t.iloc[step]
    return Box(
        index,
        float(r["coverage"]),
        float(r["density"]),
        float(r["mass"]),
        int(r["n"]),
        int(r["k"]),
        limits,
        step,
        float(r["density"]) >= min_density - 1e-12,
    )


def horizon_months(folder: Path) -> float | None:
    """The run's horizon in months, from its scenario.yaml (None if it cannot be read)."""
    from ruamel.yaml import YAML

    try:
        data = YAML(typ="safe", pure=True).load((Path(folder) / "scenario.yaml").read_text())
        return float(data["horizon"]["years"]) * 12.0
    except (OSError, KeyError, TypeError, ValueError):
        return None
