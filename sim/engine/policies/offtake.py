"""Offtake agreements: a government contracts volumes from named producers and resells them.

Australia's National Offtake Agreements (A$1bn of the A$1.2bn Critical Minerals Strategic
Reserve) are the model: agreed volumes, or options to buy at set prices, whose rights are
on-sold. Deliveries leave the producers' last-stage output before the market shares out the
rest (`Effects.direct`), so a control that bars a producer's flow to the buyer bars the
offtake too. A commitment keeps the producers running at the contracted volume
(`Effects.min_utilisation`, sized on their capacity at the start: growth and outages are
ignored) even where the price alone would not; upstream stages are not committed, so the
producers still need feed. The state pays the contract price for what arrives and gets the
buyer bloc's price of the tick back when it resells; its fiscal cost is the difference, plus
any premium. The market reports what each delivery entry received, so agreements sharing a
bloc are costed on their own tonnes.
"""

from __future__ import annotations

import numpy as np

from ...scenario.policies.offtake import Offtake
from . import kernels, stockpile
from .base import Context, Effects, Ledger
from .base import Instrument as BaseInstrument

Spec = Offtake


class Instrument(BaseInstrument):
    writes = ("min_utilisation",)

    def __init__(self, name: str, spec: Offtake, ctx: Context):
        super().__init__(name, spec, ctx)
        w = ctx.world
        self.k = w.commodities.index(spec.commodity)
        self.s = w.stage_index(self.k, spec.stage)
        self.b = int(ctx.owner_blocs([spec.buyer])[0])
        self.p = [w.producer_index(self.k, spec.stage, c) for c in spec.producers]
        # Base capacity, without capacity growth or outages: the commitment sizes the
        # utilisation floor from what the producers had when the agreement was signed.
        self.capacity = w.capacity[self.k, self.s, self.p]
        total = self.capacity.sum()
        self.split = self.capacity / total if total > 0 else np.full(len(self.p), 1 / len(self.p))
        self.first = w.tick_of(spec.start)
        self.end = self.first + w.ticks(spec.years)
        self.strike = ctx.price(spec.strike) if spec.strike is not None else 0.0
        self.premium = ctx.money(spec.premium) if spec.premium is not None else 0.0
        self.requested = np.zeros(ctx.n)  # t asked for this tick
        if spec.kind == "commitment":  # the same every tick of the term
            self.requested = np.full(ctx.n, spec.volume * w.dt)
        keys = ("requested_t", "delivered_t", "paid", "resold", "premium")
        self._totals = np.zeros((len(keys), ctx.n))  # over the run, for `report`
        self.totals = dict(zip(keys, self._totals, strict=True))

    def active(self, tick: int) -> bool:
        return self.first <= tick < self.end

    def before_clear(self, tick: int, effects: Effects) -> None:
        ctx, spec, k, s = self.ctx, self.spec, self.k, self.s
        if not self.active(tick):
            return
        if spec.kind == "option":  # decided on the price the buyer has seen, before the tick
            taken = ctx.market.price[:, k, self.b] > self.strike
            self.requested = np.where(taken, spec.volume, 0.0) * ctx.world.dt
        mu = effects.min_utilisation
        to_market = spec.destination == "market"
        self._entries = []
        for j, p in enumerate(self.p):
            self._entries.append(len(effects.direct))
            effects.direct.append((k, p, self.b, self.requested * self.split[j], to_market))
            # agreements on one producer add up: the floor covers every tonne asked of it so far
            asked = sum(v for kk, pp, _b, v, _m in effects.direct if kk == k and pp == p)
            floor = asked / ctx.world.dt / max(self.capacity[j], 1e-300)
            np.maximum(mu[:, k, s, p], floor, out=mu[:, k, s, p])

    def after_clear(self, tick: int, flows, ledger: Ledger) -> None:
        if not self.active(tick):
            return
        k, spec = self.k, self.spec
        got = sum(flows.direct_taken[i] for i in self._entries)  # what this agreement received
        to_market = spec.destination == "market"
        if not to_market:  # the tonnes go into the named stockpile, not back to the market
            store = self.ctx.instruments[spec.destination]
            assert isinstance(store, stockpile.Instrument)  # as the offtake check requires
            store.receive(k, got)
        kernels.book_offtake(
            got,
            self.requested,
            flows.price,
            k,
            self.b,
            spec.price == "fixed",
            self.strike,
            spec.discount,
            to_market,
            self.premium * self.ctx.world.dt,
            self._totals,
            ledger.tick,
            ledger.by_policy[self.name],
        )

    def report(self) -> dict[tuple[str, str], np.ndarray]:
        """Tonnes asked for and received, contract payments, resale revenue, premiums."""
        return {(self.spec.commodity, key): x.copy() for key, x in self.totals.items()}
