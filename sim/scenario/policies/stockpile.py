"""The schema of stockpile policies and its checks against the scenario.

What the policy does is in sim/engine/policies/stockpile.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field, model_validator

from ..base import Model, Share
from ..countries import COUNTRIES, GROUPS
from ..units import Mass, MoneyField, Month
from .base import SpecBase

if TYPE_CHECKING:
    from ..checks import Checks


class Acquisition(Model):
    """When and how fast the stockpile buys."""

    rate: float = Field(0.5, gt=0)
    """Fastest buying, in shares of the target a year."""
    max_market_share: Share = 0.05
    """Most of the owners' use that purchases may take in a tick: the cap that keeps a
    build-up from causing the shortage it insures against."""
    below_price: float | None = Field(None, gt=0)
    """Buy only while the owners' price is at most this multiple of the reference price
    (no limit when absent)."""
    start: Month | None = None
    """First month of buying (default: the start of the run)."""


class Release(Model):
    """When and how fast the stockpile sells."""

    price_above: float | None = Field(2.0, gt=0)
    """Release while the owners' price is at least this multiple of the reference price
    (never on price when absent)."""
    when_short: bool = True
    """Release while the owners' blocs had unmet demand in the last tick (more than 1% of
    the use they wanted, as `weeks_in_shortfall` counts: use priced away by a small rise is
    not a shortage)."""
    rate: float = Field(2.0, gt=0)
    """Fastest release, in shares of the target a year (2 empties a full stockpile in six
    months)."""
    floor: Share = 0.0
    """Share of the target always kept back."""
    sale_price: Literal["market", "reference"] = "market"
    """Price releases are sold at: the market's (a reserve that sells into a crisis earns
    crisis prices) or the reference price (released to industry at normal prices)."""


class Stockpile(SpecBase):
    """A strategic stockpile of one or more commodities, owned by one or more countries or
    blocs."""

    type: Literal["stockpile"]
    """Kind of policy."""
    owners: list[str] = Field(min_length=1)
    """ISO country codes or bloc names; several owners hold the stockpile jointly, and its
    purchases and releases are shared among their blocs by use."""
    commodities: list[str] = Field(min_length=1)
    """Commodities held."""
    days: float | None = Field(None, gt=0)
    """Target in days of the owners' use."""
    tonnes: dict[str, Mass] | None = None
    """Target in tonnes, by commodity."""
    budget: MoneyField | None = None
    """Most the stockpile may spend, purchases and holding costs net of sales, in any
    currency: it buys only what it can also keep to the end of the run. Without `days` or
    `tonnes` it also sets the target: what the budget buys at reference prices and holds to
    the end (budget / (1 + holding_cost x years))."""
    split: dict[str, Share] | None = None
    """Shares of the budget by commodity (default: by the value of the owners' use)."""
    use_share: Share = 1.0
    """Owners' share of their blocs' use (e.g. Japan within the alliance)."""
    initial: Share = 0.0
    """Share of the target held at the start (bought at the reference price at the start)."""
    acquire: Acquisition = Acquisition()
    """Buying rules."""
    release: Release = Release()
    """Selling rules."""
    coordinate_with: list[str] = Field(default_factory=list)
    """Other stockpiles that release whenever this one does, and the other way round."""
    holding_cost: float = Field(0.02, ge=0)
    """Storage and management a year, as a share of the value held at reference prices."""

    @model_validator(mode="after")
    def _sized(self) -> Stockpile:
        if self.days is None and self.tonnes is None and self.budget is None:
            raise ValueError("give a size: 'days', 'tonnes' or 'budget'")
        if self.days is not None and self.tonnes is not None:
            raise ValueError("give 'days' or 'tonnes', not both")
        return self


Spec = Stockpile
"""The registry reads `Spec`; the class has its own name for the reference docs."""


def check(spec: Stockpile, c: Checks, path: tuple) -> None:
    """Owners and commodities must be known, a split must sum to 1, the triggers apart."""
    s = c.s
    for i, o in enumerate(spec.owners):
        if o not in s.blocs and o not in COUNTRIES and o not in GROUPS:
            c.add((*path, "owners", i), f"unknown owner {o!r}: name a bloc or an ISO country code")
    for i, name in enumerate(spec.commodities):
        c.commodity_named((*path, "commodities", i), name)
    for name in spec.tonnes or {}:
        if name not in spec.commodities:
            c.add((*path, "tonnes", name), f"{name!r} is not among this stockpile's commodities")
    if spec.split is not None:
        total = sum(spec.split.values())
        if abs(total - 1) > 1e-6:
            c.add((*path, "split"), f"budget shares sum to {total:.4g}; they must sum to 1")
    below, above = spec.acquire.below_price, spec.release.price_above
    if below is not None and above is not None and above <= below:
        c.add(
            (*path, "release", "price_above"),
            f"the release trigger ({above:g}x) must be above the buy trigger ({below:g}x), "
            "or the stockpile would buy and sell at the same price",
        )
    if spec.budget is not None:
        c.currency((*path, "budget"), spec.budget)
    if spec.acquire.start is not None and spec.acquire.start < s.horizon.start:
        c.add(
            (*path, "acquire", "start"),
            f"{spec.acquire.start} is before the horizon starts ({s.horizon.start})",
        )
