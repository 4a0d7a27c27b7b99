"""Fixtures shared across the test suite: a small scenario the engine runs in milliseconds."""

from __future__ import annotations

from pathlib import Path

import pytest
from builders import scenario

import sim
from sim.scenario import LoadedScenario

SMALL = scenario(
    "small",
    """\
commodities:
  gallium:
    world_output: 760 t
    reference_price: 250 USD/kg
    stages:
      mining: {producers: {CN: {share: 0.98}}}
      refining: {producers: {CN: {share: 0.95}, JP: {share: 0.03}}}
    demand:
      alliance: {share: 0.4}
      china: {share: 0.45}
      rest: {share: 0.15}
  antimony:
    world_output: 83000 t
    reference_price: 40000 USD/t
    stages:
      mining: {producers: {CN: {share: 0.48}, RU: {share: 0.2}, AU: {share: 0.05}}}
      refining: {producers: {CN: {share: 0.7}}}
    demand:
      alliance: {share: 0.35}
      china: {share: 0.5}
      rest: {share: 0.15}
disruptions:
  ga-control:
    type: export_control
    country: CN
    commodity: gallium
    to: [alliance]
    severity: 0.8
    start: 2026-07
    duration: 12 months
    licensing: {delay: 2 months, resumed_share: 0.5}
  sb-outage:
    type: outage
    countries: [RU]
    commodity: antimony
    severity: {dist: uniform, low: 0.2, high: 0.8}
    stochastic:
      rate: 0.5
      duration: {dist: triangular, low: 1, mode: 3, high: 9, unit: months}
  sb-quota:
    type: quota
    country: CN
    commodity: antimony
    stage: refining
    cap: 0.6
    stochastic: {rate: 0.3, duration: 6 months}
  boom:
    type: demand_shock
    commodity: antimony
    blocs: [alliance]
    change: 0.2
    probability: 0.5
    start: 2027-01
    duration: 1 year
""",
    years=4,
    currency="USD",
    fx={"AUD": 0.65},
)


ONE_MINERAL = """\
name: one-mineral
horizon: {start: 2026-01, years: 3, step: month}
currency: USD
blocs:
  alliance: {members: [US, EU, JP, AU]}
  china: {members: [CN]}
  rest: {members: ["*"]}
commodities:
  gallium:
    world_output: 760 t
    reference_price: 250 USD/kg
    stages:
      mining: {producers: {CN: {share: 0.98}}}
      refining: {producers: {CN: {share: 0.95}, JP: {share: 0.03}}}
    demand:
      alliance: {share: 0.4}
      china: {share: 0.45}
      rest: {share: 0.15}
disruptions:
  ga-control:
    type: export_control
    country: CN
    commodity: gallium
    to: [alliance]
    severity: {dist: uniform, low: 0.5, high: 1.0}
    start: 2026-07
    duration: 12 months
policies:
  reserve:
    type: stockpile
    owners: [alliance]
    commodities: [gallium]
    days: 60
    initial: 1
    holding_cost: 0.1
    release: {price_above: 1.5, sale_price: reference}
options:
  do-nothing: []
  reserve: [reserve]
design:
  option: reserve
  levers:
    days: {key: policies.reserve.days, low: 5, high: 125, step: 10}
  search: {population: 8, generations: 2, reps: 40, rescore_reps: 60}
"""
"""The design search's test scenario (docs/guide.md, "Designing a policy"): one mineral, a stockpile whose size costs linearly (holding at 10% a year, sales at the
reference price) and whose shortfall falls as it grows: every size is on the frontier."""


@pytest.fixture(scope="session")
def one_mineral_text() -> str:
    return ONE_MINERAL


@pytest.fixture(scope="session")
def small_text() -> str:
    """The text of the small scenario, for tests that build on it."""
    return SMALL


@pytest.fixture(scope="session")
def reserve_text(small_text: str) -> str:
    """The small scenario with one option: a gallium stockpile for the alliance."""
    return (
        small_text
        + """
policies:
  reserve:
    type: stockpile
    owners: [alliance]
    commodities: [gallium]
    days: 60
    initial: 1
    release: {price_above: 1.5}
options:
  do-nothing: []
  reserve: [reserve]
"""
    )


@pytest.fixture
def small_path(tmp_path: Path) -> Path:
    path = tmp_path / "small.yaml"
    path.write_text(SMALL)
    return path


@pytest.fixture
def small(small_path: Path) -> LoadedScenario:
    return sim.load(small_path)


@pytest.fixture
def calm(small_path: Path) -> LoadedScenario:
    """The small scenario without any disruption."""
    return sim.load(
        small_path,
        sets=(
            "~disruptions.ga-control",
            "~disruptions.sb-outage",
            "~disruptions.sb-quota",
            "~disruptions.boom",
        ),
    )
