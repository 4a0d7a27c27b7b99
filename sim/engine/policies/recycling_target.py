"""Recycling targets: a bloc requires a rising share of its use to come from scrap.

The EU's Critical Raw Materials Act asks that 25% of use come from recycling by 2030. The
target rises linearly from `start_share` at `start` to `target_share` at `by`, and holds after.
Each tick it is a floor under the bloc's recycled share (`Effects.recycling_floor`): recycled
supply is at least that share of last tick's use, which lowers what the bloc needs from
primary producers. Recyclers do not meet the floor for free: the state pays `subsidy` for every
tonne recycled above what the market would have recycled on its own at the prevailing price.
Two targets on one bloc and commodity each pay for their own excess over the market: the
floors do not add up, but the subsidies do.
"""

from __future__ import annotations

import numpy as np

from ...scenario.policies.recycling_target import RecyclingTarget
from .base import Context, Effects, Ledger
from .base import Instrument as BaseInstrument

Spec = RecyclingTarget


class Instrument(BaseInstrument):
    writes = ("recycling_floor",)

    def __init__(self, name: str, spec: RecyclingTarget, ctx: Context):
        super().__init__(name, spec, ctx)
        w, horizon = ctx.world, ctx.scenario.horizon
        self.k = w.commodities.index(spec.commodity)
        self.b = w.blocs.index(spec.bloc)
        start = spec.start if spec.start is not None else horizon.start
        self.first = self._tick(start)
        self.reached = max(self._tick(spec.by), self.first + 1)
        s0 = spec.start_share
        self.s0 = float(w.rec_share[self.k]) if s0 is None else s0
        self.subsidy = ctx.price(spec.subsidy)
        self.extra = np.zeros(ctx.n)  # t recycled this tick because of the target
        self.total = np.zeros(ctx.n)  # ... and over the run

    def _tick(self, month) -> int:
        return self.ctx.world.tick_of(month)

    def share(self, tick: int) -> float:
        """Required recycled share of use at `tick` (0 before the start)."""
        if tick < self.first:
            return 0.0
        x = min(1.0, (tick - self.first) / (self.reached - self.first))
        return self.s0 + (self.spec.target_share - self.s0) * x

    def before_clear(self, tick: int, effects: Effects) -> None:
        m, k, b = self.ctx.market, self.k, self.b
        floor = self.share(tick)
        np.maximum(effects.recycling_floor[:, k, b], floor, out=effects.recycling_floor[:, k, b])
        # what the clearing will recycle: max(market share, floor) of last tick's use; the
        # market state is read now, before the clearing moves it on
        gap = np.maximum(floor - m.recycling[:, k, b], 0.0)
        self.extra = gap * m.last_use[:, k, b] * self.ctx.world.dt

    def after_clear(self, tick: int, flows, ledger: Ledger) -> None:
        self.total += self.extra
        if self.extra.any():
            ledger.book(self.name, self.k, self.b, self.subsidy * self.extra)

    def report(self) -> dict[tuple[str, str], np.ndarray]:
        """Tonnes recycled because of the target, and the subsidy paid for them."""
        c = self.spec.commodity
        return {
            (c, "extra_recycled_t"): self.total.copy(),
            (c, "subsidy"): self.subsidy * self.total,
        }
