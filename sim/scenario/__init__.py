"""The scenario language: load, compose, validate and describe scenario files."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .errors import Location, Problem, ScenarioError
from .loader import Located, resolve
from .schema import Scenario, json_schema
from .validate import validate

__all__ = [
    "LoadedScenario",
    "Location",
    "Problem",
    "Scenario",
    "ScenarioError",
    "json_schema",
    "load",
]


@dataclass(frozen=True)
class LoadedScenario:
    """A validated scenario with the composed data it came from (for `show` and run folders)."""

    scenario: Scenario
    source: Located
    path: Path


def load(
    path: str | Path, overrides: tuple[str, ...] = (), sets: tuple[str, ...] = ()
) -> LoadedScenario:
    """Read, compose and validate a scenario file; raise ScenarioError listing every problem."""
    doc = resolve(path, tuple(overrides), tuple(sets))
    return LoadedScenario(validate(doc), doc, Path(path))
