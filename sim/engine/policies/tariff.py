"""Ad valorem import tariffs: a bloc taxes its imports of a commodity at a fixed rate.

The tariff multiplies the price the bloc's users pay and its home producers earn by
`1 + rate` (`Effects.tariff`; investors in the bloc see it too), so use falls and home
output rises. The bloc's treasury collects `rate` times its price (of the tick cleared, the
price users pay it on) on what it imports, booked as negative fiscal cost. Imports are approximated net of home output
(`price_floor.home_producers`).
"""

from __future__ import annotations

import numpy as np

from ...scenario.policies.tariff import Tariff
from . import kernels
from .base import Context, Effects, Ledger
from .base import Instrument as BaseInstrument
from .price_floor import home_producers, term

Spec = Tariff


class Instrument(BaseInstrument):
    """The tariff of one bloc on one commodity, for its term."""

    writes = ("tariff",)

    def __init__(self, name: str, spec: Spec, ctx: Context):
        super().__init__(name, spec, ctx)
        w = ctx.world
        self.k = w.commodities.index(spec.commodity)
        self.b = w.blocs.index(spec.bloc)
        self.first, self.end = term(ctx, spec.start, spec.years)
        self.home = home_producers(ctx, self.k, self.b)

    def active(self, tick: int) -> bool:
        return self.first <= tick < self.end

    def before_clear(self, tick: int, effects: Effects) -> None:
        if not self.active(tick):
            return
        effects.tariff[:, self.k, self.b] *= 1.0 + self.spec.rate

    def after_clear(self, tick: int, flows, ledger: Ledger) -> None:
        if not self.active(tick):
            return
        # revenue on the price users paid this tick (as `Flows.user_price` records it)
        kernels.book_tariff(
            self.spec.rate,
            np.ascontiguousarray(flows.price[:, self.k, self.b]),
            flows.producer_output,
            flows.delivered,
            self.k,
            self.b,
            self.home,
            ledger.tick,
            ledger.by_policy[self.name],
        )
