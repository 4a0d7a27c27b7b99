"""The arithmetic of one market clearing, compiled with numba.

`Market.clear` (market.py) runs the equations of docs/model.md sections 3-7 on every
replication and commodity of a batch. Written as numpy array expressions they make some
200 passes over memory a tick, each allocating a temporary; here each (replication,
commodity) pair is cleared in one pass over a few dozen numbers held in registers, which is
what makes thousands of replications per option affordable (docs/performance.md). The loops
are plain Python over numpy arrays, so a reader can check them line by line against the model.

Everything is deterministic and single-threaded: parallelism comes from running blocks of
replications in separate processes (sim/experiment/executors.py).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
from numba import njit

from .vmath import exp_lanes, log_lanes

TINY = 1e-300
"""Guard against dividing by a zero need."""
SHORT_WEEK = 0.01
"""A tick counts towards `weeks_in_shortfall` when more than this share of the use wanted
at the reference price goes unmet (use priced away by a small rise does not count)."""


def sizes(B: int, S: int, P: int, M: int, R: int) -> tuple:
    """The numbers of blocs, stages, producer slots and flow layers, for `supply` and
    `trade`, and whether the batch has one replication (R = 1) as the length of a tuple.
    Numba compiles a kernel for each tuple type, so only the last is a constant of the
    compiled code: a batch of one replication gets loops of one step, without the checks and
    remainders that vector loops start with (a run with `--block-size 1` would otherwise pay
    them at every tick). The shape is a plain number, so a world of a new shape runs on the
    kernels already compiled (docs/performance.md, "Compiling")."""
    return (B, S, P, M, (0,) * (R == 1))


@njit(cache=True, inline="always")
def replications(n, sizes):
    """`n`, the number of replications a loop runs over, as a constant 1 in a batch of one."""
    return 1 if len(sizes[4]) == 1 else n


OFFSET, START, NEED, POURED, BASE, X, GUARD, LEVEL = range(8)
"""Rows of the scratch array `work` [8, B, R] of `pour_layers`."""
POOL, USED = range(2)
"""Rows of its array `layer` [2, M, R]."""


@njit(cache=True, error_model="numpy")
def pour_layers(nr, work, layer, masks, clip, sizes, route, lam, homes, by_layer, record):
    """Pour the flow layers one after another into the blocs, each layer m
    (`layer[POOL, m]` tonnes) among the blocs its mask allows, so that the levels
    (offset + poured - start) / need come out as equal as possible (docs/model.md section 4).
    The rows of `work` [8, B, R] hold offset, start, need and poured (updated: what each bloc
    has got so far), and scratch. With `clip`, a bloc takes no more than it needs
    (need - poured), and `layer[USED, m]` is the share of layer m taken. With `lam` < 1,
    foreign buyers switch between origins with a lag (docs/model.md section 4,
    `trade.rerouting`): of layer m, whose producers are at home in bloc `homes[m]`, the home
    bloc takes its water-fill share at once, and the other blocs' shares of the rest move only
    `lam` of the way from last tick's (`route` [M, B, R], updated; negative: not yet set) to
    the water fill's. With `record`, `by_layer` [M, B, R] gets what each layer poured into
    each bloc, after clipping and rerouting (the clearing attributes deliveries to origins
    from it); otherwise it is not touched (a dummy of shape (1, 1, 1) will do, as `route`).

    The water fill of one layer: the scarcest blocs are topped up first, to a common level L
    where sum_b max(0, L*need_b - base_b) = amount. For each bloc j, pouring everything into
    the blocs whose level base/need is at most j's gives L_j = (amount + sum base) / (sum
    need) over that set. Every such guess is at least the true level (too small a set
    overfills, too large a set averages in a level above L) and the right set gives L
    exactly, so L = min_j L_j: no sorting. The result is rescaled to sum to the amount
    exactly.

    Each step is a loop over the first `nr` replications (the last axis), which compiles to
    vector instructions; the choices a replication makes (which blocs are at most j's level)
    are selections, not branches. The masks are the same for every replication, so the loops
    over blocs and layers are branches on constants, with `sizes` (as in `supply`) making
    their numbers constants. It is called once per commodity and stage, not per replication,
    so it is not inlined: inlined, it made the kernels slower to compile for no gain."""
    B, M = sizes[0], sizes[3]
    nr = replications(nr, sizes)
    offset, start, need, poured = work[OFFSET], work[START], work[NEED], work[POURED]
    base, x, guard, level = work[BASE], work[X], work[GUARD], work[LEVEL]
    for m in range(M):
        amount = layer[POOL, m]
        low = layer[USED, m]  # holds the level L until the share taken is known
        count = 0
        last = -1
        for b in range(B):
            if masks[m, b]:
                count += 1
                last = b
        for b in range(B):
            for r in range(nr):
                x[b, r] = 0.0
                base[b, r] = offset[b, r] + poured[b, r] - start[b, r]
        if count == 1:
            for r in range(nr):
                x[last, r] = amount[r]
        elif count > 1:
            for b in range(B):
                if masks[m, b]:
                    for r in range(nr):
                        g = max(need[b, r], TINY)
                        guard[b, r] = g
                        level[b, r] = base[b, r] / g
            for r in range(nr):
                low[r] = np.inf
            for j in range(B):
                if not masks[m, j]:
                    continue
                for r in range(nr):
                    sa = 0.0
                    sn = 0.0
                    for b in range(B):
                        if masks[m, b]:
                            inside = level[b, r] <= level[j, r]
                            sa += base[b, r] if inside else 0.0
                            sn += guard[b, r] if inside else 0.0
                    guess = (amount[r] + sa) / sn
                    low[r] = guess if guess < low[r] else low[r]
            for r in range(nr):
                total = 0.0
                for b in range(B):
                    if masks[m, b]:
                        share = max(low[r] * guard[b, r] - base[b, r], 0.0)
                        x[b, r] = share
                        total += share
                scale = amount[r] / total if total > 0 else 0.0
                pour = amount[r] != 0.0  # nothing to pour: every share stays zero
                for b in range(B):
                    x[b, r] = x[b, r] * scale if pour else 0.0
        if lam < 1.0 and count > 1:
            h = homes[m]
            for r in range(nr):
                if amount[r] > 0.0:
                    fresh = route[m, last, r] < 0.0
                    at_home = x[h, r] if h >= 0 and masks[m, h] else 0.0
                    abroad = amount[r] - at_home
                    total = 0.0
                    for b in range(B):
                        if masks[m, b] and b != h:
                            t = x[b, r] / abroad if abroad > 0.0 else 0.0
                            q = t if fresh else route[m, b, r] + lam * (t - route[m, b, r])
                            route[m, b, r] = q
                            total += q
                    if h >= 0 and masks[m, h]:
                        route[m, h, r] = 0.0  # marks the layer as set
                    for b in range(B):
                        if masks[m, b] and b != h and total > 0.0:
                            x[b, r] = abroad * route[m, b, r] / total
        for r in range(nr):
            take = 0.0
            for b in range(B):
                xb = x[b, r]
                if clip:
                    xb = min(xb, max(need[b, r] - poured[b, r], 0.0))
                if record:
                    by_layer[m, b, r] = xb
                poured[b, r] += xb
                take += xb
            low[r] = take / amount[r] if amount[r] > 0 else 0.0


@njit(cache=True, error_model="numpy")
def water_fill_rows(avail, need, amount, allowed, out, sizes):
    """Share amount[i] among the allowed blocs so that (avail + x) / need is as equal as
    possible, for each column i of [B, rows] arrays: `pour_layers` with one layer
    (`sizes(B, 1, 1, 1, rows)`), the rows as its replications."""
    B, n = avail.shape
    masks = allowed.reshape(1, -1)
    work = np.zeros((8, B, n))
    layer = np.empty((2, 1, n))
    work[OFFSET] = avail
    work[NEED] = need
    layer[POOL, 0] = amount
    no_record = np.empty((1, 1, 1))
    pour_layers(
        n, work, layer, masks, False, sizes, no_record, 1.0, np.full(1, -1), no_record, False
    )
    out[:] = work[X]


@njit(cache=True, error_model="numpy")
def flow_layers(stop, home, masks, rows, widths):
    """Widths [K,S,layer,P,R] of the flow layers of replications `rows` from the controls'
    `stop` [K,S,P,B,R] (docs/model.md section 4): producer p's output is a continuum u in
    [0, 1), the part u may go to bloc b when u >= stop[p, b] (a producer's home bloc is
    never barred), so the layer reaching exactly the blocs of mask m has width
    max(0, min(1, min_{b not in m} stop_pb) - max(0, max_{b in m} stop_pb))."""
    K, S, P, B = home.shape
    M = masks.shape[0]
    for k in range(K):
        for s in range(S):
            for p in range(P):
                for m in range(M):
                    for r in rows:  # innermost, along the replication axis
                        top_in = -np.inf
                        low_out = 1.0
                        for b in range(B):
                            x = 0.0 if home[k, s, p, b] else stop[k, s, p, b, r]
                            if masks[m, b]:
                                top_in = max(top_in, x)
                            else:
                                low_out = min(low_out, x)
                        widths[k, s, m, p, r] = max(low_out - max(top_in, 0.0), 0.0)


class SupplyInputs(NamedTuple):
    """What `supply` reads of this tick (replication-last, layout.py): prices and the wedges
    users and producers see, demand, the policies' floors and commitments, capacity and the
    disruptions' cuts, the flow layers; and which of these are in force (`outaged`,
    `capped`: [K] bool; `floors`, `commitments`: bool), so that neutral ones are not read."""

    price: Any  # [K,B,R] the bloc's price
    adjusted: Any  # [K,B,R] the long-run price
    protection: Any  # [K,B,R] the wedge of tariffs and reference prices
    demand_factor: Any  # [K,B,R] demand shocks, multiples of use
    substituted: Any  # [K,B,R] share of use substituted
    trend: Any  # [K,B] t/yr of use at the reference price this year
    producer_floor: Any  # [K,S,P,R] price floors producers are paid
    min_utilisation: Any  # [K,S,P,R] utilisation committed by offtake
    growth_cap: Any  # [K] capacity growth to this year
    capacity_factor: Any  # [K,S,P,R] share of capacity outages leave
    new_capacity: Any  # [K,S,P,R] t/yr of capacity built
    output_cap: Any  # [K,S,P,R] quotas, t/yr
    widths: Any  # [K,S,layer,P,R] share of each producer's flow in each layer
    masks: Any  # [layer, B] the blocs each layer may reach
    outaged: Any  # [K] an outage may hit the commodity
    capped: Any  # [K] a quota may
    floors: Any  # a policy in force sets producer floors
    commitments: Any  # a policy in force commits output


class ProducerParameters(NamedTuple):
    """The producers' and users' fixed parameters (docs/model.md sections 3 and 6)."""

    es: Any  # [K] short-run price elasticity of use
    el: Any  # [K] long-run price elasticity of use
    ref: Any  # [K] reference price
    u0: Any  # [K,S] utilisation at the reference price
    eps: Any  # [K,S] supply elasticity of utilisation
    unit_cost: Any  # [K,S,P] unit cost
    producer_bloc: Any  # [K,S,P] home bloc of each producer slot
    capacity: Any  # [K,S,P] t/yr of capacity at the start


class SupplyOutputs(NamedTuple):
    """What `supply` writes for the tick."""

    wanted: Any  # [K,B,R] t of use wanted
    output: Any  # [K,S,R] t produced at each stage
    producer_output: Any  # [K,S,P,R] t produced by each producer slot
    produced_last: Any  # [K,P,R] t of the last stage before offtake deliveries


@njit(cache=True, error_model="numpy")
def supply(
    dt: float,
    inputs: SupplyInputs,
    par: ProducerParameters,
    out: SupplyOutputs,
    varies,
    sizes,
):
    """Demand wanted (section 6), what producers offer at their home price (section 3) and
    how each stage feeds the next through the flow layers left open by controls (section 4).

    Arrays are replication-last (layout.py): writes `wanted` [K,B,R] (t this tick), `output`
    [K,S,R], `producer_output` [K,S,P,R] and `produced_last` [K,P,R], the last stage's output
    before offtake deliveries. Every step is a loop over the replications, innermost, so
    that it runs on vectors, the logarithms and exponentials too (vmath.py).
    Arrays that hold their neutral value are not read, to spare memory traffic: capacity
    factors where no outage may hit the commodity (`outaged[k]` false), output caps where no
    quota may (`capped[k]`), price floors and committed output where no policy in force sets
    them (`floors`, `commitments` false).
    Where `varies[k]` is false, nothing random or policy-driven touches commodity k, so every
    replication's values equal the first's: only the first is computed, and readers of the
    others read the first instead (`Market.varies`)."""
    # the fields by name, so that the body reads as the model does
    price, adjusted, protection = inputs.price, inputs.adjusted, inputs.protection
    demand_factor, substituted, trend = inputs.demand_factor, inputs.substituted, inputs.trend
    producer_floor, min_utilisation = inputs.producer_floor, inputs.min_utilisation
    growth_cap, capacity_factor = inputs.growth_cap, inputs.capacity_factor
    new_capacity, output_cap, widths = inputs.new_capacity, inputs.output_cap, inputs.widths
    masks, outaged, capped, floors = inputs.masks, inputs.outaged, inputs.capped, inputs.floors
    commitments = inputs.commitments
    es, el, ref, u0, eps, unit_cost = par.es, par.el, par.ref, par.u0, par.eps, par.unit_cost
    producer_bloc, capacity = par.producer_bloc, par.capacity
    wanted, output, producer_output = out.wanted, out.output, out.producer_output
    produced_last = out.produced_last
    K, B, R = price.shape
    R = replications(R, sizes)
    S, P, M = sizes[1], sizes[2], sizes[3]
    seen = np.empty((B, R))
    log_rel = np.empty((B, R))
    arg = np.empty(R)
    arg2 = np.empty(R)
    wedge_log = np.empty(R)
    scratch = np.empty((2, R))  # for vmath
    util_b = np.empty((B, R))
    power_b = np.empty((B, R))  # (price / reference) ** elasticity at each bloc's price
    desired = np.empty((S, P, R))
    produced = np.empty((P, R))
    work = np.zeros((8, B, R))  # for `pour_layers`: offset and start stay zero
    no_route = np.empty((1, 1, 1))  # stage feeds switch origins at once
    no_home = np.full(M, -1)
    want_feed = work[NEED]
    got = work[POURED]
    layer = np.empty((2, M, R))
    pools = layer[POOL]
    used_share = layer[USED]
    for k in range(K):
        nr = R if varies[k] else 1  # every replication is the first: see the docstring
        for b in range(B):
            for r in range(nr):
                seen[b, r] = price[k, b, r] * protection[k, b, r]
                arg[r] = seen[b, r] / ref[k]
            log_lanes(nr, arg, log_rel[b], scratch)
            # use at the reference price, given how users have adjusted (the spot price acts
            # within the clearing, `trade`); a tariff's wedge moves it along the short run
            for r in range(nr):
                arg[r] = adjusted[k, b, r] * protection[k, b, r] / ref[k]
            log_lanes(nr, arg, arg2, scratch)
            for r in range(nr):
                arg[r] = protection[k, b, r]
            log_lanes(nr, arg, wedge_log, scratch)
            for r in range(nr):
                arg2[r] = es[k] * wedge_log[r] + (el[k] - es[k]) * arg2[r]
            exp_lanes(nr, arg2, arg, scratch)
            for r in range(nr):
                wanted[k, b, r] = (
                    trend[k, b]
                    * demand_factor[k, b, r]
                    * (1.0 - substituted[k, b, r])
                    * arg[r]
                    * dt
                )
        for s in range(S):
            # utilisation at each bloc's price: one power per (stage, bloc), not per producer
            same = s > 0 and eps[k, s] == eps[k, s - 1]  # then the powers are as before
            for b in range(B):
                if eps[k, s] == 0.0:
                    for r in range(nr):
                        util_b[b, r] = min(1.0, u0[k, s])
                else:
                    if not same:
                        for r in range(nr):
                            arg[r] = eps[k, s] * log_rel[b, r]
                        exp_lanes(nr, arg, power_b[b], scratch)
                    for r in range(nr):
                        util_b[b, r] = min(1.0, u0[k, s] * power_b[b, r])
            for p in range(P):
                b = producer_bloc[k, s, p]
                cost = unit_cost[k, s, p]
                for r in range(nr):
                    factor = capacity_factor[k, s, p, r] if outaged[k] else 1.0
                    cap = capacity[k, s, p] * growth_cap[k] * factor + new_capacity[k, s, p, r]
                    home = seen[b, r]
                    util = util_b[b, r]
                    if cost > 0.0:  # below cash cost: curtailed with the cube
                        c = home / cost
                        util = util * (c * c * c) if home < cost else util
                    if commitments:
                        util = max(util, min(min_utilisation[k, s, p, r], 1.0))
                    room = output_cap[k, s, p, r] if capped[k] else np.inf
                    offer = min(cap * util, room) * dt
                    # an empty slot: padding, or new capacity not yet built
                    desired[s, p, r] = 0.0 if cap == 0.0 else offer
                if floors:  # a guaranteed price above the market: those offers again
                    for r in range(nr):  # the utilisation at the floor, in every lane
                        arg[r] = producer_floor[k, s, p, r] / ref[k]
                    log_lanes(nr, arg, arg2, scratch)
                    for r in range(nr):
                        arg2[r] = eps[k, s] * arg2[r]
                    exp_lanes(nr, arg2, arg, scratch)
                    for r in range(nr):
                        floor = producer_floor[k, s, p, r]
                        factor = capacity_factor[k, s, p, r] if outaged[k] else 1.0
                        cap = capacity[k, s, p] * growth_cap[k] * factor + new_capacity[k, s, p, r]
                        if floor <= seen[b, r] or cap == 0.0:
                            continue
                        home = floor
                        util = min(1.0, u0[k, s] * arg[r])
                        if cost > 0.0 and home < cost:
                            c = home / cost
                            util *= c * c * c
                        if commitments:
                            util = max(util, min(min_utilisation[k, s, p, r], 1.0))
                        room = output_cap[k, s, p, r] if capped[k] else np.inf
                        desired[s, p, r] = min(cap * util, room) * dt
        for p in range(P):
            for r in range(nr):
                produced[p, r] = desired[0, p, r]
        for s in range(1, S):
            for b in range(B):
                for r in range(nr):
                    want_feed[b, r] = 0.0
                    got[b, r] = 0.0
            for p in range(P):
                b = producer_bloc[k, s, p]
                for r in range(nr):
                    want_feed[b, r] += desired[s, p, r]
            for m in range(M):
                for r in range(nr):
                    pools[m, r] = 0.0
                for p in range(P):
                    for r in range(nr):
                        pools[m, r] += widths[k, s - 1, m, p, r] * produced[p, r]
            # feed beyond refining capacity is not taken
            pour_layers(
                nr, work, layer, masks, True, sizes, no_route, 1.0, no_home, no_route, False
            )
            for r in range(nr):
                output[k, s - 1, r] = 0.0
            for p in range(P):  # upstream producers curtail to what downstream takes
                for r in range(nr):
                    taken = 0.0
                    for m in range(M):
                        taken += widths[k, s - 1, m, p, r] * used_share[m, r]
                    upstream = produced[p, r] * taken
                    producer_output[k, s - 1, p, r] = upstream
                    output[k, s - 1, r] += upstream
            for p in range(P):
                b = producer_bloc[k, s, p]
                for r in range(nr):
                    fill = got[b, r] / want_feed[b, r] if want_feed[b, r] > 0 else 0.0
                    produced[p, r] = desired[s, p, r] * fill
        for r in range(nr):
            output[k, S - 1, r] = 0.0
        for p in range(P):
            for r in range(nr):
                producer_output[k, S - 1, p, r] = produced[p, r]
                produced_last[k, p, r] = produced[p, r]
                output[k, S - 1, r] += produced[p, r]


class TradeInputs(NamedTuple):
    """What `trade` reads of this tick: the last stage's output and its flow layers, the
    deliveries, releases and purchase plans of the policies, the demand wanted, and the
    announcements and rerouting state of the controls (replication-last, layout.py)."""

    produced: Any  # [K,P,R] t the last stage produced, by producer slot
    widths: Any  # [K,S,layer,P,R] share of each producer's flow in each flow layer
    masks: Any  # [layer, B] the blocs each layer may reach
    direct: Any  # [K,B,R] t of offtake deliveries straight to the bloc
    release: Any  # [K,B,R] t released from strategic stocks
    plan: Any  # [K,B,R] t the stockpiles plan to buy
    wanted: Any  # [K,B,R] t of use wanted this tick
    rec_share: Any  # [K,B,R] share of last tick's use recycled (with floors)
    target_stock: Any  # [K,B] t of stocks held in a calm market
    ahead: Any  # [K,B] stocks wanted once a cut is announced, over the calm ones
    announced: Any  # [K,B,R] 1 where a cut is announced
    reroute: Any  # [K] share of the gap to their new origins buyers close in a tick
    origin: Any  # [K,P] home bloc of each producer slot of the last stage
    masks_o: Any  # [layer * B, B] the layers split by origin bloc
    sizes_o: Any  # `sizes` of the layers split by origin


class MarketParameters(NamedTuple):
    """The market's fixed parameters, per commodity (docs/model.md sections 5-7): the storage
    tables and their grid, the price guards, and the rates of the lagged responses."""

    ref: Any  # [K] reference price
    log_price: Any  # [K,B,regime,inflow,availability] log price multiple of the storage tables
    use_share: Any  # [K,B,regime,inflow,availability] use of the tables, share of what is there
    log_a0: Any  # first log availability of the tables
    log_step: Any  # their step in log availability
    inflow_step: Any  # their step in inflow
    building: Any  # [K,B] inflow that growing stocks take, share of use
    learn: Any  # [K] share of the gap to this tick's inflow stockholders learn in a tick
    floor_multiple: Any  # [K] lowest price multiple (numerical guard)
    choke_multiple: Any  # [K] highest price multiple (numerical guard)
    smooth: Any  # [K] share of the gap the expected price closes in a tick
    adjust: Any  # [K] share of the gap the long-run price closes in a tick
    sub_threshold: Any  # [K] price multiple above which users substitute
    sub_rate: Any  # [K] substitution a year per unit of price above it
    sub_max: Any  # [K] most use substituted
    sub_decay: Any  # [K] share of substitution kept a tick once prices fall back
    rec_start: Any  # [K] recycled share of use at the start
    rec_max: Any  # [K] most recycled share
    rec_full: Any  # [K] price multiple at which recycling reaches it
    rec_step: Any  # [K] share of the gap recycling closes in a tick


class MarketState(NamedTuple):
    """The market's state between ticks, [K,B,R], updated in place by `trade`; `route`
    [K, layer * B, B] is each origin layer's split among its foreign customers."""

    stock: Any  # t on hand
    price: Any  # the bloc's price
    expected: Any  # the expected price
    adjusted: Any  # the long-run price
    substituted: Any  # share of use substituted
    recycling: Any  # recycled share of use
    last_use: Any  # use last tick, t/yr
    inflow: Any  # the inflow stockholders read, share of use
    route: Any  # see above


class TradeOutputs(NamedTuple):
    """What `trade` writes for the tick, [K,B,R] (`traded` [K, origin, destination, R])."""

    last_shortfall: Any  # t of use wanted and not met
    recycled: Any  # t recycled
    delivered: Any  # t delivered to the bloc
    use: Any  # t used
    purchased: Any  # t bought into strategic stocks
    stock_change: Any  # t added to stocks
    traded: Any  # t traded, by origin and destination


@njit(cache=True, error_model="numpy")
def trade(
    dt: float,
    inputs: TradeInputs,
    par: MarketParameters,
    state: MarketState,
    out: TradeOutputs,
    varies,
    sizes,
):
    """Trade of the last stage's output where it is scarcest (section 4), use, strategic
    purchases, shortfall and stocks, then the price (section 5) and the lagged responses of
    substitution and recycling (section 7). Arrays are replication-last ([K,B,R], `produced`
    [K,P,R], the flow layers' `widths` [K,S,layer,P,R], of which the last stage's are read)
    and every step loops over the replications
    innermost, as in `supply`. Updates the market state arrays in place; of a commodity that
    does not vary between replications (`varies[k]` false) only the first is computed.

    Writes `traded` [K, origin, destination, R], the tonnes of this tick's trade by the home
    bloc of the producers they came from (offtake deliveries are not in it: `Market.clear`
    adds them). A pool split by origin (with rerouting) is that origin's; a layer poured
    whole is attributed to the origins in proportion to what their producers put into it,
    so that summed over origins it is what each bloc got from the layers."""
    # the fields by name, so that the body reads as the model does
    produced, widths, masks, direct = inputs.produced, inputs.widths, inputs.masks, inputs.direct
    release, plan, wanted, rec_share = inputs.release, inputs.plan, inputs.wanted, inputs.rec_share
    target_stock, ahead, announced = inputs.target_stock, inputs.ahead, inputs.announced
    reroute, origin, masks_o = inputs.reroute, inputs.origin, inputs.masks_o
    sizes_o = inputs.sizes_o
    ref, log_price, use_share, log_a0 = par.ref, par.log_price, par.use_share, par.log_a0
    log_step, inflow_step, building, learn = par.log_step, par.inflow_step, par.building, par.learn
    floor_multiple, choke_multiple, smooth = par.floor_multiple, par.choke_multiple, par.smooth
    adjust, sub_threshold, sub_rate = par.adjust, par.sub_threshold, par.sub_rate
    sub_max, sub_decay, rec_start, rec_max = par.sub_max, par.sub_decay, par.rec_start, par.rec_max
    rec_full, rec_step = par.rec_full, par.rec_step
    stock, price, expected, adjusted = state.stock, state.price, state.expected, state.adjusted
    substituted, recycling, last_use = state.substituted, state.recycling, state.last_use
    inflow, route = state.inflow, state.route
    last_shortfall, recycled, delivered = out.last_shortfall, out.recycled, out.delivered
    use, purchased, stock_change, traded = out.use, out.purchased, out.stock_change, out.traded
    K, B, R = stock.shape
    R = replications(R, sizes)
    P, M = sizes[2], sizes[3]
    last = sizes[1] - 1  # the last stage
    work = np.empty((8, B, R))  # for `pour_layers`
    avail = work[OFFSET]
    need = work[NEED]
    start = work[START]
    got = work[POURED]
    mult = work[LEVEL]  # scratch once the layers are poured
    n_f, n_a = log_price.shape[3], log_price.shape[4]
    layer = np.empty((2, M, R))
    pools = layer[POOL]
    layer_o = np.empty((2, sizes_o[3], R))  # the layers by origin, for rerouting
    pools_o = layer_o[POOL]
    no_route = np.empty((1, 1, 1))
    no_home = np.full(M, -1)
    homes_o = np.arange(sizes_o[3]) % B  # layer m * B + h: producers at home in h
    by_layer = np.empty((sizes_o[3], B, R))  # what each delivery layer poured
    inverse = np.empty(R)  # 1 / a layer's pool (0 for none)
    live = np.empty(M, dtype=np.bool_)  # a layer with a pool in some replication
    for k in range(K):
        nr = R if varies[k] else 1  # every replication is the first: see the docstring
        for m in range(M):
            for r in range(nr):
                pools[m, r] = 0.0
            for p in range(P):
                for r in range(nr):
                    pools[m, r] += widths[k, last, m, p, r] * produced[k, p, r]
            some = False
            for r in range(nr):
                some |= pools[m, r] > 0.0
            live[m] = some
        # what the producers of each origin h put into layer m, pools_o[m * B + h]: the pools
        # re-routing pours, and where deliveries came from. A layer without a pool pours
        # nothing (most ticks, a control's layers): its parts are zero
        for m in range(M):
            for h in range(B):
                for r in range(nr):
                    pools_o[m * B + h, r] = 0.0
            if live[m]:
                for p in range(P):
                    h = origin[k, p]
                    for r in range(nr):
                        pools_o[m * B + h, r] += widths[k, last, m, p, r] * produced[k, p, r]
        # the inflow each bloc can count on: this tick's output shared in proportion to use
        # alone, as far as controls allow (not to refill stocks, which would make a bloc
        # refilling look oversupplied); stockholders read it (model.md section 5)
        for b in range(B):
            for r in range(nr):
                avail[b, r] = direct[k, b, r]
                start[b, r] = 0.0
                got[b, r] = 0.0
                need[b, r] = wanted[k, b, r]
        pour_layers(nr, work, layer, masks, False, sizes, no_route, 1.0, no_home, no_route, False)
        for b in range(B):
            for r in range(nr):
                recycled[k, b, r] = rec_share[k, b, r] * last_use[k, b, r] * dt
                extra = recycled[k, b, r] + release[k, b, r]
                flow = got[b, r] + direct[k, b, r] + extra - plan[k, b, r]
                seen = max(flow, 0.0) / max(wanted[k, b, r], TINY) - building[k, b]
                inflow[k, b, r] += learn[k] * (seen - inflow[k, b, r])
        # then the deliveries, by cover against use and stock targets (section 4); the
        # layers' pools are as above (pour_layers does not change them)
        for b in range(B):
            for r in range(nr):
                avail[b, r] = (
                    stock[k, b, r] + recycled[k, b, r] + release[k, b, r] + direct[k, b, r]
                )
                # an announced disruption raises the stocks wanted (front-loading)
                told = announced[k, b, r] > 0.5
                want_stock = target_stock[k, b] * (ahead[k, b] if told else 1.0)
                need[b, r] = wanted[k, b, r] + want_stock + plan[k, b, r]
                start[b, r] = direct[k, b, r]
                got[b, r] = direct[k, b, r]
        if reroute[k] < 1.0:
            # buyers abroad switch origins with a lag: the layers are split by the producers'
            # home bloc, each origin keeping its own customer mix (model.md section 4)
            pour_layers(
                nr,
                work,
                layer_o,
                masks_o,
                False,
                sizes_o,
                route[k],
                reroute[k],
                homes_o,
                by_layer,
                True,
            )
        else:
            pour_layers(
                nr, work, layer, masks, False, sizes, no_route, 1.0, no_home, by_layer, True
            )
        # where the deliveries came from
        for h in range(B):
            for b in range(B):
                for r in range(nr):
                    traded[k, h, b, r] = 0.0
        if reroute[k] < 1.0:
            for mo in range(sizes_o[3]):
                h = homes_o[mo]
                for b in range(B):
                    if masks_o[mo, b]:
                        for r in range(nr):
                            traded[k, h, b, r] += by_layer[mo, b, r]
        else:  # a layer's pour, pro rata to what each origin put into its pool
            for m in range(M):
                if not live[m]:
                    continue
                for r in range(nr):
                    pool = pools[m, r]
                    inverse[r] = 1.0 / pool if pool > 0.0 else 0.0
                for h in range(B):
                    part = pools_o[m * B + h]
                    for b in range(B):
                        if masks[m, b]:
                            for r in range(nr):
                                traded[k, h, b, r] += part[r] * inverse[r] * by_layer[m, b, r]
        for b in range(B):
            for r in range(nr):
                delivered[k, b, r] = got[b, r]
                have = avail[b, r] + delivered[k, b, r] - direct[k, b, r]
                # strategic buyers first take their plan, or their pro-rata part of it when
                # the bloc has less than users' reference use and that plan
                reference = wanted[k, b, r]
                asked = reference + plan[k, b, r]
                frac = have / asked if asked > have and asked > 0 else 1.0
                bought = plan[k, b, r] * frac
                purchased[k, b, r] = bought
                market = have - bought
                scale = max(reference, TINY)
                # the storage equilibrium at this availability and inflow (storage.py)
                x = (np.log(max(market * dt / scale, TINY)) - log_a0) / log_step
                x = min(max(x, 0.0), n_a - 1.000001)
                i = int(x)
                wx = x - i
                y = min(max(inflow[k, b, r] / inflow_step, 0.0), n_f - 1.000001)
                j = int(y)
                wy = y - j
                g = 1 if announced[k, b, r] > 0.5 else 0  # the regime's table
                lp = (1 - wy) * (
                    (1 - wx) * log_price[k, b, g, j, i] + wx * log_price[k, b, g, j, i + 1]
                ) + wy * (
                    (1 - wx) * log_price[k, b, g, j + 1, i] + wx * log_price[k, b, g, j + 1, i + 1]
                )
                q = (1 - wy) * (
                    (1 - wx) * use_share[k, b, g, j, i] + wx * use_share[k, b, g, j, i + 1]
                ) + wy * (
                    (1 - wx) * use_share[k, b, g, j + 1, i] + wx * use_share[k, b, g, j + 1, i + 1]
                )
                u = min(q * scale / dt, market) if reference > 0 else 0.0
                new_stock = market - u
                use[k, b, r] = u
                wanted[k, b, r] = max(reference, u)
                last_shortfall[k, b, r] = max(reference - u, 0.0)
                stock_change[k, b, r] = new_stock - stock[k, b, r]
                stock[k, b, r] = new_stock
                mult[b, r] = np.exp(lp) if reference > 0 else price[k, b, r] / ref[k]
            for r in range(nr):
                p_new = ref[k] * min(max(mult[b, r], floor_multiple[k]), choke_multiple[k])
                price[k, b, r] = p_new
                expected[k, b, r] += smooth[k] * (p_new - expected[k, b, r])
                adjusted[k, b, r] += adjust[k] * (p_new - adjusted[k, b, r])
                # substitution and recycling follow the expected price with lags
                rel_exp = expected[k, b, r] / ref[k]
                rising = min(substituted[k, b, r] + sub_rate[k] * dt, sub_max[k])
                falling = substituted[k, b, r] * sub_decay[k]
                substituted[k, b, r] = rising if rel_exp > sub_threshold[k] else falling
                reach = (rel_exp - 1.0) / (rec_full[k] - 1.0)
                reach = min(max(reach, 0.0), 1.0)
                target = rec_start[k] + (rec_max[k] - rec_start[k]) * reach
                recycling[k, b, r] += (target - recycling[k, b, r]) * rec_step[k]
                last_use[k, b, r] = use[k, b, r] / dt


@njit(cache=True, error_model="numpy")
def concentration(
    y, delivered, keep, merge_lo, merge_hi, merge_src, merge_dst, last_bloc, varies, hhi, ir
):
    """HHI of each stage's production by country (0-10,000) and each bloc's net import
    reliance at the last stage (docs/model.md section 11.1), for output y [K,S,P,R] and
    deliveries [K,B,R] (replication-last, layout.py). `keep` zeroes atomised slots; the merges
    add a slot's output to another (new capacity of a one-country bloc to that country): those
    of stage s of commodity k are merge_src/merge_dst[merge_lo[k, s]:merge_hi[k, s]]. Writes
    hhi [K,S,R], ir [K,B,R]; the replications of a commodity that does not vary (`varies[k]`
    false) are copied from the first."""
    K, S, P, R = y.shape
    B = delivered.shape[1]
    yc = np.empty((P, R))
    home = np.empty((B, R))
    total = np.empty(R)
    for k in range(K):
        nr = R if varies[k] else 1
        for s in range(S):
            for r in range(nr):
                total[r] = 0.0
            for p in range(P):
                for r in range(nr):
                    total[r] += y[k, s, p, r]
                    yc[p, r] = y[k, s, p, r] * keep[k, s, p]
            for i in range(merge_lo[k, s], merge_hi[k, s]):
                for r in range(nr):
                    yc[merge_dst[i], r] += y[k, s, merge_src[i], r]
            for r in range(nr):
                squares = 0.0
                for p in range(P):
                    squares += yc[p, r] * yc[p, r]
                t = total[r]
                hhi[k, s, r] = 10_000.0 * squares / (t * t) if t > 0 else 0.0
        for b in range(B):
            for r in range(nr):
                home[b, r] = 0.0
        for p in range(P):
            b = last_bloc[k, p]
            for r in range(nr):
                home[b, r] += y[k, S - 1, p, r]
        for b in range(B):
            for r in range(nr):
                use = delivered[k, b, r]
                ir[k, b, r] = min(max(1.0 - home[b, r] / use, 0.0), 1.0) if use > 0 else 0.0
        if nr == 1:
            for s in range(S):
                hhi[k, s, 1:] = hhi[k, s, 0]
            for b in range(B):
                ir[k, b, 1:] = ir[k, b, 0]


@njit(cache=True, error_model="numpy")
def accumulate_diagnostics(
    hhi, ir, first, varies, hhi_start, hhi_sum, hhi_peak, ir_sum, ir_peak, hhi_mean, ir_mean
):
    """One tick's HHI [K,S,R] and import reliance [K,B,R] into the per-replication start, sum
    and peak (replication-last, as they), and their means over the batch (hhi_mean [K,S],
    ir_mean [K,B]). Of a commodity that does not vary (`varies[k]` false) only the first
    replication is accumulated: `DiagnosticRecorder.metrics` gives it to the others."""
    K, S, R = hhi.shape
    B = ir.shape[1]
    for k in range(K):
        nr = R if varies[k] else 1
        for s in range(S):
            if first:
                hhi_start[k, s] = hhi[k, s]
            total = 0.0
            for r in range(nr):
                h = hhi[k, s, r]
                hhi_sum[k, s, r] += h
                hhi_peak[k, s, r] = max(hhi_peak[k, s, r], h)
            for r in range(R):  # in replication order, as the sum has always been taken
                total += hhi[k, s, r]
            hhi_mean[k, s] = total / R
        for b in range(B):
            total = 0.0
            for r in range(nr):
                x = ir[k, b, r]
                ir_sum[k, b, r] += x
                ir_peak[k, b, r] = max(ir_peak[k, b, r], x)
            for r in range(R):
                total += ir[k, b, r]
            ir_mean[k, b] = total / R


@njit(cache=True, error_model="numpy", inline="always")
def _column(x, k, b, varies, scratch):
    """x[k, b, :] (replication-last), or, for a commodity that does not vary, its first
    value repeated in `scratch` [R]: so that the loops reading it run on vectors either way."""
    if varies[k]:
        return x[k, b]
    scratch[:] = x[k, b, 0]
    return scratch


@njit(cache=True, error_model="numpy")
def accumulate(
    user_price,
    p0,
    wanted,
    use,
    shortfall,
    delivered,
    recycled,
    releases,
    stock_change,
    diverted,
    output,
    fiscal,
    discount,
    peak,
    sum_mult,
    short,
    wanted_sum,
    short_ticks,
    fiscal_sum,
    fiscal_pv,
    value_lost,
    calm_price,
    calm_use,
    calm_short,
    consumer_pv,
    shortfall_pv,
    error,
    error_first,
    varies,
):
    """One tick into the per-replication metrics of the recorder (docs/model.md section 11),
    and the largest relative residual of the three balances of section 10 into `error` [R]:

    per bloc:   delivered + recycled + releases = use + stock change
    per bloc:   wanted = use + shortfall
    per market: sum over blocs of delivered and diverted = output of the last stage

    Arrays are replication-last ([K,B,R], output [K,S,R]). A commodity that does not vary
    has its values in the first replication: only the first replication's metrics are
    accumulated (`Recorder.result` gives them to the others), and its residuals go into
    `error_first` [1], which holds for every replication. Each loop touches a few arrays
    only, so that the compiler can check them for overlap and run it on vectors."""
    K, B, R = wanted.shape
    total = np.empty(R)
    for k in range(K):
        nr = R if varies[k] else 1
        err = error if varies[k] else error_first
        for r in range(nr):
            total[r] = 0.0
        for b in range(B):
            up = user_price[k, b]
            wd = wanted[k, b]
            us = use[k, b]
            sf = shortfall[k, b]
            dl = delivered[k, b]
            rc = recycled[k, b]
            rl = releases[k, b]
            sc = stock_change[k, b]
            dv = diverted[k, b]
            fs = fiscal[k, b]
            for r in range(nr):
                mult = up[r] / p0[k]
                peak[k, b, r] = mult if mult > peak[k, b, r] else peak[k, b, r]
                sum_mult[k, b, r] += mult
            for r in range(nr):
                short[k, b, r] += sf[r]
                wanted_sum[k, b, r] += wd[r]
                hit = sf[r] > SHORT_WEEK * wd[r]
                short_ticks[k, b, r] += 1.0 if hit else 0.0
            for r in range(nr):
                fiscal_sum[k, b, r] += fs[r]
                fiscal_pv[k, b, r] += fs[r] / discount
            # the no-disruption path this tick: users' price and the use they wanted
            pc = calm_price[k, b]
            q0 = calm_use[k, b]
            s0 = calm_short[k, b]
            for r in range(nr):
                # users' loss against that path: the extra bill on what they use, and half the
                # price rise on what they chose not to want (the trapezoid of surplus lost);
                # the use they wanted and did not get, beyond the path's, is valued at the
                # output it stops
                rise = up[r] - pc
                consumer_pv[k, b, r] += rise * (us[r] + 0.5 * (q0 - wd[r])) / discount
                shortfall_pv[k, b, r] += (sf[r] - s0) * value_lost[k] / discount
            for r in range(nr):
                scale = max(abs(us[r]) + abs(dl[r]) + abs(sc[r]) + abs(rc[r]), 1e-12)
                gap = dl[r] + rc[r] + rl[r] - us[r] - sc[r]
                err[r] = max(err[r], abs(gap) / scale)
            for r in range(nr):
                gap = wd[r] - us[r] - sf[r]
                err[r] = max(err[r], abs(gap) / max(wd[r], 1e-12))
            for r in range(nr):
                total[r] += dl[r] + dv[r]
        out = output[k, output.shape[1] - 1]  # the last stage
        for r in range(nr):
            err[r] = max(err[r], abs(total[r] - out[r]) / max(out[r], 1e-12))


LANES = 16
"""Partial sums `accumulate_trade` keeps side by side: a sum taken one number after another
waits on each addition, and these sums are independent, so they run on vectors. Their order
is fixed here, not by the compiler, so the result does not depend on the machine."""


@njit(cache=True, error_model="numpy")
def accumulate_trade(dt, traded, varies, total, mean_out):
    """One tick's trade flows [K, origin, destination, R] (t) into each replication's total
    over the run (`total`, laid out as they) and their mean over the batch in t/yr
    (`mean_out` [K, origin, destination]). Of a commodity that does not vary (`varies[k]`
    false) only the first replication is accumulated (`Recorder.result` gives it to the
    others), and it is every replication's flow in the mean."""
    K, B, _, R = traded.shape
    part = np.empty(LANES)
    for k in range(K):
        nr = R if varies[k] else 1
        whole = nr - nr % LANES
        for h in range(B):
            for b in range(B):
                row = traded[k, h, b]
                acc = total[k, h, b]
                for r in range(nr):
                    acc[r] += row[r]
                for j in range(LANES):
                    part[j] = 0.0
                for i in range(0, whole, LANES):
                    for j in range(LANES):
                        part[j] += row[i + j]
                s = 0.0
                for j in range(LANES):
                    s += part[j]
                for r in range(whole, nr):
                    s += row[r]
                mean_out[k, h, b] = s / (nr * dt)


@njit(cache=True, error_model="numpy")
def series_values(
    dt,
    user_price,
    delivered,
    recycled,
    releases,
    use,
    shortfall,
    stock,
    strategic,
    fiscal,
    varies,
    every_row,
    out,
):
    """The recorder's series of one tick (recorder.SERIES, in that order) into out [V,K,B,R],
    replications last as the inputs ([K,B,R]), so that each (series, commodity, bloc) is one
    contiguous column: price, supply, use, shortfall (t/yr), commercial stocks in days of use,
    strategic stocks (t) and fiscal cost (currency/yr). The replications after the first of a
    commodity that does not vary are skipped unless `every_row`, and then filled from the
    first. Returns which series are not all zero."""
    K, B, R = use.shape
    live = np.zeros(out.shape[0], dtype=np.bool_)
    scratch = np.empty((9, R))
    for k in range(K):
        nr = R if varies[k] or every_row else 1
        for b in range(B):
            up = _column(user_price, k, b, varies, scratch[0])
            dl = _column(delivered, k, b, varies, scratch[1])
            rc = _column(recycled, k, b, varies, scratch[2])
            rl = _column(releases, k, b, varies, scratch[3])
            us = _column(use, k, b, varies, scratch[4])
            sf = _column(shortfall, k, b, varies, scratch[5])
            st = _column(stock, k, b, varies, scratch[6])
            sg = _column(strategic, k, b, varies, scratch[7])
            fs = _column(fiscal, k, b, varies, scratch[8])
            for r in range(nr):
                out[0, k, b, r] = up[r]
            for r in range(nr):
                out[1, k, b, r] = (dl[r] + rc[r] + rl[r]) / dt
            for r in range(nr):
                out[2, k, b, r] = us[r] / dt
            for r in range(nr):
                out[3, k, b, r] = sf[r] / dt
            for r in range(nr):
                u = us[r]
                out[4, k, b, r] = st[r] / max(u / dt, TINY) * 365.0 if u > 0 else 0.0
            for r in range(nr):
                out[5, k, b, r] = sg[r]
                live[5] |= sg[r] != 0.0
            for r in range(nr):
                out[6, k, b, r] = fs[r] / dt
                live[6] |= fs[r] != 0.0
    live[:5] = True
    return live


@njit(cache=True, error_model="numpy")
def tick_quantiles(values, live, varies, order, lo, hi, frac, q_out, mean_out):
    """Quantiles and mean across replications of the live series of one tick, values
    [V,K,B,R], into q_out [V,Q,K,B] and mean_out [V,K,B], as np.quantile's linear method and
    np.mean. Series that are not live (all zero: a policy not in force) are left zero.

    A replication's rank changes little from one tick to the next, so each series keeps the
    order of its replications in `order` [V,K,B,R] and re-sorts it by insertion: about R
    steps a tick instead of a selection over all R. A full sort takes over when a shock has
    shaken the order up. A commodity that does not vary between replications (`varies[k]`
    false) has one value, in the first row."""
    V, K, B, R = values.shape
    Q = lo.shape[0]
    x = np.empty(R)
    limit = 8 * R
    for v in range(V):
        if not live[v]:
            continue
        for k in range(K):
            for b in range(B):
                row = values[v, k, b]
                total = 0.0
                if not varies[k]:  # the sum np.mean would take over R equal rows
                    for _ in range(R):
                        total += row[0]
                    mean_out[v, k, b] = total / R
                    for q in range(Q):
                        q_out[v, q, k, b] = row[0]
                    continue
                perm = order[v, k, b]
                for r in range(R):
                    total += row[r]
                    x[r] = row[perm[r]]
                mean_out[v, k, b] = total / R
                ordered = True  # still in last tick's order: nothing to move (most ticks)
                for r in range(1, R):
                    ordered &= x[r - 1] <= x[r]
                shifts = 0
                for i in range(1, 0 if ordered else R):
                    key = x[i]
                    idx = perm[i]
                    j = i - 1
                    while j >= 0 and x[j] > key:
                        x[j + 1] = x[j]
                        perm[j + 1] = perm[j]
                        j -= 1
                        shifts += 1
                    x[j + 1] = key
                    perm[j + 1] = idx
                    if shifts > limit:
                        break
                if shifts > limit:  # reordered wholesale: sort afresh
                    fresh = np.argsort(row)
                    for r in range(R):
                        perm[r] = fresh[r]
                        x[r] = row[fresh[r]]
                for q in range(Q):
                    below = x[lo[q]]
                    q_out[v, q, k, b] = below + (x[hi[q]] - below) * frac[q]
