"""Figures that put policy options side by side (`minsim compare`, `Comparison.plot`).

As in figures.py, a panel function draws one commodity on one Axes and the figure functions
lay panels out; the run folder's files and `Comparison.plot` share them.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from ..experiment.compare import Comparison, paired_interval
from .figures import (
    COLOURS,
    LINESTYLES,
    _dates,
    _fan,
    _finish,
    _grid,
    _index,
    _legend_title,
    kind_error,
    panels,
    save,
    select,
)


def focus_bloc(c: Comparison) -> int:
    """The bloc the figures look at: the headline's (`Comparison.exposed_bloc`, the highest
    expected social cost under the baseline), so that figures and ranking agree."""
    return c.results[c.baseline].world.blocs.index(c.exposed_bloc())


# --- panels: one commodity on one Axes ---------------------------------------------------------


def price_panel(ax, c: Comparison, k: int, b: int):
    """Price of commodity k in bloc b, every option overlaid: median and 25-75% band."""
    base = c.results[c.baseline]
    w, t = base.world, base.times()
    for i, (option, r) in enumerate(c.results.items()):
        q = r.series["price"][:, :, k, b] / w.reference_price[k]
        q = q.copy()
        q[:, 0], q[:, 4] = q[:, 1], q[:, 3]  # bands 25-75% only: several options overlap
        _fan(ax, t, q, COLOURS[i % len(COLOURS)], option, LINESTYLES[i % len(LINESTYLES)])
    ax.axhline(1, color="grey", linewidth=0.6, linestyle=":")
    ax.set_title(w.commodities[k], fontsize=10)
    ax.set_ylabel("price / starting price")
    _dates(ax)
    return ax


def shortfall_panel(ax, c: Comparison, k: int, b: int):
    """Unmet demand for commodity k in bloc b per replication, a box per option (25-75%,
    whiskers 5-95%)."""
    data = [r.metrics["shortfall_t"][:, k, b] for r in c.results.values()]
    ax.boxplot(data, whis=(5, 95), showfliers=False, tick_labels=c.options)
    ax.tick_params(axis="x", labelrotation=30, labelsize=7)
    ax.set_title(c.results[c.baseline].world.commodities[k], fontsize=10)
    ax.set_ylabel("shortfall, t over the run")
    return ax


def stocks_panel(ax, c: Comparison, k: int, b: int):
    """Strategic stocks of commodity k held for bloc b, a line per option (mean)."""
    base = c.results[c.baseline]
    t = base.times()
    for i, (option, r) in enumerate(c.results.items()):
        ax.plot(
            t,
            r.series_mean["strategic_stock"][:, k, b],
            color=COLOURS[i % len(COLOURS)],
            linestyle=LINESTYLES[i % len(LINESTYLES)],
            linewidth=1.2,
            label=option,
        )
    ax.set_title(base.world.commodities[k], fontsize=10)
    ax.set_ylabel("t held")
    _dates(ax)
    return ax


def frontier_panel(ax, c: Comparison, b: int, ks: Sequence[int] | None = None):
    """Security against cost in bloc b (summed over the commodities ks, all unless told):
    each option's expected net fiscal cost against its users' expected loss (consumer cost
    plus the value of unmet use), both present values, with the 95% interval of the paired
    difference from the baseline (`paired_interval`, the headline's formula). Social cost is
    their sum, so the dotted line through the baseline is equal social cost: options below it
    lower social cost. Options no other beats on both are joined (the efficient frontier)."""
    base = c.results[c.baseline]
    w = base.world
    ks = list(range(len(w.commodities))) if ks is None else list(ks)

    def outcome(r):
        fiscal = r.metrics["fiscal_cost_net"][:, ks, b].sum(1) / 1e6
        loss = (r.metrics["consumer_cost"] + r.metrics["shortfall_value"])[:, ks, b].sum(1)
        return fiscal, loss / 1e6

    fiscal0, loss0 = outcome(base)
    points = []
    for i, (option, r) in enumerate(c.results.items()):
        fiscal, loss = outcome(r)
        x, y = float(fiscal.mean()), float(loss.mean())
        if option == c.baseline:
            xerr = yerr = None
        else:
            _, xl, xh = paired_interval(fiscal - fiscal0)
            _, yl, yh = paired_interval(loss - loss0)
            dx, dy = x - float(fiscal0.mean()), y - float(loss0.mean())
            # an interval of width zero can round to a hair inside its mean
            xerr = [[max(dx - xl, 0.0)], [max(xh - dx, 0.0)]]
            yerr = [[max(dy - yl, 0.0)], [max(yh - dy, 0.0)]]
        ax.errorbar(
            x,
            y,
            xerr=xerr,
            yerr=yerr,
            fmt="o",
            color=COLOURS[i % len(COLOURS)],
            capsize=3,
            label=option,
        )
        points.append((x, y))
    pts = np.array(points)
    efficient = [
        i
        for i, (x, y) in enumerate(pts)
        if not any((x2 <= x and y2 <= y) and (x2 < x or y2 < y) for x2, y2 in pts)
    ]
    eff = pts[sorted(efficient, key=lambda i: pts[i, 0])]
    ax.plot(eff[:, 0], eff[:, 1], color="grey", linewidth=0.8, linestyle="--", zorder=0)
    # equal social cost through the baseline: fiscal + loss = constant
    x0, y0 = pts[0]
    lo, hi = ax.get_xlim()
    ax.plot([lo, hi], [y0 + x0 - lo, y0 + x0 - hi], color="grey", linewidth=0.6, linestyle=":")
    ax.set_xlim(lo, hi)
    which = (
        "all commodities"
        if len(ks) == len(w.commodities)
        else ", ".join(w.commodities[k] for k in ks)
    )
    ax.set_xlabel(f"expected net fiscal cost, million {w.currency} (PV)")
    ax.set_ylabel(f"users' expected loss in {w.blocs[b]}, million {w.currency} (PV; {which})")
    ax.set_title(
        f"Security against cost (bars: 95% interval of the difference from {c.baseline}; "
        "dotted: equal social cost)",
        fontsize=9,
    )
    ax.legend(fontsize=7, frameon=False)
    return ax


DIFFERENCE_PANELS = ("social_cost", "peak_price_multiple")
"""The differences figure's panels: social cost in millions (its unit), the peak price."""


def differences_figure(c: Comparison, b: int, commodities: Sequence[str] | None = None):
    """Each option's paired difference from the baseline in bloc b, with 95% intervals:
    social cost (millions of the currency, present value) and peak price, by commodity
    (those that moved, or those named); every row names its commodity and option."""
    table = c.differences()
    world = c.results[c.baseline].world
    bloc = world.blocs[b]
    table = table[table.bloc == bloc]
    metrics = DIFFERENCE_PANELS
    if commodities is None:
        moved = table[(table.metric.isin(metrics)) & (table.mean_difference.abs() > 1e-9)]
        commodities = [k for k in world.commodities if k in set(moved.commodity)]
        commodities = commodities or list(world.commodities)[:1]
    others = [o for o in c.options if o != c.baseline]
    fig, axes = plt.subplots(
        1,
        2,
        figsize=(11, 0.45 * len(commodities) * max(1, len(others)) + 1.5),
        layout="constrained",
        squeeze=False,
    )
    for ax, m in zip(axes.flat, metrics, strict=True):
        rows = table[table.metric == m]
        y = 0
        ticks, labels = [], []
        for k, name in enumerate(commodities):
            for i, option in enumerate(others):
                r = rows[(rows.commodity == name) & (rows.option == option)]
                if r.empty:
                    continue
                r = r.iloc[0]
                scale = 1e6 if m == "social_cost" else 1.0
                mean, low, high = r.mean_difference / scale, r.ci_low / scale, r.ci_high / scale
                ax.errorbar(
                    mean,
                    y,
                    # an interval of width zero can round to a hair below its mean
                    xerr=[[max(mean - low, 0.0)], [max(high - mean, 0.0)]],
                    fmt="o",
                    capsize=2,
                    color=COLOURS[(i + 1) % len(COLOURS)],
                    label=option if k == 0 else None,
                )
                ticks.append(y)
                labels.append(f"{name}: {option}")
                y -= 1
            y -= 0.5
        ax.axvline(0, color="grey", linewidth=0.7)
        ax.set_yticks(ticks, labels, fontsize=7)
        unit = f"million {world.currency}, PV" if m == "social_cost" else "x P_ref"
        ax.set_xlabel(f"{m} ({unit}): option - {c.baseline} (95% interval)")
    axes.flat[0].legend(fontsize=7, frameon=False)
    fig.suptitle(f"Difference from {c.baseline} in {bloc}, paired by replication", fontsize=10)
    return fig


# --- Comparison.plot ---------------------------------------------------------------------------

GRID_KINDS = {
    "price": (price_panel, "Price in {bloc} by option (median and 25-75%, {reps} replications)"),
    "shortfall": (shortfall_panel, "Shortfall in {bloc} by option"),
    "stocks": (stocks_panel, "Strategic stocks for {bloc} (mean)"),
}
COMPARISON_KINDS = ("price", "shortfall", "frontier", "stocks", "differences")


def comparison_figure(
    c: Comparison,
    kind: str = "price",
    commodity: str | Sequence[str] | None = None,
    bloc: str | None = None,
    ax=None,
):
    """One of a comparison's figures, for `bloc` (the most exposed bloc unless told).
    price, shortfall, stocks: every commodity (or those named) in a grid, returned as the
    Figure, or one commodity on one Axes, returned as the Axes. frontier: one Axes (summed over
    the named commodities, all unless told). differences: a Figure of two panels (no `ax`)."""
    if kind not in COMPARISON_KINDS:
        raise kind_error(kind, COMPARISON_KINDS)
    base = c.results[c.baseline]
    w = base.world
    b = focus_bloc(c) if bloc is None else _index(w.blocs, bloc, "bloc")
    ks = select(w.commodities, commodity, "commodity")
    if kind == "frontier":
        if ax is None:
            _, ax = plt.subplots(figsize=(6.4, 4.6), layout="constrained")
        return frontier_panel(ax, c, b, ks)
    if kind == "differences":
        if ax is not None:
            raise ValueError("the differences figure has two panels of its own: call it without ax")
        names = None if commodity is None else [w.commodities[k] for k in ks]
        return differences_figure(c, b, names)
    panel, title = GRID_KINDS[kind]
    fig, axes = panels(w.commodities, ks, ax)
    for a, k in zip(axes, ks, strict=True):
        panel(a, c, k, b)
    if len(axes) == 1:
        if kind != "shortfall":
            axes[0].legend(fontsize=7, frameon=False)
        return axes[0]
    if kind == "shortfall":  # the options are on the x axis: no legend
        fig.suptitle(title.format(bloc=w.blocs[b], reps=base.reps), fontsize=10)
        return fig
    return _legend_title(fig, axes[0], title.format(bloc=w.blocs[b], reps=base.reps))


# --- the run folder's files --------------------------------------------------------------------


def _all_panels(c: Comparison, kind: str):
    base = c.results[c.baseline]
    w, b = base.world, focus_bloc(c)
    fig, axes = _grid(len(w.commodities))
    panel, title = GRID_KINDS[kind]
    for k in range(len(w.commodities)):
        panel(axes.flat[k], c, k, b)
    return fig, axes.flat[0], title.format(bloc=w.blocs[b], reps=base.reps)


def price_fans(c: Comparison, path: Path) -> list[Path]:
    """Price in the focus bloc, every option overlaid: median and 25-75% band."""
    return _finish(*_all_panels(c, "price"), path)


def shortfall_distributions(c: Comparison, path: Path) -> list[Path]:
    """Unmet demand in the focus bloc per replication, by option (box: 25-75%, whiskers 5-95%)."""
    fig, _, title = _all_panels(c, "shortfall")
    fig.suptitle(title, fontsize=10)
    return save(fig, path)


def frontier(c: Comparison, path: Path) -> list[Path]:
    """Risk against fiscal cost in the focus bloc, all commodities (see `frontier_panel`)."""
    fig, ax = plt.subplots(figsize=(6.4, 4.6), layout="constrained")
    frontier_panel(ax, c, focus_bloc(c))
    return save(fig, path)


def strategic_stocks(c: Comparison, path: Path) -> list[Path]:
    """Strategic stocks held for the focus bloc, by option (mean)."""
    return _finish(*_all_panels(c, "stocks"), path)


def differences(c: Comparison, path: Path) -> list[Path]:
    """Each option's paired difference from the baseline in the focus bloc, with 95% intervals:
    shortfall and peak price, by commodity."""
    return save(differences_figure(c, focus_bloc(c)), path)


def save_comparison_figures(c: Comparison, folder: Path) -> list[Path]:
    plots = Path(folder) / "plots"
    plots.mkdir(parents=True, exist_ok=True)
    out = []
    out += price_fans(c, plots / "prices_by_option")
    out += shortfall_distributions(c, plots / "shortfall_by_option")
    out += frontier(c, plots / "risk_vs_cost")
    out += strategic_stocks(c, plots / "strategic_stocks")
    if len(c.options) > 1:
        out += differences(c, plots / "differences")
    return out
