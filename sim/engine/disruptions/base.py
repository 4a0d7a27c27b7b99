"""What every disruption type shares: its timing in the scenario, random onsets, and the form
the engine compiles it to.

A type is one module of this package (found by `__init__`), which defines:

    Spec                    its schema (the module of the same name in sim.scenario.disruptions)
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

from ...scenario.base import Distribution


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


def given(d: Distribution, *names: str) -> list[float]:
    """The parameters `names` of `d`, which its validator requires of its family."""
    values = [getattr(d, n) for n in names]
    if any(v is None for v in values):
        raise ValueError(f"a {d.dist} distribution needs {', '.join(names)}")
    return values


def mean(value: float | Distribution) -> float:
    """A fixed value, or a distribution's central value (median or mode; mean of a beta)."""
    if not isinstance(value, Distribution):
        return float(value)
    if value.dist == "fixed":
        (x,) = given(value, "value")
        return float(x)
    if value.dist == "lognormal":
        (median,) = given(value, "median")
        return float(median)
    if value.dist == "triangular":
        (mode,) = given(value, "mode")
        return float(mode)
    if value.dist == "uniform":
        low, high = given(value, "low", "high")
        return 0.5 * (low + high)
    a, b = given(value, "a", "b")
    return a / (a + b)
