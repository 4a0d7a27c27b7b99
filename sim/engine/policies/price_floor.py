"""Price floors: a contract for difference with named producers, or a reference price that a
bloc defends with an adjustable tariff.

`cfd` is the US DoD-MP Materials deal (US$110/kg NdPr for ten years from Q4 2025; the state
pays the gap to the market on all volumes sold or stockpiled): covered producers decide output on
the larger of their home price and the floor, and the payer books the gap times their output.
`reference_tariff` is the design put to the Feb 2026 Washington ministerial: a zone's users and
producers see at least the reference price, because a tariff on imports from outside makes up
the gap; the tariff's revenue is booked as negative cost. While the term runs (floor F,
bloc price P_b left by the last tick; users pay max(P_b * tariff_b, R_b)):

    cfd               P_home,p <- max(P_home,p, F)  for covered p (so output follows the floor)
                      cost(payer) = sum_p (F - P_home,p)+ Y_p * min(1, cap dt / sum_p Y_p)
                      (P_home,p: the producers' bloc price times that bloc's tariff wedge)
    reference_tariff  R_b <- max(R_b, F);   cost(b) = -(F - P_b * tariff_b)+ * imports_b
    both              investment floor of the floor's bloc(s) <- max(., F)
"""

from __future__ import annotations

import numpy as np

from ...scenario.policies.price_floor import PriceFloor
from ...scenario.units import YearMonth
from . import kernels
from .base import Context, Effects, Ledger
from .base import Instrument as BaseInstrument

Spec = PriceFloor


# -- shared with tariff.py ---------------------------------------------------------------------
def term(ctx: Context, start: YearMonth | None, years: float | None) -> tuple[int, int]:
    """First tick of a term and the tick after its last: active while start <= tick < end.
    A term lasts at least one tick, like a disruption."""
    w = ctx.world
    first = w.tick_of(start)
    end = w.n_ticks if years is None else first + w.ticks(years)
    return first, min(end, w.n_ticks)


def home_producers(ctx: Context, k: int, b: int) -> np.ndarray:
    """Slots of commodity k's last-stage producers in bloc b. A bloc's imports are approximated
    as primary supply delivered to it less what these made (`kernels._imports`): net imports,
    since home output may be exported."""
    return np.flatnonzero(ctx.world.producer_bloc[k, -1] == b)


# -- the instrument ----------------------------------------------------------------------------
class Instrument(BaseInstrument):
    """The floor on one commodity; `cfd` acts on producers, `reference_tariff` on a bloc."""

    def __init__(self, name: str, spec: Spec, ctx: Context):
        super().__init__(name, spec, ctx)
        w = ctx.world
        self.k = w.commodities.index(spec.commodity)
        self.floor = ctx.price(spec.floor)
        self.first, self.end = term(ctx, spec.start, spec.years)
        if spec.mechanism == "cfd":
            self.s = w.stage_index(self.k, spec.stage)
            slots = {w.producer_index(self.k, spec.stage, c) for c in spec.producers}
            self.p = np.array(sorted(slots), dtype=np.intp)
            self.p_bloc = w.producer_bloc[self.k, self.s, self.p]  # [Pc]
            self.payer = w.blocs.index(spec.payer)
            self.blocs = np.unique(self.p_bloc)
            self.cap = np.inf if spec.volume_cap is None else spec.volume_cap * w.dt
            self.home = np.zeros((ctx.n, len(self.p)))  # covered producers' price before clearing
            self.writes = ("investment_floor", "producer_floor")
        else:
            self.b = w.blocs.index(spec.bloc)
            self.blocs = np.array([self.b])
            self.home_b = home_producers(ctx, self.k, self.b)
            self.p_b = np.zeros(ctx.n)  # the bloc's price before clearing
            self.writes = ("investment_floor", "reference_price")

    def active(self, tick: int) -> bool:
        return self.first <= tick < self.end

    def before_clear(self, tick: int, effects: Effects) -> None:
        if not self.active(tick):
            return
        price = self.ctx.market.price
        if self.spec.mechanism == "cfd":
            kernels.cfd_floor(
                self.floor,
                price,
                self.k,
                self.blocs,
                self.s,
                self.p,
                self.p_bloc,
                effects.investment_floor,
                effects.producer_floor,
                self.home,
            )
        else:
            kernels.reference_floor(
                self.floor,
                price,
                self.k,
                self.b,
                effects.investment_floor,
                effects.reference_price,
                self.p_b,
            )

    def after_clear(self, tick: int, flows, ledger: Ledger) -> None:
        if not self.active(tick):
            return
        m, k, by_policy = self.ctx.market, self.k, ledger.by_policy[self.name]
        if self.spec.mechanism == "reference_tariff":
            # the wedge above what ad valorem tariffs already add (`tariff_factor`), so that
            # the two never collect the same revenue twice
            kernels.book_reference_tariff(
                self.floor,
                np.ascontiguousarray(flows.price[:, k, self.b]),
                m.tariff_factor,
                flows.producer_output,
                flows.delivered,
                k,
                self.b,
                self.home_b,
                ledger.tick,
                by_policy,
            )
            return
        # the producers' market price is their bloc's price times any tariff protection there
        kernels.book_cfd(
            self.floor,
            self.cap,
            self.home,
            m.protection,
            flows.producer_output,
            k,
            self.p,
            self.p_bloc,
            self.payer,
            ledger.tick,
            by_policy,
        )
