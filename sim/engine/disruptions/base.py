"""What every disruption type shares: its timing in the scenario, random onsets, and the form
the engine compiles it to.

A type is one module of this package (found by `__init__`), which defines:

    Spec                    its pydantic schema: a `Timing` with a `type` literal
    compile(name, d, world, group) -> list[Compiled]    against the world's indices
    depth(d)                the field each occurrence draws its severity from
    level(d, drawn)         that draw as the level the market sees (a quota's cap of 60% stops 40%)
    steps(d, level, start, end, tpy) -> [(tick, level)]  later changes of an occurrence's level
    apply(market, rows, c, level, effects)               write a level into the market's arrays
    hits(d, bloc, owner, rest) -> bool                   does it cut that bloc's inflow?
    stopped(d, persistence) -> (countries, mean level)   what an announcement tells (section 5.4)

`steps` and `stopped` have defaults here (no later change; the drawn level throughout).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import Field, ValidationInfo, field_validator

from ...scenario.base import Distribution, Model, Share
from ...scenario.units import Duration, Month, YearMonth


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


@dataclass
class Compiled:
    """One disruption (or its announcement window) compiled against the world's indices."""

    name: str
    kind: (
        str  # export_control | outage | quota_output | quota_exports | demand_shock | announcement
    )
    k: int
    s: int = 0
    producers: tuple[int, ...] = ()
    blocs: tuple[int, ...] = ()
    source: Any = None  # the schema object
    group: str | None = None
    parts: tuple[float, ...] = ()  # share of each bloc's use targeted (empty: all of it)


def no_steps(d, level: float, start: int, end: int, tpy: int) -> list[tuple[int, float]]:
    """The default: an occurrence keeps its level from start to end."""
    return []


def mean(value) -> float:
    """A fixed value, or a distribution's central value (median or mode; mean of a beta)."""
    if not isinstance(value, Distribution):
        return float(value)
    if value.dist == "fixed":
        return float(value.value)
    if value.dist == "lognormal":
        return float(value.median)
    if value.dist == "triangular":
        return float(value.mode)
    if value.dist == "uniform":
        return 0.5 * (value.low + value.high)
    return value.a / (value.a + value.b)
