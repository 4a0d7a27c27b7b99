"""The scenario language: load, compose, validate and describe scenario files."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path

from .errors import Location, Problem, ScenarioError
from .loader import Located, apply_sets, resolve
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
    "with_sets",
]


@dataclass(frozen=True)
class LoadedScenario:
    """A validated scenario with the composed data it came from (for `show` and run folders)."""

    scenario: Scenario
    source: Located
    path: Path


def load(
    path: str | Path,
    overrides: tuple[str, ...] = (),
    sets: tuple[str, ...] = (),
    *,
    roots: tuple[str | Path, ...] = (),
) -> LoadedScenario:
    """Read, compose and validate a scenario file; raise ScenarioError listing every problem.
    `extends:` reaches only files under the scenario roots: the `scenarios/` folder holding
    the file (else its own folder), `roots`, and those of MINSIM_SCENARIO_PATH."""
    doc = resolve(path, tuple(overrides), tuple(sets), roots)
    return LoadedScenario(validate(doc), doc, Path(path))


def with_sets(loaded: LoadedScenario, sets: tuple[str, ...]) -> LoadedScenario:
    """`loaded` with more `--set` edits applied after its own, validated again; the file
    is not read again (replications drawing parameters build one such variant per draw)."""
    doc = copy.deepcopy(loaded.source)
    problems = apply_sets(doc, sets)
    if problems:
        raise ScenarioError(problems)
    return LoadedScenario(validate(doc), doc, loaded.path)
