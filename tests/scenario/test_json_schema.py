"""The JSON Schema that editors check scenario files with (docs/scenario.schema.json)."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import jsonschema
import pytest
from ruamel.yaml import YAML

import sim
from sim.scenario import docs
from sim.scenario.units import duration_text, parse_duration

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = sorted((ROOT / "scenarios").rglob("*.yaml"))


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(docs.JSON_SCHEMA.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def _yaml(text: str):
    return YAML(typ="safe", pure=True).load(text)


def _problems(validator, data) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(data)]


def test_shipped_scenarios_are_found():
    names = {p.relative_to(ROOT / "scenarios").as_posix() for p in SHIPPED}
    assert {"base/world-2025.yaml", "alliance-2026.yaml", "history/gallium-2023.yaml"} <= names
    assert any(n.startswith("history/base/") for n in names)


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_shipped_scenario_validates(validator, path):
    assert _problems(validator, _yaml(path.read_text())) == []


def test_a_file_without_extends_must_be_complete(validator):
    world = _yaml((ROOT / "scenarios/base/world-2025.yaml").read_text())
    del world["horizon"]
    first = next(iter(world["commodities"]))
    del world["commodities"][first]["world_output"]
    problems = _problems(validator, world)
    assert "[]: 'horizon' is a required property" in problems
    assert f"['commodities', '{first}']: 'world_output' is a required property" in problems


def test_a_partial_file_is_still_checked(validator):
    partial = _yaml(
        """
extends: base/world-2025.yaml
commodities:
  gallium: {reference_price: 300 USD/kg, elasticity: {adjustment: 6 months}}
disruptions:
  ga-controls: {severity: 0.5}
"""
    )
    assert _problems(validator, partial) == []
    typo = copy.deepcopy(partial)
    typo["commodities"]["gallium"]["referense_price"] = "300 USD/kg"
    assert any("referense_price" in p for p in _problems(validator, typo))
    bare = copy.deepcopy(partial)
    bare["commodities"]["gallium"]["elasticity"]["adjustment"] = 3.0  # no unit: refused
    assert any("adjustment" in p for p in _problems(validator, bare))


def _defaults(node, path=()):
    """Every (path, property schema) that carries a default."""
    if isinstance(node, dict):
        if "default" in node and path and path[-2:-1] == ("properties",):
            yield path, node
        for key, value in node.items():
            yield from _defaults(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _defaults(value, (*path, i))


def test_every_default_is_a_value_the_schema_accepts():
    """Defaults are shown as a file would write them: each fits its own property's schema
    (a duration's `3.0` would not; `3 years` does)."""
    schema = json.loads(docs.JSON_SCHEMA.read_text())
    found = list(_defaults(schema))
    assert len(found) > 50
    durations = 0
    for path, node in found:
        if node["default"] is None:
            continue
        own = {k: v for k, v in node.items() if k != "default"}
        check = jsonschema.Draft202012Validator({**own, "$defs": schema["$defs"]})
        assert list(check.iter_errors(node["default"])) == [], path
        if isinstance(node["default"], str) and node.get("anyOf", [{}])[0].get(
            "pattern", ""
        ).endswith("(day|week|month|quarter|year)s?\\s*$"):
            durations += 1
    assert durations >= 8  # adjustment, reversal, lag, smoothing, ... written with units


def test_duration_defaults_read_back_to_the_models_values():
    from sim.scenario.schema import Elasticity, Trade

    assert Elasticity.model_fields["adjustment"].default == 3.0
    assert duration_text(3.0) == "3 years"
    assert duration_text(0.25) == "3 months"
    assert duration_text(1.0) == "1 year"
    for years in (3.0, 0.25, 1.0, 5.0, 0.0, 7 / 365.25, 1.3):
        assert parse_duration(duration_text(years)) == pytest.approx(years, abs=1e-12)
    assert "`3 years`" in docs.markdown()
    assert Trade.model_fields["rerouting"].default == parse_duration("0 years")


def test_the_schema_command_writes_the_editor_schema(tmp_path):
    assert sim.scenario.json_schema() == json.loads(docs.schema_text())
