"""Back-test figures: the observed prices over the simulated price fan of each episode."""

from __future__ import annotations

from pathlib import Path

import matplotlib.ticker as mticker

from ..experiment.backtest import EpisodeResult
from ..experiment.touched import commodity_activity
from .figures import (
    COLOURS,
    REFERENCE,
    _dates,
    _fan,
    _finish,
    _grid,
    _one,
    shade,
    shade_note,
    years,
)


def _date(month) -> float:
    """The middle of a month as a decimal year (the time axes' unit)."""
    return month.year + (month.month - 0.5) / 12


def episode_figure(episode: EpisodeResult, path: Path) -> list[Path]:
    """One panel per observed target: the simulated fan (median, 25-75% and 5-95% across
    replications) of the price multiple in the observed bloc, the median of the bloc it is
    split against, the onset, and the observed points; saved as PNG and SVG."""
    r = episode.results
    w, t = r.world, years(r)
    activity = commodity_activity(r)
    fig, axes = _grid(len(episode.targets)) if len(episode.targets) > 1 else _one()
    ks = []
    for i, target in enumerate(episode.targets):
        ax = axes.flat[i]
        o = target.observed
        k = w.commodities.index(o.commodity)
        b = w.blocs.index(o.bloc)
        ks.append(k)
        shade(ax, t, activity[k])
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
        ax.axvline(
            _date(o.onset), color="grey", linewidth=0.8, linestyle=":", label="onset", gid=REFERENCE
        )
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
        _dates(ax)
        ax.set_yscale("log")
        # plain multiples (0.8, 2, 3) on the log axis, no powers of ten
        ax.yaxis.set_major_formatter(mticker.FormatStrFormatter("%g"))
        ax.yaxis.set_minor_formatter(mticker.FormatStrFormatter("%g"))
    note = shade_note(activity, ks)
    title = (
        f"Back-test {episode.name}\nobserved prices over the simulated fan, {r.reps} "
        f"replications{'; ' + note if note else ''}"
    )
    # the first panel always has lines (the fan and the onset): a legend is always drawn
    return _finish(fig, axes.flat[0], title, path, columns=5)


def save_backtest_figures(episodes: list[EpisodeResult], folder: Path) -> list[Path]:
    """One figure per episode, folder/backtest-<episode>.png and .svg."""
    out = []
    for e in episodes:
        out += episode_figure(e, Path(folder) / f"backtest-{e.name}")
    return out
