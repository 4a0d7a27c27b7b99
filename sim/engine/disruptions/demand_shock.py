"""`demand_shock`: use changes suddenly (a boom in battery demand, a recession, a state
buying for its reserve)."""

from __future__ import annotations

import numpy as np

from ...scenario.base import Distribution
from ...scenario.disruptions.demand_shock import DemandShock
from .base import Compiled

Spec = DemandShock
ADDITIVE = True
"""Overlapping shocks add their changes (the other types take the largest level)."""


def compile(name: str, d: DemandShock, world, group: str | None) -> list[Compiled]:
    k = world.commodities.index(d.commodity)
    blocs = tuple(world.blocs.index(b) for b in d.blocs) or tuple(range(len(world.blocs)))
    return [Compiled(name, "demand_shock", k, blocs=blocs, source=d, group=group)]


def depth(d: DemandShock) -> float | Distribution:
    return d.change


def level(d: DemandShock, drawn: float) -> float:
    return drawn


def apply(market, rows: np.ndarray, c: Compiled, lv: np.ndarray, effects) -> None:
    """Use wanted by the named blocs is scaled by (1 + change); shocks multiply."""
    for b in c.blocs:
        market.demand_factor[rows, c.k, b] *= 1 + lv


def hits(d: DemandShock, bloc: str, owner: dict, rest: str | None) -> bool:
    return False  # it moves use, not the inflow stockholders fear for
