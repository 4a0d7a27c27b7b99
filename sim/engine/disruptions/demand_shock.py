"""`demand_shock`: use changes suddenly (a boom in battery demand, a recession, a state
buying for its reserve)."""

from __future__ import annotations

from typing import Annotated, Literal

import numpy as np
from pydantic import Field, model_validator

from ...scenario.base import Distribution
from .base import Compiled, Timing


class DemandShock(Timing):
    """Use changes suddenly (a boom in battery demand, a recession)."""

    type: Literal["demand_shock"]
    """Kind of disruption."""
    commodity: str
    """Commodity affected."""
    blocs: list[str] = Field(default_factory=list)
    """Blocs affected (all when empty)."""
    change: Annotated[float, Field(gt=-1, le=100)] | Distribution
    """Relative change of use (+0.3 = 30% more; -1 would be no use at all, +100 a hundredfold
    rise); a distribution's values are held to the same bounds."""

    @model_validator(mode="after")
    def _no_announcement(self) -> DemandShock:
        if self.announced is not None:
            raise ValueError("'announced' applies to supply disruptions, not demand shocks")
        return self


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
