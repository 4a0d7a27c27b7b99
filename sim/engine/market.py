"""The market of every commodity and bloc, for a batch of replications at once.

Each tick (`Market.clear`) runs the equations of docs/model.md, sections 3-7, on arrays
whose first axis is the replication. Nothing here is random: disruptions and investment
change the state arrays between ticks (as SimPy events, see `simulation.py`), policies act
through `Effects`, and the arithmetic of the clearing is compiled in `kernels.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from . import kernels, layout, storage
from .world import World

if TYPE_CHECKING:  # policies build on the market's layout; the market only reads their effects
    from .policies.base import Effects


def water_fill(
    avail: np.ndarray, need: np.ndarray, amount: np.ndarray, allowed: np.ndarray
) -> np.ndarray:
    """Share `amount` among the allowed blocs so that (avail + x) / need is as equal as possible.

    Arrays are [..., B] except `amount` [...]; `allowed` is a boolean [B]. Returns x [..., B]
    >= 0 with sum_b x = amount. The array form of `kernels.pour_layers`, which the
    clearing calls for each replication and commodity.
    """
    avail, need = np.broadcast_arrays(np.asarray(avail, float), np.asarray(need, float))
    B = avail.shape[-1]
    rows = avail.reshape(-1, B)
    out = np.zeros((B, len(rows)))
    amounts = np.broadcast_to(np.asarray(amount, float), avail.shape[:-1]).reshape(-1)
    kernels.water_fill_rows(
        np.ascontiguousarray(rows.T),
        np.ascontiguousarray(need.reshape(-1, B).T),
        np.ascontiguousarray(amounts),
        np.asarray(allowed, dtype=np.bool_),
        out,
        kernels.sizes(B, 1, 1, 1, len(rows)),
    )
    return out.T.reshape(avail.shape)


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
    reference_use: np.ndarray  # [K, B] t this tick at P_ref on the trend: the no-disruption use
    traded: np.ndarray  # [R, K, origin, destination] the part of `delivered` from each bloc's
    # producers (their home bloc, last stage); summed over origins it is `delivered`


class Market:
    """State of every market in a batch of `n` replications, and the clearing rule. Its arrays
    are indexed [R, ...] and stored replication-last for the kernels (layout.py)."""

    _state = (
        "stock",
        "price",
        "expected",
        "adjusted",
        "substituted",
        "recycling",
        "last_use",
        "inflow",
    )
    """Arrays the clearing updates; each tick replaces them with new arrays."""

    def __init__(self, world: World, n: int, stop_sets: tuple[tuple[int, ...], ...] = ()):
        """`stop_sets`: the sets of blocs that export controls may target in this scenario."""
        self.w = world
        self.n = n
        K, S, P, B = world.shape
        self.K, self.S, self.P, self.B = K, S, P, B
        self.dt = world.dt
        self.tick = 0
        # disruptions write these; `refresh` folds them into the arrays used by `clear`
        self.capacity_factor = layout.ones(n, K, S, P)
        self.output_cap = layout.full(n, (K, S, P), np.inf)  # t/yr
        # commodities an outage or an output quota may hit (set by `run_batch`): the others'
        # capacity factors and caps keep their neutral values and are not read
        self.outaged = np.ones(K, dtype=np.bool_)
        self.capped = np.ones(K, dtype=np.bool_)
        self.stop = layout.zeros(n, K, S, P, B)  # share of p's flow barred from bloc b
        self.demand_factor = layout.ones(n, K, B)
        self.announced = layout.zeros(n, K, B)  # 1 while a disruption that will hit b is known
        self.new_capacity = layout.zeros(n, K, S, P)  # t/yr built during the run
        self.committed = np.zeros((n, K, B))  # t/yr decided (built or on its way) per bloc
        # market state
        self.price = layout.zeros(n, K, B)
        self.price[:] = world.reference_price[None, :, None]
        self.expected = self.price.copy(order="K")  # what investors and substituting users watch
        self.adjusted = self.price.copy(order="K")  # the price users have adjusted to (long run)
        self.stock = layout.zeros(n, K, B)
        self.stock[:] = world.demand[None] * world.stock_days[None] / 365.0
        self.substituted = layout.zeros(n, K, B)
        self.recycling = layout.zeros(n, K, B)
        self.recycling[:] = world.rec_share[None, :, None]
        self.last_use = layout.zeros(n, K, B)
        self.last_use[:] = world.demand[None]
        self.inflow = layout.ones(n, K, B)  # the inflow stockholders read, share of use
        self.last_shortfall = layout.zeros(n, K, B)
        self.protection = layout.ones(n, K, B)  # the wedge of the tick last cleared
        self.tariff_factor = layout.ones(n, K, B)  # the ad valorem part of it
        self.investment_floor = layout.zeros(n, K, B)
        self._bloc_onehot = np.eye(B)[world.producer_bloc]  # [K, S, P, B]
        self._home = self._bloc_onehot.astype(bool)  # [K, S, P, B]
        # utilisation and its elasticity are set per stage
        self._u0 = np.ascontiguousarray(world.utilisation[:, :, 0])
        self._eps = np.ascontiguousarray(world.supply_elasticity[:, :, 0])
        self._zeros_kb = layout.zeros(n, K, B)
        self._ones_kb = layout.ones(n, K, B)
        self._zeros_ksp = layout.zeros(n, K, S, P)
        # the share of a gap that each lagged response closes in one tick [K]
        self._smooth = 1 - np.exp(-self.dt / world.smoothing)
        self._adjust = 1 - np.exp(-self.dt / world.adjustment)
        self._sub_decay = np.exp(-self.dt / world.sub_reversal)
        self._rec_step = 1 - np.exp(-self.dt / world.rec_lag)
        self._learn = 1 - np.exp(-self.dt / world.learning)
        self._reroute = np.where(
            world.rerouting > 0, 1 - np.exp(-self.dt / np.maximum(world.rerouting, 1e-12)), 1.0
        )
        self._log_price = np.ascontiguousarray(np.log(world.storage_price))
        self._use_share = np.ascontiguousarray(world.storage_use)
        # the stocks a bloc's stockholders want once a disruption is announced, relative to
        # the calm ones (1 where nothing is announced: the two tables are the same)
        self._ahead = np.ascontiguousarray(
            np.divide(
                world.announced_days,
                world.stock_days,
                out=np.ones_like(world.stock_days),
                where=world.stock_days > 0,
            )
        )
        self.varies = np.ones(K, dtype=np.bool_)
        """Commodities whose replications may differ (set by `run_batch` from the disruptions
        and policies). The others are cleared in the first row only: their other rows in the
        state arrays and in `Flows` are stale or zero, and whoever reads a row of such a
        commodity (the recorder, the diagnostics) reads the first."""
        # A flow may reach a set of blocs m; with controls targeting sets T1..Tn, the possible
        # m are 'all blocs minus a union of some T'. Smallest sets first: most restricted first.
        unions: set[frozenset[int]] = {frozenset()}
        for t in stop_sets:
            unions |= {u | frozenset(t) for u in unions}
        sets = sorted({frozenset(range(B)) - u for u in unions} - {frozenset()}, key=len)
        self.masks = np.zeros((len(sets), B), dtype=bool)
        for i, m in enumerate(sets):
            self.masks[i, sorted(m)] = True
        # share of each producer's flow in each layer [R, K, S, layer, P]
        self.widths = layout.zeros(n, K, S, len(sets), P)
        self.widths[:, :, :, -1, :] = 1.0  # without controls every flow may go anywhere
        self._sizes = kernels.sizes(B, S, P, len(sets), n)
        # rerouting (section 4): the layers split by origin bloc, each with its foreign
        # customers' shares last tick (negative: not yet set)
        self._masks_o = np.ascontiguousarray(np.repeat(self.masks, B, axis=0))
        self._sizes_o = kernels.sizes(B, S, P, len(sets) * B, n)
        self._origin = np.ascontiguousarray(world.producer_bloc[:, S - 1, :])
        self.route = layout.full(n, (K, len(sets) * B, B), -1.0)
        self._route = layout.kernel(self.route)  # updated in place: nothing else reads it
        # What the kernels take (layout.py): the replication-last stores of the arrays that
        # are written in place between ticks, found once, and of the state arrays, which each
        # tick replaces (`clear`).
        self._fixed = {
            name: layout.kernel(getattr(self, name))
            for name in (
                "capacity_factor",
                "output_cap",
                "new_capacity",
                "demand_factor",
                "widths",
                "_zeros_kb",
                "_ones_kb",
                "_zeros_ksp",
            )
        }
        self._stores = {name: layout.kernel(getattr(self, name)) for name in self._state}

    # -- set-up between ticks ------------------------------------------------------------------
    def refresh(self, rows: np.ndarray) -> None:
        """Recompute the flow layers of `rows` after disruptions changed `stop`
        (`kernels.flow_layers`)."""
        kernels.flow_layers(
            layout.kernel(self.stop),
            self._home,
            self.masks,
            np.asarray(rows),
            layout.kernel(self.widths),
        )

    # -- one tick ----------------------------------------------------------------------------
    def clear(self, t_years: float, effects: Effects | None = None) -> Flows:
        """Clear every market for one tick; `effects` are the policies' (policies/base.py).

        The arithmetic is in `kernels.supply` (demand, production, stage feed) and
        `kernels.trade` (trade, use, stocks, price, responses); between them, offtake
        deliveries take their tonnes from the producers they name."""
        w, dt = self.w, self.dt
        n, K, S, B = self.n, self.K, self.S, self.B
        fixed, state, rl = self._fixed, self._stores, layout.kernel
        zeros = self._zeros_kb
        release = zeros if effects is None else effects.release
        plan = zeros if effects is None else effects.purchase
        # the kernels' views of the policies' arrays, made once (Effects.kernel)
        given = {"release": fixed["_zeros_kb"], "purchase": fixed["_zeros_kb"]}
        given |= {f: fixed["_zeros_ksp"] for f in ("producer_floor", "min_utilisation")}
        if effects is not None:
            given |= effects.kernel
        # fields no policy in force writes keep their neutral values: skip them
        written = () if effects is None else effects.written
        wedge = "tariff" in written or "reference_price" in written
        protection = None
        # a reference price is a floor: the wedge that lifts P to it
        if wedge and effects is not None:
            lift = effects.reference_price / np.maximum(self.price, 1e-300)
            protection = np.maximum(effects.tariff, lift)
            self.tariff_factor = effects.tariff.copy(order="K")
        growth_cap = (1 + w.capacity_growth) ** t_years  # [K]
        trend = w.demand * (1 + w.demand_growth) ** t_years  # [K,B] t/yr
        target_stock = trend * w.stock_days / 365.0  # [K,B] t

        # 1-2. demand wanted, producers' offers, and each stage feeding the next
        wanted, wanted_k = layout.new(n, K, B)
        output, output_k = layout.new(n, K, S)
        producer_output, producer_output_k = layout.new(n, K, S, self.P)
        produced, produced_k = layout.new(n, K, self.P)
        kernels.supply(
            dt,
            kernels.SupplyInputs(
                price=state["price"],
                adjusted=state["adjusted"],
                protection=fixed["_ones_kb"] if protection is None else rl(protection),
                demand_factor=fixed["demand_factor"],
                substituted=state["substituted"],
                trend=trend,
                producer_floor=given["producer_floor"],
                min_utilisation=given["min_utilisation"],
                growth_cap=growth_cap,
                capacity_factor=fixed["capacity_factor"],
                new_capacity=fixed["new_capacity"],
                output_cap=fixed["output_cap"],
                widths=fixed["widths"],
                masks=self.masks,
                outaged=self.outaged,
                capped=self.capped,
                floors="producer_floor" in written,
                commitments="min_utilisation" in written,
            ),
            kernels.ProducerParameters(
                es=w.elasticity_short,
                el=w.elasticity_long,
                ref=w.reference_price,
                u0=self._u0,
                eps=self._eps,
                unit_cost=w.unit_cost,
                producer_bloc=w.producer_bloc,
                capacity=w.capacity,
            ),
            kernels.SupplyOutputs(
                wanted=wanted_k,
                output=output_k,
                producer_output=producer_output_k,
                produced_last=produced_k,
            ),
            self.varies,
            self._sizes,
        )

        # 3. offtake deliveries go straight to their bloc, as far as controls allow; the rest
        #    of refined supply goes where it is scarcest, within what controls allow
        direct, direct_k = layout.new(n, K, B)
        diverted = layout.zeros(n, K, B)
        taken = []
        if effects is not None and effects.direct:
            # agreements on one producer share its output in proportion to what they ask
            asked: dict[tuple[int, int], np.ndarray] = {}
            for k, p, _b, volume, _m in effects.direct:
                asked[(k, p)] = asked.get((k, p), 0.0) + volume
            before = produced.copy(order="K")
            for k, p, b, volume, to_market in effects.direct:
                barred = 0.0 if self._home[k, S - 1, p, b] else self.stop[:, k, S - 1, p, b]
                share = np.divide(volume, asked[(k, p)], out=np.zeros(n), where=asked[(k, p)] > 0)
                take = np.minimum(volume, before[:, k, p] * share * (1.0 - barred))
                produced[:, k, p] -= take
                (direct if to_market else diverted)[:, k, b] += take
                taken.append(take)
        rec_share = (
            state["recycling"]
            if effects is None or "recycling_floor" not in written
            else rl(np.maximum(self.recycling, effects.recycling_floor))
        )

        # 4-6. trade, use, stocks, price and the lagged responses. The state arrays are
        #      replaced by updated copies, so arrays handed out earlier keep their values.
        for name in self._state:
            state[name] = state[name].copy()
            setattr(self, name, layout.view(state[name]))
        self.last_shortfall, shortfall_k = layout.new(n, K, B)
        recycled, recycled_k = layout.new(n, K, B)
        delivered, delivered_k = layout.new(n, K, B)
        use, use_k = layout.new(n, K, B)
        purchased, purchased_k = layout.new(n, K, B)
        stock_change, stock_change_k = layout.new(n, K, B)
        traded, traded_k = layout.new(n, K, B, B)
        kernels.trade(
            dt,
            kernels.TradeInputs(
                produced=produced_k,
                widths=fixed["widths"],
                masks=self.masks,
                direct=direct_k,
                release=given["release"],
                plan=given["purchase"],
                wanted=wanted_k,
                rec_share=rec_share,
                target_stock=target_stock,
                ahead=self._ahead,
                announced=layout.kernel(self.announced),
                reroute=self._reroute,
                origin=self._origin,
                masks_o=self._masks_o,
                sizes_o=self._sizes_o,
            ),
            kernels.MarketParameters(
                ref=w.reference_price,
                log_price=self._log_price,
                use_share=self._use_share,
                log_a0=storage.LOG_A0,
                log_step=storage.LOG_STEP,
                inflow_step=storage.INFLOW_STEP,
                building=w.stock_building,
                learn=self._learn,
                floor_multiple=w.floor_multiple,
                choke_multiple=w.choke_multiple,
                smooth=self._smooth,
                adjust=self._adjust,
                sub_threshold=w.sub_threshold,
                sub_rate=w.sub_rate,
                sub_max=w.sub_max,
                sub_decay=self._sub_decay,
                rec_start=w.rec_share,
                rec_max=w.rec_max,
                rec_full=w.rec_full,
                rec_step=self._rec_step,
            ),
            kernels.MarketState(
                stock=state["stock"],
                price=state["price"],
                expected=state["expected"],
                adjusted=state["adjusted"],
                substituted=state["substituted"],
                recycling=state["recycling"],
                last_use=state["last_use"],
                inflow=state["inflow"],
                route=self._route,
            ),
            kernels.TradeOutputs(
                last_shortfall=shortfall_k,
                recycled=recycled_k,
                delivered=delivered_k,
                use=use_k,
                purchased=purchased_k,
                stock_change=stock_change_k,
                traded=traded_k,
            ),
            self.varies,
            self._sizes,
        )
        if effects is not None and effects.direct:  # offtake deliveries come from their producer
            for (k, p, b, _volume, to_market), take in zip(effects.direct, taken, strict=True):
                if to_market:
                    traded[:, k, self._origin[k, p], b] += take
        if protection is not None:
            self.protection = protection
        if effects is not None and "investment_floor" in written:
            self.investment_floor = effects.investment_floor.copy(order="K")
        self.tick += 1
        return Flows(
            wanted=wanted,
            use=use,
            shortfall=self.last_shortfall,
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
            if effects is None or not wedge
            else np.maximum(self.price * effects.tariff, effects.reference_price),
            protection=self._ones_kb if protection is None else protection,
            traded=traded,
            reference_use=trend * dt,
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
