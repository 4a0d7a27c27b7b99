"""`outage`: capacity lost at named countries (a mine flood, a strike, a war, or an ore export
ban that leaves a country's mines without a buyer)."""

from __future__ import annotations

import numpy as np

from ...scenario.base import Distribution
from ...scenario.disruptions.outage import Outage
from .base import Compiled, mean

Spec = Outage


def compile(name: str, d: Outage, world, group: str | None) -> list[Compiled]:
    k = world.commodities.index(d.commodity)
    s = world.stage_index(k, d.stage)
    producers = tuple(world.producer_index(k, d.stage, c) for c in d.countries)
    return [Compiled(name, "outage", k, s, producers, (), d, group)]


def depth(d: Outage) -> float | Distribution:
    return d.severity


def level(d: Outage, drawn: float) -> float:
    return drawn


def apply(market, rows: np.ndarray, c: Compiled, lv: np.ndarray, effects) -> None:
    """The countries' capacity is scaled by (1 - level); outages multiply."""
    for p in c.producers:
        market.capacity_factor[rows, c.k, c.s, p] *= 1 - lv


def hits(d: Outage, bloc: str, owner: dict, rest: str | None) -> bool:
    return True  # lost output is lost to every bloc


def stopped(d: Outage, persistence: float) -> tuple[list[str], float]:
    return list(d.countries), mean(d.severity)
