"""The structure of a scenario, before anything runs (`LoadedScenario.plot`): for each
commodity, who produces each stage and who uses it, as shares coloured by bloc."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
from matplotlib.patches import Patch

from ..engine.world import OTHER, World, compile_world
from ..scenario import LoadedScenario
from .figures import COLOURS, select

LABEL_FROM = 0.06
"""Segments at least this wide carry their producer's name."""


def shares(world: World, k: int) -> list[tuple[str, list[tuple[str, int, float]]]]:
    """Rows of commodity k: ('<stage>', [(producer, bloc, share of world output)]) for each
    stage, producers by bloc then largest first, then ('use', [(bloc, bloc, share of use)]).
    Shares come from the starting capacity at its utilisation (the world's reference output)."""
    rows = []
    n_s = len(world.stages[k])
    for j, stage in enumerate(world.stages[k]):
        s = world.n_stages - n_s + j  # padded index (short chains are padded upstream)
        names = world.producer_names[k][j]
        out = world.capacity[k, s, : len(names)] * world.utilisation[k, s, : len(names)]
        total = out.sum()
        segs = [
            (name, int(world.producer_bloc[k, s, p]), out[p] / total)
            for p, name in enumerate(names)
            if total > 0 and out[p] > 0
        ]
        segs.sort(key=lambda x: (x[1], x[0] == OTHER, -x[2]))
        rows.append((stage, segs))
    use = world.demand[k]
    total = use.sum()
    rows.append(
        ("use", [(bloc, b, use[b] / total) for b, bloc in enumerate(world.blocs) if use[b] > 0])
    )
    return rows


def structure_panel(ax, world: World, ks: Sequence[int]):
    """Horizontal stacked bars: a bar per stage and one for use, per commodity."""
    y = 0.0
    ticks, labels = [], []
    for k in ks:
        for row, segs in shares(world, k):
            left = 0.0
            for name, b, share in segs:
                ax.barh(
                    y,
                    share,
                    left=left,
                    height=0.8,
                    color=COLOURS[b % len(COLOURS)],
                    edgecolor="white",
                    linewidth=0.6,
                    hatch="//" if name == OTHER else None,
                )
                if share >= LABEL_FROM and row != "use" and name != OTHER:
                    ax.text(
                        left + share / 2,
                        y,
                        name,
                        ha="center",
                        va="center",
                        fontsize=6,
                        color="white",
                    )
                left += share
            ticks.append(y)
            labels.append(f"{world.commodities[k]} {row}")
            y -= 1
        y -= 0.6  # a gap between commodities
    ax.set_yticks(ticks, labels, fontsize=7)
    ax.set_xlim(0, 1)
    ax.set_xlabel("share of world output (stages) or of world use")
    handles = [
        Patch(color=COLOURS[b % len(COLOURS)], label=bloc) for b, bloc in enumerate(world.blocs)
    ]
    ax.legend(
        handles=handles,
        fontsize=7,
        frameon=False,
        title="bloc",
        title_fontsize=7,
        loc="upper left",
        bbox_to_anchor=(1.0, 1.0),
    )
    return ax


def structure(loaded: LoadedScenario, commodity: str | Sequence[str] | None = None, ax=None):
    """Producers' shares at each stage and use by bloc, for every commodity (or those named);
    returns the Axes drawn on."""
    world = compile_world(loaded.scenario)
    ks = select(world.commodities, commodity, "commodity")
    if ax is None:
        rows = sum(len(world.stages[k]) + 1 for k in ks)
        _, ax = plt.subplots(figsize=(7.5, 0.28 * rows + 1.4), layout="constrained")
    structure_panel(ax, world, ks)
    title = loaded.scenario.name or loaded.path.stem
    ax.set_title(f"{title}: who produces and who uses (colour: bloc; hatched: other)", fontsize=9)
    return ax
