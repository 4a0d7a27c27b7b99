"""The schema of offtake policies and its checks against the scenario.

What the policy does is in sim/engine/policies/offtake.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field, model_validator

from ..base import Share
from ..countries import COUNTRIES, GROUPS, expand_members, suggest
from ..errors import hint
from ..units import MoneyField, Month, PositiveMass, PositivePrice
from .base import SpecBase

if TYPE_CHECKING:
    from ..checks import Checks


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


def check(spec: Offtake, c: Checks, path: tuple) -> None:
    """The buyer must sit in one bloc; the commodity, its last stage and the producers must
    exist; prices need rates; the term starts inside the run; a destination is a stockpile
    holding the commodity."""
    s = c.s
    owner, rest = s.bloc_of_countries()
    buyer = spec.buyer
    if buyer in s.blocs:
        pass  # a bloc name comes first, as in `Context.owner_blocs`
    elif buyer in COUNTRIES or buyer in GROUPS:
        blocs = {owner.get(code, rest) for code in expand_members([buyer])}
        if None in blocs:
            c.add((*path, "buyer"), f"{buyer} is in no bloc; add it to a bloc's members")
        elif len(blocs) > 1:
            c.add((*path, "buyer"), f"{buyer} spans blocs {', '.join(sorted(map(str, blocs)))}")
    else:
        near = hint(buyer, s.blocs) or hint(buyer, suggest(buyer, COUNTRIES))
        c.add(
            (*path, "buyer"), f"unknown buyer {buyer!r}: name a bloc or an ISO country code{near}"
        )
    commodity = c.commodity_named((*path, "commodity"), spec.commodity)
    if commodity is None:
        pass
    elif spec.stage not in commodity.stages:
        c.add(
            (*path, "stage"),
            f"{spec.commodity} has no stage {spec.stage!r}{hint(spec.stage, commodity.stages)}",
        )
    elif spec.stage != (last := list(commodity.stages)[-1]):
        c.add(
            (*path, "stage"),
            f"an offtake buys at the last stage ({last!r}), whose output goes to "
            f"markets; {spec.stage!r} only feeds the next stage",
        )
    else:
        c.producers((*path, "producers"), spec.commodity, spec.stage, commodity, spec.producers)
    for key in ("strike", "premium"):
        value = getattr(spec, key)
        if value is not None:
            c.currency((*path, key), value)
    if spec.start is not None:
        c.in_horizon((*path, "start"), spec.start)
    if spec.destination != "market":
        other = s.policies.get(spec.destination)
        if other is not None and other.type == "stockpile":
            if spec.commodity not in other.commodities:
                c.add(
                    (*path, "destination"),
                    f"stockpile {spec.destination!r} does not hold {spec.commodity}",
                )
        else:
            c.add(
                (*path, "destination"),
                f"{spec.destination!r} is neither 'market' nor the name of a stockpile policy",
            )
