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
from ..experiment.results import Results
from ..experiment.touched import (
    chosen_blocs,
    chosen_commodities,
    commodity_activity,
    price_moved,
    shortfall_moved,
)
from .figures import (
    COLOURS,
    LINESTYLES,
    REFERENCE,
    _dates,
    _fan,
    _grid,
    _index,
    _legend_title,
    _one,
    _shaded,
    kind_error,
    min_range,
    panels,
    plain,
    price_multiple_axes,
    save_in_plots_folder,
    select,
    shade,
    shade_note,
    years,
)


def focus_bloc(c: Comparison) -> int:
    """The bloc `Comparison.plot` looks at unless told: the headline's
    (`Comparison.exposed_bloc`, the highest expected social cost under the baseline). The
    run folder's figures cover every bloc hit instead (`sim.experiment.touched.hit_blocs`)."""
    return c.results[c.baseline].world.blocs.index(c.exposed_bloc())


def _runs(c: Comparison) -> list[Results]:
    return list(c.results.values())


# --- panels: one commodity in one bloc on one Axes ---------------------------------------------


def price_panel(ax, c: Comparison, k: int, b: int, activity: np.ndarray | None = None):
    """Price of commodity k in bloc b, every option's median overlaid on the baseline's
    median and 25-75% band."""
    base = c.results[c.baseline]
    w, t = base.world, years(base)
    for i, (option, r) in enumerate(c.results.items()):
        q = r.series["price"][:, :, k, b] / w.reference_price[k]
        colour, style = COLOURS[i % len(COLOURS)], LINESTYLES[i % len(LINESTYLES)]
        if option == c.baseline:  # its band 25-75% only: the options' bands would overlap
            q = q.copy()
            q[:, 0], q[:, 4] = q[:, 1], q[:, 3]
            _fan(ax, t, q, colour, option, style)
        else:
            ax.plot(t, q[:, 2], color=colour, linewidth=1.4, linestyle=style, label=option)
    return price_multiple_axes(ax, t, activity, w.commodities[k])


def shortfall_panel(ax, c: Comparison, k: int, b: int, activity=None):
    """Unmet demand for commodity k in bloc b per replication, a box per option (25-75%,
    whiskers 5-95%)."""
    data = [r.metrics["shortfall_t"][:, k, b] for r in c.results.values()]
    ax.boxplot(data, whis=(5, 95), showfliers=False, tick_labels=c.options)
    ax.tick_params(axis="x", labelrotation=30, labelsize=7)
    ax.set_title(c.results[c.baseline].world.commodities[k], fontsize=10)
    ax.set_ylabel("shortfall, t over the run")
    plain(ax)
    return ax


def stocks_panel(ax, c: Comparison, k: int, b: int, activity: np.ndarray | None = None):
    """Strategic stocks of commodity k held for bloc b, a line per option (mean)."""
    base = c.results[c.baseline]
    t = years(base)
    top = 0.0
    for i, (option, r) in enumerate(c.results.items()):
        held = r.series_mean["strategic_stock"][:, k, b]
        top = max(top, float(held.max()))
        ax.plot(
            t,
            held,
            color=COLOURS[i % len(COLOURS)],
            linestyle=LINESTYLES[i % len(LINESTYLES)],
            linewidth=1.2,
            label=option,
        )
    shade(ax, t, activity)
    ax.set_title(base.world.commodities[k], fontsize=10)
    ax.set_ylabel("t held")
    _dates(ax)
    min_range(ax, max(0.05 * top, 1e-9), floor=0.0)
    return ax


# --- what moves: the (commodity, bloc) pairs worth a panel --------------------------------------


def price_pairs(c: Comparison, ks: Sequence[int], bs: Sequence[int]) -> list[tuple[int, int]]:
    """Pairs where the price moved beyond the start-up noise under some option."""
    moved = np.logical_or.reduce([price_moved(r) for r in _runs(c)])
    return [(k, b) for k in ks for b in bs if moved[k, b]]


def shortfall_pairs(c: Comparison, ks: Sequence[int], bs: Sequence[int]) -> list[tuple[int, int]]:
    """Pairs with a shortfall beyond the noise under some option (no panel of zeros)."""
    moved = np.logical_or.reduce([shortfall_moved(r) for r in _runs(c)])
    return [(k, b) for k in ks for b in bs if moved[k, b]]


def stocks_pairs(c: Comparison, ks: Sequence[int], bs: Sequence[int]) -> list[tuple[int, int]]:
    """Pairs where some option holds strategic stock (no empty panel)."""
    held = np.max([r.series_mean["strategic_stock"].max(axis=0) for r in _runs(c)], axis=0)
    return [(k, b) for k in ks for b in bs if held[k, b] > 0]


def _paired(fiscal, loss, fiscal0, loss0):
    """Mean paired differences (option - baseline) and their 95% intervals, in millions."""
    (dx, xl, xh), (dy, yl, yh) = paired_interval(fiscal - fiscal0), paired_interval(loss - loss0)
    return (
        dx,
        dy,
        [[max(dx - xl, 0.0)], [max(xh - dx, 0.0)]],
        [[max(dy - yl, 0.0)], [max(yh - dy, 0.0)]],
    )


def frontier_panel(ax, c: Comparison, b: int, ks: Sequence[int] | None = None):
    """Security against cost in bloc b (summed over the commodities ks, all unless told), as
    each option's paired difference from the baseline: the change in expected net fiscal cost
    against the change in its users' expected loss (consumer cost plus the value of unmet
    use), both present values, with 95% intervals of the paired differences
    (`paired_interval`, the headline's formula). The baseline sits at the origin; social cost
    is the sum of the two, so options below the dotted line through it lower social cost.
    Options no other beats on both are joined (the efficient frontier)."""
    base = c.results[c.baseline]
    w = base.world
    ks = list(range(len(w.commodities))) if ks is None else list(ks)

    def outcome(r: Results) -> tuple[np.ndarray, np.ndarray]:
        fiscal = r.metrics["fiscal_cost_net"][:, ks, b].sum(1) / 1e6
        loss = (r.metrics["consumer_cost"] + r.metrics["shortfall_value"])[:, ks, b].sum(1)
        return fiscal, loss / 1e6

    fiscal0, loss0 = outcome(base)
    points = []
    for i, (option, r) in enumerate(c.results.items()):
        dx, dy, xerr, yerr = _paired(*outcome(r), fiscal0, loss0)
        ax.errorbar(
            dx,
            dy,
            xerr=xerr,
            yerr=yerr,
            fmt="o",
            color=COLOURS[i % len(COLOURS)],
            capsize=3,
            label=option,
        )
        points.append((dx, dy))
    pts = np.array(points)
    efficient = [
        i
        for i, (x, y) in enumerate(pts)
        if not any((x2 <= x and y2 <= y) and (x2 < x or y2 < y) for x2, y2 in pts)
    ]
    eff = pts[sorted(efficient, key=lambda i: pts[i, 0])]
    ax.plot(
        eff[:, 0], eff[:, 1], color="grey", linewidth=0.8, linestyle="--", zorder=0, gid=REFERENCE
    )
    # equal social cost through the baseline (the origin): d fiscal + d loss = 0
    lo, hi = ax.get_xlim()
    ax.plot([lo, hi], [-lo, -hi], color="grey", linewidth=0.6, linestyle=":", gid=REFERENCE)
    ax.axhline(0, color="grey", linewidth=0.4, gid=REFERENCE)
    ax.axvline(0, color="grey", linewidth=0.4, gid=REFERENCE)
    ax.set_xlim(lo, hi)
    plain(ax)
    plain(ax, "x")
    which = (
        "all commodities"
        if len(ks) == len(w.commodities)
        else ", ".join(w.commodities[k] for k in ks)
    )
    ax.set_xlabel(f"change in expected net fiscal cost, million {w.currency} (PV)")
    ax.set_ylabel(
        f"change in users' expected loss in {w.blocs[b]},\nmillion {w.currency} (PV; {which})"
    )
    ax.set_title(
        f"{w.blocs[b]}: difference from {c.baseline}, paired by replication\n(bars: 95% "
        "interval; below the dotted line: lower social cost)",
        fontsize=8,
    )
    ax.legend(fontsize=7, frameon=False)
    return ax


DIFFERENCE_PANELS = ("social_cost", "peak_price_multiple")
"""The differences figure's panels: social cost in millions (its unit), the peak price."""


NEGLIGIBLE = 0.01
"""A commodity and bloc gets rows in the differences figure if some option's mean difference
reaches this share of the largest in the figure, in either metric."""


def differing_cells(table, blocs: Sequence[str], commodities: Sequence[str]) -> list[tuple]:
    """The (bloc, commodity) cells of differences.csv's rows `table` where some option
    differs from the baseline by more than a negligible share (at least one cell)."""
    cells = []
    for bloc in blocs:
        for name in commodities:
            rows = table[(table.bloc == bloc) & (table.commodity == name)]
            for m in DIFFERENCE_PANELS:
                top = table[table.metric == m].mean_difference.abs().max()
                here = rows[rows.metric == m].mean_difference.abs().max()
                if top > 0 and here >= NEGLIGIBLE * top:
                    cells.append((bloc, name))
                    break
    return cells or [(blocs[0], commodities[0])]


def differences_figure(
    c: Comparison,
    b: int | Sequence[int],
    commodities: Sequence[str] | None = None,
):
    """Each option's paired difference from the baseline in the bloc(s) b, with 95%
    intervals: social cost (millions of the currency, present value) and peak price, by
    commodity (those that moved, or those named); every row names its commodity, its bloc
    (with several) and its option."""
    bs = [b] if isinstance(b, int | np.integer) else list(b)
    table = c.differences()
    world = c.results[c.baseline].world
    metrics = DIFFERENCE_PANELS
    names = [world.blocs[i] for i in bs]
    table = table[table.bloc.isin(names) & table.metric.isin(metrics)]
    if commodities is not None:
        table = table[table.commodity.isin(list(commodities))]
    others = [o for o in c.options if o != c.baseline]
    cells = differing_cells(table, names, list(commodities or world.commodities))
    fig, axes = plt.subplots(
        1,
        2,
        figsize=(11, 0.3 * len(cells) * max(1, len(others)) + 0.4 * len(cells) + 1.5),
        layout="constrained",
        squeeze=False,
        sharey=True,
    )
    for ax, m in zip(axes.flat, metrics, strict=True):
        rows = table[table.metric == m]
        y = 0.0
        ticks, labels = [], []
        points: dict[str, list[tuple[float, float, float, float]]] = {o: [] for o in others}
        scale = 1e6 if m == "social_cost" else 1.0
        for bloc, name in cells:
            for option in others:
                r = rows[(rows.commodity == name) & (rows.option == option) & (rows.bloc == bloc)]
                if r.empty:
                    continue
                r = r.iloc[0]
                mean, low, high = r.mean_difference / scale, r.ci_low / scale, r.ci_high / scale
                # an interval of width zero can round to a hair below its mean
                points[option].append((mean, y, max(mean - low, 0.0), max(high - mean, 0.0)))
                ticks.append(y)
                where = f"{name} in {bloc}" if len(names) > 1 else name
                labels.append(f"{where}: {option}")
                y -= 1
            y -= 0.5
        for i, option in enumerate(others):  # one errorbar per option: fast to draw
            if points[option]:
                x, ys, lo, hi = np.array(points[option]).T
                ax.errorbar(
                    x,
                    ys,
                    xerr=[lo, hi],
                    fmt="o",
                    capsize=2,
                    color=COLOURS[(i + 1) % len(COLOURS)],
                    label=option,
                )
        ax.axvline(0, color="grey", linewidth=0.7, gid=REFERENCE)
        ax.set_yticks(ticks, labels, fontsize=7)
        ax.tick_params(axis="y", labelleft=ax is axes.flat[0])
        plain(ax, "x")
        unit = f"million {world.currency}, PV" if m == "social_cost" else "x P_ref"
        ax.set_xlabel(f"{m} ({unit}): option - {c.baseline} (95% interval)")
    axes.flat[0].legend(fontsize=7, frameon=False)
    where = ", ".join(names)
    fig.suptitle(f"Difference from {c.baseline} in {where}, paired by replication", fontsize=10)
    return fig


# --- Comparison.plot ---------------------------------------------------------------------------

GRID_KINDS = {
    "price": (
        price_panel,
        "Price in {bloc} by option (medians; band: the baseline's 25-75%; {reps} replications{shaded})",
    ),
    "shortfall": (shortfall_panel, "Shortfall in {bloc} by option"),
    "stocks": (stocks_panel, "Strategic stocks for {bloc} (mean{shaded})"),
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
    activity = commodity_activity(base)
    fig, axes = panels(w.commodities, ks, ax)
    for a, k in zip(axes, ks, strict=True):
        panel(a, c, k, b, activity[k])
    if len(axes) == 1:
        if kind != "shortfall":
            axes[0].legend(fontsize=7, frameon=False)
        return axes[0]
    assert fig is not None  # `panels` makes a figure for more than one commodity
    note = _shaded(shade_note(activity, ks))
    title = title.format(bloc=w.blocs[b], reps=base.reps, shaded=note)
    if kind == "shortfall":  # the options are on the x axis: no legend
        fig.suptitle(title, fontsize=10)
        return fig
    return _legend_title(fig, axes[0], title)


# --- the run folder's files --------------------------------------------------------------------

PAIR_FILES = {
    "prices_by_option": (
        price_panel,
        price_pairs,
        "Price by option (medians; band: the baseline's 25-75%; {reps} replications{shaded})",
    ),
    "shortfall_by_option": (
        shortfall_panel,
        shortfall_pairs,
        "Shortfall per replication by option (box 25-75%, whiskers 5-95%)",
    ),
    "strategic_stocks": (
        stocks_panel,
        stocks_pairs,
        "Strategic stocks held, by option (mean{shaded})",
    ),
}
"""The comparison's grid figures: file stem -> (panel, the pairs worth a panel, title)."""


def _pair_figure(c: Comparison, panel, pairs: list[tuple[int, int]], title: str, activity):
    base = c.results[c.baseline]
    w = base.world
    fig, axes = _grid(len(pairs)) if len(pairs) > 1 else _one()
    for a, (k, b) in zip(axes.flat, pairs, strict=False):
        panel(a, c, k, b, activity[k])
        a.set_title(f"{w.commodities[k]} in {w.blocs[b]}", fontsize=10)
    note = _shaded(shade_note(activity, sorted({k for k, _ in pairs})))
    title = title.format(reps=base.reps, shaded=note)
    if panel is shortfall_panel:  # the options are on the x axis: no legend
        fig.suptitle(title, fontsize=10)
        return fig
    return _legend_title(fig, axes.flat[0], title)


def comparison_figures(
    c: Comparison,
    blocs: list[str] | None = None,
    commodities: list[str] | None = None,
) -> dict[str, plt.Figure]:
    """A comparison's figures by file stem, for the blocs and commodities named (by default
    every bloc a disruption or a price move hit and every commodity something touched,
    `sim.experiment.touched`). A panel is drawn only for a commodity and bloc where it shows
    something (a price that moved, a shortfall, a stock held), and a figure with no panel left
    is not drawn; the frontier and the differences need two options or more."""
    from .flows import flows_figure

    runs = _runs(c)
    base = c.results[c.baseline]
    w = base.world
    bs = [w.blocs.index(b) for b in chosen_blocs(runs, blocs)]
    ks = [w.commodities.index(k) for k in chosen_commodities(runs, commodities)]
    activity = commodity_activity(base)  # the same draws under every option
    out: dict[str, plt.Figure] = {}
    if len(c.options) > 1 and bs:
        fig, axes = plt.subplots(
            1, len(bs), figsize=(5.6 * len(bs), 4.8), squeeze=False, layout="constrained"
        )
        for ax, b in zip(axes.flat, bs, strict=True):
            frontier_panel(ax, c, b, ks if commodities is not None else None)
        out["risk_vs_cost"] = fig
    for stem, (panel, pairs_of, title) in PAIR_FILES.items():
        pairs = pairs_of(c, ks, bs)
        if pairs:
            out[stem] = _pair_figure(c, panel, pairs, title, activity)
    if len(c.options) > 1 and bs and ks:
        out["differences"] = differences_figure(c, bs, [w.commodities[k] for k in ks])
    flows = flows_figure([base], [w.commodities[k] for k in ks], activity)
    if flows is not None:
        out["flows"] = flows
    return out


def save_comparison_figures(
    c: Comparison,
    folder: Path,
    blocs: list[str] | None = None,
    commodities: list[str] | None = None,
) -> list[Path]:
    """Every figure of a comparison (`comparison_figures`), into folder/plots/."""
    return save_in_plots_folder(comparison_figures(c, blocs, commodities), folder)
