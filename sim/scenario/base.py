"""Building blocks shared by the scenario schema and the policy instruments' schemas.

Kept apart from `schema.py` so that policy modules (sim/engine/policies/) can define their
schemas without importing the scenario schema, which in turn collects them.
"""

from __future__ import annotations

import importlib
import pkgutil
import typing
from collections.abc import Iterable
from types import ModuleType
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Share = Annotated[float, Field(ge=0, le=1)]
StageName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
Name = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")]


OTHER = "other"
"""The name of the slot that holds a stage's output beyond its named producers (the rest
of world output), in the compiled world and its diagnostics."""


class Model(BaseModel):
    """Base of every scenario model: unknown keys are errors, every field documented, every
    number finite (`.nan`, `.inf` and `1e400` are refused where they are read)."""

    model_config = ConfigDict(
        extra="forbid",
        use_attribute_docstrings=True,
        frozen=True,
        strict=True,
        allow_inf_nan=False,
    )


class Distribution(Model):
    """A random quantity: `fixed`, `uniform`, `triangular`, `lognormal` or `beta`."""

    dist: Literal["fixed", "uniform", "triangular", "lognormal", "beta"]
    """Family of the distribution."""
    value: float | None = None
    """For `fixed`."""
    low: float | None = None
    """For `uniform` and `triangular`."""
    mode: float | None = None
    """For `triangular`."""
    high: float | None = None
    """For `uniform` and `triangular`."""
    median: float | None = Field(None, gt=0)
    """For `lognormal`: its median (a lognormal quantity is positive)."""
    sigma: float | None = Field(None, gt=0, le=5)
    """For `lognormal`: standard deviation of the logarithm (5 already spreads the middle 90%
    of draws over a factor of 10,000,000)."""
    a: float | None = Field(None, gt=0)
    """For `beta`."""
    b: float | None = Field(None, gt=0)
    """For `beta`."""
    unit: Literal["days", "weeks", "months", "quarters", "years"] | None = None
    """Unit of a duration's values."""

    @model_validator(mode="after")
    def _parameters(self) -> Distribution:
        need = {
            "fixed": ("value",),
            "uniform": ("low", "high"),
            "triangular": ("low", "mode", "high"),
            "lognormal": ("median", "sigma"),
            "beta": ("a", "b"),
        }[self.dist]
        missing = [p for p in need if getattr(self, p) is None]
        if missing:
            raise ValueError(f"a {self.dist} distribution needs {', '.join(missing)}")
        extra = [
            p
            for p in ("value", "low", "mode", "high", "median", "sigma", "a", "b")
            if p not in need and getattr(self, p) is not None
        ]
        if extra:
            raise ValueError(f"a {self.dist} distribution does not take {', '.join(extra)}")
        lo, hi = self.low, self.high
        if lo is not None and hi is not None and lo > hi:
            raise ValueError(f"low ({lo:g}) is above high ({hi:g})")
        if self.mode is not None and not (lo <= self.mode <= hi):  # type: ignore[operator]
            raise ValueError(f"mode ({self.mode:g}) must lie between low and high")
        return self


def spec_modules(package: str, path: Iterable[str], shared: set[str]) -> dict[str, ModuleType]:
    """The modules of a package of specs (policies, disruptions) by the `type` literal of
    their `Spec`: every module not in `shared`, so that a new type is found by its name."""
    out: dict[str, ModuleType] = {}
    for m in pkgutil.iter_modules(path):
        if m.name.startswith("_") or m.name in shared:
            continue
        module = importlib.import_module(f"{package}.{m.name}")
        out[typing.get_args(module.Spec.model_fields["type"].annotation)[0]] = module
    return out
