"""Figures of a parameter sweep: one metric of one commodity and bloc across the points."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..experiment.sweep import Sweep
from .figures import COLOURS, plt, save


def _numeric(values: list[str]) -> list[float] | None:
    try:
        return [float(v) for v in values]
    except ValueError:
        return None


def _ordered(values: pd.Series) -> list[str]:
    """Distinct values in order of appearance, or in numeric order when all are numbers."""
    distinct = list(dict.fromkeys(str(v) for v in values))
    numbers = _numeric(distinct)
    if numbers is not None:
        distinct = [v for _, v in sorted(zip(numbers, distinct, strict=True))]
    return distinct


def _rows(
    sweep: Sweep, metric: str, commodity: str, bloc: str, option: str | None = None
) -> pd.DataFrame:
    table = sweep.table()
    rows = table[
        (table["metric"] == metric) & (table["commodity"] == commodity) & (table["bloc"] == bloc)
    ]
    if option is not None:
        rows = rows[rows["option"] == option]
    if rows.empty:
        checks = [("metric", metric), ("commodity", commodity), ("bloc", bloc)]
        for column, value in [*checks, ("option", option)]:
            if value is None:
                continue
            known = sorted(set(table[column]))
            if value not in known:
                raise ValueError(f"no {column} {value!r} in the sweep (known: {', '.join(known)})")
        raise ValueError(f"no rows for {metric} of {commodity} in {bloc}")
    return rows.reset_index(drop=True)


def _one_axis(ax, rows: pd.DataFrame, key: str, metric: str) -> None:
    """The mean and 5-95% band against the swept values; one line per option when the
    rows hold several (on the same replications, so their gaps are the options' own)."""
    options = list(dict.fromkeys(rows["option"])) if "option" in rows else [None]
    for n, option in enumerate(options):
        part = rows if option is None else rows[rows["option"] == option]
        labels = [str(v) for v in part[key]]
        numbers = _numeric(labels)
        x = np.array(numbers) if numbers is not None else np.arange(len(part))
        order = np.argsort(x, kind="stable")
        x = x[order]
        mean, p5, p95 = (part[c].to_numpy()[order] for c in ("mean", "p5", "p95"))
        colour = COLOURS[n % len(COLOURS)]
        name = f"{option}: " if len(options) > 1 else ""
        ax.fill_between(x, p5, p95, color=colour, alpha=0.2, linewidth=0, label=f"{name}5-95%")
        ax.plot(x, mean, color=colour, marker="o", linewidth=1.4, label=f"{name}mean")
    if numbers is None:
        ax.set_xticks(x, [labels[i] for i in order])
    ax.set_xlabel(key)
    ax.set_ylabel(metric)
    ax.legend(frameon=False, fontsize=8)


def _two_axes(fig, ax, rows: pd.DataFrame, keys: list[str], metric: str) -> None:
    ykey, xkey = keys
    yvals, xvals = _ordered(rows[ykey]), _ordered(rows[xkey])
    grid = np.full((len(yvals), len(xvals)), np.nan)
    for _, r in rows.iterrows():
        grid[yvals.index(str(r[ykey])), xvals.index(str(r[xkey]))] = r["mean"]
    if np.isnan(grid).any():  # not a full factorial (e.g. a Latin hypercube): scatter instead
        xs, ys = _numeric(list(rows[xkey])), _numeric(list(rows[ykey]))
        if xs is not None and ys is not None:
            image = ax.scatter(xs, ys, c=rows["mean"], cmap="viridis", s=40)
            ax.set_xlabel(xkey)
            ax.set_ylabel(ykey)
            fig.colorbar(image, ax=ax, label=f"{metric} (mean)")
            return
    image = ax.imshow(grid, origin="lower", aspect="auto", cmap="viridis")
    ax.set_xticks(range(len(xvals)), xvals)
    ax.set_yticks(range(len(yvals)), yvals)
    ax.set_xlabel(xkey)
    ax.set_ylabel(ykey)
    if grid.size <= 100:
        mid = np.nanmean(grid)
        for i in range(len(yvals)):
            for j in range(len(xvals)):
                if not np.isnan(grid[i, j]):
                    colour = "black" if grid[i, j] > mid else "white"
                    text = f"{grid[i, j]:.3g}"
                    ax.text(j, i, text, ha="center", va="center", fontsize=7, color=colour)
    fig.colorbar(image, ax=ax, label=f"{metric} (mean)")


def _by_index(ax, rows: pd.DataFrame, metric: str) -> None:
    x = np.arange(1, len(rows) + 1)
    band = {"color": COLOURS[0], "alpha": 0.2, "linewidth": 0, "label": "5-95%"}
    ax.fill_between(x, rows["p5"], rows["p95"], **band)
    ax.plot(x, rows["mean"], color=COLOURS[0], marker="o", linewidth=1.0, label="mean")
    ax.set_xlabel("sweep point")
    ax.set_ylabel(metric)
    ax.legend(frameon=False, fontsize=8)


def plot_sweep(
    sweep: Sweep,
    metric: str,
    commodity: str,
    bloc: str,
    path: Path,
    option: str | None = None,
) -> list[Path]:
    """One metric across the sweep, saved as PNG and SVG at `path` (suffix replaced).

    One swept key: the mean against its values, with the 5-95% band of replications, a line
    per option of the sweep (or only `option`). Two keys: a heatmap of the mean (the first
    key on the vertical axis). More: the mean and band against the point number. With two
    keys or more, a sweep of several options needs `option`."""
    keys = sweep.axes
    if option is None and len(sweep.options) > 1 and len(keys) > 1:
        raise ValueError(f"a sweep of {len(keys)} keys draws one option at a time; name one")
    rows = _rows(sweep, metric, commodity, bloc, option)
    if option is not None:
        bloc = f"{bloc}, option {option}"
    reps = sweep.results[0].reps if sweep.results else 0
    fig, ax = plt.subplots(figsize=(6.4, 4.6), layout="constrained")
    if len(keys) == 1:
        _one_axis(ax, rows, keys[0], metric)
    elif len(keys) == 2:
        _two_axes(fig, ax, rows, keys, metric)
    else:
        _by_index(ax, rows, metric)
    ax.set_title(
        f"{metric}: {commodity} in {bloc}, {len(sweep.points)} points x {reps} replications",
        fontsize=10,
    )
    return save(fig, Path(path))
