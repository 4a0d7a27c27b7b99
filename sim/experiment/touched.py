"""What a run is about: the commodities something touched, the blocs a disruption or a price
move hit, and when the disruptions were active.

One rule for every output that has to choose (the figures, the report, the `--bloc` and
`--commodity` options), so that they never disagree about what a run is about. A move counts
only beyond the start-up noise: a calm market drifts by about 1e-4 of its starting price while
its stocks settle, which is no movement at all.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence

import numpy as np

from ..engine.disruptions import ANNOUNCED, compile_specs, sample_plan
from ..engine.disruptions.registry import module_of
from .results import Results

PRICE_NOISE = 0.01
"""A price moved if its 5-95% band left 1 +/- this many times its starting price (the
threshold `Results.inert_disruptions` uses for the peak)."""
SHORTFALL_NOISE = 1e-3
"""Shortfall moved if its mean exceeded this share of the bloc's starting use."""


def _runs(results: Results | Iterable[Results]) -> list[Results]:
    return [results] if isinstance(results, Results) else list(results)


def price_moved(r: Results) -> np.ndarray:
    """[K, B]: whether the price band (5-95% across replications) left the noise band."""
    multiple = r.series["price"][:, [0, -1]] / r.world.reference_price[None, None, :, None]
    return (np.abs(multiple - 1.0) > PRICE_NOISE).any(axis=(0, 1))


def shortfall_moved(r: Results) -> np.ndarray:
    """[K, B]: whether the mean shortfall exceeded the noise share of starting use."""
    peak = r.series_mean["shortfall"].max(axis=0)  # [K, B]
    return peak > SHORTFALL_NOISE * np.maximum(r.world.demand, 1e-300)


def moved(r: Results) -> np.ndarray:
    """[K, B]: price or shortfall moved beyond the start-up noise."""
    return price_moved(r) | shortfall_moved(r)


def named_commodities(scenario, options: Iterable[str] = ()) -> set[str]:
    """The commodities a disruption of the scenario names or a policy of `options` acts on."""
    out = {d.commodity for d in scenario.disruptions.values()}
    for option in options:
        for name in scenario.options.get(option, []) if scenario.options else []:
            p = scenario.policies[name]
            if getattr(p, "commodity", None):
                out.add(p.commodity)
            out.update(getattr(p, "commodities", None) or [])
    return out


def named_blocs(scenario) -> set[str]:
    """The blocs a disruption of the scenario hits by its definition: an outage every bloc,
    an export control its targets, a demand shock the blocs whose use it changes."""
    owner, rest = scenario.bloc_of_countries()
    blocs = list(scenario.blocs)
    hit: set[str] = set()
    for d in scenario.disruptions.values():
        if d.type == "demand_shock":
            hit.update(d.blocs or blocs)
            continue
        hit.update(b for b in blocs if module_of(d).hits(d, b, owner, rest))
    return hit


def touched_commodities(results: Results | Iterable[Results]) -> list[str]:
    """The commodities something touched, in the world's order: one a disruption names, one a
    policy of the option(s) run acts on, or one whose price or shortfall moved beyond the
    start-up noise in some bloc. `results`: one run, or every option of a comparison."""
    runs = _runs(results)
    w = runs[0].world
    named = named_commodities(runs[0].loaded.scenario, [r.option for r in runs])
    for r in runs:
        named |= {w.commodities[k] for k in np.flatnonzero(moved(r).any(axis=1))}
    return [c for c in w.commodities if c in named]


def hit_blocs(results: Results | Iterable[Results]) -> list[str]:
    """The blocs hit, in the world's order: one whose inflow a disruption cuts (an outage cuts
    every bloc's; an export control its targets'), one whose use a demand shock changes, or
    one where a price or shortfall moved beyond the start-up noise."""
    runs = _runs(results)
    w = runs[0].world
    hit = named_blocs(runs[0].loaded.scenario)
    for r in runs:
        hit |= {w.blocs[b] for b in np.flatnonzero(moved(r).any(axis=0))}
    return [b for b in w.blocs if b in hit]


def check_names(names: Sequence[str], chosen: Sequence[str], what: str) -> list[str]:
    """The chosen names in the order of `names`; ValueError naming the first unknown one,
    with the closest known name and the list of them."""
    plural = "commodities" if what == "commodity" else what + "s"
    for name in chosen:
        if name not in names:
            close = difflib.get_close_matches(name, list(names), 1, 0.6)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ValueError(f"no {what} named {name!r}{hint} (the {plural}: {', '.join(names)})")
    return [n for n in names if n in set(chosen)]


def chosen_commodities(
    results: Results | Iterable[Results], commodities: Sequence[str] | None = None
) -> list[str]:
    """The commodities named (checked; ValueError with a did-you-mean hint), in the world's
    order, or the touched ones (`touched_commodities`) when None."""
    runs = _runs(results)
    if commodities is None:
        return touched_commodities(runs)
    return check_names(runs[0].world.commodities, list(commodities), "commodity")


def chosen_blocs(
    results: Results | Iterable[Results], blocs: Sequence[str] | None = None
) -> list[str]:
    """The blocs named (checked; ValueError with a did-you-mean hint), in the world's order,
    or the hit ones (`hit_blocs`) when None."""
    runs = _runs(results)
    if blocs is None:
        return hit_blocs(runs)
    return check_names(runs[0].world.blocs, list(blocs), "bloc")


def _active(r: Results) -> dict[str, np.ndarray]:
    """Each disruption's [T, R] activity, drawn again from the run's seed exactly as the
    engine drew it (common random numbers: the same under every option)."""
    s, w = r.loaded.scenario, r.world
    if not s.disruptions:
        return {}
    plan = sample_plan(s, w, compile_specs(s, w), np.arange(r.reps), r.seed)
    out = {}
    for name, occ in plan.items():
        if name.startswith(ANNOUNCED):
            continue
        active = np.zeros((w.n_ticks, r.reps), dtype=bool)
        for row, start, end in zip(occ.rows, occ.start, occ.end, strict=True):
            active[max(start, 0) : max(end, 0), row] = True
        out[name] = active
    return out


def disruption_activity(r: Results) -> dict[str, np.ndarray]:
    """For each disruption, the share of replications [T] in which it is active at each tick.
    A fixed onset gives 0 outside its window and its probability inside (if its duration is
    fixed); random onsets give a share that rises and falls."""
    return {name: a.mean(axis=1) for name, a in _active(r).items()}


def commodity_activity(r: Results) -> np.ndarray:
    """[K, T]: the share of replications in which at least one disruption of each commodity
    is active, tick by tick."""
    s, w = r.loaded.scenario, r.world
    out = np.zeros((len(w.commodities), w.n_ticks))
    active = _active(r)
    for k, commodity in enumerate(w.commodities):
        parts = [a for n, a in active.items() if s.disruptions[n].commodity == commodity]
        if parts:
            out[k] = np.logical_or.reduce(parts).mean(axis=1)
    return out
