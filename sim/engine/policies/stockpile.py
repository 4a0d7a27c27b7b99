"""Strategic stockpiles: buy when allowed and cheap enough, release when the owners are short.

Sized by days of the owners' use, by tonnes, or by a budget (Australia's A$1.2 billion
reserve is `budget: 1.2e9 AUD`); several owners may hold one stockpile jointly, and
stockpiles may coordinate their releases, as IEA members do with oil. Rules and equations:
docs/model.md, section "Stockpile".
"""

from __future__ import annotations

import numpy as np

from ...scenario.policies.stockpile import Stockpile
from .. import layout
from ..kernels import SHORT_WEEK
from . import kernels
from .base import Context, Effects, Ledger
from .base import Instrument as BaseInstrument

Spec = Stockpile


class Instrument(BaseInstrument):
    writes = ("release", "purchase")

    def __init__(self, name: str, spec: Stockpile, ctx: Context):
        super().__init__(name, spec, ctx)
        w = ctx.world
        self.k = np.array([w.commodities.index(c) for c in spec.commodities], dtype=np.intp)
        self.blocs = ctx.owner_blocs(spec.owners)
        n, C = ctx.n, len(self.k)
        self.ref = w.reference_price[self.k]  # [C] currency/t
        demand0 = w.demand[np.ix_(self.k, self.blocs)]  # [C, Bo]
        self.weights = demand0 / np.maximum(demand0.sum(-1, keepdims=True), 1e-300)  # [C, Bo]
        self.budget = ctx.money(spec.budget) if spec.budget is not None else np.inf
        if spec.split is not None:
            share = np.array([spec.split.get(c, 0.0) for c in spec.commodities])
        else:
            value = demand0.sum(-1) * self.ref
            share = value / value.sum()
        self.budget_share = share
        self.targets = self._targets(demand0)  # [T, C] t
        self.start_tick = w.tick_of(spec.acquire.start)
        # the initial fill, bought before the run at reference prices
        self.level = np.zeros((n, C))  # t
        self.level[:] = spec.initial * self.targets[0]
        self.initial_level = self.level.copy()
        self._initial_cost = self.level * self.ref
        self.net_spend = np.zeros(n)
        self.net_spend += self._initial_cost.sum(-1)
        self.max_net_spend = np.maximum(np.zeros(n), self.net_spend)
        self.spent = np.zeros((n, C))  # on purchases, currency
        self.spent += self._initial_cost
        self.earned = np.zeros((n, C))  # from sales, currency
        self.held = np.zeros((n, C))  # holding paid, currency
        self.bought = np.zeros((n, C))  # t
        self.sold = np.zeros((n, C))  # t
        self.received = np.zeros((n, C))  # t delivered by offtake agreements
        # this tick: own release triggers (partners read them), the triggers with the
        # partners', the owners' price the orders are placed at, and the orders
        self.releasing = np.zeros((n, C), dtype=bool)
        self._releasing = np.zeros((n, C), dtype=bool)
        self._price = np.zeros((n, C))
        self._buy = np.zeros((n, C))
        self._sell = np.zeros((n, C))
        self._stock = layout.zeros(n, len(w.commodities), len(w.blocs))  # `state`, [R, K, B]
        self._partners: list[tuple[np.ndarray, Instrument, np.ndarray]] | None = None
        self._column = {int(k): j for j, k in reversed(list(enumerate(self.k)))}  # first j of k

    # -- sizing -------------------------------------------------------------------------------
    def _targets(self, demand0: np.ndarray) -> np.ndarray:
        """Target holdings [T, C] in tonnes at every tick, computed once: they follow the
        trend of the owners' use (`demand0` [C, Bo] at the start), not the market."""
        spec, w = self.spec, self.ctx.world
        if spec.days is not None:
            # the growth factor tick by tick, as a scalar power: numpy computes some powers
            # (squares, square roots) by a shortcut that an array of exponents would not take
            rate = 1 + w.demand_growth[np.ix_(self.k, self.blocs)]
            growth = np.stack([rate ** (tick * w.dt) for tick in range(w.n_ticks)])
            use = spec.use_share * (demand0 * growth).sum(-1)  # owners' trend use, t/yr
            return spec.days / 365.0 * use
        if spec.tonnes is not None:
            target = np.array([spec.tonnes.get(c, 0.0) for c in spec.commodities])
        else:
            # what the budget can buy at reference prices and keep to the end of the run
            years = w.n_ticks * w.dt
            target = self.budget * self.budget_share / (self.ref * (1 + spec.holding_cost * years))
        return np.tile(target, (w.n_ticks, 1))

    def _coordinated(self) -> list[tuple[np.ndarray, Instrument, np.ndarray]]:
        """(own columns, partner stockpile, its columns) for each commodity held in common with
        a partner of this option; found on the first tick, once every partner exists."""
        out = []
        for partner in self.spec.coordinate_with:
            other = self.ctx.instruments.get(partner)
            if isinstance(other, Instrument):
                pairs = [
                    (j, int(hit[0]))
                    for j, k in enumerate(self.k)
                    if (hit := np.flatnonzero(other.k == k)).size
                ]
                if pairs:
                    own, theirs = (np.array(x, dtype=np.intp) for x in zip(*pairs, strict=True))
                    out.append((own, other, theirs))
        return out

    # -- the tick (the arithmetic is in kernels.py) -------------------------------------------
    def prepare(self, tick: int) -> None:
        m, release = self.ctx.market, self.spec.release
        kernels.stockpile_triggers(
            m.price,
            m.last_shortfall,
            m.last_use,
            self.ctx.world.dt,
            SHORT_WEEK,
            self.k,
            self.blocs,
            self.weights,
            self.ref,
            release.price_above is not None,
            release.price_above or 0.0,
            release.when_short,
            self._price,
            self.releasing,
            self._releasing,
        )

    def before_clear(self, tick: int, effects: Effects) -> None:
        spec = self.spec
        if self._partners is None:
            self._partners = self._coordinated()
        for own, other, theirs in self._partners:
            kernels.coordinate(self._releasing, own, other.releasing, theirs)
        below = spec.acquire.below_price
        kernels.stockpile_plan(
            self.targets[tick],
            self._releasing,
            self.level,
            self._price,
            self.ref,
            self.ctx.market.last_use,
            self.k,
            self.blocs,
            self.weights,
            self.ctx.world.dt,
            spec.release.floor,
            spec.release.rate,
            tick >= self.start_tick,
            below is not None,
            below or 0.0,
            spec.acquire.rate,
            spec.acquire.max_market_share * spec.use_share,
            self.budget,
            spec.holding_cost * (self.ctx.world.n_ticks - tick) * self.ctx.world.dt,
            self.net_spend,
            self._buy,
            self._sell,
            effects.release,
            effects.purchase,
        )

    def after_clear(self, tick: int, flows, ledger: Ledger) -> None:
        spec = self.spec
        kernels.stockpile_settle(
            flows.purchase_plan,
            flows.purchased,
            self._buy,
            self._sell,
            self._price,
            self.k,
            self.blocs,
            self.weights,
            self.ref,
            self.ctx.world.dt,
            spec.holding_cost,
            spec.release.sale_price == "market",
            self._initial_cost,
            tick == 0,
            self.level,
            self.net_spend,
            self.max_net_spend,
            self.bought,
            self.sold,
            self.spent,
            self.earned,
            self.held,
            ledger.tick,
            ledger.by_policy[self.name],
            self._stock,
        )

    def state(self) -> dict[str, np.ndarray]:
        return {"strategic_stock": self._stock}

    def receive(self, k: int, tonnes: np.ndarray) -> None:
        """Tonnes [R] of commodity k delivered by an offtake agreement (paid for by it)."""
        j = self._column[k]
        self.level[:, j] += tonnes
        self.received[:, j] += tonnes
        kernels.spread(self.level, self.k, self.blocs, self.weights, self._stock)

    def report(self) -> dict[tuple[str, str], np.ndarray]:
        price = np.empty_like(self.level)
        kernels.owner_price(self.ctx.market.price, self.k, self.blocs, self.weights, price)
        out: dict[tuple[str, str], np.ndarray] = {}
        for j, c in enumerate(self.spec.commodities):
            out[(c, "initial_t")] = self.initial_level[:, j]
            out[(c, "purchased_t")] = self.bought[:, j]
            out[(c, "received_t")] = self.received[:, j]
            out[(c, "sold_t")] = self.sold[:, j]
            out[(c, "level_t")] = self.level[:, j]
            out[(c, "spent")] = self.spent[:, j]
            out[(c, "earned")] = self.earned[:, j]
            out[(c, "holding_paid")] = self.held[:, j]
            out[(c, "value_held")] = self.level[:, j] * price[:, j]
        out[("all", "max_net_spend")] = self.max_net_spend.copy()
        if np.isfinite(self.budget):
            out[("all", "budget")] = np.full(self.ctx.n, self.budget)
        return out
