"""One SimPy calendar advancing a batch of replications.

Events: the market clock (one clearing per tick, at mid-tick), each disruption's onset,
licence decision and end (at tick boundaries, so they take effect in the tick that follows),
investment reviews, and capacity arriving after its lead time. State changes are applied to
the rows (replications) an event concerns; the clearing is vectorised over all rows.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import simpy

from ..scenario.schema import Scenario
from .disruptions import Disruptions, compile_specs, drawn_by_row, sample_plan
from .market import Market
from .policies import INSTRUMENTS
from .policies.base import Context, Effects, Instrument, Ledger
from .recorder import BatchResult, Recorder
from .world import World, compile_world

CLEARING_OFFSET = 0.5
"""The market clears at mid-tick, after every event of the tick boundary has been applied."""


def _clock(
    env: simpy.Environment,
    market: Market,
    recorder: Recorder,
    n_ticks: int,
    instruments: list[Instrument],
    effects: Effects,
    ledger: Ledger,
):
    yield env.timeout(CLEARING_OFFSET)
    for tick in range(n_ticks):
        if instruments:
            effects.reset()
            ledger.reset_tick()
            for inst in instruments:
                inst.prepare(tick)
            for inst in instruments:
                inst.before_clear(tick, effects)
        flows = market.clear(tick * market.dt, effects if instruments else None)
        for inst in instruments:
            inst.after_clear(tick, flows, ledger)
        state: dict[str, np.ndarray] = {}
        for inst in instruments:
            for key, value in inst.state().items():
                state[key] = state[key] + value if key in state else value
        recorder.record(tick, flows, market.stock, ledger.tick, state)
        if tick + 1 < n_ticks:
            yield env.timeout(1)


def _investment(env: simpy.Environment, market: Market, k: int, n_ticks: int):
    w = market.w
    every, lead = w.ticks(w.review[k]), w.ticks(w.lead_time[k])
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


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector, as it was before afterwards. A batch allocates
    small objects at every tick (events, flows, argument tuples), which sets the collector
    off every few ticks to walk every object the process holds: 2-4% of a batch's time
    (docs/performance.md). A batch makes no garbage that needs it: what it leaves behind
    is collected when the collector runs again."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def policies_of(scenario: Scenario, option: str | None) -> list[str]:
    """Names of the policies an option switches on (none for None)."""
    if option is None:
        return []
    if option not in scenario.options:
        raise KeyError(option)
    return list(scenario.options[option])


@cyclic_gc_paused()
def run_batch(
    scenario: Scenario,
    replications: np.ndarray,
    seed: int,
    *,
    world: World | None = None,
    keep_paths: bool = False,
    option: str | None = None,
    calm: bool = False,
) -> BatchResult:
    """Simulate the given replication indices together; row i is replication replications[i].
    `option` names one of the scenario's options: the policies it switches on act. Users'
    costs are counted against the world's no-disruption path (`calm_path`), except in the
    run that finds that path (`calm`)."""
    world = world or compile_world(scenario)
    path = None if calm else calm_path(scenario, world, seed)
    replications = np.asarray(replications, dtype=np.int64)
    n = len(replications)
    specs = compile_specs(scenario, world)
    stop_sets = tuple(
        sorted({sp.blocs for sp in specs if sp.kind in ("export_control", "quota_exports")})
    )
    market = Market(world, n, stop_sets)
    plan = sample_plan(scenario, world, specs, replications, seed)
    names = policies_of(scenario, option)
    recorder = Recorder(
        world, n, keep_paths, scenario.discount_rate, names, market.varies, calm=path
    )
    env = simpy.Environment()
    ctx = Context(scenario, world, market, replications, seed)
    instruments = []
    for name in names:
        spec = scenario.policies[name]
        inst = INSTRUMENTS[spec.type](name, spec, ctx)
        ctx.instruments[name] = inst
        instruments.append(inst)
        inst.start(env)
    # a commodity that no disruption and no policy of this option touches follows the same
    # path in every replication: the market clears it once a tick
    market.varies[:] = False
    market.outaged[:] = False
    market.capped[:] = False
    for sp in specs:
        market.varies[sp.k] = True
        # outages and controls whose country holds output back scale capacity
        market.outaged[sp.k] |= sp.kind == "outage" or getattr(sp.source, "home_support", 0) > 0
        market.capped[sp.k] |= sp.kind == "quota_output"
    for inst in instruments:  # an instrument that does not say its commodities touches all
        market.varies[np.atleast_1d(getattr(inst, "k", np.arange(len(world.commodities))))] = True
    K, S, P, B = world.shape
    effects = Effects(n, K, S, P, B, {f for inst in instruments for f in inst.writes})
    ledger = Ledger(n, K, B, names)
    recorder.ledger = ledger
    disruptions = Disruptions(specs, plan, market, world)
    recorder.onset = first_onsets(specs, plan, n, K)
    env.process(disruptions.process(env))
    for k in range(len(world.commodities)):
        if world.investment_response[k] > 0:
            env.process(_investment(env, market, k, world.n_ticks))
    env.process(_clock(env, market, recorder, world.n_ticks, instruments, effects, ledger))
    env.run(until=world.n_ticks)
    # strategic stock still held at the end is worth its reference price (fiscal_cost_net)
    held = np.zeros((n, K, B))
    for inst in instruments:
        stock = inst.state().get("strategic_stock")
        if stock is not None:
            held += stock
    end = (1 + scenario.discount_rate) ** (world.n_ticks * world.dt)
    recorder.held_value_pv = held * world.reference_price[None, :, None] / end
    result = recorder.result(replications)
    result.drawn = drawn_by_row(plan, n)
    for inst in instruments:
        for (commodity, metric), values in inst.report().items():
            result.policy_reports[(inst.name, commodity, metric)] = values
    return result


def calm_path(
    scenario: Scenario, world: World, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The users' price (currency/t), wanted use and shortfall (t this tick), [T, K, B], of
    the world without disruptions and without policies: the counterfactual of
    `consumer_cost` and `shortfall_value`. The
    market is deterministic, so one replication gives it; found once per world and kept on
    it. It differs from the reference price by the market's own drift (start-up, trend of
    use against capacity), which is not a disruption's cost (docs/model.md section 11)."""
    if "path" not in world.calm:
        quiet = scenario.model_copy(update={"disruptions": {}, "groups": {}})
        r = run_batch(
            quiet, np.zeros(1, dtype=np.int64), seed, world=world, keep_paths=True, calm=True
        )
        price = np.ascontiguousarray(r.paths["price"][:, 0])
        wanted = np.ascontiguousarray(r.paths["wanted"][:, 0] * world.dt)
        short = np.ascontiguousarray(r.paths["shortfall"][:, 0] * world.dt)
        world.calm["path"] = (price, wanted, short)
    return world.calm["path"]


def first_onsets(specs, plan: dict, n: int, K: int) -> np.ndarray:
    """[R, K]: the tick at which each row's first disruption of each commodity starts (an
    announcement is not a start); -1 where none does."""
    never = np.iinfo(np.intp).max
    first = np.full((n, K), never, dtype=np.intp)
    for sp in specs:
        if sp.kind == "announcement":
            continue
        occ = plan[sp.name]
        np.minimum.at(first[:, sp.k], occ.rows, occ.start)
    first[first == never] = -1
    return first


def simulate_block(
    scenario: Scenario,
    ids: np.ndarray,
    seed: int,
    keep_paths: bool,
    option: str | None,
    world: World | None = None,
) -> BatchResult:
    """One block of replications: the task a worker runs (sim.experiment.runner). It lives in
    the engine so that a worker imports only the scenario schema and the engine. The world is
    compiled from the scenario where the block runs, unless given (the inline executor passes
    its own)."""
    return run_batch(scenario, ids, seed, world=world, keep_paths=keep_paths, option=option)
