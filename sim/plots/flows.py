"""Where the metal went: trade flows from origin to destination, before and during a
disruption (`flows.png` in a run folder).

The results hold the mean trade flow of each tick by origin (the home bloc of the last-stage
producer a tonne came from) and destination (`Results.trade_mean`, [T, K, origin,
destination]); earlier stages are not traded between blocs in the results, so the figure is
about the stage that sells to users. For each commodity with a disruption, each destination
gets two bars, before and during, split by origin: a re-routing shows as one colour giving
way to another, a disruption that moved nothing as two equal bars.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Patch

from ..experiment.results import Results
from .style import COLOURS, plain

DURING = 0.5
"""'During' is the ticks when at least this share of the peak share of replications is
disrupted (all of the window for a fixed onset)."""


def windows(share: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
    """The ticks before the first disruption and the ticks during it, as boolean masks [T]
    (None where there are none: a disruption from the first tick has no 'before')."""
    if not (share > 0).any():
        return None, None
    first = int(np.argmax(share > 0))
    before = np.arange(len(share)) < first
    during = share >= DURING * share.max()
    return (before if before.any() else None), during


def flow_rows(r: Results, k: int, share: np.ndarray) -> list[tuple[str, np.ndarray]]:
    """(label, flow from each origin in t/yr) per destination bloc, before then during."""
    trade = r.trade_mean
    if trade is None:
        raise ValueError("the run kept no trade flows")
    before, during = windows(share)
    rows = []
    for d, dest in enumerate(r.world.blocs):
        for label, mask in (("before", before), ("during", during)):
            if mask is not None:
                rows.append((f"to {dest}, {label}", trade[mask, k, :, d].mean(axis=0)))
    return rows


def flows_panel(ax, r: Results, k: int, share: np.ndarray) -> None:
    """Horizontal bars per destination, before and during, split by origin (colour)."""
    rows = flow_rows(r, k, share)
    y = 0.0
    ticks, labels = [], []
    for label, by_origin in rows:
        left = 0.0
        for o, tonnes in enumerate(by_origin):
            if tonnes > 0:
                ax.barh(
                    y,
                    tonnes,
                    left=left,
                    height=0.8,
                    color=COLOURS[o % len(COLOURS)],
                    alpha=0.55 if label.endswith("before") else 1.0,
                    edgecolor="white",
                    linewidth=0.5,
                )
                left += tonnes
        ticks.append(y)
        labels.append(label)
        y -= 1.0 if label.endswith("before") else 1.5
    ax.set_yticks(ticks, labels, fontsize=7)
    ax.set_xlabel("t/yr received, by origin (mean)")
    plain(ax, "x")
    peak = float(share.max())
    how = "fixed window" if np.allclose(share[share > 0], peak) else f"up to {peak:.0%} disrupted"
    ax.set_title(f"{r.world.commodities[k]} ({how})", fontsize=9)


def flows_figure(
    results: Sequence[Results], commodities: Sequence[str], activity: np.ndarray
) -> plt.Figure | None:
    """The flows of the first results given (the baseline of a comparison) for the named
    commodities that have a disruption (`activity` [K, T], the share of replications
    disrupted); None when there is nothing to draw (no trade flows, no disruption)."""
    r = results[0]
    if r.trade_mean is None:
        return None
    w = r.world
    ks = [w.commodities.index(c) for c in commodities]
    ks = [k for k in ks if (activity[k] > 0).any() and r.trade_mean[:, k].any()]
    if not ks:
        return None
    cols = min(2, len(ks))
    rows = -(-len(ks) // cols)
    height = 0.32 * 2 * len(w.blocs) + 1.0
    fig, axes = plt.subplots(
        rows, cols, figsize=(6.0 * cols, height * rows + 0.8), squeeze=False, layout="constrained"
    )
    for ax, k in zip(axes.flat, ks, strict=False):
        flows_panel(ax, r, k, activity[k])
    for ax in axes.flat[len(ks) :]:
        ax.set_visible(False)
    handles = [Patch(color=COLOURS[o % len(COLOURS)], label=b) for o, b in enumerate(w.blocs)]
    fig.legend(
        handles=handles,
        title="origin (home bloc of the last-stage producer)",
        title_fontsize=8,
        loc="outside lower center",
        ncols=len(handles),
        frameon=False,
        fontsize=8,
    )
    fig.suptitle(
        f"Where the metal went under {r.option}: the last stage's trade by origin,\nbefore "
        f"the first disruption and during it (at least {DURING:.0%} of the peak share of "
        "replications disrupted)",
        fontsize=9,
    )
    return fig
