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

import difflib
from typing import Any, Literal

import numpy as np
from pydantic import model_validator

from ...scenario.base import Distribution, Share
from ...scenario.units import Duration, MoneyField, Month, PositiveMass
from .base import Context, Ledger, SpecBase
from .base import Instrument as BaseInstrument

RECOVERY = {"grant": 0.0, "equity": 0.5, "loan": 0.8}
"""Share of the money the state gets back over the run when `recovery` is not given: nothing
from a grant, half of an equity stake's value (an assumption ⚠), most of a loan (defaults
and concessional rates cost the rest, an assumption ⚠)."""


class CapacityProgramme(SpecBase):
    """Public money that brings new capacity on line in a bloc after a lead time."""

    type: Literal["capacity_programme"]
    """Kind of policy."""
    bloc: str
    """Bloc where the capacity is built; it bears the cost."""
    commodity: str
    """Commodity produced."""
    capacity: PositiveMass
    """Capacity added, in tonnes a year, at every stage of the chain."""
    lead_time: Duration
    """Time from the decision to output."""
    delay: Distribution | None = None
    """Extra random delay, drawn once per replication (a distribution with a `unit`)."""
    start: Month | None = None
    """Month of the decision (default: the start of the run)."""
    instrument: Literal["grant", "equity", "loan"] = "grant"
    """How the money is given; sets the default `recovery`."""
    amount: MoneyField
    """Public money committed, in any currency."""
    recovery: Share | None = None
    """Share of the amount the state gets back over the run (dividends, repayments); default
    by instrument: 0 for a grant, 0.5 for equity, 0.8 for a loan."""
    spread: bool = True
    """Spend the money evenly over the lead time (true) or all at the decision (false)."""

    @model_validator(mode="before")
    @classmethod
    def _default_recovery(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("recovery") is None:
            instrument = data.get("instrument", "grant")
            if isinstance(instrument, str) and instrument in RECOVERY:
                data = {**data, "recovery": RECOVERY[instrument]}
        return data


Spec = CapacityProgramme
"""The registry reads `Spec`; the class has its own name so that the reference docs and the
JSON schema tell policies apart."""


class Instrument(BaseInstrument):
    def __init__(self, name: str, spec: CapacityProgramme, ctx: Context):
        super().__init__(name, spec, ctx)
        from ..disruptions import LazyStream, draw  # imported late: disruptions needs the schema

        w, horizon = ctx.world, ctx.scenario.horizon
        tpy = w.ticks_per_year
        self.k = w.commodities.index(spec.commodity)
        self.b = w.blocs.index(spec.bloc)
        start = spec.start if spec.start is not None else horizon.start
        self.decision = int(np.floor(start.years_since(horizon.start) * tpy + 1e-9))
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
        ticks = max(1, round(spec.lead_time * tpy)) if spec.spread else 1
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

    @staticmethod
    def check(spec: CapacityProgramme, scenario, path: tuple, add) -> None:
        from ...scenario.checks import horizon_end
        from ...scenario.units import DURATION_UNITS, MAX_YEARS

        if spec.bloc not in scenario.blocs:
            hint = difflib.get_close_matches(spec.bloc, list(scenario.blocs), 1, 0.6)
            add(
                (*path, "bloc"),
                f"unknown bloc {spec.bloc!r}" + (f"; did you mean {hint[0]!r}?" if hint else ""),
            )
        if spec.commodity not in scenario.commodities:
            hint = difflib.get_close_matches(spec.commodity, list(scenario.commodities), 1, 0.6)
            add(
                (*path, "commodity"),
                f"unknown commodity {spec.commodity!r}"
                + (f"; did you mean {hint[0]!r}?" if hint else ""),
            )
        cur = spec.amount.currency
        if cur != scenario.currency and cur not in scenario.fx:
            have = ", ".join(sorted(scenario.fx)) or "none"
            add(
                (*path, "amount"),
                f"currency {cur} has no exchange rate; add 'fx: {{{cur}: "
                f"<{scenario.currency} per {cur}>}}' (rates given: {have})",
            )
        if spec.start is not None:
            start, end = scenario.horizon.start, horizon_end(scenario)
            if not start <= spec.start < end:
                add(
                    (*path, "start"),
                    f"{spec.start} is outside the horizon ({start} to {end}, exclusive)",
                )
        d = spec.delay
        if d is not None:
            if d.unit is None:
                units = ", ".join(u + "s" for u in DURATION_UNITS)
                add((*path, "delay"), f"a delay distribution needs a 'unit' ({units})")
            for p in ("value", "low", "median"):
                v = getattr(d, p)
                if v is not None and v < 0:
                    add((*path, "delay", p), f"a delay cannot be negative (got {v:g})")
            per = DURATION_UNITS.get((d.unit or "years").removesuffix("s"), 1.0)
            for p in ("value", "high", "median"):
                v = getattr(d, p)
                if v is not None and v * per > MAX_YEARS:
                    add(
                        (*path, "delay", p),
                        f"a delay of at most {MAX_YEARS:g} years is allowed (got {v:g}"
                        + (f" {d.unit})" if d.unit else ")"),
                    )
