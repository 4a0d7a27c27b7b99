"""One SimPy calendar advancing a batch of replications.

Events: the market clock (one clearing per tick, at mid-tick), each disruption's onset,
licence decision and end (at tick boundaries, so they take effect in the tick that follows),
investment reviews, and capacity arriving after its lead time. State changes are applied to
the rows (replications) an event concerns; the clearing is vectorised over all rows.
"""

from __future__ import annotations

import numpy as np
import simpy

from ..scenario.schema import Scenario
from .disruptions import Disruptions, compile_specs, sample_plan
from .market import Market
from .recorder import BatchResult, Recorder
from .world import World, compile_world

CLEARING_OFFSET = 0.5
"""The market clears at mid-tick, after every event of the tick boundary has been applied."""


def _clock(env: simpy.Environment, market: Market, recorder: Recorder, n_ticks: int):
    yield env.timeout(CLEARING_OFFSET)
    for tick in range(n_ticks):
        flows = market.clear(tick * market.dt)
        recorder.record(tick, flows, market.stock)
        if tick + 1 < n_ticks:
            yield env.timeout(1)


def _investment(env: simpy.Environment, market: Market, k: int, n_ticks: int):
    w = market.w
    every = max(1, round(w.review[k] * w.ticks_per_year))
    lead = max(1, round(w.lead_time[k] * w.ticks_per_year))
    tick = every
    while tick + lead < n_ticks:
        yield env.timeout(tick - env.now)
        added = market.commit_investment(k, tick * market.dt)
        if added.any():
            env.process(_arrival(env, market, k, lead, added))
        tick += every


def _arrival(env: simpy.Environment, market: Market, k: int, lead: int, added: np.ndarray):
    yield env.timeout(lead)
    market.add_capacity(k, added)


def run_batch(
    scenario: Scenario,
    replications: np.ndarray,
    seed: int,
    *,
    world: World | None = None,
    keep_paths: bool = False,
) -> BatchResult:
    """Simulate the given replication indices together; row i is replication replications[i]."""
    world = world or compile_world(scenario)
    replications = np.asarray(replications, dtype=np.int64)
    n = len(replications)
    specs = compile_specs(scenario, world)
    stop_sets = tuple(
        sorted({sp.blocs for sp in specs if sp.kind in ("export_control", "quota_exports")})
    )
    market = Market(world, n, stop_sets)
    plan = sample_plan(scenario, world, specs, replications, seed)
    recorder = Recorder(world, n, keep_paths)
    env = simpy.Environment()
    disruptions = Disruptions(specs, plan, market, world)
    for j in range(len(specs)):
        env.process(disruptions.process(env, j))
    for k in range(len(world.commodities)):
        if world.investment_response[k] > 0:
            env.process(_investment(env, market, k, world.n_ticks))
    env.process(_clock(env, market, recorder, world.n_ticks))
    env.run(until=world.n_ticks)
    return recorder.result(replications)
