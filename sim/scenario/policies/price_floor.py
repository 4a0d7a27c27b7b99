"""The schema of price floor policies and its checks against the scenario.

What the policy does is in sim/engine/policies/price_floor.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field, model_validator

from ..base import StageName
from ..errors import hint
from ..units import Month, PositiveMass, PositivePrice
from .base import SpecBase

if TYPE_CHECKING:
    from ..checks import Checks

CFD_ONLY = ("producers", "payer", "volume_cap", "stage")


class PriceFloor(SpecBase):
    """A guaranteed minimum price for one commodity, for a term."""

    type: Literal["price_floor"]
    """Kind of policy."""
    mechanism: Literal["cfd", "reference_tariff"]
    """`cfd`: the payer tops up the named producers' price to the floor; `reference_tariff`:
    a tariff on the bloc's imports lifts its price to the floor."""
    commodity: str
    """Commodity whose price is floored."""
    floor: PositivePrice
    """Guaranteed price, in any currency with an exchange rate."""
    start: Month | None = None
    """First month of the term (default: the start of the run)."""
    years: float | None = Field(None, gt=0)
    """Length of the term in years (default: to the end of the run)."""
    stage: StageName = "refining"
    """`cfd`: stage of the covered producers; the last stage of the chain, where the market
    price that the floor is compared with is formed."""
    producers: list[str] = Field(default_factory=list)
    """`cfd`: ISO codes of the covered producers at that stage."""
    payer: str | None = None
    """`cfd`: bloc whose treasury pays the difference (the fiscal cost is booked to it)."""
    volume_cap: PositiveMass | None = None
    """`cfd`: most output covered, t/yr, all covered producers together (default: all)."""
    bloc: str | None = None
    """`reference_tariff`: bloc that defends the floor at its border."""

    @model_validator(mode="after")
    def _mechanism(self) -> PriceFloor:
        if self.mechanism == "cfd":
            if not self.producers or self.payer is None:
                raise ValueError("a 'cfd' needs 'producers' and a 'payer' bloc")
            if self.bloc is not None:
                raise ValueError("a 'cfd' takes 'payer', not 'bloc'")
        else:
            if self.bloc is None:
                raise ValueError("a 'reference_tariff' needs the 'bloc' that defends the floor")
            extra = [f for f in CFD_ONLY if f in self.model_fields_set]
            if extra:
                raise ValueError(f"a 'reference_tariff' does not take {', '.join(extra)}")
        return self


Spec = PriceFloor
"""The schema the policy registry looks for."""


def check(spec: PriceFloor, c: Checks, path: tuple) -> None:
    """Names must exist, the floor must convert, the term start inside the run, and a cfd's
    producers must be at the last stage."""
    c.currency((*path, "floor"), spec.floor)
    if spec.start is not None:
        c.in_horizon((*path, "start"), spec.start)
    for field in ("payer", "bloc"):
        b = getattr(spec, field)
        if b is not None:
            c.bloc((*path, field), b)
    commodity = c.commodity_named((*path, "commodity"), spec.commodity)
    if commodity is None or spec.mechanism != "cfd":
        return
    stages = list(commodity.stages)
    if spec.stage not in commodity.stages:
        c.add(
            (*path, "stage"),
            f"{spec.commodity} has no stage {spec.stage!r}{hint(spec.stage, stages)}",
        )
        return
    if spec.stage != stages[-1]:
        c.add(
            (*path, "stage"),
            f"a cfd can cover only the last stage of {spec.commodity} ({stages[-1]!r}): "
            "the engine reports producers' output at the last stage only",
        )
    c.producers((*path, "producers"), spec.commodity, spec.stage, commodity, spec.producers)
