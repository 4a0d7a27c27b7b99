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

import math

import numpy as np
from numba import njit

TINY = 1e-300
"""Guard against dividing by a zero need."""


def sizes(B: int, S: int, P: int, M: int) -> tuple:
    """The numbers of blocs, stages, producer slots and flow layers as the lengths of tuples,
    for `supply` and `trade`. Numba compiles a kernel for each tuple type, so these counts
    are constants in the compiled loops, which can then be unrolled: the short loops over
    blocs, stages, producers and layers are most of a clearing (docs/performance.md)."""
    return ((0,) * B, (0,) * S, (0,) * P, (0,) * M)


OFFSET, START, NEED, POURED, BASE, X, GUARD, LEVEL = range(8)
"""Rows of the scratch array `work` [8, B] of `pour_layers`."""
POOL, USED = range(2)
"""Rows of its array `layer` [2, M]."""


@njit(cache=True, error_model="numpy", inline="always")
def pour_layers(work, layer, masks, clip, sizes):
    """Pour the flow layers one after another into the blocs, each layer m
    (`layer[POOL, m]` tonnes) among the blocs its mask allows, so that the levels
    (offset + poured - start) / need come out as equal as possible (docs/model.md section 4).
    The rows of `work` [8, B] hold offset, start, need and poured (updated: what each bloc
    has got so far), and scratch. With `clip`, a bloc takes no more than it needs
    (need - poured), and `layer[USED, m]` is the share of layer m taken.

    The water fill of one layer: the scarcest blocs are topped up first, to a common level L
    where sum_b max(0, L*need_b - base_b) = amount. For each bloc j, pouring everything into
    the blocs whose level base/need is at most j's gives L_j = (amount + sum base) / (sum
    need) over that set. Every such guess is at least the true level (too small a set
    overfills, too large a set averages in a level above L) and the right set gives L
    exactly, so L = min_j L_j: no sorting. The result is rescaled to sum to the amount
    exactly.

    Called for each replication and commodity, so it is inlined where it is called, with
    its arrays packed in two and `sizes` (as in `supply`) making the numbers of blocs and
    layers constants. Pass it whole arrays made once per kernel call, not views made in the
    loop: a view made per call, or an early return here, makes the compiled code count
    references to the arrays at every call, which costs as much as the arithmetic (perf:
    5% of a batch)."""
    B, M = len(sizes[0]), len(sizes[3])
    for m in range(M):
        amount = layer[POOL, m]
        count = 0
        last = -1
        for b in range(B):
            work[X, b] = 0.0
            work[BASE, b] = work[OFFSET, b] + work[POURED, b] - work[START, b]
            if masks[m, b]:
                count += 1
                last = b
        if count == 1:
            work[X, last] = amount
        elif count > 1 and amount != 0.0:
            for b in range(B):  # each level once: divisions are most of the cost
                work[GUARD, b] = max(work[NEED, b], TINY)
                work[LEVEL, b] = work[BASE, b] / work[GUARD, b]
            L = np.inf
            for j in range(B):
                if not masks[m, j]:
                    continue
                sa = 0.0
                sn = 0.0
                for b in range(B):
                    if masks[m, b] and work[LEVEL, b] <= work[LEVEL, j]:
                        sa += work[BASE, b]
                        sn += work[GUARD, b]
                guess = (amount + sa) / sn
                if guess < L:
                    L = guess
            total = 0.0
            for b in range(B):
                if masks[m, b]:
                    share = max(L * work[GUARD, b] - work[BASE, b], 0.0)
                    work[X, b] = share
                    total += share
            scale = amount / total if total > 0 else 0.0
            for b in range(B):
                work[X, b] *= scale
        take = 0.0
        for b in range(B):
            xb = work[X, b]
            if clip:
                xb = min(xb, max(work[NEED, b] - work[POURED, b], 0.0))
            work[POURED, b] += xb
            take += xb
        layer[USED, m] = take / amount if amount > 0 else 0.0


@njit(cache=True, error_model="numpy")
def water_fill_rows(avail, need, amount, allowed, out, sizes):
    """Share amount[i] among the allowed blocs so that (avail + x) / need is as equal as
    possible, for each row i of [rows, B] arrays: `pour_layers` with one layer
    (`sizes(B, 1, 1, 1)`)."""
    B = len(sizes[0])
    masks = allowed.reshape(1, -1)
    work = np.zeros((8, B))
    layer = np.empty((2, 1))
    for i in range(avail.shape[0]):
        for b in range(B):
            work[OFFSET, b] = avail[i, b]
            work[NEED, b] = need[i, b]
            work[POURED, b] = 0.0
        layer[POOL, 0] = amount[i]
        pour_layers(work, layer, masks, False, sizes)
        for b in range(B):
            out[i, b] = work[X, b]


@njit(cache=True, error_model="numpy")
def flow_layers(stop, home, masks, rows, widths):
    """Widths [R,K,S,layer,P] of the flow layers of `rows` from the controls' `stop`
    [R,K,S,P,B] (docs/model.md section 4): producer p's output is a continuum u in [0, 1),
    the part u may go to bloc b when u >= stop[p, b] (a producer's home bloc is never
    barred), so the layer reaching exactly the blocs of mask m has width
    max(0, min(1, min_{b not in m} stop_pb) - max(0, max_{b in m} stop_pb))."""
    K, S, P, B = home.shape
    M = masks.shape[0]
    for r in rows:
        for k in range(K):
            for s in range(S):
                for p in range(P):
                    for m in range(M):
                        top_in = -np.inf
                        low_out = 1.0
                        for b in range(B):
                            x = 0.0 if home[k, s, p, b] else stop[r, k, s, p, b]
                            if masks[m, b]:
                                top_in = max(top_in, x)
                            else:
                                low_out = min(low_out, x)
                        widths[r, k, s, m, p] = max(low_out - max(top_in, 0.0), 0.0)


@njit(cache=True, error_model="numpy")
def supply(
    dt,
    price,
    adjusted,
    protection,
    demand_factor,
    substituted,
    trend,
    es,
    el,
    ref,
    u0,
    eps,
    unit_cost,
    producer_bloc,
    producer_floor,
    min_utilisation,
    capacity,
    growth_cap,
    capacity_factor,
    new_capacity,
    output_cap,
    widths,
    masks,
    varies,
    sizes,
    outaged,
    capped,
    floors,
    commitments,
    wanted,
    output,
    producer_output,
    produced_last,
):
    """Demand wanted (section 6), what producers offer at their home price (section 3) and
    how each stage feeds the next through the flow layers left open by controls (section 4).

    Writes `wanted` [R,K,B] (t this tick), `output` [R,K,S], `producer_output` [R,K,S,P]
    and `produced_last` [R,K,P], the last stage's output before offtake deliveries.
    Arrays that hold their neutral value are not read, to spare memory traffic: capacity
    factors where no outage may hit the commodity (`outaged[k]` false), output caps where no
    quota may (`capped[k]`), price floors and committed output where no policy in force sets
    them (`floors`, `commitments` false).
    Where `varies[k]` is false, nothing random or policy-driven touches commodity k, so every
    replication's row equals the first: only the first is computed, and readers of the other
    rows read the first instead (`Market.varies`)."""
    R, K = price.shape[:2]
    B, S, P, M = len(sizes[0]), len(sizes[1]), len(sizes[2]), len(sizes[3])
    seen = np.empty(B)
    log_rel = np.empty(B)
    util_b = np.empty(B)
    power_b = np.empty(B)  # (price / reference) ** elasticity at each bloc's price
    desired = np.empty((S, P))
    produced = np.empty(P)
    upstream = np.empty(P)
    work = np.zeros((8, B))  # for `pour_layers`: offset and start stay zero
    want_feed = work[NEED]
    got = work[POURED]
    layer = np.empty((2, M))
    pools = layer[POOL]
    used_share = layer[USED]
    for r in range(R):
        for k in range(K):
            if r > 0 and not varies[k]:  # every row is the first: see the docstring
                continue
            for b in range(B):
                seen[b] = price[r, k, b] * protection[r, k, b]
                log_rel[b] = math.log(seen[b] / ref[k])
                log_adj = math.log(adjusted[r, k, b] * protection[r, k, b] / ref[k])
                wanted[r, k, b] = (
                    trend[k, b]
                    * demand_factor[r, k, b]
                    * (1.0 - substituted[r, k, b])
                    * math.exp(es[k] * log_rel[b] + (el[k] - es[k]) * log_adj)
                    * dt
                )
            for s in range(S):
                # utilisation at each bloc's price: one power per (stage, bloc), not per producer
                same = s > 0 and eps[k, s] == eps[k, s - 1]  # then the powers are as before
                for b in range(B):
                    if eps[k, s] == 0.0:
                        util_b[b] = min(1.0, u0[k, s])
                    else:
                        if not same:
                            power_b[b] = math.exp(eps[k, s] * log_rel[b])
                        util_b[b] = min(1.0, u0[k, s] * power_b[b])
                for p in range(P):
                    factor = capacity_factor[r, k, s, p] if outaged[k] else 1.0
                    cap = capacity[k, s, p] * growth_cap[k] * factor + new_capacity[r, k, s, p]
                    if cap == 0.0:  # an empty slot (padding, or new capacity not yet built)
                        desired[s, p] = 0.0
                        continue
                    b = producer_bloc[k, s, p]
                    home = seen[b]
                    util = util_b[b]
                    floor = producer_floor[r, k, s, p] if floors else 0.0
                    if floor > home:  # a guaranteed price above the market
                        home = floor
                        util = min(1.0, u0[k, s] * math.exp(eps[k, s] * math.log(home / ref[k])))
                    cost = unit_cost[k, s, p]
                    if cost > 0.0 and home < cost:  # below cash cost: curtailed with the cube
                        c = home / cost
                        util *= c * c * c
                    if commitments:
                        util = max(util, min(min_utilisation[r, k, s, p], 1.0))
                    room = output_cap[r, k, s, p] if capped[k] else np.inf
                    desired[s, p] = min(cap * util, room) * dt
            for p in range(P):
                produced[p] = desired[0, p]
            for s in range(1, S):
                for b in range(B):
                    want_feed[b] = 0.0
                    got[b] = 0.0
                for p in range(P):
                    want_feed[producer_bloc[k, s, p]] += desired[s, p]
                for m in range(M):
                    pool = 0.0
                    for p in range(P):
                        pool += widths[r, k, s - 1, m, p] * produced[p]
                    pools[m] = pool
                # feed beyond refining capacity is not taken
                pour_layers(work, layer, masks, True, sizes)
                total = 0.0
                for p in range(P):  # upstream producers curtail to what downstream takes
                    taken = 0.0
                    for m in range(M):
                        taken += widths[r, k, s - 1, m, p] * used_share[m]
                    upstream[p] = produced[p] * taken
                    producer_output[r, k, s - 1, p] = upstream[p]
                    total += upstream[p]
                output[r, k, s - 1] = total
                for p in range(P):
                    b = producer_bloc[k, s, p]
                    fill = got[b] / want_feed[b] if want_feed[b] > 0 else 0.0
                    produced[p] = desired[s, p] * fill
            total = 0.0
            for p in range(P):
                producer_output[r, k, S - 1, p] = produced[p]
                produced_last[r, k, p] = produced[p]
                total += produced[p]
            output[r, k, S - 1] = total


@njit(cache=True, error_model="numpy")
def trade(
    dt,
    produced,
    widths_last,
    masks,
    direct,
    release,
    plan,
    wanted,
    rec_share,
    target_stock,
    ref,
    stock_exponent,
    floor_multiple,
    choke_multiple,
    smooth,
    adjust,
    sub_threshold,
    sub_rate,
    sub_max,
    sub_decay,
    rec_start,
    rec_max,
    rec_full,
    rec_step,
    varies,
    sizes,
    stock,
    price,
    expected,
    adjusted,
    substituted,
    recycling,
    last_use,
    last_shortfall,
    recycled,
    delivered,
    use,
    purchased,
    stock_change,
):
    """Trade of the last stage's output where it is scarcest (section 4), use, strategic
    purchases, shortfall and stocks, then the price (section 5) and the lagged responses of
    substitution and recycling (section 7). Updates the market state arrays in place; of a
    commodity that does not vary between replications (`varies[k]` false) only the first row
    is computed, as in `supply`."""
    R, K = stock.shape[:2]
    B, P, M = len(sizes[0]), len(sizes[2]), len(sizes[3])
    work = np.empty((8, B))  # for `pour_layers`
    avail = work[OFFSET]
    need = work[NEED]
    start = work[START]
    got = work[POURED]
    layer = np.empty((2, M))
    pools = layer[POOL]
    for r in range(R):
        for k in range(K):
            if r > 0 and not varies[k]:  # every row is the first: see the docstring
                continue
            for b in range(B):
                recycled[r, k, b] = rec_share[r, k, b] * last_use[r, k, b] * dt
                avail[b] = stock[r, k, b] + recycled[r, k, b] + release[r, k, b] + direct[r, k, b]
                need[b] = wanted[r, k, b] + target_stock[k, b] + plan[r, k, b]
                start[b] = direct[r, k, b]
                got[b] = direct[r, k, b]
            for m in range(M):
                pool = 0.0
                for p in range(P):
                    pool += widths_last[r, k, m, p] * produced[r, k, p]
                pools[m] = pool
            pour_layers(work, layer, masks, False, sizes)
            for b in range(B):
                delivered[r, k, b] = got[b]
            for b in range(B):
                have = avail[b] + delivered[r, k, b] - direct[r, k, b]
                asked = wanted[r, k, b] + plan[r, k, b]
                frac = 1.0
                if asked > have:  # users and strategic buyers share what there is
                    frac = have / asked if asked > 0 else 1.0
                u = wanted[r, k, b] * frac
                bought = plan[r, k, b] * frac
                new_stock = have - u - bought
                use[r, k, b] = u
                purchased[r, k, b] = bought
                last_shortfall[r, k, b] = wanted[r, k, b] - u
                stock_change[r, k, b] = new_stock - stock[r, k, b]
                stock[r, k, b] = new_stock
                # price from stocks against use (WORLD7 form)
                ratio = new_stock / max(target_stock[k, b], TINY)
                if ratio <= 0:
                    mult = np.inf
                elif stock_exponent[k] == 1.0:
                    mult = 1.0 / ratio
                else:
                    mult = ratio ** (-stock_exponent[k])
                mult = min(max(mult, floor_multiple[k]), choke_multiple[k])
                p_new = ref[k] * mult
                price[r, k, b] = p_new
                expected[r, k, b] += smooth[k] * (p_new - expected[r, k, b])
                adjusted[r, k, b] += adjust[k] * (p_new - adjusted[r, k, b])
                # substitution and recycling follow the expected price with lags
                rel_exp = expected[r, k, b] / ref[k]
                if rel_exp > sub_threshold[k]:
                    substituted[r, k, b] = min(substituted[r, k, b] + sub_rate[k] * dt, sub_max[k])
                else:
                    substituted[r, k, b] *= sub_decay[k]
                reach = (rel_exp - 1.0) / (rec_full[k] - 1.0)
                reach = min(max(reach, 0.0), 1.0)
                target = rec_start[k] + (rec_max[k] - rec_start[k]) * reach
                recycling[r, k, b] += (target - recycling[r, k, b]) * rec_step[k]
                last_use[r, k, b] = u / dt


@njit(cache=True, error_model="numpy")
def concentration(
    y, delivered, keep, merge_lo, merge_hi, merge_src, merge_dst, last_bloc, varies, hhi, ir
):
    """HHI of each stage's production by country (0-10,000) and each bloc's net import
    reliance at the last stage (docs/model.md section 11.1), for output y [R,K,S,P] and
    deliveries [R,K,B]. `keep` zeroes atomised slots; the merges add a slot's output to another
    (new capacity of a one-country bloc to that country): those of stage s of commodity k are
    merge_src/merge_dst[merge_lo[k, s]:merge_hi[k, s]]. Writes hhi [R,K,S], ir [R,K,B];
    rows of a commodity that does not vary (`varies[k]` false) are copied from the first."""
    R, K, S, P = y.shape
    B = delivered.shape[2]
    yc = np.empty(P)
    home = np.empty(B)
    for r in range(R):
        for k in range(K):
            if r > 0 and not varies[k]:
                for s in range(S):
                    hhi[r, k, s] = hhi[0, k, s]
                for b in range(B):
                    ir[r, k, b] = ir[0, k, b]
                continue
            for s in range(S):
                total = 0.0
                for p in range(P):
                    total += y[r, k, s, p]
                    yc[p] = y[r, k, s, p] * keep[k, s, p]
                for i in range(merge_lo[k, s], merge_hi[k, s]):
                    yc[merge_dst[i]] += y[r, k, s, merge_src[i]]
                squares = 0.0
                for p in range(P):
                    squares += yc[p] * yc[p]
                hhi[r, k, s] = 10_000.0 * squares / (total * total) if total > 0 else 0.0
            for b in range(B):
                home[b] = 0.0
            for p in range(P):
                home[last_bloc[k, p]] += y[r, k, S - 1, p]
            for b in range(B):
                use = delivered[r, k, b]
                ir[r, k, b] = min(max(1.0 - home[b] / use, 0.0), 1.0) if use > 0 else 0.0


@njit(cache=True, error_model="numpy")
def accumulate_diagnostics(
    hhi, ir, first, hhi_start, hhi_sum, hhi_peak, ir_sum, ir_peak, hhi_mean, ir_mean
):
    """One tick's HHI [R,K,S] and import reliance [R,K,B] into the per-replication start, sum
    and peak, and their means over the batch (hhi_mean [K,S], ir_mean [K,B])."""
    R, K, S = hhi.shape
    B = ir.shape[2]
    for k in range(K):
        for s in range(S):
            hhi_mean[k, s] = 0.0
        for b in range(B):
            ir_mean[k, b] = 0.0
    for r in range(R):
        for k in range(K):
            for s in range(S):
                h = hhi[r, k, s]
                if first:
                    hhi_start[r, k, s] = h
                hhi_sum[r, k, s] += h
                hhi_peak[r, k, s] = max(hhi_peak[r, k, s], h)
                hhi_mean[k, s] += h
            for b in range(B):
                x = ir[r, k, b]
                ir_sum[r, k, b] += x
                ir_peak[r, k, b] = max(ir_peak[r, k, b], x)
                ir_mean[k, b] += x
    for k in range(K):
        for s in range(S):
            hhi_mean[k, s] /= R
        for b in range(B):
            ir_mean[k, b] /= R


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
    output_last,
    fiscal,
    discount,
    peak,
    sum_mult,
    short,
    wanted_sum,
    short_ticks,
    fiscal_sum,
    fiscal_pv,
    error,
    varies,
):
    """One tick into the per-replication metrics of the recorder (docs/model.md section 11),
    and the largest relative residual of the three balances of section 10 into `error` [R]:

    per bloc:   delivered + recycled + releases = use + stock change
    per bloc:   wanted = use + shortfall
    per market: sum over blocs of delivered and diverted = output of the last stage
    """
    R, K, B = wanted.shape
    for r in range(R):
        worst = error[r]
        for k in range(K):
            i = r if varies[k] else 0  # the row that holds k's values
            total = 0.0
            for b in range(B):
                mult = user_price[i, k, b] / p0[k]
                if mult > peak[r, k, b]:
                    peak[r, k, b] = mult
                sum_mult[r, k, b] += mult
                short[r, k, b] += shortfall[i, k, b]
                wanted_sum[r, k, b] += wanted[i, k, b]
                if shortfall[i, k, b] > 1e-9 * max(wanted[i, k, b], 1e-300):
                    short_ticks[r, k, b] += 1.0
                fiscal_sum[r, k, b] += fiscal[i, k, b]
                fiscal_pv[r, k, b] += fiscal[i, k, b] / discount
                scale = max(
                    abs(use[i, k, b])
                    + abs(delivered[i, k, b])
                    + abs(stock_change[i, k, b])
                    + abs(recycled[i, k, b]),
                    1e-12,
                )
                gap = (
                    delivered[i, k, b]
                    + recycled[i, k, b]
                    + releases[i, k, b]
                    - use[i, k, b]
                    - stock_change[i, k, b]
                )
                worst = max(worst, abs(gap) / scale)
                gap = wanted[i, k, b] - use[i, k, b] - shortfall[i, k, b]
                worst = max(worst, abs(gap) / max(wanted[i, k, b], 1e-12))
                total += delivered[i, k, b] + diverted[i, k, b]
            out = output_last[i, k]
            worst = max(worst, abs(total - out) / max(out, 1e-12))
        error[r] = worst


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
    replications last so that each (series, commodity, bloc) is one contiguous column: price,
    supply, use, shortfall (t/yr), commercial stocks in days of use, strategic stocks (t) and
    fiscal cost (currency/yr). Rows after the first of a commodity that does not vary are
    skipped unless `every_row`, and then filled from the first. Returns which series are
    not all zero."""
    R, K, B = use.shape
    live = np.zeros(out.shape[0], dtype=np.bool_)
    for r in range(R):
        for k in range(K):
            if r > 0 and not varies[k] and not every_row:
                continue
            i = r if varies[k] else 0  # the row that holds k's values
            for b in range(B):
                u = use[i, k, b]
                out[0, k, b, r] = user_price[i, k, b]
                out[1, k, b, r] = (delivered[i, k, b] + recycled[i, k, b] + releases[i, k, b]) / dt
                out[2, k, b, r] = u / dt
                out[3, k, b, r] = shortfall[i, k, b] / dt
                out[4, k, b, r] = stock[i, k, b] / max(u / dt, TINY) * 365.0 if u > 0 else 0.0
                out[5, k, b, r] = strategic[i, k, b]
                out[6, k, b, r] = fiscal[i, k, b] / dt
                live[5] |= strategic[i, k, b] != 0.0
                live[6] |= fiscal[i, k, b] != 0.0
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
                shifts = 0
                for i in range(1, R):
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
