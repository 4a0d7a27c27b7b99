"""Capacity programmes: public money (grants, equity, loans) brings allied capacity on line.

Programmes such as the US DoD's Defense Production Act awards, Australia's Critical Minerals
Facility or the EU's strategic projects decide today and get output years later; projects slip.
So the capacity arrives after a lead time plus, optionally, a random delay drawn per replication
from the stream `policy:<stream>` (`stream`, default the policy's name; common random numbers:
the same draws under every option and in any batch). It is added to the bloc's new-capacity slot at every stage, as private investment
is (`Market.add_capacity`), so mining and refining are built together. The fiscal cost is the
money the state does not get back: amount × (1 − recovery), spent at the decision or spread
over the (nominal) lead time, and booked only for ticks inside the horizon.

Simplifications: the recovery is netted at the time of spending, so the discounted cost is a
little understated; public capacity does not count against private investors' cap
(`investment.max_share`, `Market.committed`), though its lower prices do deter them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...scenario.policies.capacity_programme import CapacityProgramme
from .base import Context, Ledger
from .base import Instrument as BaseInstrument

Spec = CapacityProgramme


class Instrument(BaseInstrument):
    def __init__(self, name: str, spec: CapacityProgramme, ctx: Context):
        super().__init__(name, spec, ctx)
        from ..disruptions import LazyStream, draw  # imported late: disruptions needs the schema

        w = ctx.world
        tpy = w.ticks_per_year
        self.k = w.commodities.index(spec.commodity)
        self.b = w.blocs.index(spec.bloc)
        self.decision = w.tick_of(spec.start)
        delay = np.zeros(ctx.n)
        if spec.delay is not None:
            delay = np.array(
                [
                    draw(
                        spec.delay,
                        LazyStream(ctx.seed, int(rep), f"policy:{spec.stream or name}"),
                        years=True,
                    )
                    for rep in ctx.replications
                ]
            )
        # capacity arrives at least one tick after the decision, like private investment
        lead = np.maximum(
            1, np.round((spec.lead_time + np.maximum(delay, 0.0)) * tpy).astype(np.int64)
        )
        self.arrival = self.decision + lead  # [R] tick whose clearing first has the capacity
        net = ctx.money(spec.amount) * (1.0 - (spec.recovery or 0.0))
        ticks = w.ticks(spec.lead_time) if spec.spread else 1
        self.spend_end = self.decision + ticks
        self.per_tick = net / ticks
        self._payment = np.full(ctx.n, self.per_tick)  # booked each tick of spending
        self.arrived = np.zeros(ctx.n)  # t/yr in place by the end of the run

    def start(self, env: Any) -> None:
        for tick in np.unique(self.arrival):
            if tick < self.ctx.world.n_ticks:  # capacity due after the horizon never arrives
                rows = np.flatnonzero(self.arrival == tick)
                env.process(self._arrive(env, int(tick), rows))

    def _arrive(self, env: Any, tick: int, rows: np.ndarray):
        """SimPy process: at the boundary of `tick`, the capacity joins the rows due then."""
        yield env.timeout(tick - env.now)
        m, w = self.ctx.market, self.ctx.world
        for s in range(w.n_stages):
            m.new_capacity[rows, self.k, s, w.new_slot[self.k, s, self.b]] += self.spec.capacity
        self.arrived[rows] += self.spec.capacity

    def after_clear(self, tick: int, flows, ledger: Ledger) -> None:
        if self.decision <= tick < self.spend_end:
            ledger.book(self.name, self.k, self.b, self._payment)

    def report(self) -> dict[tuple[str, str], np.ndarray]:
        """Capacity in place by the end (t/yr), and when it was due (years from the start,
        beyond the horizon for capacity that never arrived)."""
        due = self.arrival / self.ctx.world.ticks_per_year
        return {
            (self.spec.commodity, "capacity_added"): self.arrived.copy(),
            (self.spec.commodity, "arrival_years"): due,
        }
