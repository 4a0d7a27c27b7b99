"""The instruments' per-tick arithmetic, compiled with numba.

Written as numpy expressions, a stockpile's tick is some eighty small array operations (a few
per commodity held) and a border measure's a dozen, each costing more in dispatch than in
arithmetic: three stockpiles doubled the cost of a replication, and a single replication's
tick cost several times the clearing. Here each replication (and commodity) is handled in
one pass. The results equal the numpy formulas of docs/model.md section 12 bit for bit: the
operations are the same and in the same order, and sums run in numpy's order (`row_sum`);
tests/engine/policies/test_policy_kernels.py holds the numpy formulas they are checked against.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, error_model="numpy", inline="always")
def row_sum(a):
    """Sum of a 1-d array in the order `x.sum(-1)` adds a row of a contiguous numpy array
    (numpy's `pairwise_sum`): from zero and left to right below eight terms, else eight
    partial sums combined as a tree. numpy splits rows of more than 128 terms in halves
    first; the rows here (a stockpile's commodities or owner blocs) are never that long."""
    n = a.shape[0]
    if n < 8:
        res = 0.0
        for i in range(n):
            res += a[i]
        return res
    r0, r1, r2, r3, r4, r5, r6, r7 = a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]
    i = 8
    while i < n - n % 8:
        r0 += a[i]
        r1 += a[i + 1]
        r2 += a[i + 2]
        r3 += a[i + 3]
        r4 += a[i + 4]
        r5 += a[i + 5]
        r6 += a[i + 6]
        r7 += a[i + 7]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        res += a[i]
        i += 1
    return 0.0 + res


@njit(cache=True, error_model="numpy", inline="always")
def _max(a, b):
    """np.maximum of two floats (a NaN wins)."""
    return a if (a >= b or a != a) else b


@njit(cache=True, error_model="numpy", inline="always")
def _min(a, b):
    """np.minimum of two floats (a NaN wins)."""
    return a if (a <= b or a != a) else b


@njit(cache=True, error_model="numpy")
def owner_price(price, k, blocs, weights, out):
    """Use-weighted price [R, C] of commodities k in the owners' blocs, into `out`."""
    R = price.shape[0]
    C, Bo = weights.shape
    terms = np.empty(Bo)
    for r in range(R):
        for j in range(C):
            for b in range(Bo):
                terms[b] = price[r, k[j], blocs[b]] * weights[j, b]
            out[r, j] = row_sum(terms)


@njit(cache=True, error_model="numpy")
def stockpile_triggers(
    price,
    last_shortfall,
    last_use,
    dt,
    short_share,
    k,
    blocs,
    weights,
    ref,
    on_price,
    price_above,
    when_short,
    price_out,
    fired,
    releasing,
):
    """The owners' price [R, C] into `price_out`, and whether each commodity's own release
    triggers fire into `fired` and `releasing` (to which partners' triggers are added later):
    its price at least `price_above` times the reference (if `on_price`), or the owners short
    in the last tick by more than `short_share` of the use they wanted (if `when_short`)."""
    owner_price(price, k, blocs, weights, price_out)
    R = price.shape[0]
    C, Bo = weights.shape
    terms = np.empty(Bo)
    for r in range(R):
        for j in range(C):
            fire = False
            if on_price:
                fire = price_out[r, j] / ref[j] >= price_above
            if when_short:
                for b in range(Bo):
                    terms[b] = last_shortfall[r, k[j], blocs[b]]
                short = row_sum(terms)
                for b in range(Bo):
                    terms[b] += last_use[r, k[j], blocs[b]] * dt
                if short > short_share * row_sum(terms):
                    fire = True
            fired[r, j] = fire
            releasing[r, j] = fire


@njit(cache=True, error_model="numpy")
def coordinate(releasing, own, partner, theirs):
    """Release the columns `own` of `releasing` [R, C] also where a partner's triggers
    `partner` fire in its columns `theirs` (the same commodities)."""
    for r in range(releasing.shape[0]):
        for i in range(own.shape[0]):
            if partner[r, theirs[i]]:
                releasing[r, own[i]] = True


@njit(cache=True, error_model="numpy")
def stockpile_plan(
    target,
    releasing,
    level,
    price,
    ref,
    last_use,
    k,
    blocs,
    weights,
    dt,
    floor,
    release_rate,
    buying,
    has_below,
    below_price,
    buy_rate,
    use_cap,
    budget,
    carry,
    net_spend,
    buy,
    sell,
    release_out,
    purchase_out,
):
    """This tick's sales and purchases [R, C] (t) into `sell` and `buy`, shared out to the
    owners' blocs by `weights` and added to the effects `release_out` and `purchase_out`.

    `target` [C] is this tick's target, `releasing` [R, C] the triggers with the partners',
    `price` [R, C] the owners' price; `buying` says the tick is past the start of buying,
    `use_cap` is max_market_share · use_share, `budget` is inf without a budget. `carry` is
    the holding cost of a tonne held from now to the end of the run, as a multiple of its
    reference price (holding_cost · years left): a budget pays for what it buys and for
    keeping it, so purchases stop where spend + carry · value held would pass the budget."""
    R = level.shape[0]
    C, Bo = weights.shape
    terms = np.empty(Bo)
    want = np.empty(C)
    value = np.empty(C)
    for r in range(R):
        for j in range(C):
            s = 0.0
            if releasing[r, j]:
                s = _max(_min(release_rate * target[j] * dt, level[r, j] - floor * target[j]), 0.0)
            sell[r, j] = s
        if not buying:
            for j in range(C):
                buy[r, j] = 0.0
        else:
            for j in range(C):
                room = _max(target[j] - level[r, j], 0.0)
                for b in range(Bo):
                    terms[b] = last_use[r, k[j], blocs[b]]
                cap = use_cap * row_sum(terms) * dt
                want[j] = _min(_min(buy_rate * target[j] * dt, room), cap)
            if np.isfinite(budget):  # never commit more than the budget left
                for j in range(C):
                    value[j] = level[r, j] * ref[j]
                money = _max(budget - net_spend[r] - carry * row_sum(value), 0.0)
                for j in range(C):
                    value[j] = want[j] * (price[r, j] + carry * ref[j])
                cost = row_sum(value)
                scale = money / cost if cost > money else 1.0
                for j in range(C):
                    want[j] = want[j] * scale
            for j in range(C):
                allowed = not releasing[r, j]
                if has_below:
                    allowed = allowed and price[r, j] / ref[j] <= below_price
                buy[r, j] = want[j] if allowed else 0.0
        for j in range(C):
            for b in range(Bo):
                release_out[r, k[j], blocs[b]] += sell[r, j] * weights[j, b]
                purchase_out[r, k[j], blocs[b]] += buy[r, j] * weights[j, b]


@njit(cache=True, error_model="numpy")
def spread(level, k, blocs, weights, out):
    """Holdings [R, C] shared out to the owners' blocs by `weights`, into the cells (k, blocs)
    of `out` [R, K, B]; other cells are left as they are."""
    R = level.shape[0]
    C, Bo = weights.shape
    for r in range(R):
        for j in range(C):
            for b in range(Bo):
                out[r, k[j], blocs[b]] = 0.0
        for j in range(C):
            for b in range(Bo):
                out[r, k[j], blocs[b]] += level[r, j] * weights[j, b]


@njit(cache=True, error_model="numpy")
def stockpile_settle(
    purchase_plan,
    purchased,
    buy,
    sell,
    price,
    k,
    blocs,
    weights,
    ref,
    dt,
    holding_cost,
    sale_at_market,
    initial_cost,
    first_tick,
    level,
    net_spend,
    max_net_spend,
    bought,
    sold,
    spent,
    earned,
    held,
    ledger_tick,
    by_policy,
    stock,
):
    """Settle the tick: purchases get the share of their plan that all strategic buyers of a
    bloc got (`purchase_plan`, `purchased` [R, K, B]); update holdings, net spend (holding
    included: it counts against the budget) and the running totals [R, C] (`held`: holding
    paid); book the cost (purchases less sales, plus holding, plus the initial fill on the
    first tick) to `ledger_tick` [R, K, B] and `by_policy` [R], in the order `Ledger.book`
    would, commodity by commodity; spread the holdings into `stock`."""
    R = level.shape[0]
    C, Bo = weights.shape
    bought_b = np.empty(Bo)
    sold_b = np.empty(Bo)
    cost_b = np.empty(Bo)
    for r in range(R):
        spend, peak, booked = net_spend[r], max_net_spend[r], by_policy[r]
        for j in range(C):
            kj = k[j]
            for b in range(Bo):
                planned = purchase_plan[r, kj, blocs[b]]
                got = purchased[r, kj, blocs[b]]
                ratio = got / planned if planned > 0 else 0.0
                bought_b[b] = buy[r, j] * weights[j, b] * ratio
                sold_b[b] = sell[r, j] * weights[j, b]
            tonnes_in = row_sum(bought_b)
            tonnes_out = row_sum(sold_b)
            stocked = level[r, j] + (tonnes_in - tonnes_out)
            level[r, j] = stocked
            p = price[r, j]
            sale = p if sale_at_market else ref[j]
            spend += tonnes_in * p - tonnes_out * sale
            bought[r, j] += tonnes_in
            sold[r, j] += tonnes_out
            spent[r, j] += tonnes_in * p
            earned[r, j] += tonnes_out * sale
            holding = holding_cost * stocked * ref[j] * dt
            spend += holding
            held[r, j] += holding
            for b in range(Bo):
                cost = bought_b[b] * p - sold_b[b] * sale + holding * weights[j, b]
                if first_tick:
                    cost = cost + initial_cost[r, j] * weights[j, b]
                cost_b[b] = cost
                ledger_tick[r, kj, blocs[b]] += cost
            booked += row_sum(cost_b)
            peak = _max(peak, spend)
        net_spend[r], max_net_spend[r], by_policy[r] = spend, peak, booked
    spread(level, k, blocs, weights, stock)


# -- border measures and contracts for difference -----------------------------------------------
@njit(cache=True, error_model="numpy", inline="always")
def _imports(producer_output, delivered, r, k, b, home, own):
    """Bloc b's net imports of commodity k in row r, t this tick: what was delivered to it less
    what its last-stage producers `home` made (`own` is scratch of their length)."""
    last = producer_output.shape[2] - 1
    for i in range(home.shape[0]):
        own[i] = producer_output[r, k, last, home[i]]
    return _max(delivered[r, k, b] - row_sum(own), 0.0)


@njit(cache=True, error_model="numpy")
def book_tariff(rate, price, producer_output, delivered, k, b, home, ledger_tick, by_policy):
    """An ad valorem tariff's revenue, rate · price [R] · net imports, booked to bloc b as
    negative cost."""
    own = np.empty(home.shape[0])
    for r in range(price.shape[0]):
        revenue = rate * price[r] * _imports(producer_output, delivered, r, k, b, home, own)
        ledger_tick[r, k, b] += -revenue
        by_policy[r] += -revenue


@njit(cache=True, error_model="numpy")
def book_reference_tariff(
    floor, price, tariff, producer_output, delivered, k, b, home, ledger_tick, by_policy
):
    """A reference price's tariff revenue, (floor − price · ad valorem wedge)+ on net imports,
    booked to bloc b as negative cost (`price` [R]: the bloc's price of the tick cleared)."""
    own = np.empty(home.shape[0])
    for r in range(price.shape[0]):
        gap = _max(floor - price[r] * tariff[r, k, b], 0.0)
        cost = -gap * _imports(producer_output, delivered, r, k, b, home, own)
        ledger_tick[r, k, b] += cost
        by_policy[r] += cost


@njit(cache=True, error_model="numpy")
def reference_floor(floor, price, k, b, investment_floor, reference_price, seen):
    """A reference price defended at bloc b's border: the floor under its reference price and
    its investors' price, and the price [R] it had before the clearing into `seen`."""
    for r in range(price.shape[0]):
        investment_floor[r, k, b] = _max(investment_floor[r, k, b], floor)
        seen[r] = price[r, k, b]
        reference_price[r, k, b] = _max(reference_price[r, k, b], floor)


@njit(cache=True, error_model="numpy")
def cfd_floor(floor, price, k, blocs, s, p, p_bloc, investment_floor, producer_floor, home):
    """A contract for difference: the floor under the covered producers' price (p at stage s)
    and under investors' price in their blocs, and the producers' bloc prices [R, Pc] before
    the clearing into `home`."""
    for r in range(price.shape[0]):
        for b in blocs:
            investment_floor[r, k, b] = _max(investment_floor[r, k, b], floor)
        for i in range(p.shape[0]):
            producer_floor[r, k, s, p[i]] = _max(producer_floor[r, k, s, p[i]], floor)
            home[r, i] = price[r, k, p_bloc[i]]


@njit(cache=True, error_model="numpy")
def book_cfd(
    floor, cap, home, protection, producer_output, k, p, p_bloc, payer, ledger_tick, by_policy
):
    """A contract for difference's payment, the gap between the floor and the covered
    producers' home price (`home` [R, Pc] before the clearing, times its tariff wedge) on
    their last-stage output, scaled to at most `cap` tonnes; booked to the payer's bloc."""
    last = producer_output.shape[2] - 1
    n = p.shape[0]
    gaps = np.empty(n)
    out = np.empty(n)
    for r in range(home.shape[0]):
        for i in range(n):
            out[i] = producer_output[r, k, last, p[i]]
            gaps[i] = _max(floor - home[r, i] * protection[r, k, p_bloc[i]], 0.0) * out[i]
        payment = row_sum(gaps)
        if cap < np.inf:
            total = row_sum(out)
            payment = payment * (cap / _max(total, 1e-300) if total > cap else 1.0)
        ledger_tick[r, k, payer] += payment
        by_policy[r] += payment


# -- offtake agreements ------------------------------------------------------------------------
@njit(cache=True, error_model="numpy")
def book_offtake(
    got,
    requested,
    price,
    k,
    b,
    fixed,
    strike,
    discount,
    to_market,
    premium,
    totals,
    ledger_tick,
    by_policy,
):
    """An offtake agreement's tick: it pays the strike (`fixed`) or the buyer's price less the
    discount for the tonnes `got` [R], resells them at the buyer's price (`to_market`) and pays
    the `premium` of the tick. Adds tonnes asked for and received, payments, resale revenue
    and premium to `totals` [5, R]; books payments less resales plus premium to bloc b."""
    for r in range(got.shape[0]):
        p = price[r, k, b]
        paid = got[r] * (strike if fixed else p * (1 - discount))
        resold = got[r] * (p if to_market else 0.0)
        totals[0, r] += requested[r]
        totals[1, r] += got[r]
        totals[2, r] += paid
        totals[3, r] += resold
        totals[4, r] += premium
        cost = paid - resold + premium
        ledger_tick[r, k, b] += cost
        by_policy[r] += cost
