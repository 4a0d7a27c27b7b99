"""What the disruptions do to the market: compiled against the world, then, as SimPy events at
each tick where any of them starts, ends or steps, written into the market's arrays by their
type's `apply` (docs/model.md section 9.2)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .base import Compiled
from .registry import TYPES, module_of

if TYPE_CHECKING:
    from collections.abc import Generator

    import simpy

    from ...scenario.schema import Scenario
    from ..market import Market
    from ..world import World
    from .plan import Occurrences

ANNOUNCED = "announced:"
"""Prefix of the compiled disruption that holds a disruption's announcement window."""


def compile_specs(s: Scenario, world: World) -> list[Compiled]:
    """Every disruption of the scenario compiled, and the announcement window of each one
    that is announced (its blocs: those whose inflow it will cut, section 5.4)."""
    group_of = {m: g for g, grp in s.groups.items() for m in grp.members}
    owner_rest = None
    out: list[Compiled] = []
    for name, d in s.disruptions.items():
        group = group_of.get(name)
        compiled = module_of(d).compile(name, d, world, group)
        out.extend(compiled)
        if d.announced is not None:
            if owner_rest is None:
                owner_rest = s.bloc_of_countries()
            hit = tuple(
                b for b, bloc in enumerate(world.blocs) if module_of(d).hits(d, bloc, *owner_rest)
            )
            k = compiled[0].k
            out.append(
                Compiled(ANNOUNCED + name, "announcement", k, blocs=hit, source=d, group=group)
            )
    return out


def baseline_flow_shares(world: World) -> np.ndarray:
    """[K,S,B]: each bloc's share of a stage's flow before any disruption.

    The last stage sells to users, so its flow splits like use; an earlier stage feeds the
    next one, so its flow splits like the next stage's capacity.
    """
    K, S, _, B = world.shape
    out = np.zeros((K, S, B))
    onehot = np.eye(B)[world.producer_bloc]  # [K,S,P,B]
    for k in range(K):
        out[k, S - 1] = world.demand[k] / world.demand[k].sum()
        for s in range(S - 1):
            cap = np.einsum("p,pb->b", np.minimum(world.capacity[k, s + 1], 1e20), onehot[k, s + 1])
            out[k, s] = cap / cap.sum() if cap.sum() > 0 else 1.0 / B
    return out


class Disruptions:
    """Holds each disruption's current severity per replication and writes it into the market."""

    def __init__(
        self, specs: list[Compiled], plan: dict[str, Occurrences], market: Market, world: World
    ):
        self.specs = specs
        self.plan = plan
        self.market = market
        self.world = world
        self.level = np.zeros((market.n, len(specs)))  # current severity (or change) per spec
        self.base_output = world.capacity * world.utilisation  # [K,S,P] t/yr
        self.base_share = baseline_flow_shares(world)  # [K,S,B]

    def process(self, env: simpy.Environment) -> Generator[simpy.Event, object, None]:
        """SimPy process: at each tick where any disruption starts, ends or is licensed, set the
        levels of the rows concerned, then rebuild those rows once (`apply` reads every
        disruption's level, so the members of a group that change together cost one
        rebuild, not one each)."""
        changes: dict[int, list[tuple[int, np.ndarray, np.ndarray]]] = {}
        for j, sp in enumerate(self.specs):
            additive = getattr(TYPES.get(getattr(sp.source, "type", "")), "ADDITIVE", False)
            for tick, rows, level in self.plan[sp.name].timeline(
                additive and sp.kind != "announcement"
            ):
                if tick < self.world.n_ticks:
                    changes.setdefault(tick, []).append((j, rows, level))
        for tick in sorted(changes):
            if tick > env.now:
                yield env.timeout(tick - env.now)
            now = changes[tick]
            for j, rows, level in now:
                self.level[rows, j] = level
            if len(now) == 1:
                self.apply(now[0][1])
            else:
                self.apply(np.unique(np.concatenate([rows for _, rows, _ in now])))

    def apply(self, rows: np.ndarray) -> None:
        """Rebuild the market's disruption arrays for `rows` from every disruption's level."""
        m = self.market
        m.capacity_factor[rows] = 1.0
        m.output_cap[rows] = np.inf
        m.stop[rows] = 0.0
        m.demand_factor[rows] = 1.0
        was = m.announced[rows].copy()
        m.announced[rows] = 0.0
        for j, sp in enumerate(self.specs):
            lv = self.level[rows, j]
            if not lv.any():
                continue
            if sp.kind == "announcement":
                for bloc in sp.blocs:
                    m.announced[rows, sp.k, bloc] = np.maximum(m.announced[rows, sp.k, bloc], lv)
            else:
                module_of(sp.source).apply(m, rows, sp, lv, self)
        # when an announced disruption takes effect, its blocs' stockholders know the inflow
        # it leaves them at once: they need not learn it from the deliveries (section 5.4)
        began = (was > 0.5) & (m.announced[rows] < 0.5)  # [rows, K, B]
        if began.any():
            r, k, b = np.nonzero(began)
            known = self.world.announced_inflow[k, b]
            m.inflow[rows[r], k, b] = np.minimum(m.inflow[rows[r], k, b], known)
        m.refresh(rows)
