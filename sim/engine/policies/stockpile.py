"""Strategic stockpiles: buy when allowed and cheap enough, release when the owners are short.

Sized by days of the owners' use, by tonnes, or by a budget (Australia's A$1.2 billion
reserve is `budget: 1.2e9 AUD`); several owners may hold one stockpile jointly, and
stockpiles may coordinate their releases, as IEA members do with oil. Rules and equations:
docs/model.md, section "Stockpile".
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field, model_validator

from ...scenario.base import Model, Share
from ...scenario.units import Mass, MoneyField, Month
from .base import Context, Effects, Ledger, SpecBase
from .base import Instrument as BaseInstrument


class Acquisition(Model):
    """When and how fast the stockpile buys."""

    rate: float = Field(0.5, gt=0)
    """Fastest buying, in shares of the target a year."""
    max_market_share: Share = 0.05
    """Most of the owners' use that purchases may take in a tick: the cap that keeps a
    build-up from causing the shortage it insures against."""
    below_price: float | None = Field(None, gt=0)
    """Buy only while the owners' price is at most this multiple of the reference price
    (no limit when absent)."""
    start: Month | None = None
    """First month of buying (default: the start of the run)."""


class Release(Model):
    """When and how fast the stockpile sells."""

    price_above: float | None = Field(2.0, gt=0)
    """Release while the owners' price is at least this multiple of the reference price
    (never on price when absent)."""
    when_short: bool = True
    """Release while the owners' blocs had unmet demand in the last tick."""
    rate: float = Field(2.0, gt=0)
    """Fastest release, in shares of the target a year (2 empties a full stockpile in six
    months)."""
    floor: Share = 0.0
    """Share of the target always kept back."""
    sale_price: Literal["market", "reference"] = "market"
    """Price releases are sold at: the market's (a reserve that sells into a crisis earns
    crisis prices) or the reference price (released to industry at normal prices)."""


class Stockpile(SpecBase):
    """A strategic stockpile of one or more commodities, owned by one or more countries or
    blocs."""

    type: Literal["stockpile"]
    """Kind of policy."""
    owners: list[str] = Field(min_length=1)
    """ISO country codes or bloc names; several owners hold the stockpile jointly, and its
    purchases and releases are shared among their blocs by use."""
    commodities: list[str] = Field(min_length=1)
    """Commodities held."""
    days: float | None = Field(None, gt=0)
    """Target in days of the owners' use."""
    tonnes: dict[str, Mass] | None = None
    """Target in tonnes, by commodity."""
    budget: MoneyField | None = None
    """Most the stockpile may spend net of sales, in any currency; without `days` or
    `tonnes` it also sets the target (budget at reference prices)."""
    split: dict[str, Share] | None = None
    """Shares of the budget by commodity (default: by the value of the owners' use)."""
    use_share: Share = 1.0
    """Owners' share of their blocs' use (e.g. Japan within the alliance)."""
    initial: Share = 0.0
    """Share of the target held at the start (bought at the reference price at the start)."""
    acquire: Acquisition = Acquisition()
    """Buying rules."""
    release: Release = Release()
    """Selling rules."""
    coordinate_with: list[str] = Field(default_factory=list)
    """Other stockpiles that release whenever this one does, and the other way round."""
    holding_cost: float = Field(0.02, ge=0)
    """Storage and management a year, as a share of the value held at reference prices."""

    @model_validator(mode="after")
    def _sized(self) -> Stockpile:
        if self.days is None and self.tonnes is None and self.budget is None:
            raise ValueError("give a size: 'days', 'tonnes' or 'budget'")
        if self.days is not None and self.tonnes is not None:
            raise ValueError("give 'days' or 'tonnes', not both")
        return self


Spec = Stockpile
"""The registry reads `Spec`; the class has its own name for the reference docs."""


class Instrument(BaseInstrument):
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
        self.start_tick = 0
        if spec.acquire.start is not None:
            months = spec.acquire.start.years_since(ctx.scenario.horizon.start)
            self.start_tick = int(np.floor(months * w.ticks_per_year + 1e-9))
        self.level = np.zeros((n, C))
        self.net_spend = np.zeros(n)
        self.releasing = np.zeros((n, C), dtype=bool)
        self.plan_buy = np.zeros((n, C))
        self.plan_release = np.zeros((n, C))
        self.price_paid = np.zeros((n, C))
        self.started = False
        self.initial_level = np.zeros((n, C))
        self.bought = np.zeros((n, C))  # t
        self.sold = np.zeros((n, C))  # t
        self.spent = np.zeros((n, C))  # on purchases, currency
        self.earned = np.zeros((n, C))  # from sales, currency
        self.max_net_spend = np.zeros(n)
        self.received = np.zeros((n, C))  # t delivered by offtake agreements

    # -- sizing -------------------------------------------------------------------------------
    def use(self, tick: int) -> np.ndarray:
        """Owners' trend use [C] in t/yr."""
        w = self.ctx.world
        t = tick * w.dt
        trend = (
            w.demand[np.ix_(self.k, self.blocs)]
            * (1 + w.demand_growth[np.ix_(self.k, self.blocs)]) ** t
        )
        return self.spec.use_share * trend.sum(-1)

    def target(self, tick: int) -> np.ndarray:
        """Target holdings [C] in tonnes."""
        spec = self.spec
        if spec.days is not None:
            return spec.days / 365.0 * self.use(tick)
        if spec.tonnes is not None:
            return np.array([spec.tonnes.get(c, 0.0) for c in spec.commodities])
        return self.budget * self.budget_share / self.ref

    # -- the tick ---------------------------------------------------------------------------
    def _owner_price(self) -> np.ndarray:
        """Use-weighted price [R, C] in the owners' blocs, currency/t."""
        p = self.ctx.market.price[:, self.k[:, None], self.blocs[None, :]]  # [R, C, Bo]
        return (p * self.weights[None]).sum(-1)

    def prepare(self, tick: int) -> None:
        m, spec = self.ctx.market, self.spec.release
        multiple = self._owner_price() / self.ref
        trig = np.zeros_like(self.releasing)
        if spec.price_above is not None:
            trig |= multiple >= spec.price_above
        if spec.when_short:
            short = m.last_shortfall[:, self.k[:, None], self.blocs[None, :]].sum(-1) > 0
            trig |= short
        self.releasing = trig

    def before_clear(self, tick: int, effects: Effects) -> None:
        ctx, spec, dt = self.ctx, self.spec, self.ctx.world.dt
        if not self.started:
            self.started = True
            self.level[:] = spec.initial * self.target(0)
            self.initial_level = self.level.copy()
            self._initial_cost = self.level * self.ref  # bought before the run at reference prices
            self.net_spend += self._initial_cost.sum(-1)
            self.spent += self._initial_cost
            self.max_net_spend = np.maximum(self.max_net_spend, self.net_spend)
        target = self.target(tick)
        releasing = self.releasing.copy()
        for partner in spec.coordinate_with:
            other = ctx.instruments.get(partner)
            if isinstance(other, Instrument):
                for j, k in enumerate(self.k):
                    hit = np.flatnonzero(other.k == k)
                    if hit.size:
                        releasing[:, j] |= other.releasing[:, hit[0]]
        keep = spec.release.floor * target
        release = np.where(
            releasing,
            np.clip(np.minimum(spec.release.rate * target * dt, self.level - keep), 0, None),
            0.0,
        )
        price = self._owner_price()
        multiple = price / self.ref
        buy = np.zeros_like(release)
        if tick >= self.start_tick:
            allowed = ~releasing
            if spec.acquire.below_price is not None:
                allowed &= multiple <= spec.acquire.below_price
            room = np.clip(target - self.level, 0, None)
            use_now = (ctx.market.last_use[:, self.k[:, None], self.blocs[None, :]]).sum(-1)  # t/yr
            cap = spec.acquire.max_market_share * spec.use_share * use_now * dt
            want = np.minimum(np.minimum(spec.acquire.rate * target * dt, room), cap)
            if np.isfinite(self.budget):
                money = np.clip(self.budget - self.net_spend, 0, None)  # [R]
                cost = (want * price).sum(-1)
                scale = np.ones_like(money)
                np.divide(money, cost, out=scale, where=cost > money)
                want = want * scale[:, None]
            buy = np.where(allowed, want, 0.0)
        self.plan_buy, self.plan_release, self.price_paid = buy, release, price
        for j, k in enumerate(self.k):
            effects.release[:, k, self.blocs] += release[:, j, None] * self.weights[j]
            effects.purchase[:, k, self.blocs] += buy[:, j, None] * self.weights[j]

    def after_clear(self, tick: int, flows, ledger: Ledger) -> None:
        spec, dt = self.spec, self.ctx.world.dt
        for j, k in enumerate(self.k):
            planned = flows.purchase_plan[:, k, self.blocs]  # [R, Bo] all buyers' plans
            got = flows.purchased[:, k, self.blocs]
            ratio = np.where(planned > 0, got / np.where(planned > 0, planned, 1.0), 0.0)
            bought_b = self.plan_buy[:, j, None] * self.weights[j] * ratio  # [R, Bo]
            sold_b = self.plan_release[:, j, None] * self.weights[j]
            bought, sold = bought_b.sum(-1), sold_b.sum(-1)
            self.level[:, j] += bought - sold
            price = self.price_paid[:, j]
            sale = (
                price if spec.release.sale_price == "market" else np.full_like(price, self.ref[j])
            )
            cash = bought * price - sold * sale
            self.net_spend += cash
            self.max_net_spend = np.maximum(self.max_net_spend, self.net_spend)
            self.bought[:, j] += bought
            self.sold[:, j] += sold
            self.spent[:, j] += bought * price
            self.earned[:, j] += sold * sale
            holding = spec.holding_cost * self.level[:, j] * self.ref[j] * dt
            cost = (
                bought_b * price[:, None]
                - sold_b * sale[:, None]
                + holding[:, None] * self.weights[j]
            )
            if tick == 0:
                cost = cost + self._initial_cost[:, j, None] * self.weights[j]
            ledger.book(self.name, k, self.blocs, cost)

    def state(self) -> dict[str, np.ndarray]:
        w = self.ctx.world
        out = np.zeros((self.ctx.n, len(w.commodities), len(w.blocs)))
        for j, k in enumerate(self.k):
            out[:, k, self.blocs] += self.level[:, j, None] * self.weights[j]
        return {"strategic_stock": out}

    def receive(self, k: int, tonnes: np.ndarray) -> None:
        """Tonnes [R] of commodity k delivered by an offtake agreement (paid for by it)."""
        j = int(np.flatnonzero(self.k == k)[0])
        self.level[:, j] += tonnes
        self.received[:, j] += tonnes

    def report(self) -> dict[tuple[str, str], np.ndarray]:
        price = self._owner_price()
        out: dict[tuple[str, str], np.ndarray] = {}
        for j, c in enumerate(self.spec.commodities):
            out[(c, "initial_t")] = self.initial_level[:, j]
            out[(c, "purchased_t")] = self.bought[:, j]
            out[(c, "received_t")] = self.received[:, j]
            out[(c, "sold_t")] = self.sold[:, j]
            out[(c, "level_t")] = self.level[:, j]
            out[(c, "spent")] = self.spent[:, j]
            out[(c, "earned")] = self.earned[:, j]
            out[(c, "value_held")] = self.level[:, j] * price[:, j]
        out[("all", "max_net_spend")] = self.max_net_spend.copy()
        if np.isfinite(self.budget):
            out[("all", "budget")] = np.full(self.ctx.n, self.budget)
        return out

    @staticmethod
    def check(spec: Stockpile, scenario, path: tuple, add) -> None:
        from ...scenario.countries import COUNTRIES, GROUPS

        for i, o in enumerate(spec.owners):
            if o not in scenario.blocs and o not in COUNTRIES and o not in GROUPS:
                add(
                    (*path, "owners", i), f"unknown owner {o!r}: name a bloc or an ISO country code"
                )
        for i, c in enumerate(spec.commodities):
            if c not in scenario.commodities:
                add((*path, "commodities", i), f"unknown commodity {c!r}")
        for c in spec.tonnes or {}:
            if c not in spec.commodities:
                add((*path, "tonnes", c), f"{c!r} is not among this stockpile's commodities")
        if spec.split is not None:
            total = sum(spec.split.values())
            if abs(total - 1) > 1e-6:
                add((*path, "split"), f"budget shares sum to {total:.4g}; they must sum to 1")
        below, above = spec.acquire.below_price, spec.release.price_above
        if below is not None and above is not None and above <= below:
            add(
                (*path, "release", "price_above"),
                f"the release trigger ({above:g}x) must be above the buy trigger ({below:g}x), "
                "or the stockpile would buy and sell at the same price",
            )
        if (
            spec.budget is not None
            and spec.budget.currency != scenario.currency
            and (spec.budget.currency not in scenario.fx)
        ):
            add(
                (*path, "budget"),
                f"currency {spec.budget.currency} has no exchange rate; add 'fx: "
                f"{{{spec.budget.currency}: <{scenario.currency} per {spec.budget.currency}>}}'",
            )
        if spec.acquire.start is not None:
            start = scenario.horizon.start
            if spec.acquire.start < start:
                add(
                    (*path, "acquire", "start"),
                    f"{spec.acquire.start} is before the horizon starts ({start})",
                )
