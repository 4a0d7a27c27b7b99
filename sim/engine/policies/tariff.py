"""Ad valorem import tariffs: a bloc taxes its imports of a commodity at a fixed rate.

The tariff multiplies the price the bloc's users pay and its home producers earn by
`1 + rate` (`Effects.tariff`; investors in the bloc see it too), so use falls and home
output rises. The bloc's treasury collects `rate` times its price (of the tick cleared, the
price users pay it on) on what it imports, booked as negative fiscal cost. Imports are approximated net of home output
(`price_floor.home_producers`).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field

from ...scenario.units import Month
from . import kernels
from .base import Context, Effects, Ledger, SpecBase
from .base import Instrument as BaseInstrument
from .price_floor import check_term, hint, home_producers, term


class Tariff(SpecBase):
    """A tariff on one bloc's imports of one commodity."""

    type: Literal["tariff"]
    """Kind of policy."""
    bloc: str
    """Bloc that levies the tariff on its imports."""
    commodity: str
    """Commodity taxed."""
    rate: float = Field(ge=0)
    """Ad valorem rate, as a share of the price (0.25 is a 25% tariff)."""
    start: Month | None = None
    """First month the tariff applies (default: the start of the run)."""
    years: float | None = Field(None, gt=0)
    """How long it applies, in years (default: to the end of the run)."""


Spec = Tariff
"""The schema the policy registry looks for."""


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

    @staticmethod
    def check(spec: Spec, scenario, path: tuple, add) -> None:
        """The bloc and commodity must exist and the term start inside the horizon."""
        if spec.bloc not in scenario.blocs:
            add((*path, "bloc"), f"unknown bloc {spec.bloc!r}{hint(spec.bloc, scenario.blocs)}")
        if spec.commodity not in scenario.commodities:
            name = spec.commodity
            add(
                (*path, "commodity"),
                f"unknown commodity {name!r}{hint(name, scenario.commodities)}",
            )
        check_term(spec.start, scenario, path, add)
