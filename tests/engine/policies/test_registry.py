"""Adding an instrument is one module: the registry, the schema, the docs and the checks find it."""

import typing
from pathlib import Path

import pytest

from sim.engine import policies
from sim.engine.policies.base import Instrument, SpecBase
from sim.scenario.schema import Scenario

ROOT = Path(__file__).resolve().parents[3]
TYPES = sorted(policies.SPECS)


def test_every_module_is_registered_under_its_type():
    assert set(policies.MODULES) == set(TYPES)
    assert TYPES == [
        "capacity_programme",
        "offtake",
        "price_floor",
        "recycling_target",
        "stockpile",
        "tariff",
    ]


@pytest.mark.parametrize("kind", TYPES)
def test_each_instrument_has_a_schema_an_engine_class_and_docs(kind):
    spec, engine = policies.SPECS[kind], policies.INSTRUMENTS[kind]
    assert issubclass(spec, SpecBase)
    assert issubclass(engine, Instrument)
    assert typing.get_args(spec.model_fields["type"].annotation) == (kind,)
    # the scenario schema accepts it (the union is built from the registry)
    schema = Scenario.model_json_schema()
    assert spec.__name__ in schema["$defs"]
    # the generated reference and the model documentation describe it
    assert f"## {spec.__name__}" in (ROOT / "docs" / "scenarios.md").read_text()
    headings = [
        line
        for line in (ROOT / "docs" / "model.md").read_text().splitlines()
        if line.startswith("### ")
    ]
    assert any(f"(`{kind}`)" in h for h in headings)
