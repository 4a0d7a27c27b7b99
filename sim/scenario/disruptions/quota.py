"""The schema of `quota` disruptions; what one does to the market is in
sim/engine/disruptions/quota.py."""

from __future__ import annotations

from typing import Literal

from pydantic import model_validator

from ..base import Distribution, Share
from ..units import Mass
from .base import Timing


class Quota(Timing):
    """A cap on a country's output or exports, as a share of its output at the start."""

    type: Literal["quota"]
    """Kind of disruption."""
    country: str
    """ISO code of the country."""
    commodity: str
    """Commodity capped."""
    stage: str = "refining"
    """Stage capped."""
    applies_to: Literal["output", "exports"] = "exports"
    """What is capped."""
    cap: Share | Distribution | None = None
    """Allowed share: of the country's output at the start (`output`), or of the flow its
    foreign buyers used to receive (`exports`)."""
    tonnes: Mass | None = None
    """Instead of `cap`: the allowed tonnes a year, as quotas are announced (REE 2010: 30,258
    t of exports). Read against the output, or the exports, at the start of the run."""

    @model_validator(mode="after")
    def _cap_or_tonnes(self) -> Quota:
        if (self.cap is None) == (self.tonnes is None):
            raise ValueError("give either 'cap' (a share) or 'tonnes' (a tonnage a year)")
        return self


Spec = Quota
