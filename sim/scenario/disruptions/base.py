"""What every disruption spec shares: when it happens (a fixed onset or random ones)."""

from __future__ import annotations

from pydantic import Field, ValidationInfo, field_validator

from ..base import Distribution, Model, Share
from ..units import Duration, Month, YearMonth


class Stochastic(Model):
    """Random onsets: a Poisson process of events, each with a random duration and severity."""

    rate: float = Field(ge=0)
    """Expected number of events a year."""
    duration: Duration | Distribution
    """How long each event lasts: a duration or a distribution with a `unit`."""
    earliest: Month | None = None
    """No event starts before this month (default: the horizon's start)."""
    max_events: int = Field(5, ge=1, le=100)
    """At most this many events per replication."""


class Timing(Model):
    start: Month | None = None
    """Fixed onset month (YYYY-MM)."""
    duration: Duration | Distribution | None = None
    """How long it lasts (a fixed onset needs one; default for stochastic ones: theirs)."""
    probability: Share = 1.0
    """Chance that a fixed-onset disruption happens at all in a replication."""
    stochastic: Stochastic | None = None
    """Random onsets instead of a fixed `start`."""
    description: str = ""
    """Free text shown in reports."""
    announced: Month | None = None
    """Month the disruption was made known, before `start`: from then until it takes effect
    the stockholders of the blocs it will hit hoard against it (docs/model.md section 5.4)."""

    @field_validator("announced")
    @classmethod
    def _announced_before_start(cls, announced: YearMonth | None, info: ValidationInfo):
        if announced is None:
            return announced
        start = info.data.get("start")
        if start is None:
            raise ValueError("'announced' needs a fixed 'start' (random onsets come unannounced)")
        if not announced < start:
            raise ValueError(f"'announced' ({announced}) must come before 'start' ({start})")
        return announced
