"""The schema of tariff policies and its checks against the scenario.

What the policy does is in sim/engine/policies/tariff.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field

from ..units import Month
from .base import SpecBase

if TYPE_CHECKING:
    from ..checks import Checks


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


def check(spec: Tariff, c: Checks, path: tuple) -> None:
    """The bloc and commodity must exist and the term start inside the run."""
    c.bloc((*path, "bloc"), spec.bloc)
    c.commodity_named((*path, "commodity"), spec.commodity)
    if spec.start is not None:
        c.in_horizon((*path, "start"), spec.start)
