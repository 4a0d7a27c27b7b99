"""The schema of capacity programme policies and its checks against the scenario.

What the policy does is in sim/engine/policies/capacity_programme.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import model_validator

from ..base import Distribution, Share
from ..units import DURATION_UNITS, MAX_YEARS, Duration, MoneyField, Month, PositiveMass
from .base import SpecBase

if TYPE_CHECKING:
    from ..checks import Checks

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


def check(spec: CapacityProgramme, c: Checks, path: tuple) -> None:
    """Bloc and commodity must be known, the money convertible, the decision inside the run,
    and a delay distribution in time units, not negative and not absurdly long."""
    c.bloc((*path, "bloc"), spec.bloc)
    c.commodity_named((*path, "commodity"), spec.commodity)
    c.currency((*path, "amount"), spec.amount)
    if spec.start is not None:
        c.in_horizon((*path, "start"), spec.start)
    d = spec.delay
    if d is None:
        return
    if d.unit is None:
        units = ", ".join(u + "s" for u in DURATION_UNITS)
        c.add((*path, "delay"), f"a delay distribution needs a 'unit' ({units})")
    for p in ("value", "low", "median"):
        v = getattr(d, p)
        if v is not None and v < 0:
            c.add((*path, "delay", p), f"a delay cannot be negative (got {v:g})")
    per = DURATION_UNITS.get((d.unit or "years").removesuffix("s"), 1.0)
    for p in ("value", "high", "median"):
        v = getattr(d, p)
        if v is not None and v * per > MAX_YEARS:
            c.add(
                (*path, "delay", p),
                f"a delay of at most {MAX_YEARS:g} years is allowed (got {v:g}"
                + (f" {d.unit})" if d.unit else ")"),
            )
