"""The schema of `outage` disruptions; what one does to the market is in
sim/engine/disruptions/outage.py."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ..base import Distribution, Share
from .base import Timing


class Outage(Timing):
    """Capacity lost at named countries (a mine flood, a strike, a war)."""

    type: Literal["outage"]
    """Kind of disruption."""
    countries: list[str] = Field(min_length=1)
    """ISO codes of the countries hit."""
    commodity: str
    """Commodity affected."""
    stage: str = "mining"
    """Stage affected."""
    severity: Share | Distribution = 1.0
    """Share of those countries' capacity lost."""


Spec = Outage
