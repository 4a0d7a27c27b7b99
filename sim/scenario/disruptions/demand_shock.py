"""The schema of `demand_shock` disruptions; what one does to the market is in
sim/engine/disruptions/demand_shock.py."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from ..base import Distribution
from .base import Timing


class DemandShock(Timing):
    """Use changes suddenly (a boom in battery demand, a recession)."""

    type: Literal["demand_shock"]
    """Kind of disruption."""
    commodity: str
    """Commodity affected."""
    blocs: list[str] = Field(default_factory=list)
    """Blocs affected (all when empty)."""
    change: Annotated[float, Field(gt=-1, le=100)] | Distribution
    """Relative change of use (+0.3 = 30% more; -1 would be no use at all, +100 a hundredfold
    rise); a distribution's values are held to the same bounds."""

    @model_validator(mode="after")
    def _no_announcement(self) -> DemandShock:
        if self.announced is not None:
            raise ValueError("'announced' applies to supply disruptions, not demand shocks")
        return self


Spec = DemandShock
