"""The run folder's figures show something in every panel (issue 16), for each shipped
scenario: no flat or empty panel, no offset axes, every row labelled, the disruption shaded.

The figures are built, not saved (saving is the slow part and adds nothing to what is
checked): each Axes is inspected for what it draws."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import matplotlib.ticker as mticker
import numpy as np
import pytest
from matplotlib.collections import Collection
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle

import sim
from sim.plots.compare import comparison_figures, save_comparison_figures
from sim.plots.figures import MOVED, REFERENCE, TIME_AXIS, run_figures, save_all

SCENARIOS = sorted((Path(__file__).resolve().parents[2] / "scenarios").glob("*.yaml"))


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def _extent(artist) -> tuple[float, float] | None:
    """(x extent, y extent) of what a data artist draws, or None for one with no data."""
    if isinstance(artist, Line2D):
        x, y = (np.asarray(v, dtype=float) for v in artist.get_data())
    elif isinstance(artist, Collection):
        paths = artist.get_paths()
        if not paths:
            return None
        xy = np.concatenate([p.vertices for p in paths])
        x, y = xy[:, 0], xy[:, 1]
    elif isinstance(artist, Rectangle):
        x = np.array([artist.get_x(), artist.get_x() + artist.get_width()])
        y = np.array([artist.get_y(), artist.get_y() + artist.get_height()])
    else:
        return None
    x, y = x[np.isfinite(x)], y[np.isfinite(y)]
    if not x.size or not y.size:
        return None
    return float(np.ptp(x)), float(np.ptp(y))


def check_axes(ax, where: str) -> None:
    """A visible panel draws data, and on a time axis the data move visibly: some line or
    band spans at least MOVED of the y range (start-up drift does not). No offset axes."""
    artists = [
        a
        for a in (*ax.lines, *ax.collections, *ax.patches)
        if a.get_gid() != REFERENCE and a.get_visible()
    ]
    extents = [e for e in map(_extent, artists) if e is not None]
    assert extents, f"{where}: an empty panel"
    lo, hi = ax.get_ylim()
    if ax.get_gid() == TIME_AXIS:
        assert max(e[1] for e in extents) >= MOVED * (hi - lo), f"{where}: a flat panel"
    for axis in (ax.xaxis, ax.yaxis):
        fmt = axis.get_major_formatter()
        if isinstance(fmt, mticker.ScalarFormatter):
            assert not fmt.get_useOffset(), f"{where}: an offset axis"
    labels = [t.get_text() for t in ax.get_yticklabels()]
    if ax.get_yticks().size and any(labels):
        assert all(labels), f"{where}: a row without a label"


def check_figures(figures: dict, what: str) -> None:
    for stem, fig in figures.items():
        shown = [a for a in fig.axes if a.get_visible()]
        assert shown, f"{what} {stem}: no panel"
        for i, ax in enumerate(shown):
            check_axes(ax, f"{what} {stem}[{i}] {ax.get_title()!r}")


@pytest.fixture(scope="module", params=[p.stem for p in SCENARIOS])
def shipped(request):
    """Every option of a shipped scenario, few replications."""
    loaded = sim.load(Path(__file__).resolve().parents[2] / "scenarios" / f"{request.param}.yaml")
    return sim.compare(loaded, reps=4, seed=2)


def test_no_figure_of_a_shipped_scenario_has_an_empty_panel(shipped):
    figures = comparison_figures(shipped)
    need = {"prices_by_option", "flows"}
    if len(shipped.options) > 1:  # the frontier and the differences need a second option
        need |= {"risk_vs_cost", "differences"}
    assert need <= set(figures)
    check_figures(figures, "compare")
    base = shipped.results[shipped.baseline]
    check_figures(run_figures(base), "run")
    if "differences" in figures:  # every row labelled: a tick per point of every option
        diff = figures["differences"].axes[0]
        points = sum(len(c.lines[0].get_xdata()) for c in diff.containers)
        assert len(diff.get_yticks()) == points
    # the disruption is shaded on every price panel (each priced commodity has one)
    for ax in figures["prices_by_option"].axes:
        if ax.get_visible():
            spans = [p for p in ax.patches if p.get_gid() == REFERENCE]
            assert spans, f"{ax.get_title()}: no disruption shading"


def test_only_touched_minerals_and_hit_blocs(shipped):
    from sim.experiment.touched import hit_blocs, touched_commodities

    figures = comparison_figures(shipped)
    runs = list(shipped.results.values())
    touched, hit = touched_commodities(runs), hit_blocs(runs)
    titles = [a.get_title() for a in figures["prices_by_option"].axes if a.get_visible()]
    for title in titles:
        commodity, bloc = title.split(" in ")
        assert commodity in touched and bloc in hit
    # a strategic-stocks panel holds something under some option
    if "strategic_stocks" in figures:
        for ax in figures["strategic_stocks"].axes:
            if ax.get_visible():
                assert max(line.get_ydata().max() for line in ax.lines) > 0


def test_chosen_blocs_and_commodities(shipped):
    w = shipped.results[shipped.baseline].world
    one = comparison_figures(shipped, blocs=[w.blocs[0]], commodities=[w.commodities[0]])
    for fig in one.values():
        for ax in fig.axes:
            title = ax.get_title()
            if " in " in title:
                assert title == f"{w.commodities[0]} in {w.blocs[0]}"
    with pytest.raises(ValueError, match="did you mean"):
        comparison_figures(shipped, blocs=[w.blocs[0] + "x"])


def test_saved_in_parallel_as_png_and_svg(tmp_path, reserve_text):
    path = tmp_path / "s.yaml"
    path.write_text(reserve_text)
    comparison = sim.compare(sim.load(path), reps=4, seed=1)
    files = save_comparison_figures(comparison, tmp_path)
    stems = set(comparison_figures(comparison))
    assert sorted(files) == sorted(
        tmp_path / "plots" / f"{s}.{fmt}" for s in stems for fmt in ("png", "svg")
    )
    assert all(f.stat().st_size > 0 for f in files)
    # one process draws the same files as several
    serial = tmp_path / "serial"
    save_all(comparison_figures(comparison), serial, workers=1)
    assert sorted(p.name for p in serial.iterdir()) == sorted(f.name for f in files)
    for f in files:  # byte for byte, SVG too (its ids are salted by `figures.SVG_SALT`)
        assert (serial / f.name).read_bytes() == f.read_bytes(), f.name
    svg = (tmp_path / "plots" / "prices_by_option.svg").read_text()
    assert "<image" in svg  # the bands are rasterised


def test_a_figure_failing_in_a_worker_raises(tmp_path, monkeypatch):
    import sim.plots.figures as figures

    good = plt.figure()
    good.add_subplot().plot([0, 1])  # more panels: drawn here, the other one in the child
    bad = plt.figure()
    original = figures.save

    def save(fig, path):
        if fig is bad:
            raise ValueError("this figure is broken")
        return original(fig, path)

    monkeypatch.setattr(figures, "save", save)
    with pytest.raises(RuntimeError, match="this figure is broken"):
        save_all({"bad": bad, "good": good}, tmp_path, workers=2)
