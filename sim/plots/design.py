"""The frontier of a policy design search: cost against security, every design evaluated,
the frontier the search found, and the frontier and the scenario's options scored again."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..experiment.optimise import SearchResult, designs_table
from .figures import COLOURS, plt, save

LABELS = {
    "fiscal_cost_net": "expected net fiscal cost",
    "social_cost": "expected social cost",
    "social_cost_cvar95": "CVaR95 of social cost",
    "consumer_cost": "expected consumer cost",
    "shortfall_value": "expected value of shortfall",
}


def frontier(result: SearchResult, path: Path) -> list[Path]:
    """The first two objectives (millions of the reporting currency, present values): grey
    dots, every design the search scored; the line, its frontier on the search's
    replications; blue, the frontier scored again on fresh replications with 95% intervals;
    black, the scenario's own options on those replications, labelled. Saved as PNG and SVG."""
    design = result.design
    if len(design.objectives) < 2:
        raise ValueError("a frontier figure needs two objectives")
    mx, my = design.objectives[:2]
    cur = result.loaded.scenario.currency
    E = result.study.evaluations
    fig, ax = plt.subplots(figsize=(7.2, 5.0), layout="constrained")
    ax.scatter(
        [e.outcomes[mx] / 1e6 for e in E],
        [e.outcomes[my] / 1e6 for e in E],
        s=9,
        color="0.75",
        label=f"designs scored by the search ({len(E)})",
        zorder=1,
    )
    front = result.frontier_evaluations()
    ax.plot(
        [e.outcomes[mx] / 1e6 for e in front],
        [e.outcomes[my] / 1e6 for e in front],
        color="0.45",
        linewidth=1,
        marker=".",
        label="frontier on the search's replications",
        zorder=2,
    )
    if result.rescored is not None:
        table = designs_table(result)
        for kind, colour, label in (
            ("design", COLOURS[0], "frontier scored again (95% intervals)"),
            ("option", "black", "the scenario's options, scored alike"),
        ):
            rows = table[table.kind == kind]
            x, y = rows[mx].to_numpy() / 1e6, rows[my].to_numpy() / 1e6
            xerr = np.abs(np.vstack([rows[f"{mx}:low"], rows[f"{mx}:high"]]) / 1e6 - x)
            yerr = np.abs(np.vstack([rows[f"{my}:low"], rows[f"{my}:high"]]) / 1e6 - y)
            ax.errorbar(
                x,
                y,
                xerr=xerr,
                yerr=yerr,
                fmt="o" if kind == "design" else "s",
                color=colour,
                markersize=4,
                elinewidth=0.8,
                capsize=2,
                label=label,
                zorder=3,
            )
            if kind == "option":
                for name, xi, yi in zip(rows.option, x, y, strict=True):
                    ax.annotate(
                        name, (xi, yi), xytext=(4, 4), textcoords="offset points", fontsize=7
                    )
    ax.ticklabel_format(useOffset=False, style="plain")
    ax.set_xlabel(f"{LABELS[mx]}, M {cur} (present value)")
    ax.set_ylabel(f"{LABELS[my]}, M {cur}")
    ax.set_title(
        f"Designs of option {design.option!r}: lower and to the left is better", fontsize=10
    )
    ax.legend(fontsize=7, loc="best")
    return save(fig, Path(path))
