"""Matplotlib figures drawn from `Results` quantile series; each saved as PNG and SVG.

Each figure is built in two layers: a panel function draws one commodity on one Axes
(`price_panel`, `supply_panel`, `stocks_panel`), and a figure function lays the panels out in
a grid (`price_figure`, ...). The run folder's files (`price_fans`, ...) and `Results.plot`
both use them.
"""

from __future__ import annotations

import math
import os
import traceback
from collections.abc import Sequence
from pathlib import Path

import matplotlib.ticker as mticker
import numpy as np

from ..experiment.results import Results
from ..experiment.touched import (
    check_names,
    chosen_blocs,
    chosen_commodities,
    commodity_activity,
    price_moved,
    shortfall_moved,
)
from .flows import flows_figure
from .style import COLOURS, plain, plt

LINESTYLES = ("-", "--", ":", "-.")
FORMATS = ("png", "svg")
SVG_SALT = "minsim"
"""Seed of the ids in SVG files (`svg.hashsalt`), so that a figure is the same file each time."""
SHADE = "#e8a33d"
"""Colour of the disruption shading."""
SHADE_ALPHA = 0.22
"""Opacity of the shading where every replication is disrupted; less where fewer are."""
MOVED = 0.02
"""A time-axis panel shows movement if some line or band spans this share of its y range."""
TIME_AXIS = "time-axis"
"""gid of a time-axis panel (tests check such panels show movement, not only reference lines)."""
REFERENCE = "reference"
"""gid of an artist that is not data (a reference line, disruption shading)."""


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
    """q: [T, 5] quantiles 5, 25, 50, 75, 95. The bands are rasterised in SVG (a 520-point
    band is large as a vector path and looks the same as pixels)."""
    ax.fill_between(t, q[:, 0], q[:, 4], color=colour, alpha=0.15, linewidth=0, rasterized=True)
    ax.fill_between(t, q[:, 1], q[:, 3], color=colour, alpha=0.3, linewidth=0, rasterized=True)
    ax.plot(t, q[:, 2], color=colour, linewidth=1.4, linestyle=style, label=label)


def reference_line(ax, y: float) -> None:
    """A dotted line at y (the starting price), marked as no data."""
    ax.axhline(y, color="grey", linewidth=0.6, linestyle=":", gid=REFERENCE)


def save(fig, path: Path) -> list[Path]:
    """Save a figure as PNG and SVG (SVG without a date and with fixed element ids, so reruns
    give the same file: matplotlib salts its SVG ids at random unless `svg.hashsalt` is
    set). The layout is worked out once, for the PNG, and kept for the SVG."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    out = []
    for fmt in FORMATS:
        p = path.with_suffix("." + fmt)
        with plt.rc_context({"svg.hashsalt": SVG_SALT}):
            fig.savefig(p, dpi=110, metadata={"Date": None} if fmt == "svg" else None)
        fig.set_layout_engine("none")  # keep the layout just computed
        out.append(p)
    plt.close(fig)
    return out


def save_all(
    figures: dict[str, plt.Figure], folder: Path, workers: int | None = None
) -> list[Path]:
    """Save figures by file stem into folder (PNG and SVG each). Rendering takes most of a
    figure's time and figures are independent, so with several cores (and `fork`, which shares
    the drawn figures without copying them) children render a share each while this process
    renders its own; `workers` (default: the cores, at most 4) caps the processes. A figure
    that fails in a child raises here, with the child's traceback."""
    items = list(figures.items())
    n = min(workers or min(os.cpu_count() or 1, 4), len(items))
    if n <= 1 or not hasattr(os, "fork"):
        return [p for stem, fig in items for p in save(fig, Path(folder) / stem)]
    # heaviest first, dealt round the processes: shares of about equal work
    items.sort(key=lambda item: -len(item[1].axes))
    shares = [items[i::n] for i in range(n)]
    children = []
    for share in shares[1:]:
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: render its share, report a failure, never return
            os.close(read)
            code = 0
            try:
                for stem, fig in share:
                    save(fig, Path(folder) / stem)
            except BaseException:
                os.write(write, traceback.format_exc().encode())
                code = 1
            finally:
                os._exit(code)
        os.close(write)
        children.append((pid, read))
    out = []
    try:
        for stem, fig in shares[0]:
            out += save(fig, Path(folder) / stem)
    finally:
        errors = []
        for pid, read in children:
            with os.fdopen(read, "rb") as pipe:
                message = pipe.read().decode()
            _, status = os.waitpid(pid, 0)
            if status != 0:
                errors.append(message or f"a figure worker ended with status {status}")
        for share in shares[1:]:
            for _, fig in share:
                plt.close(fig)
    if errors:
        raise RuntimeError("a figure failed in a worker process:\n" + errors[0])
    for share in shares[1:]:
        for stem, _ in share:
            out += [Path(folder) / f"{stem}.{fmt}" for fmt in FORMATS]
    return out


def _legend_title(fig, ax0, title: str, columns: int = 6):
    """A legend under the panels (from the first panel's lines, in at most `columns`
    columns) and a title over them."""
    handles, labels = ax0.get_legend_handles_labels()
    if labels:
        fig.legend(
            handles,
            labels,
            loc="outside lower center",
            ncols=min(len(labels), columns),
            frameon=False,
            fontsize=8,
        )
    fig.suptitle(title, fontsize=10)
    return fig


def _finish(fig, ax0, title: str, path: Path, columns: int = 6) -> list[Path]:
    return save(_legend_title(fig, ax0, title, columns), path)


def years(results: Results) -> np.ndarray:
    """The ticks as decimal years (2026.5 is mid-2026): what the time axes draw on. Plain
    numbers tick and lay out many times faster than dates."""
    year, month = (int(x) for x in results.world.start.split("-"))
    return year + (month - 1) / 12 + np.arange(results.world.n_ticks) / results.world.ticks_per_year


def _dates(ax):
    """A time axis in whole years, and no offset or scientific notation on either axis."""
    ax.xaxis.set_major_locator(mticker.MaxNLocator(nbins=6, integer=True, min_n_ticks=2))
    ax.xaxis.set_major_formatter(mticker.FormatStrFormatter("%d"))
    ax.set_gid(TIME_AXIS)
    plain(ax)


def min_range(ax, span: float, floor: float | None = None) -> None:
    """Widen the y axis to at least `span` around its data (never below `floor`), so that
    start-up drift of 1e-4 is drawn as the flat line it is, not as movement."""
    lo, hi = ax.get_ylim()
    if hi - lo < span:
        mid = 0.5 * (lo + hi)
        lo, hi = mid - span / 2, mid + span / 2
        if floor is not None and lo < floor:
            lo, hi = floor, floor + span
        ax.set_ylim(lo, hi)


def shade(ax, t: np.ndarray, share: np.ndarray | None, levels: int = 10) -> None:
    """Shade where a disruption is active: opaque where every replication is disrupted,
    fainter where fewer are (the share rounded to tenths), nothing where none is."""
    if share is None or not (share > 0).any():
        return
    level = np.round(share * levels) / levels
    step = t[1] - t[0] if len(t) > 1 else 1.0
    cuts = np.flatnonzero(np.diff(level)) + 1
    for run in np.split(np.arange(len(t)), cuts):
        v = level[run[0]]
        if v > 0:
            ax.axvspan(
                t[run[0]],
                t[run[-1]] + step,
                color=SHADE,
                alpha=SHADE_ALPHA * v,
                linewidth=0,
                zorder=0,
                gid=REFERENCE,
            )


def shade_note(activity: np.ndarray, ks: Sequence[int]) -> str:
    """What the shading means, for a figure's title: fixed windows, or a share of
    replications where onsets are random."""
    shares = activity[list(ks)] if len(ks) else activity[:0]
    drawn = shares[shares > 0]
    if not drawn.size:
        return ""
    if np.allclose(drawn, drawn.max()):
        return "shaded: disruption"
    return "shaded: disruption, darker where more replications are disrupted"


def _index(names: Sequence[str], name: str, what: str) -> int:
    if name not in names:
        check_names(names, [name], what)
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


# --- what moves ------------------------------------------------------------------------------


def spread(*arrays: np.ndarray) -> float:
    """How far the data move over the run, as a share of their typical size (0 for flat)."""
    x = np.concatenate([np.ravel(a) for a in arrays])
    size = max(float(np.abs(x).max()), 1e-300)
    return float(x.max() - x.min()) / size


NOISE = 0.01
"""Supply and stocks move if they spread by more than this share of their size (start-up
drift is about 1e-4)."""


def price_moves(results: Results, k: int, bs: Sequence[int]) -> bool:
    return bool(price_moved(results)[k, list(bs)].any())


def supply_moves(results: Results, k: int, bs: Sequence[int]) -> bool:
    short = shortfall_moved(results)[k, list(bs)].any()
    q = results.series["supply"][:, :, k, list(bs)]
    return bool(short) or any(spread(q[:, :, i]) > NOISE for i in range(len(bs)))


def stocks_move(results: Results, k: int, bs: Sequence[int]) -> bool:
    q = results.series["stock_days"][:, :, k, list(bs)]
    return any(spread(q[:, :, i]) > NOISE for i in range(len(bs)))


# --- panels: one commodity on one Axes ---------------------------------------------------------


def _blocs(results: Results, blocs: Sequence[int] | None) -> Sequence[int]:
    return blocs if blocs is not None else range(len(results.world.blocs))


def price_panel(ax, results: Results, k: int, blocs=None, activity: np.ndarray | None = None):
    """Price of commodity k as a multiple of its starting price, a fan per bloc; `activity`
    [T] (the share of replications disrupted) shades the disruption."""
    w, t = results.world, years(results)
    for b in _blocs(results, blocs):
        q = results.series["price"][:, :, k, b] / w.reference_price[k]
        _fan(ax, t, q, COLOURS[b % len(COLOURS)], w.blocs[b], LINESTYLES[b % len(LINESTYLES)])
    return price_multiple_axes(ax, t, activity, w.commodities[k])


def price_multiple_axes(ax, t: np.ndarray, activity: np.ndarray | None, commodity: str):
    """The frame of a panel of price multiples, after its lines: the starting price (1) marked,
    the disruption shaded, the commodity as title and at least 0.1 of range from zero up; a
    run's and a comparison's price panels share it, so they read alike."""
    reference_line(ax, 1)
    shade(ax, t, activity)
    ax.set_title(commodity, fontsize=10)
    ax.set_ylabel("price / starting price")
    _dates(ax)
    min_range(ax, 0.1, floor=0.0)
    return ax


def supply_panel(ax, results: Results, k: int, blocs=None, activity: np.ndarray | None = None):
    """Supply of commodity k reaching each bloc (median and bands) and its mean shortfall
    (where it exceeds the start-up noise)."""
    w, t = results.world, years(results)
    moved = shortfall_moved(results)
    top = 0.0
    for b in _blocs(results, blocs):
        bloc = w.blocs[b]
        c = COLOURS[b % len(COLOURS)]
        q = results.series["supply"][:, :, k, b]
        _fan(ax, t, q, c, f"{bloc} supply")
        top = max(top, float(q.max()))
        if moved[k, b]:
            short = results.series_mean["shortfall"][:, k, b]
            ax.plot(
                t, short, color=c, linestyle="--", linewidth=1, label=f"{bloc} shortfall (mean)"
            )
    shade(ax, t, activity)
    ax.set_title(w.commodities[k], fontsize=10)
    ax.set_ylabel("t/yr")
    _dates(ax)
    min_range(ax, 0.05 * top, floor=0.0)
    return ax


def stocks_panel(ax, results: Results, k: int, blocs=None, activity: np.ndarray | None = None):
    """Commercial stocks of commodity k in days of use, a fan per bloc."""
    w, t = results.world, years(results)
    top = 0.0
    for b in _blocs(results, blocs):
        style = LINESTYLES[b % len(LINESTYLES)]
        q = results.series["stock_days"][:, :, k, b]
        _fan(ax, t, q, COLOURS[b % len(COLOURS)], w.blocs[b], style)
        top = max(top, float(q.max()))
    shade(ax, t, activity)
    ax.set_title(w.commodities[k], fontsize=10)
    ax.set_ylabel("days of use")
    _dates(ax)
    min_range(ax, max(5.0, 0.05 * top), floor=0.0)
    return ax


RUN_KINDS = {
    "price": (
        price_panel,
        price_moves,
        "Price by bloc, {reps} replications\n(median; bands 25-75% and 5-95%{shaded})",
    ),
    "supply": (supply_panel, supply_moves, "Supply and shortfall by bloc{shaded}"),
    "stocks": (stocks_panel, stocks_move, "Commercial stocks{shaded}"),
}
"""Results.plot's kinds: the panel function, whether a commodity's panel shows movement, and
the figure title."""


def kind_error(kind: str, kinds) -> ValueError:
    return ValueError(f"unknown kind {kind!r}; the kinds are: {', '.join(kinds)}")


def _shaded(note: str) -> str:
    return f"; {note}" if note else ""


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
    panel, _, title = RUN_KINDS[kind]
    w = results.world
    ks = select(w.commodities, commodity, "commodity")
    bs = select(w.blocs, bloc, "bloc")
    activity = commodity_activity(results)
    fig, axes = panels(w.commodities, ks, ax)
    for a, k in zip(axes, ks, strict=True):
        panel(a, results, k, bs, activity[k])
    if len(axes) == 1:
        axes[0].legend(fontsize=7, frameon=False)
        return axes[0]
    note = _shaded(shade_note(activity, ks))
    return _legend_title(fig, axes[0], title.format(reps=results.reps, shaded=note))


# --- the run folder's files --------------------------------------------------------------------

RUN_FILES = {"prices": "price", "supply_shortfall": "supply", "stocks": "stocks"}
"""The run folder's time-axis figures: file stem -> kind."""


def run_figures(
    results: Results,
    blocs: list[str] | None = None,
    commodities: list[str] | None = None,
) -> dict[str, plt.Figure]:
    """A run's figures by file stem, for the blocs and commodities named (by default those a
    disruption or a price move hit and those something touched, `sim.experiment.touched`). A
    commodity whose panel would be flat (nothing beyond the start-up noise) is left out, and
    a figure with no panel left is not drawn; the flows figure needs the trade flows."""

    w = results.world
    bs = [w.blocs.index(b) for b in chosen_blocs(results, blocs)]
    chosen = chosen_commodities(results, commodities)
    ks = [w.commodities.index(c) for c in chosen]
    activity = commodity_activity(results)
    out: dict[str, plt.Figure] = {}
    for stem, kind in RUN_FILES.items():
        panel, moves, title = RUN_KINDS[kind]
        kept = [k for k in ks if moves(results, k, bs)]
        if not kept or not bs:
            continue
        fig, axes = _grid(len(kept)) if len(kept) > 1 else _one()
        for a, k in zip(axes.flat, kept, strict=False):
            panel(a, results, k, bs, activity[k])
        note = _shaded(shade_note(activity, kept))
        out[stem] = _legend_title(fig, axes.flat[0], title.format(reps=results.reps, shaded=note))
    flows = flows_figure([results], [w.commodities[k] for k in ks], activity)
    if flows is not None:
        out["flows"] = flows
    return out


def _one() -> tuple[plt.Figure, np.ndarray]:
    fig, ax = plt.subplots(figsize=(6.4, 4.0), layout="constrained")
    return fig, np.array([[ax]])


def save_run_figures(
    results: Results,
    folder: Path,
    blocs: list[str] | None = None,
    commodities: list[str] | None = None,
) -> list[Path]:
    """Every figure of a single-option run (`run_figures`), into folder/plots/."""
    return save_in_plots_folder(run_figures(results, blocs, commodities), folder)


def save_in_plots_folder(figures: dict[str, plt.Figure], folder: Path) -> list[Path]:
    """Figures by file stem into folder/plots/ (made if missing), the place a run's and a
    comparison's output folder keeps its figures and the report links them from."""
    plots = Path(folder) / "plots"
    plots.mkdir(parents=True, exist_ok=True)
    return save_all(figures, plots)
