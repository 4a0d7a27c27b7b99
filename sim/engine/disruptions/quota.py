"""`quota`: a cap on a country's output, or on its exports, as a share of its output at the
start (docs/model.md section 9.2). An export quota works as an export control on every bloc
but the country's own."""

from __future__ import annotations

from typing import Literal

import numpy as np

from ...scenario.base import Distribution, Share
from . import export_control
from .base import Compiled, Timing, mean


class Quota(Timing):
    """A cap on a country's output or exports, as a share of its output at the start."""

    type: Literal["quota"]
    """Kind of disruption."""
    country: str
    """ISO code of the country."""
    commodity: str
    """Commodity capped."""
    stage: str = "refining"
    """Stage capped."""
    applies_to: Literal["output", "exports"] = "exports"
    """What is capped."""
    cap: Share | Distribution
    """Allowed share: of the country's output at the start (`output`), or of the flow its
    foreign buyers used to receive (`exports`)."""


Spec = Quota


def compile(name: str, d: Quota, world, group: str | None) -> list[Compiled]:
    k = world.commodities.index(d.commodity)
    s = world.stage_index(k, d.stage)
    producers = (world.producer_index(k, d.stage, d.country),)
    home = world.producer_bloc[k, s, producers[0]]
    foreign = tuple(b for b in range(len(world.blocs)) if b != home)
    kind = "quota_output" if d.applies_to == "output" else "quota_exports"
    return [Compiled(name, kind, k, s, producers, foreign, d, group)]


def depth(d: Quota) -> float | Distribution:
    return d.cap


def level(d: Quota, drawn: float) -> float:
    return 1.0 - drawn  # a cap of 60% stops 40%


def apply(market, rows: np.ndarray, c: Compiled, lv: np.ndarray, effects) -> None:
    if c.kind == "quota_exports":
        export_control.apply(market, rows, c, lv, effects)
        return
    # output: capped at (1 - level) of the starting output, in t/yr; caps take the minimum
    for p in c.producers:
        cap = np.where(lv > 0, (1 - lv) * effects.base_output[c.k, c.s, p], np.inf)
        market.output_cap[rows, c.k, c.s, p] = np.minimum(market.output_cap[rows, c.k, c.s, p], cap)


def hits(d: Quota, bloc: str, owner: dict, rest: str | None) -> bool:
    return d.applies_to == "output" or owner.get(d.country, rest) != bloc


def stopped(d: Quota, persistence: float) -> tuple[list[str], float]:
    return [d.country], 1.0 - mean(d.cap)
