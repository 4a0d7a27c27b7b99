"""Matplotlib figures drawn from `Results` quantile series; each saved as PNG and SVG.

Each figure is built in two layers: a panel function draws one commodity on one Axes
(`price_panel`, `supply_panel`, `stocks_panel`), and a figure function lays the panels out in
a grid (`price_figure`, ...). The run folder's files (`price_fans`, ...) and `Results.plot`
both use them.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence
from pathlib import Path

import matplotlib

# The command line and scripts draw off screen. In a notebook or a session that already chose
# a backend (pyplot imported, IPython running), leave the user's backend alone.
if "matplotlib.pyplot" not in sys.modules and "IPython" not in sys.modules:
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


def _legend_title(fig, ax0, title: str):
    """A legend under the panels (from the first panel's lines) and a title over them."""
    handles, labels = ax0.get_legend_handles_labels()
    if labels:
        fig.legend(
            handles,
            labels,
            loc="outside lower center",
            ncols=min(len(labels), 6),
            frameon=False,
            fontsize=8,
        )
    fig.suptitle(title, fontsize=10)
    return fig


def _finish(fig, ax0, title: str, path: Path) -> list[Path]:
    return save(_legend_title(fig, ax0, title), path)


def _dates(ax):
    ax.xaxis.set_major_locator(mdates.YearLocator(base=2))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))


def _index(names: Sequence[str], name: str, what: str) -> int:
    if name not in names:
        plural = "commodities" if what == "commodity" else what + "s"
        raise ValueError(f"no {what} named {name!r} (the {plural}: {', '.join(names)})")
    return list(names).index(name)


def select(names: Sequence[str], chosen: str | Sequence[str] | None, what: str) -> list[int]:
    """Indices of the chosen names (one name, several, or all when None), checked."""
    if chosen is None:
        return list(range(len(names)))
    if isinstance(chosen, str):
        chosen = [chosen]
    return [_index(names, n, what) for n in chosen]


def panels(commodities: Sequence[str], ks: list[int], ax) -> tuple[plt.Figure | None, list]:
    """The Axes to draw each commodity on: the given `ax` (one commodity only), or a new grid.
    Returns (the new figure or None, Axes per commodity)."""
    if ax is not None:
        if len(ks) != 1:
            raise ValueError(
                "an ax holds one commodity: name one with commodity= "
                f"(the commodities: {', '.join(commodities)})"
            )
        return None, [ax]
    if len(ks) == 1:
        fig, one = plt.subplots(figsize=(6.4, 4.0), layout="constrained")
        return fig, [one]
    fig, axes = _grid(len(ks))
    return fig, list(axes.flat[: len(ks)])


# --- panels: one commodity on one Axes ---------------------------------------------------------


def price_panel(ax, results: Results, k: int, blocs: Sequence[int] | None = None):
    """Price of commodity k as a multiple of its starting price, a fan per bloc."""
    w, t = results.world, results.times()
    for b in blocs if blocs is not None else range(len(w.blocs)):
        q = results.series["price"][:, :, k, b] / w.reference_price[k]
        _fan(ax, t, q, COLOURS[b % len(COLOURS)], w.blocs[b], LINESTYLES[b % len(LINESTYLES)])
    ax.axhline(1, color="grey", linewidth=0.6, linestyle=":")
    ax.set_title(w.commodities[k], fontsize=10)
    ax.set_ylabel("price / starting price")
    _dates(ax)
    return ax


def supply_panel(ax, results: Results, k: int, blocs: Sequence[int] | None = None):
    """Supply of commodity k reaching each bloc (median and bands) and its mean shortfall."""
    w, t = results.world, results.times()
    for b in blocs if blocs is not None else range(len(w.blocs)):
        bloc = w.blocs[b]
        c = COLOURS[b % len(COLOURS)]
        _fan(ax, t, results.series["supply"][:, :, k, b], c, f"{bloc} supply")
        short = results.series_mean["shortfall"][:, k, b]
        if short.any():
            ax.plot(
                t, short, color=c, linestyle="--", linewidth=1, label=f"{bloc} shortfall (mean)"
            )
    ax.set_title(w.commodities[k], fontsize=10)
    ax.set_ylabel("t/yr")
    _dates(ax)
    return ax


def stocks_panel(ax, results: Results, k: int, blocs: Sequence[int] | None = None):
    """Commercial stocks of commodity k in days of use, a fan per bloc."""
    w, t = results.world, results.times()
    for b in blocs if blocs is not None else range(len(w.blocs)):
        style = LINESTYLES[b % len(LINESTYLES)]
        q = results.series["stock_days"][:, :, k, b]
        _fan(ax, t, q, COLOURS[b % len(COLOURS)], w.blocs[b], style)
    ax.set_title(w.commodities[k], fontsize=10)
    ax.set_ylabel("days of use")
    _dates(ax)
    return ax


RUN_KINDS = {
    "price": (
        price_panel,
        "Price by bloc, {reps} replications\n(median; bands 25-75% and 5-95%)",
    ),
    "supply": (supply_panel, "Supply and shortfall by bloc"),
    "stocks": (stocks_panel, "Commercial stocks"),
}
"""Results.plot's kinds: the panel function and the figure title."""


def kind_error(kind: str, kinds) -> ValueError:
    return ValueError(f"unknown kind {kind!r}; the kinds are: {', '.join(kinds)}")


def run_figure(
    results: Results,
    kind: str = "price",
    commodity: str | Sequence[str] | None = None,
    bloc: str | Sequence[str] | None = None,
    ax=None,
):
    """One of a run's figures: every commodity (or those named) in a grid, returned as the
    Figure; one commodity on one Axes (`ax`, or a new one), returned as the Axes."""
    if kind not in RUN_KINDS:
        raise kind_error(kind, RUN_KINDS)
    panel, title = RUN_KINDS[kind]
    w = results.world
    ks = select(w.commodities, commodity, "commodity")
    bs = select(w.blocs, bloc, "bloc")
    fig, axes = panels(w.commodities, ks, ax)
    for a, k in zip(axes, ks, strict=True):
        panel(a, results, k, bs)
    if len(axes) == 1:
        axes[0].legend(fontsize=7, frameon=False)
        return axes[0]
    return _legend_title(fig, axes[0], title.format(reps=results.reps))


# --- the run folder's files --------------------------------------------------------------------


def _all_panels(results: Results, kind: str):
    fig, axes = _grid(len(results.world.commodities))
    panel, title = RUN_KINDS[kind]
    for k in range(len(results.world.commodities)):
        panel(axes.flat[k], results, k)
    return fig, axes.flat[0], title.format(reps=results.reps)


def price_fans(results: Results, path: Path) -> list[Path]:
    """Price as a multiple of the starting price, by bloc: median, 25-75% and 5-95% bands."""
    return _finish(*_all_panels(results, "price"), path)


def supply_shortfall(results: Results, path: Path) -> list[Path]:
    """Supply reaching each bloc (median and band) and its mean shortfall, in t/yr."""
    return _finish(*_all_panels(results, "supply"), path)


def stocks(results: Results, path: Path) -> list[Path]:
    """Commercial stocks in days of use, by bloc."""
    return _finish(*_all_panels(results, "stocks"), path)


def save_run_figures(results: Results, folder: Path) -> list[Path]:
    """Every figure of a single-option run, into folder/plots/."""
    plots = Path(folder) / "plots"
    plots.mkdir(parents=True, exist_ok=True)
    out = []
    out += price_fans(results, plots / "prices")
    out += supply_shortfall(results, plots / "supply_shortfall")
    out += stocks(results, plots / "stocks")
    return out
