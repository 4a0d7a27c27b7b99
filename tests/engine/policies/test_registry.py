"""Adding a policy type is a spec module (sim/scenario/policies/) and an instrument module of
the same name (sim/engine/policies/): the registries, the schema, the docs and the checks
find them."""

import pkgutil
import typing
from pathlib import Path

import numpy as np
import pytest

import sim
from sim.engine import policies as instruments
from sim.engine import run_batch, simulation
from sim.engine.policies.base import Effects, Instrument
from sim.scenario import policies
from sim.scenario.policies.base import SpecBase
from sim.scenario.schema import Scenario

ROOT = Path(__file__).resolve().parents[3]
TYPES = sorted(policies.SPECS)


def test_every_module_is_registered_under_its_type():
    assert set(policies.MODULES) == set(TYPES)
    assert set(instruments.INSTRUMENTS) == set(TYPES)
    engine = {m.name for m in pkgutil.iter_modules(instruments.__path__)} - {"base", "kernels"}
    assert engine == set(policies.MODULES)
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
    spec, engine = policies.SPECS[kind], instruments.INSTRUMENTS[kind]
    assert issubclass(spec, SpecBase)
    assert issubclass(engine, Instrument)
    assert spec.__module__ == f"sim.scenario.policies.{kind}"
    assert engine.__module__ == f"sim.engine.policies.{kind}"
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


# One instrument of each kind, all acting for most of the small scenario's four years.
EVERY_KIND = """\
policies:
  reserve: {type: stockpile, owners: [alliance], commodities: [gallium, antimony], days: 60}
  cfd:
    type: price_floor
    mechanism: cfd
    commodity: gallium
    floor: 400 USD/kg
    producers: [JP]
    payer: alliance
  zone: {type: price_floor, mechanism: reference_tariff, commodity: antimony, floor: 60000 USD/t, bloc: alliance}
  duty: {type: tariff, bloc: alliance, commodity: antimony, rate: 0.1}
  crma: {type: recycling_target, bloc: alliance, commodity: gallium, target_share: 0.2, by: 2027-01, subsidy: 10 USD/kg}
  deal:
    type: offtake
    buyer: alliance
    commodity: gallium
    producers: [JP]
    volume: 5 t
    strike: 300 USD/kg
    years: 3
  build: {type: capacity_programme, bloc: alliance, commodity: antimony, capacity: 2000 t, lead_time: 1 year, amount: 1e8 USD}
options: {reserve: [reserve], cfd: [cfd], zone: [zone], duty: [duty], crma: [crma], deal: [deal], build: [build]}
"""


def test_instruments_write_only_the_effects_they_name(tmp_path, small_text, monkeypatch):
    """`Effects.reset` skips the fields no instrument in force names in `writes`, so an
    instrument writing a field it does not name would leave its effect in later ticks."""

    class Checked(Effects):
        def reset(self) -> None:
            for f in set(self.FIELDS) - set(self.written):
                assert (getattr(self, f) == self.NEUTRAL.get(f, 0.0)).all(), f
            super().reset()

    monkeypatch.setattr(simulation, "Effects", Checked)
    path = tmp_path / "every.yaml"
    path.write_text(small_text + EVERY_KIND)
    scenario = sim.load(path).scenario
    assert {p.type for p in scenario.policies.values()} == set(TYPES)
    for option in scenario.options:  # each alone, so that every field it does not name is checked
        run_batch(scenario, np.arange(2), 1, option=option)
    # and the check bites: a tariff that did not name its field is caught
    monkeypatch.setattr(instruments.INSTRUMENTS["tariff"], "writes", ())
    with pytest.raises(AssertionError, match="tariff"):
        run_batch(scenario, np.arange(2), 1, option="duty")
