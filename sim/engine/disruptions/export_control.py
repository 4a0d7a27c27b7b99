"""`export_control`: a country stops a share of its exports of a commodity at a stage to named
blocs, with licences that resume part of the flow and leakage through third countries
(docs/model.md section 9.2)."""

from __future__ import annotations

from itertools import pairwise

import numpy as np

from ...scenario.base import Distribution
from ...scenario.countries import COUNTRIES
from ...scenario.disruptions.export_control import ExportControl
from .base import Compiled, mean

Spec = ExportControl


def bloc_part(d: ExportControl, bloc: str, owner: dict, rest: str | None, countries: dict) -> float:
    """The share of `bloc`'s use that the control targets: 1 if it names the bloc, else the
    summed shares (`countries`: the bloc's `demand.<bloc>.countries` of the commodity) of the
    countries it names in that bloc; a country that is its bloc's only member is the bloc."""
    if bloc in d.to:
        return 1.0
    part = 0.0
    for code in _countries(d):
        if owner.get(code, rest) == bloc:
            part += countries.get(code, 1.0 if _alone(code, owner, bloc) else 0.0)
    return min(part, 1.0)


def _countries(d: ExportControl) -> list[str]:
    """The entries of `to` that are country codes (a bloc may be named like one: the checks
    refuse a name that is both)."""
    return [code for code in d.to if code in COUNTRIES]


def _alone(code: str, owner: dict, bloc: str) -> bool:
    return [c for c, b in owner.items() if b == bloc] == [code]


def compile(name: str, d: ExportControl, world, group: str | None) -> list[Compiled]:
    k = world.commodities.index(d.commodity)
    s = world.stage_index(k, d.stage)
    producers = (world.producer_index(k, d.stage, d.country),)
    owner, rest = world.country_bloc
    # the blocs named, in the order given, then those of the countries named
    named = [b for b in d.to if b in world.blocs]
    named += [bl for bl in world.blocs if bl not in named and hits(d, bl, owner, rest)]
    blocs = [world.blocs.index(bl) for bl in named]
    parts = [
        bloc_part(d, bl, owner, rest, world.use_split.get((k, b), {}))
        for b, bl in zip(blocs, named, strict=True)
    ]
    whole = all(part == 1.0 for part in parts)  # whole blocs: no scaling (bit-identical)
    return [
        Compiled(
            name,
            "export_control",
            k,
            s,
            producers,
            tuple(blocs),
            d,
            group,
            () if whole else tuple(parts),
        )
    ]


def depth(d: ExportControl) -> float | Distribution:
    return d.severity


def level(d: ExportControl, drawn: float) -> float:
    return drawn


def steps(
    d: ExportControl, severity: float, start: int, end: int, tpy: int
) -> list[tuple[int, float]]:
    """The changes of an export control's level after its start, in tick order: licences
    resume shares of the stopped flow (a delay and one share, or a schedule), and from
    `leakage.lag` on a share of what is still stopped reaches the targets through third
    countries (docs/model.md section 9.2). Steps at or after the end are dropped."""
    resumed: list[tuple[int, float]] = []
    if d.licensing is not None:
        for after, share in d.licensing.steps():
            resumed.append((start + max(1, round(after * tpy)), share))
    leak_tick, leak = end, 0.0
    if d.leakage is not None:
        leak_tick, leak = start + max(1, round(d.leakage.lag * tpy)), d.leakage.share
    out: list[tuple[int, float]] = []
    resumed.sort(key=lambda step: step[0])  # stable: the later of two steps on a tick wins
    for tick in sorted({t for t, _ in resumed} | {leak_tick}):
        if tick >= end:
            break
        share = ([0.0] + [r for t, r in resumed if t <= tick])[-1]  # the latest licence step
        leaked = leak if tick >= leak_tick else 0.0
        out.append((tick, severity * (1 - share) * (1 - leaked)))
    return out


def apply(market, rows: np.ndarray, c: Compiled, lv: np.ndarray, effects) -> None:
    """The flow to the named blocs is capped at (1 - level) of their baseline share of the
    producer's output; they share that allowance between them."""
    base = effects.base_share[c.k, c.s, list(c.blocs)]
    targets = base.sum()
    if c.parts and targets > 0:  # countries inside a bloc: a smaller cut to the whole bloc
        lv = lv * float(np.dot(c.parts, base)) / targets
    allowed = (1 - lv) * targets
    barred = np.where(lv > 0, 1 - allowed, 0.0)
    for p in c.producers:
        for b in c.blocs:
            old = market.stop[rows, c.k, c.s, p, b]
            market.stop[rows, c.k, c.s, p, b] = np.maximum(old, barred)
    support = getattr(c.source, "home_support", 0.0)
    if support > 0:  # the stopped flow, lv * targets of output, is partly never offered
        for p in c.producers:
            market.capacity_factor[rows, c.k, c.s, p] *= 1 - support * lv * targets


def hits(d: ExportControl, bloc: str, owner: dict, rest: str | None) -> bool:
    return bloc in d.to or any(owner.get(code, rest) == bloc for code in _countries(d))


def stopped(d: ExportControl, persistence: float) -> tuple[list[str], float]:
    """The restricting country, and the severity that holds on average over `persistence`
    years after its licences and leakage (what an announcement makes known)."""
    return [d.country], mean(d.severity) * _average_open(d, persistence)


def _average_open(d: ExportControl, duration: float) -> float:
    """Share of the severity that holds on average over `duration` years."""
    if duration <= 0:
        return 1.0
    licence = d.licensing.steps() if d.licensing else []
    cuts = sorted({0.0, duration} | {a for a, _ in licence})
    if d.leakage is not None:
        cuts = sorted(set(cuts) | {min(d.leakage.lag, duration)})
    total = 0.0
    for a, b in pairwise(cuts):
        if a >= duration:
            break
        resumed = [r for t, r in licence if t <= a]
        leak = d.leakage.share if d.leakage is not None and a >= d.leakage.lag else 0.0
        total += (min(b, duration) - a) * (1 - (resumed[-1] if resumed else 0.0)) * (1 - leak)
    return total / duration
