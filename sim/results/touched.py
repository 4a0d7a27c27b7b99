"""What a run is about: the minerals something touched and the blocs that were hit.

PLACEHOLDER (branch `report`): a minimal version of the helpers the `figures` branch builds,
with the same names and signatures, so that `--bloc`/`--commodity` defaults and the report
work before the two branches meet. At the merge, take the `figures` branch's module.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .results import Results

MOVED = 1e-3
"""A share of the largest: a bloc (or mineral) whose expected social cost is below 0.1% of
the largest one's under every option only drifts at the start-up."""


def _runs(results: Results | Sequence[Results]) -> list[Results]:
    return [results] if isinstance(results, Results) else list(results)


def hit_blocs(results: Results | Sequence[Results]) -> list[str]:
    """The blocs with an expected social cost (summed over the minerals) of at least 0.1% of
    the largest bloc's under some option, in the scenario's order; every bloc when none is."""
    runs = _runs(results)
    world = runs[0].world
    cost = np.max([r.metrics["social_cost"].sum(1).mean(0) for r in runs], axis=0)  # [B]
    top = cost.max()
    if top <= 0:
        return list(world.blocs)
    return [b for i, b in enumerate(world.blocs) if cost[i] >= MOVED * top]


def touched_commodities(results: Results | Sequence[Results]) -> list[str]:
    """The minerals something touched: named by a disruption or by a policy of the runs'
    options, or whose expected social cost in some bloc is at least 0.1% of the largest;
    in the scenario's order, every mineral when none is."""
    runs = _runs(results)
    world = runs[0].world
    scenario = runs[0].loaded.scenario
    named = {d.commodity for d in scenario.disruptions.values()}
    for r in runs:
        for name in scenario.options.get(r.option, []):
            p = scenario.policies[name]
            named.update(getattr(p, "commodities", None) or [])
            if getattr(p, "commodity", None):
                named.add(p.commodity)
    cost = np.max([np.abs(r.metrics["social_cost"].mean(0)).max(1) for r in runs], axis=0)  # [K]
    top = cost.max()
    moved = {c for k, c in enumerate(world.commodities) if top > 0 and cost[k] >= MOVED * top}
    chosen = [c for c in world.commodities if c in named or c in moved]
    return chosen or list(world.commodities)
