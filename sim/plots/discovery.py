"""The peeling trajectory of a scenario discovery: coverage against density of every box PRIM
passed through, and the one kept."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..results.discovery import Discovery
from .figures import COLOURS, plt, save


def peeling_trajectory(d: Discovery, path: Path) -> list[Path]:
    """For each box found: left, the trade-off of coverage (share of the failures inside) and
    density (share of failures among the replications inside) along its trajectory, coloured
    by the number of variables restricted, the kept box ringed; right, coverage, density
    and mass at each step. Saved as PNG and SVG at `path` (suffix replaced)."""
    table = d.trajectory_table()
    n = max(len(d.boxes), 1)
    fig, axes = plt.subplots(n, 2, figsize=(10, 3.8 * n), layout="constrained", squeeze=False)
    if table.empty:  # nothing found: say so rather than leave an empty panel
        for ax in axes[0]:
            ax.axis("off")
        axes[0, 0].text(0.5, 0.5, "PRIM found no box", ha="center", va="center")
    for row, b in zip(axes, d.boxes, strict=False):
        t = table[table.box == b.index]
        left, right = row
        dots = left.scatter(
            t.coverage,
            t.density,
            c=t.restricted,
            cmap=plt.get_cmap("viridis", int(t.restricted.max()) + 1),
            s=16,
            zorder=2,
        )
        kept = t[t.kept]
        left.scatter(
            kept.coverage,
            kept.density,
            s=120,
            facecolors="none",
            edgecolors="red",
            zorder=3,
            label=f"kept: coverage {b.coverage:.0%}, density {b.density:.0%}",
        )
        left.set_xlabel("coverage (share of the failures in the box)")
        left.set_ylabel("density (failures among the box's replications)")
        left.set_xlim(-0.02, 1.02)
        left.set_ylim(min(0.0, float(t.density.min())) - 0.02, 1.02)
        left.legend(loc="lower left", fontsize=8)
        left.set_title(f"box {b.index}: peeling trajectory", fontsize=10)
        top = int(t.restricted.max())
        dots.set_clim(-0.5, top + 0.5)
        bar = fig.colorbar(dots, ax=left, label="variables restricted")
        bar.set_ticks(range(top + 1))
        steps = np.arange(len(t))
        for i, name in enumerate(("coverage", "density", "mass")):
            right.plot(steps, t[name], color=COLOURS[i], label=name)
        right.axvline(b.step, color="red", linewidth=0.8, linestyle="--", label="kept")
        right.set_xlabel("peeling step")
        right.set_ylabel("share")
        right.set_ylim(-0.02, 1.02)
        right.legend(fontsize=8)
    fig.suptitle(
        f"{d.option}: where {d.metric} > {d.threshold:,.4g}"
        f"{' ' + d.unit if d.unit else ''} ({d.failures} of {d.replications} replications)",
        fontsize=11,
    )
    return save(fig, Path(path))
