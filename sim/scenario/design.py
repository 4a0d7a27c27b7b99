"""The `design:` section: which policy parameters `minsim optimise` may change (levers), how
a budget may be split among policies, and what the search minimises.

A lever is a dotted key inside one policy of the design's `option`, with bounds; a split is
one lever too (a point of the simplex), which shares a total among several keys. The
designs the search finds are that option with other values at those keys (see
docs/guide.md, "Designing a policy").
"""

from __future__ import annotations

import math
import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from .base import Model, Name
from .units import MoneyField

OBJECTIVES = (
    "fiscal_cost_net",
    "social_cost",
    "social_cost_cvar95",
    "consumer_cost",
    "shortfall_value",
)
"""What a design can be scored on, each minimised: present values in the reporting currency,
summed over the minerals (and, for the users' costs, over the design's blocs); the CVaR95
of social cost is the mean of its worst 5% of replications (docs/model.md section 11)."""
Objective = Literal[
    "fiscal_cost_net", "social_cost", "social_cost_cvar95", "consumer_cost", "shortfall_value"
]

_DEFAULT_OBJECTIVES: tuple[Objective, ...] = ("fiscal_cost_net", "social_cost_cvar95")

_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"


def split_quantity(value: float | int | str) -> tuple[float, str]:
    """`'1.2e9 AUD'` -> (1.2e9, 'AUD'); `0.5` -> (0.5, ''). ValueError for anything else."""
    if isinstance(value, bool):
        raise ValueError(f"expected a number, or a number and its unit, not {value!r}")
    if isinstance(value, int | float):
        x, unit = float(value), ""
    else:
        m = re.fullmatch(rf"\s*({_NUMBER})\s*(.*?)\s*", str(value))
        if not m:
            raise ValueError(f"cannot read {value!r}: write a number and its unit, e.g. '0 AUD'")
        x, unit = float(m.group(1)), m.group(2)
    if not math.isfinite(x):
        raise ValueError(f"must be a finite number (got {value!r})")
    return x, unit


Quantity = float | int | str
"""A number, or a number with the unit its key takes (`'185e6 AUD'`, `'60 days'`)."""


class Lever(Model):
    """One policy parameter the search may set, between `low` and `high`."""

    key: str = Field(pattern=r"^policies\.[^.]+\..+$")
    """Dotted key inside a policy of the design's option, as `--set` writes it
    (`policies.au-stockpile.budget`)."""
    low: Quantity
    """Lowest value, with the key's unit if it takes one (`0 AUD`)."""
    high: Quantity
    """Highest value, in the same unit."""
    step: Quantity | None = None
    """Values are multiples of `step` above `low` (default: any value in the range)."""
    integer: bool = False
    """Whole numbers only (e.g. a count of days)."""

    @model_validator(mode="after")
    def _bounds(self) -> Lever:
        low, lu = split_quantity(self.low)
        high, hu = split_quantity(self.high)
        if lu and hu and lu != hu:
            raise ValueError(f"low and high must be in one unit (got {lu!r} and {hu!r})")
        if not low < high:
            raise ValueError(f"low must be below high (got {self.low} and {self.high})")
        if self.step is not None:
            step, su = split_quantity(self.step)
            if su and su != (lu or hu):
                raise ValueError(f"step must be in the bounds' unit {lu or hu!r} (got {su!r})")
            if not 0 < step <= high - low:
                raise ValueError(f"step must be above 0 and at most high - low (got {self.step})")
        return self

    @property
    def unit(self) -> str:
        return split_quantity(self.low)[1] or split_quantity(self.high)[1]

    @property
    def bounds(self) -> tuple[float, float]:
        return split_quantity(self.low)[0], split_quantity(self.high)[0]

    @property
    def step_value(self) -> float | None:
        if self.step is not None:
            return split_quantity(self.step)[0]
        return 1.0 if self.integer else None


class Scaled(Model):
    """Another key set from a part's money: `money / per`, in `unit` (a plant's capacity
    from the equity put in)."""

    key: str = Field(pattern=r"^policies\.[^.]+\..+$")
    """Dotted key inside the same policy as the part's key."""
    per: MoneyField
    """Money for one unit of this key, in the total's currency (`3.09e6 AUD` per t/yr)."""
    unit: str = ""
    """The key's unit, written after its value (`t`)."""


class BudgetPart(Model):
    """One key a split budget goes to. A part given nothing switches its policy off in that
    design (a budget of 0 is no instrument, and most policies refuse a size of 0)."""

    key: str = Field(pattern=r"^policies\.[^.]+\..+$")
    """Dotted key inside a policy of the design's option (`policies.au-stockpile.budget`)."""
    per: MoneyField | None = None
    """Money that buys one unit of the key, in the total's currency (an offtake's volume of
    1 t/yr at A$170/kg for 9 years: `1.53e6 AUD`); without it the key is an amount of money
    and gets its share of the total as it is."""
    unit: str = ""
    """The key's unit, written after its value when `per` is given (`t`)."""
    also: list[Scaled] = Field(default_factory=list)
    """Other keys of the same policy that scale with the part's money."""

    @model_validator(mode="after")
    def _same_policy(self) -> BudgetPart:
        policy = self.key.split(".")[1]
        for other in self.also:
            if other.key.split(".")[1] != policy:
                raise ValueError(
                    f"{other.key!r} is not a key of policy {policy!r}, as {self.key!r} is"
                )
        return self


class BudgetSplit(Model):
    """A total shared among several keys: one lever whose value is the shares."""

    total: MoneyField
    """The money to share (`1.2e9 AUD`)."""
    parts: dict[Name, BudgetPart] = Field(min_length=2)
    """Where it may go, by a name of your choice."""
    spend: Literal["all", "up_to"] = "up_to"
    """`all`: the shares sum to the total; `up_to`: to at most the total (what is not
    given to any part is not spent)."""


class Bound(Model):
    """An upper limit on an outcome, as a constraint of the search."""

    max: MoneyField
    """Designs whose expected outcome is above this are infeasible (`1.2e9 AUD`)."""


class Search(Model):
    """How hard the search looks: NSGA-II's population and generations, and replications."""

    population: int = Field(16, ge=4, le=1000)
    """Designs per generation."""
    generations: int = Field(8, ge=1, le=1000)
    """Generations after the first."""
    reps: int = Field(100, ge=10)
    """Replications each design is scored on (the same ones for every design)."""
    rescore_reps: int = Field(400, ge=10)
    """Replications the final designs are scored again on (fresh ones: another seed)."""


class Design(Model):
    """What `minsim optimise` searches: the option whose policies change, the levers, the
    objectives (all minimised) and the constraints."""

    option: Name
    """The option the designs are variants of: its policies, with the levers' values."""
    levers: dict[Name, Lever] = Field(default_factory=dict)
    """Policy parameters to set, by a name of your choice."""
    split: dict[Name, BudgetSplit] = Field(default_factory=dict)
    """Budgets shared among policies, each one lever, by a name of your choice."""
    objectives: list[Objective] = Field(
        default_factory=lambda: list(_DEFAULT_OBJECTIVES), min_length=1
    )
    """What the search minimises (default: expected net fiscal cost and the CVaR95 of
    social cost)."""
    constraints: dict[Objective, Bound] = Field(default_factory=dict)
    """Upper limits on expected outcomes (`fiscal_cost_net: {max: 1.2e9 AUD}`)."""
    blocs: list[str] = Field(default_factory=list)
    """Whose users' costs count (default: every bloc); fiscal cost counts wherever it falls."""
    search: Search = Search()
    """Population, generations and replications."""

    @field_validator("objectives")
    @classmethod
    def _distinct(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("each objective once")
        return value

    @model_validator(mode="after")
    def _something(self) -> Design:
        if not self.levers and not self.split:
            raise ValueError("a design needs at least one lever or split")
        names = set(self.levers) & set(self.split)
        if names:
            raise ValueError(f"a lever and a split share the name {sorted(names)[0]!r}")
        return self


def lever_keys(design: Design) -> list[tuple[tuple[str | int, ...], str]]:
    """Every key the design sets, with the path of its definition in the file."""
    out: list[tuple[tuple[str | int, ...], str]] = [
        (("levers", name, "key"), lever.key) for name, lever in design.levers.items()
    ]
    for name, split in design.split.items():
        for p, part in split.parts.items():
            out.append((("split", name, "parts", p, "key"), part.key))
            out += [
                (("split", name, "parts", p, "also", i, "key"), a.key)
                for i, a in enumerate(part.also)
            ]
    return out
