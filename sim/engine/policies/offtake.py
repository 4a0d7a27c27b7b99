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

import difflib
from typing import Literal

import numpy as np
from pydantic import Field, model_validator

from ...scenario.base import Share
from ...scenario.units import MoneyField, Month, PositiveMass, PositivePrice
from . import kernels
from .base import Context, Effects, Ledger, SpecBase
from .base import Instrument as BaseInstrument


class Offtake(SpecBase):
    """An offtake agreement: a buyer takes a yearly volume from named producers at a fixed or
    floating price, as a firm commitment or as an option, and resells it in its market."""

    type: Literal["offtake"]
    """Kind of policy."""
    buyer: str
    """Bloc name, or the ISO code of a country whose bloc receives the deliveries and bears
    the cost."""
    commodity: str
    """Commodity bought."""
    stage: str = "refining"
    """Stage bought from; it must be the commodity's last stage, whose output goes to markets."""
    producers: list[str] = Field(min_length=1)
    """ISO codes of the producers contracted; the volume is split across them by their
    capacity at the start."""
    volume: PositiveMass
    """Tonnes a year contracted."""
    kind: Literal["commitment", "option"] = "commitment"
    """`commitment`: the volume is taken throughout the term; `option`: it is taken only while
    the buyer's price (as of the last tick) is above the `strike`."""
    price: Literal["fixed", "floating"] = "fixed"
    """`fixed`: the state pays the `strike`; `floating`: the buyer's price less `discount`."""
    strike: PositivePrice | None = None
    """Contract price of a fixed-price agreement, and the price above which an option is
    exercised."""
    discount: Share = 0.0
    """Discount to the buyer's price of a floating-price agreement."""
    premium: MoneyField | None = None
    """Paid a year while the agreement runs, exercised or not (the price of an option)."""
    start: Month | None = None
    """First month of the term (default: the start of the run)."""
    years: float = Field(gt=0)
    """Length of the term in years."""
    destination: str = "market"
    """`market`: resold into the buyer's market at its price; or the name of a stockpile
    policy of the same option, which receives the tonnes (they never reach the market)."""

    @model_validator(mode="after")
    def _priced(self) -> Offtake:
        if self.strike is None and (self.price == "fixed" or self.kind == "option"):
            raise ValueError("a fixed price and an option need a 'strike'")
        if self.discount and self.price == "fixed":
            raise ValueError("'discount' applies to floating prices only")
        return self


Spec = Offtake
"""The registry reads `Spec`; the class has its own name so that the reference docs and the
JSON schema tell policies apart."""


def _hint(word: str, options) -> str:
    close = difflib.get_close_matches(word, list(options), 1, 0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


class Instrument(BaseInstrument):
    writes = ("min_utilisation",)

    def __init__(self, name: str, spec: Offtake, ctx: Context):
        super().__init__(name, spec, ctx)
        w, horizon = ctx.world, ctx.scenario.horizon
        self.k = w.commodities.index(spec.commodity)
        self.s = w.stage_index(self.k, spec.stage)
        self.b = int(ctx.owner_blocs([spec.buyer])[0])
        self.p = [w.producer_index(self.k, spec.stage, c) for c in spec.producers]
        # Base capacity, without capacity growth or outages: the commitment sizes the
        # utilisation floor from what the producers had when the agreement was signed.
        self.capacity = w.capacity[self.k, self.s, self.p]
        total = self.capacity.sum()
        self.split = self.capacity / total if total > 0 else np.full(len(self.p), 1 / len(self.p))
        start = spec.start if spec.start is not None else horizon.start
        self.first = int(np.floor(start.years_since(horizon.start) * w.ticks_per_year + 1e-9))
        self.end = self.first + max(1, round(spec.years * w.ticks_per_year))
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
            self.ctx.instruments[spec.destination].receive(k, got)
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

    @staticmethod
    def check(spec: Offtake, scenario, path: tuple, add) -> None:
        from ...scenario.checks import bloc_of_countries, horizon_end
        from ...scenario.countries import COUNTRIES, GROUPS, expand_members, suggest

        owner, rest = bloc_of_countries(scenario)
        buyer = spec.buyer
        if buyer in scenario.blocs:
            pass  # a bloc name comes first, as in `Context.owner_blocs`
        elif buyer in COUNTRIES or buyer in GROUPS:
            blocs = {owner.get(c, rest) for c in expand_members([buyer])}
            if None in blocs:
                add((*path, "buyer"), f"{buyer} is in no bloc; add it to a bloc's members")
            elif len(blocs) > 1:
                add((*path, "buyer"), f"{buyer} spans blocs {', '.join(sorted(blocs))}")
        else:
            hint = _hint(buyer, scenario.blocs) or _hint(buyer, suggest(buyer, COUNTRIES))
            add(
                (*path, "buyer"),
                f"unknown buyer {buyer!r}: name a bloc or an ISO country code{hint}",
            )
        commodity = scenario.commodities.get(spec.commodity)
        if commodity is None:
            hint = _hint(spec.commodity, scenario.commodities)
            add((*path, "commodity"), f"unknown commodity {spec.commodity!r}{hint}")
        elif spec.stage not in commodity.stages:
            hint = _hint(spec.stage, commodity.stages)
            add((*path, "stage"), f"{spec.commodity} has no stage {spec.stage!r}{hint}")
        elif spec.stage != (last := list(commodity.stages)[-1]):
            add(
                (*path, "stage"),
                f"an offtake buys at the last stage ({last!r}), whose output goes to "
                f"markets; {spec.stage!r} only feeds the next stage",
            )
        else:
            producers = commodity.stages[spec.stage].producers
            for i, code in enumerate(spec.producers):
                if code not in producers:
                    add(
                        (*path, "producers", i),
                        f"{code} does not produce {spec.commodity} at stage {spec.stage!r} "
                        f"(producers: {', '.join(producers)})",
                    )
                elif code in spec.producers[:i]:
                    add((*path, "producers", i), f"{code} is listed twice")
        for key in ("strike", "premium"):
            value = getattr(spec, key)
            if value is None or value.currency == scenario.currency:
                continue
            cur, have = value.currency, ", ".join(sorted(scenario.fx)) or "none"
            if cur not in scenario.fx:
                add(
                    (*path, key),
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
        if spec.destination != "market":
            other = scenario.policies.get(spec.destination)
            if other is not None and other.type == "stockpile":
                if spec.commodity not in other.commodities:
                    add(
                        (*path, "destination"),
                        f"stockpile {spec.destination!r} does not hold {spec.commodity}",
                    )
            else:
                add(
                    (*path, "destination"),
                    f"{spec.destination!r} is neither 'market' nor the name of a stockpile policy",
                )
