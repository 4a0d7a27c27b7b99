"""`quota`: a cap on a country's output, or on its exports, as a share of its output at the
start (docs/model.md section 9.2). An export quota works as an export control on every bloc
but the country's own."""

from __future__ import annotations

import numpy as np

from ...scenario.base import Distribution
from ...scenario.disruptions.quota import Quota
from . import export_control
from .base import Compiled, mean

Spec = Quota


def compile(name: str, d: Quota, world, group: str | None) -> list[Compiled]:
    k = world.commodities.index(d.commodity)
    s = world.stage_index(k, d.stage)
    producers = (world.producer_index(k, d.stage, d.country),)
    home = world.producer_bloc[k, s, producers[0]]
    foreign = tuple(b for b in range(len(world.blocs)) if b != home)
    kind = "quota_output" if d.applies_to == "output" else "quota_exports"
    if d.tonnes is not None:  # the tonnage as a share of what the quota caps at the start
        output = float(world.capacity[k, s, producers[0]] * world.utilisation[k, s, producers[0]])
        if kind == "quota_exports":
            from .effects import baseline_flow_shares

            output *= float(baseline_flow_shares(world)[k, s, list(foreign)].sum())
        share = min(d.tonnes / output, 1.0) if output > 0 else 1.0
        d = d.model_copy(update={"cap": share})
    return [Compiled(name, kind, k, s, producers, foreign, d, group)]


def depth(d: Quota) -> float | Distribution:
    assert d.cap is not None, "compile reads a quota in tonnes as a cap"
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


def stopped(d: Quota, persistence: float) -> tuple[list[str], float] | None:
    """What an announcement makes known; None for a quota in tonnes, whose share needs the
    world (an announced tonnage quota is not hoarded against: a limitation)."""
    if d.cap is None:
        return None
    return [d.country], 1.0 - mean(d.cap)
