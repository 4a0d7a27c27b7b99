"""The schema of `export_control` disruptions; what one does to the market is in
sim/engine/disruptions/export_control.py."""

from __future__ import annotations

from itertools import pairwise
from typing import Literal

from pydantic import Field, model_validator

from ..base import Distribution, Model, Share
from ..units import Duration
from .base import Timing


class ResumedStep(Model):
    """From `after` the onset on, licences let `resumed_share` of the stopped flow through."""

    after: Duration
    """Time since the onset."""
    resumed_share: Share
    """Share of the stopped flow let through from then on."""


class Licensing(Model):
    """Licences let part of the stopped flow resume: one share after a delay, or a schedule
    of shares as recorded (Ge 2023: almost nothing for two months, then a rising share)."""

    delay: Duration | None = None
    """Time before the first licences are granted (Ga 2023: ~45 working days)."""
    resumed_share: Share | None = None
    """Share of the stopped flow that licences let through after `delay`."""
    schedule: list[ResumedStep] = Field(default_factory=list)
    """Instead of `delay` and `resumed_share`: the share resumed at each later time."""

    @model_validator(mode="after")
    def _one_form(self) -> Licensing:
        single = (self.delay is not None, self.resumed_share is not None)
        if self.schedule:
            if any(single):
                raise ValueError("give either 'delay' and 'resumed_share', or 'schedule'")
            after = [step.after for step in self.schedule]
            if any(b <= a for a, b in pairwise(after)):
                raise ValueError("'schedule' steps must come in increasing 'after' order")
        elif not all(single):
            missing = "resumed_share" if single[0] else "delay"
            raise ValueError(f"'{missing}' is missing: give 'delay' and 'resumed_share'")
        return self

    def steps(self) -> list[tuple[float, float]]:
        """(years after the onset, share resumed from then on), in time order."""
        if self.schedule:
            return [(step.after, step.resumed_share) for step in self.schedule]
        # without a schedule, `_one_form` requires both
        assert self.delay is not None and self.resumed_share is not None
        return [(self.delay, self.resumed_share)]


class Leakage(Model):
    """Controlled metal that reaches the targets anyway, through third countries (re-export,
    relabelling: Sb, Ga and nickel ore are recorded doing so)."""

    share: Share
    """Share of the still-stopped flow that gets through."""
    lag: Duration
    """Time after the onset before the detour works."""


class ExportControl(Timing):
    """A country stops a share of its exports of a commodity at a stage to named blocs."""

    type: Literal["export_control"]
    """Kind of disruption."""
    country: str
    """ISO code of the restricting country."""
    commodity: str
    """Commodity controlled."""
    stage: str = "refining"
    """Stage whose exports are controlled."""
    to: list[str] = Field(min_length=1)
    """Blocs whose imports are cut, or countries (ISO codes): a country that is not a bloc of
    its own is cut through its share of its bloc's use (`demand.<bloc>.countries`), since
    metal moves freely inside a bloc (docs/model.md section 9.2)."""
    severity: Share | Distribution = 1.0
    """Share of the exports to those blocs that is stopped."""
    licensing: Licensing | None = None
    """Partial resumption after a licensing delay, or on a schedule."""
    leakage: Leakage | None = None
    """Part of the stopped flow that gets through third countries after a lag."""
    home_support: Share = 0.0
    """Share of the stopped flow that the restricting country keeps off its home market
    (producers told to cut output, or the state buying it into a reserve), so that its home
    price need not collapse (Ga 2023: China's price fell 9%; Ge: flat, with ~100 t of state
    buying). 0: all of it is offered at home."""


Spec = ExportControl
