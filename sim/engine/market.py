"""The market of every commodity and bloc, for a batch of replications at once.

Each tick (`Market.clear`) runs the equations of docs/model.md, section "Market", on arrays
whose first axis is the replication. Nothing here is random and nothing loops over
replications: disruptions and investment change the state arrays between ticks (as SimPy
events, see `simulation.py`), and the clearing itself is a few dozen numpy operations.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .world import World


def water_fill(
    avail: np.ndarray, need: np.ndarray, amount: np.ndarray, allowed: np.ndarray
) -> np.ndarray:
    """Share `amount` among the allowed blocs so that (avail + x) / need is as equal as possible.

    The scarcest blocs are topped up first, to a common level L where
    sum_b max(0, L*need_b - avail_b) = amount. Arrays are [..., B] except `amount` [...];
    `allowed` is a boolean [B]. Returns x [..., B] >= 0 with sum_b x = amount.

    L is found without sorting: for each bloc j, pour everything into the blocs whose level
    a/n is at most j's, giving L_j = (amount + sum a) / (sum n) over that set. Every such
    guess is at least the true level (a set too small overfills, a set too large averages in
    a level above L), and the right set gives L exactly, so L = min_j L_j. This costs B^2
    elementwise operations, far less than an argsort for the handful of blocs of a scenario.
    """
    x = np.zeros_like(avail)
    idx = np.flatnonzero(allowed)
    if idx.size == 0:
        return x
    if idx.size == 1:
        x[..., idx[0]] = amount
        return x
    a = avail[..., idx]
    n = np.maximum(need[..., idx], 1e-300)
    level = a / n
    L = None
    for j in range(idx.size):
        below = level <= level[..., j : j + 1]
        guess = (amount + (a * below).sum(-1)) / (n * below).sum(-1)
        L = guess if L is None else np.minimum(L, guess)
    share = np.maximum(L[..., None] * n - a, 0.0)
    total = share.sum(-1)
    # scale to remove rounding so that the allocation sums to `amount` exactly (mass balance)
    scale = np.where(total > 0, amount / np.where(total > 0, total, 1.0), 0.0)
    x[..., idx] = share * scale[..., None]
    return x


@dataclass
class Flows:
    """What happened in one tick, in tonnes, [R, K, B] unless said otherwise."""

    wanted: np.ndarray
    use: np.ndarray
    shortfall: np.ndarray
    delivered: np.ndarray  # primary supply received (trade and offtake deliveries)
    recycled: np.ndarray
    releases: np.ndarray  # net flow from strategic stocks: released - purchased
    stock_change: np.ndarray
    price: np.ndarray
    output: np.ndarray  # [R, K, S] output of each stage
    released: np.ndarray  # strategic stocks sold into the bloc
    purchased: np.ndarray  # bought by strategic buyers in the bloc
    purchase_plan: np.ndarray  # what they wanted to buy
    direct: np.ndarray  # offtake deliveries into the market (part of `delivered`)
    producer_output: np.ndarray  # [R, K, S, P] t this tick, before offtake deliveries
    diverted: np.ndarray  # offtake tonnes sent to strategic stocks, outside the market
    direct_taken: list  # [R] t delivered by each `Effects.direct` entry, in its order
    user_price: np.ndarray  # what users pay: max(price · tariff, reference price), this tick
    protection: np.ndarray  # max(tariff, reference / last price): the wedge decisions used


class Market:
    """State of every market in a batch of `n` replications, and the clearing rule."""

    def __init__(self, world: World, n: int, stop_sets: tuple[tuple[int, ...], ...] = ()):
        """`stop_sets`: the sets of blocs that export controls may target in this scenario."""
        self.w = world
        self.n = n
        K, S, P, B = world.shape
        self.K, self.S, self.P, self.B = K, S, P, B
        self.dt = world.dt
        self.tick = 0
        # disruptions write these; `refresh` folds them into the arrays used by `clear`
        self.capacity_factor = np.ones((n, K, S, P))
        self.output_cap = np.full((n, K, S, P), np.inf)  # t/yr
        self.stop = np.zeros((n, K, S, P, B))  # share of p's flow barred from bloc b
        self.demand_factor = np.ones((n, K, B))
        self.new_capacity = np.zeros((n, K, S, P))  # t/yr built during the run
        self.committed = np.zeros((n, K, B))  # t/yr decided (built or on its way) per bloc
        # market state
        self.price = np.broadcast_to(world.reference_price[None, :, None], (n, K, B)).copy()
        self.expected = self.price.copy()  # what investors and substituting users watch
        self.adjusted = self.price.copy()  # the price users have adjusted to (long run)
        self.stock = world.demand[None] * world.stock_days[None] / 365.0 * np.ones((n, 1, 1))
        self.substituted = np.zeros((n, K, B))
        self.recycling = np.broadcast_to(world.rec_share[None, :, None], (n, K, B)).copy()
        self.last_use = np.broadcast_to(world.demand[None], (n, K, B)).copy()
        self.last_shortfall = np.zeros((n, K, B))
        self.protection = np.ones((n, K, B))  # the wedge of the tick last cleared
        self.tariff_factor = np.ones((n, K, B))  # the ad valorem part of it
        self.investment_floor = np.zeros((n, K, B))
        self._ref = world.reference_price[None, :, None]
        self._bloc_onehot = np.eye(B)[world.producer_bloc]  # [K, S, P, B]
        self._home = self._bloc_onehot.astype(bool)[None]
        # per-stage utilisation and elasticity, laid out [1,K,S,1] against a bloc axis; and the
        # flat index that gathers a [R,K,S,B] array to producers [R,K,S,P]
        self._u0_b = world.utilisation[None, :, :, :1]
        self._eps_b = world.supply_elasticity[None, :, :, :1]
        ks = np.arange(K * S).reshape(K, S, 1) * B
        self._gather = (ks + world.producer_bloc).reshape(-1)
        # per stage s, the index that gathers a [R,K,B] array to that stage's producers [R,K,P]
        kb = np.arange(K).reshape(K, 1) * B
        self._gather_stage = [kb + world.producer_bloc[:, s] for s in range(S)]
        with np.errstate(divide="ignore"):
            self._inv_cost = np.where(world.unit_cost > 0, 1.0 / world.unit_cost, np.inf)[None]
        # A flow may reach a set of blocs m; with controls targeting sets T1..Tn, the possible
        # m are 'all blocs minus a union of some T'. Smallest sets first: most restricted first.
        unions = {frozenset()}
        for t in stop_sets:
            unions |= {u | frozenset(t) for u in unions}
        sets = sorted({frozenset(range(B)) - u for u in unions} - {frozenset()}, key=len)
        self.masks = np.zeros((len(sets), B), dtype=bool)
        for i, m in enumerate(sets):
            self.masks[i, sorted(m)] = True
        # share of each producer's flow in each layer; [.., layer, producer] so that the
        # layer sums below are small matrix products (batched matmul, which stays off BLAS
        # threads for matrices this small)
        self.widths = np.zeros((n, K, S, len(sets), P))
        self.widths[:, :, :, -1, :] = 1.0  # without controls every flow may go anywhere

    def _pools(self, produced: np.ndarray, s: int) -> np.ndarray:
        """[R,K,M]: stage s output [R,K,P] that may reach each set of blocs (flow layer)."""
        return (self.widths[:, :, s] @ produced[..., None])[..., 0]

    def _to_producers(self, per_bloc: np.ndarray) -> np.ndarray:
        """[R,K,S,B] -> [R,K,S,P]: each producer takes the value of its home bloc."""
        flat = np.ascontiguousarray(per_bloc).reshape(self.n, -1)
        return flat.take(self._gather, axis=1).reshape(self.n, self.K, self.S, self.P)

    # -- set-up between ticks ------------------------------------------------------------------
    def refresh(self, rows: np.ndarray) -> None:
        """Recompute the flow layers of `rows` after disruptions changed `stop`.

        Producer p's output is a continuum u in [0, 1); the part u may go to bloc b when
        u >= stop[p, b]. The layer reaching exactly the blocs in m has width
        max(0, min_{b not in m} stop_pb - max_{b in m} stop_pb).
        """
        x = np.where(self._home, 0.0, self.stop[rows])
        for i, inset in enumerate(self.masks):
            max_in = np.where(inset, x, -np.inf).max(-1)
            if (~inset).any():
                min_out = np.minimum(np.where(~inset, x, np.inf).min(-1), 1.0)
            else:
                min_out = np.ones(x.shape[:-1])
            self.widths[rows, :, :, i, :] = np.maximum(min_out - np.maximum(max_in, 0.0), 0.0)

    # -- one tick ----------------------------------------------------------------------------
    def wanted_demand(
        self, trend: np.ndarray, log_rel: np.ndarray, wedge: np.ndarray | float = 1.0
    ) -> np.ndarray:
        """Use wanted, t/yr [R,K,B], given prices so far (short- and long-run response).
        `log_rel` is log(P · wedge / P_ref), the price users pay (tariffs included) against
        the reference; powers are taken as exp(e · log) so one log serves demand and supply."""
        w = self.w
        es = w.elasticity_short[None, :, None]
        el = w.elasticity_long[None, :, None]
        log_adj = np.log(self.adjusted * wedge / self._ref)
        return (
            trend[None]
            * self.demand_factor
            * (1 - self.substituted)
            * np.exp(es * log_rel + (el - es) * log_adj)
        )

    def clear(self, t_years: float, effects=None) -> Flows:
        """Clear every market for one tick; `effects` are the policies' (policies/base.py)."""
        w, dt = self.w, self.dt
        n, K, S, B = self.n, self.K, self.S, self.B
        zeros = np.zeros((n, K, B))
        release = zeros if effects is None else effects.release
        plan = zeros if effects is None else effects.purchase
        protection = None
        if effects is not None:  # a reference price is a floor: the wedge that lifts P to it
            lift = effects.reference_price / np.maximum(self.price, 1e-300)
            protection = np.maximum(effects.tariff, lift)
            self.tariff_factor = effects.tariff.copy()
        growth_cap = (1 + w.capacity_growth) ** t_years  # [K]
        trend = w.demand * (1 + w.demand_growth) ** t_years  # [K,B] t/yr
        target_stock = trend * w.stock_days / 365.0  # [K,B] t
        # the price users and home producers see: raised by tariff protection
        seen = self.price if protection is None else self.price * protection  # [R,K,B]
        log_rel = np.log(seen / self._ref)
        wanted = (
            self.wanted_demand(trend, log_rel, 1.0 if protection is None else protection) * dt
        )  # t this tick

        # 1. what each producer would supply at its home price (or a guaranteed floor).
        #    Utilisation and its elasticity are set per stage, so the power law is taken per
        #    (stage, bloc) and then gathered to producers.
        floor = None if effects is None or not effects.producer_floor.any() else effects
        if floor is None:
            util_b = np.minimum(1.0, self._u0_b * np.exp(self._eps_b * log_rel[:, :, None, :]))
            util = self._to_producers(util_b)
            home_price = self._to_producers(np.broadcast_to(seen[:, :, None, :], util_b.shape))
        else:
            home_price = np.maximum(
                self._to_producers(np.broadcast_to(seen[:, :, None, :], (n, K, S, B))),
                effects.producer_floor,
            )
            rel = home_price / self._ref[..., None]
            util = np.minimum(1.0, w.utilisation[None] * rel ** w.supply_elasticity[None])
        # below unit cost, output is curtailed with the cube of price over cost
        short_of_cost = np.minimum(home_price * self._inv_cost, 1.0)
        util = util * (short_of_cost * short_of_cost * short_of_cost)
        if effects is not None:
            util = np.maximum(util, np.minimum(effects.min_utilisation, 1.0))
        cap = (
            w.capacity[None] * growth_cap[None, :, None, None]
        ) * self.capacity_factor + self.new_capacity
        desired = np.minimum(cap * util, self.output_cap) * dt  # t this tick [R,K,S,P]

        # 2. each stage feeds the next: flows barred by controls cannot reach refiners in the
        #    named blocs; feed is shared so that refiners' fill ratios are as equal as possible
        produced = desired[:, :, 0]
        output = np.zeros((n, K, S))
        producer_output = np.zeros_like(desired)
        for s in range(1, S):
            want_feed = (desired[:, :, s, None, :] @ self._bloc_onehot[None, :, s])[:, :, 0]
            pools = self._pools(produced, s - 1)
            got = np.zeros((n, K, B))
            used_share = np.zeros_like(pools)
            for j, mask in enumerate(self.masks):
                x = water_fill(got, want_feed, pools[..., j], mask)
                # feed beyond refining capacity is not taken: cap each bloc at what it wants
                room = np.maximum(want_feed - got, 0.0)
                x = np.minimum(x, room)
                got += x
                take = x.sum(-1)
                used_share[..., j] = np.where(
                    pools[..., j] > 0, take / np.where(pools[..., j] > 0, pools[..., j], 1), 0
                )
            # upstream producers curtail to what downstream takes
            taken_share = (used_share[:, :, None, :] @ self.widths[:, :, s - 1])[:, :, 0]
            upstream = produced * taken_share
            output[:, :, s - 1] = upstream.sum(-1)
            producer_output[:, :, s - 1] = upstream
            fill = np.where(want_feed > 0, got / np.where(want_feed > 0, want_feed, 1), 0.0)
            fill_p = fill.reshape(n, -1).take(self._gather_stage[s], axis=1)
            produced = desired[:, :, s] * fill_p
        output[:, :, S - 1] = produced.sum(-1)
        producer_output[:, :, S - 1] = produced

        # 3. offtake deliveries go straight to their bloc, as far as controls allow; the rest
        #    of refined supply goes where it is scarcest, within what controls allow
        direct = np.zeros((n, K, B))
        diverted = np.zeros((n, K, B))
        taken = []
        if effects is not None and effects.direct:
            # agreements on one producer share its output in proportion to what they ask
            asked: dict[tuple[int, int], np.ndarray] = {}
            for k, p, _b, volume, _m in effects.direct:
                asked[(k, p)] = asked.get((k, p), 0.0) + volume
            before = produced
            produced = produced.copy()
            for k, p, b, volume, to_market in effects.direct:
                barred = 0.0 if self._home[0, k, S - 1, p, b] else self.stop[:, k, S - 1, p, b]
                share = np.divide(volume, asked[(k, p)], out=np.zeros(n), where=asked[(k, p)] > 0)
                take = np.minimum(volume, before[:, k, p] * share * (1.0 - barred))
                produced[:, k, p] -= take
                (direct if to_market else diverted)[:, k, b] += take
                taken.append(take)
        rec_share = (
            self.recycling
            if effects is None
            else np.maximum(self.recycling, effects.recycling_floor)
        )
        recycled = rec_share * self.last_use * dt
        avail = self.stock + recycled + release + direct
        need = wanted + target_stock[None] + plan
        pools = self._pools(produced, S - 1)
        delivered = direct.copy()
        for j, mask in enumerate(self.masks):
            x = water_fill(avail + delivered - direct, need, pools[..., j], mask)
            delivered += x

        # 4. use, strategic purchases, shortfall, stocks: users and strategic buyers share
        #    what the bloc has in proportion to what they want
        have = avail + delivered - direct
        asked = wanted + plan
        frac = np.where(asked > have, have / np.where(asked > 0, asked, 1.0), 1.0)
        use = wanted * frac
        purchased = plan * frac
        shortfall = wanted - use
        new_stock = have - use - purchased
        stock_change = new_stock - self.stock
        self.stock = new_stock
        self.last_shortfall = shortfall

        # 5. price from stocks against use (WORLD7 form), expected price, adjustment
        m = w.stock_exponent[None, :, None]
        ratio = new_stock / np.maximum(target_stock[None], 1e-300)
        with np.errstate(divide="ignore"):
            mult = np.where(ratio > 0, ratio ** (-m), np.inf)
        mult = np.clip(mult, w.floor_multiple[None, :, None], w.choke_multiple[None, :, None])
        self.price = self._ref * mult
        a = 1 - np.exp(-dt / w.smoothing)[None, :, None]
        self.expected = self.expected + a * (self.price - self.expected)
        a = 1 - np.exp(-dt / w.adjustment)[None, :, None]
        self.adjusted = self.adjusted + a * (self.price - self.adjusted)

        # 6. substitution and recycling follow the expected price with lags
        rel_exp = self.expected / self._ref
        up = rel_exp > w.sub_threshold[None, :, None]
        smax = w.sub_max[None, :, None]
        rise = np.minimum(self.substituted + w.sub_rate[None, :, None] * dt, smax)
        fall = self.substituted * np.exp(-dt / w.sub_reversal)[None, :, None]
        self.substituted = np.where(up, rise, fall)
        r0, r1 = w.rec_share[None, :, None], w.rec_max[None, :, None]
        full = w.rec_full[None, :, None]
        target = r0 + (r1 - r0) * np.clip((rel_exp - 1) / (full - 1), 0, 1)
        self.recycling += (target - self.recycling) * (1 - np.exp(-dt / w.rec_lag))[None, :, None]
        self.last_use = use / dt
        if effects is not None:
            self.protection = protection
            self.investment_floor = effects.investment_floor.copy()
        self.tick += 1
        return Flows(
            wanted=wanted,
            use=use,
            shortfall=shortfall,
            delivered=delivered,
            recycled=recycled,
            releases=release - purchased,
            stock_change=stock_change,
            price=self.price,
            output=output,
            released=release,
            purchased=purchased,
            purchase_plan=plan,
            direct=direct,
            producer_output=producer_output,
            diverted=diverted,
            direct_taken=taken,
            user_price=self.price
            if effects is None
            else np.maximum(self.price * effects.tariff, effects.reference_price),
            protection=np.ones((n, K, B)) if protection is None else protection,
        )

    def commit_investment(self, k: int, t_years: float) -> np.ndarray:
        """Capacity [R,B] (t/yr) of commodity k decided now in each bloc, from the margin of the
        expected price over the incentive price."""
        w = self.w
        seen = np.maximum(self.expected[:, k] * self.protection[:, k], self.investment_floor[:, k])
        margin = np.clip(seen / w.incentive_price[k] - 1, 0.0, 1.0)
        trend = w.demand[k] * (1 + w.demand_growth[k]) ** t_years  # [B]
        wanted = w.investment_response[k] * margin * trend[None] * w.review[k]
        # new capacity (built or on its way) in a bloc never exceeds max_share of its use
        room = w.investment_max_share[k] * trend[None] - self.committed[:, k]
        added = np.clip(wanted, 0.0, np.maximum(room, 0.0))
        self.committed[:, k] += added
        return added

    def add_capacity(self, k: int, added: np.ndarray) -> None:
        """New capacity [R,B] arrives at every stage, in each bloc's new-capacity slot."""
        for s in range(self.S):
            self.new_capacity[:, k, s, self.w.new_slot[k, s]] += added
