"""Back-test figures: the observed prices over the simulated price fan of each episode."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..experiment.backtest import EpisodeResult
from .figures import COLOURS, _dates, _fan, _grid, save


def _date(month) -> np.datetime64:
    return np.datetime64(f"{month.year:04d}-{month.month:02d}-15", "D")


def episode_figure(episode: EpisodeResult, path: Path) -> list[Path]:
    """One panel per observed target: the simulated fan (median, 25-75% and 5-95% across
    replications) of the price multiple in the observed bloc, the median of the bloc it is
    split against, the onset, and the observed points; saved as PNG and SVG."""
    r = episode.results
    w, t = r.world, r.times()
    fig, axes = _grid(len(episode.targets))
    for i, target in enumerate(episode.targets):
        ax = axes.flat[i]
        o = target.observed
        k = w.commodities.index(o.commodity)
        b = w.blocs.index(o.bloc)
        q = r.series["price"][:, :, k, b] / w.reference_price[k]
        _fan(ax, t, q, COLOURS[0], f"simulated, {o.bloc}")
        if o.split is not None:
            v = w.blocs.index(o.split.versus)
            qv = r.series["price"][:, 2, k, v] / w.reference_price[k]
            ax.plot(
                t,
                qv,
                color=COLOURS[1],
                linewidth=1,
                linestyle="--",
                label=f"simulated median, {o.split.versus}",
            )
        ax.axvline(_date(o.onset), color="grey", linewidth=0.8, linestyle=":", label="onset")
        if o.points:
            ax.plot(
                [_date(p.month) for p in o.points],
                [p.multiple for p in o.points],
                "o",
                color="black",
                markersize=5,
                label="observed",
            )
        verdict = "PASS" if target.passed else "FAIL"
        ax.set_title(f"{target.name} ({o.commodity}): {verdict}", fontsize=10)
        ax.set_ylabel("price / pre-shock price")
        ax.set_yscale("log")
        _dates(ax)
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(
        handles,
        labels,
        loc="outside lower center",
        ncols=min(len(labels), 5),
        frameon=False,
        fontsize=8,
    )
    fig.suptitle(
        f"Back-test {episode.name}: observed prices over the simulated fan, {r.reps} replications",
        fontsize=10,
    )
    return save(fig, path)


def save_backtest_figures(episodes: list[EpisodeResult], folder: Path) -> list[Path]:
    """One figure per episode, folder/backtest-<episode>.png and .svg."""
    out = []
    for e in episodes:
        out += episode_figure(e, Path(folder) / f"backtest-{e.name}")
    return out
