"""Matplotlib figures drawn from `Results` quantile series; each saved as PNG and SVG."""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np

from ..results import Results

COLOURS = ("#1f5aa6", "#c0392b", "#6b8e23", "#8e44ad", "#d68910", "#17a589")
LINESTYLES = ("-", "--", ":", "-.")
FORMATS = ("png", "svg")


def _grid(n: int) -> tuple[plt.Figure, np.ndarray]:
    cols = min(3, n)
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(
        rows,
        cols,
        figsize=(4.6 * cols, 3.2 * rows),
        squeeze=False,
        sharex=True,
        layout="constrained",
    )
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    return fig, axes


def _fan(ax, t, q, colour, label, style="-"):
    """q: [T, 5] quantiles 5, 25, 50, 75, 95."""
    ax.fill_between(t, q[:, 0], q[:, 4], color=colour, alpha=0.15, linewidth=0)
    ax.fill_between(t, q[:, 1], q[:, 3], color=colour, alpha=0.3, linewidth=0)
    ax.plot(t, q[:, 2], color=colour, linewidth=1.4, linestyle=style, label=label)


def save(fig, path: Path) -> list[Path]:
    """Save a figure as PNG and SVG (SVG without a date, so reruns give the same file)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    out = []
    for fmt in FORMATS:
        p = path.with_suffix("." + fmt)
        fig.savefig(p, dpi=110, metadata={"Date": None} if fmt == "svg" else None)
        out.append(p)
    plt.close(fig)
    return out


def _finish(fig, ax0, title: str, path: Path) -> list[Path]:
    handles, labels = ax0.get_legend_handles_labels()
    fig.legend(
        handles,
        labels,
        loc="outside lower center",
        ncols=min(len(labels), 6),
        frameon=False,
        fontsize=8,
    )
    fig.suptitle(title, fontsize=10)
    return save(fig, path)


def _dates(ax):
    ax.xaxis.set_major_locator(mdates.YearLocator(base=2))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))


def price_fans(results: Results, path: Path) -> list[Path]:
    """Price as a multiple of the starting price, by bloc: median, 25-75% and 5-95% bands."""
    w, t = results.world, results.times()
    fig, axes = _grid(len(w.commodities))
    for k, name in enumerate(w.commodities):
        ax = axes.flat[k]
        for b, bloc in enumerate(w.blocs):
            q = results.series["price"][:, :, k, b] / w.reference_price[k]
            _fan(ax, t, q, COLOURS[b % len(COLOURS)], bloc, LINESTYLES[b % len(LINESTYLES)])
        ax.axhline(1, color="grey", linewidth=0.6, linestyle=":")
        ax.set_title(name, fontsize=10)
        ax.set_ylabel("price / starting price")
        _dates(ax)
    return _finish(
        fig,
        axes.flat[0],
        f"Price by bloc, {results.reps} replications\n(median; bands 25-75% and 5-95%)",
        path,
    )


def supply_shortfall(results: Results, path: Path) -> list[Path]:
    """Supply reaching each bloc (median and band) and its mean shortfall, in t/yr."""
    w, t = results.world, results.times()
    fig, axes = _grid(len(w.commodities))
    for k, name in enumerate(w.commodities):
        ax = axes.flat[k]
        for b, bloc in enumerate(w.blocs):
            c = COLOURS[b % len(COLOURS)]
            _fan(ax, t, results.series["supply"][:, :, k, b], c, f"{bloc} supply")
            short = results.series_mean["shortfall"][:, k, b]
            if short.any():
                ax.plot(
                    t, short, color=c, linestyle="--", linewidth=1, label=f"{bloc} shortfall (mean)"
                )
        ax.set_title(name, fontsize=10)
        ax.set_ylabel("t/yr")
        _dates(ax)
    return _finish(fig, axes.flat[0], "Supply and shortfall by bloc", path)


def stocks(results: Results, path: Path) -> list[Path]:
    """Commercial stocks in days of use, by bloc."""
    w, t = results.world, results.times()
    fig, axes = _grid(len(w.commodities))
    for k, name in enumerate(w.commodities):
        ax = axes.flat[k]
        for b, bloc in enumerate(w.blocs):
            style = LINESTYLES[b % len(LINESTYLES)]
            _fan(
                ax,
                t,
                results.series["stock_days"][:, :, k, b],
                COLOURS[b % len(COLOURS)],
                bloc,
                style,
            )
        ax.set_title(name, fontsize=10)
        ax.set_ylabel("days of use")
        _dates(ax)
    return _finish(fig, axes.flat[0], "Commercial stocks", path)


def save_run_figures(results: Results, folder: Path) -> list[Path]:
    """Every figure of a single-option run, into folder/plots/."""
    plots = Path(folder) / "plots"
    plots.mkdir(parents=True, exist_ok=True)
    out = []
    out += price_fans(results, plots / "prices")
    out += supply_shortfall(results, plots / "supply_shortfall")
    out += stocks(results, plots / "stocks")
    return out
