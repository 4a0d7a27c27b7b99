"""The schema of recycling target policies and its checks against the scenario.

What the policy does is in sim/engine/policies/recycling_target.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from ..base import Share
from ..units import Month, PriceField
from .base import SpecBase

if TYPE_CHECKING:
    from ..checks import Checks


class RecyclingTarget(SpecBase):
    """A floor under the share of a bloc's use met from recycled material, rising to a target."""

    type: Literal["recycling_target"]
    """Kind of policy."""
    bloc: str
    """Bloc bound by the target; it pays the subsidy."""
    commodity: str
    """Commodity recycled."""
    start: Month | None = None
    """Month the target takes effect (default: the start of the run)."""
    start_share: Share | None = None
    """Required share of use at `start` (default: the commodity's `recycling.share`)."""
    target_share: Share
    """Required share of use from `by` on."""
    by: Month
    """Month by which the target is reached; the share rises linearly until then."""
    subsidy: PriceField
    """What the state pays per tonne recycled above what the market would have recycled."""


Spec = RecyclingTarget
"""The registry reads `Spec`; the class has its own name so that the reference docs and the
JSON schema tell policies apart."""


def check(spec: RecyclingTarget, c: Checks, path: tuple) -> None:
    """Bloc and commodity must be known, the target above the start share, the subsidy
    convertible, and the target's months in order inside the run."""
    c.bloc((*path, "bloc"), spec.bloc)
    commodity = c.commodity_named((*path, "commodity"), spec.commodity)
    if commodity is not None:
        s0 = commodity.recycling.share if spec.start_share is None else spec.start_share
        if spec.target_share < s0:
            where = "start_share" if spec.start_share is not None else "the commodity's share"
            c.add(
                (*path, "target_share"),
                f"the target ({spec.target_share:g}) is below the start share "
                f"({s0:g}, {where}); a recycling target can only raise recycling",
            )
    c.currency((*path, "subsidy"), spec.subsidy)
    horizon = c.s.horizon
    start = spec.start if spec.start is not None else horizon.start
    c.in_horizon((*path, "start"), start)
    if spec.by <= start:
        c.add((*path, "by"), f"{spec.by} must be after the start of the target ({start})")
    elif spec.by > horizon.end:
        c.add((*path, "by"), f"{spec.by} is after the horizon ends ({horizon.end})")
