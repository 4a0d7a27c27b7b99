"""Figures that put policy options side by side (`minsim compare`)."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from ..experiment.compare import Comparison
from .figures import COLOURS, LINESTYLES, _dates, _fan, _finish, _grid, save


def focus_bloc(c: Comparison) -> int:
    """The bloc that loses most to shortfall under the baseline (the one policies protect)."""
    short = c.results[c.baseline].metrics["shortfall_t"].sum((0, 1))
    if short.any():
        return int(short.argmax())
    peak = c.results[c.baseline].metrics["peak_price_multiple"].mean(0).max(0)
    return int(peak.argmax())


def price_fans(c: Comparison, path: Path) -> list[Path]:
    """Price in the focus bloc, every option overlaid: median and 25-75% band."""
    base = c.results[c.baseline]
    w, t, b = base.world, base.times(), focus_bloc(c)
    fig, axes = _grid(len(w.commodities))
    for k, name in enumerate(w.commodities):
        ax = axes.flat[k]
        for i, (option, r) in enumerate(c.results.items()):
            q = r.series["price"][:, :, k, b] / w.reference_price[k]
            q = q.copy()
            q[:, 0], q[:, 4] = q[:, 1], q[:, 3]  # bands 25-75% only: several options overlap
            _fan(ax, t, q, COLOURS[i % len(COLOURS)], option, LINESTYLES[i % len(LINESTYLES)])
        ax.axhline(1, color="grey", linewidth=0.6, linestyle=":")
        ax.set_title(name, fontsize=10)
        ax.set_ylabel("price / starting price")
        _dates(ax)
    title = f"Price in {w.blocs[b]} by option (median and 25-75%, {base.reps} replications)"
    return _finish(fig, axes.flat[0], title, path)


def shortfall_distributions(c: Comparison, path: Path) -> list[Path]:
    """Unmet demand in the focus bloc per replication, by option (box: 25-75%, whiskers 5-95%)."""
    base = c.results[c.baseline]
    w, b = base.world, focus_bloc(c)
    fig, axes = _grid(len(w.commodities))
    for k, name in enumerate(w.commodities):
        ax = axes.flat[k]
        data = [r.metrics["shortfall_t"][:, k, b] for r in c.results.values()]
        ax.boxplot(data, whis=(5, 95), showfliers=False, tick_labels=c.options)
        ax.tick_params(axis="x", labelrotation=30, labelsize=7)
        ax.set_title(name, fontsize=10)
        ax.set_ylabel("shortfall, t over the run")
    fig.suptitle(f"Shortfall in {w.blocs[b]} by option", fontsize=10)
    return save(fig, path)


def frontier(c: Comparison, path: Path) -> list[Path]:
    """Risk against fiscal cost: each option's shortfall in the focus bloc (all commodities)
    against its discounted fiscal cost, with 5-95% bars; options no other beats on both are
    joined (the efficient frontier)."""
    base = c.results[c.baseline]
    b = focus_bloc(c)
    fig, ax = plt.subplots(figsize=(6.4, 4.6), layout="constrained")
    points = []
    for i, (option, r) in enumerate(c.results.items()):
        short = r.metrics["shortfall_t"][:, :, b].sum(1)
        cost = r.metrics["fiscal_cost_discounted"].sum((1, 2)) / 1e6
        x, y = cost.mean(), short.mean()
        xerr = [[x - np.quantile(cost, 0.05)], [np.quantile(cost, 0.95) - x]]
        yerr = [[y - np.quantile(short, 0.05)], [np.quantile(short, 0.95) - y]]
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
    cur = base.world.currency
    ax.set_xlabel(f"discounted fiscal cost, million {cur}")
    ax.set_ylabel(f"shortfall in {base.world.blocs[b]}, t (all commodities)")
    ax.set_title("Security against cost (means; bars 5-95%)", fontsize=10)
    ax.legend(fontsize=7, frameon=False)
    return save(fig, path)


def strategic_stocks(c: Comparison, path: Path) -> list[Path]:
    """Strategic stocks held for the focus bloc, by option (mean)."""
    base = c.results[c.baseline]
    w, t, b = base.world, base.times(), focus_bloc(c)
    fig, axes = _grid(len(w.commodities))
    for k, name in enumerate(w.commodities):
        ax = axes.flat[k]
        for i, (option, r) in enumerate(c.results.items()):
            ax.plot(
                t,
                r.series_mean["strategic_stock"][:, k, b],
                color=COLOURS[i % len(COLOURS)],
                linestyle=LINESTYLES[i % len(LINESTYLES)],
                linewidth=1.2,
                label=option,
            )
        ax.set_title(name, fontsize=10)
        ax.set_ylabel("t held")
        _dates(ax)
    return _finish(fig, axes.flat[0], f"Strategic stocks for {w.blocs[b]} (mean)", path)


def differences(c: Comparison, path: Path) -> list[Path]:
    """Each option's paired difference from the baseline in the focus bloc, with 95% intervals:
    shortfall and peak price, by commodity."""
    table = c.differences()
    b = c.results[c.baseline].world.blocs[focus_bloc(c)]
    table = table[table.bloc == b]
    metrics = ("shortfall_t", "peak_price_multiple")
    moved = table[(table.metric.isin(metrics)) & (table.mean_difference.abs() > 1e-9)]
    commodities = [k for k in c.results[c.baseline].world.commodities if k in set(moved.commodity)]
    commodities = commodities or list(c.results[c.baseline].world.commodities)[:1]
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
                ax.errorbar(
                    r.mean_difference,
                    y,
                    xerr=[[r.mean_difference - r.ci_low], [r.ci_high - r.mean_difference]],
                    fmt="o",
                    capsize=2,
                    color=COLOURS[(i + 1) % len(COLOURS)],
                    label=option if k == 0 else None,
                )
                ticks.append(y)
                labels.append(name if i == 0 else "")
                y -= 1
            y -= 0.5
        ax.axvline(0, color="grey", linewidth=0.7)
        ax.set_yticks(ticks, labels, fontsize=7)
        ax.set_xlabel(f"{m}: option - {c.baseline} (95% interval)")
    axes.flat[0].legend(fontsize=7, frameon=False)
    fig.suptitle(f"Difference from {c.baseline} in {b}, paired by replication", fontsize=10)
    return save(fig, path)


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
