"""Import tariffs: users in the taxing bloc pay more and use less, the treasury collects revenue
on imports (none where the bloc imports nothing), a zero rate changes nothing, and bad input is
reported where it was written."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from builders import scenario

import sim
from sim.engine import compile_world, run_batch
from sim.scenario import ScenarioError

ALLIANCE, CHINA, REST = 0, 1, 2
NDPR = 0

SCENARIO = scenario(
    "tariffs",
    """\
commodities:
  ndpr:
    world_output: 1000 t
    reference_price: 100 USD/kg
    stages:
      mining: {producers: {CN: {share: 0.7}, US: {share: 0.15}, AU: {share: 0.1}}}
      refining: {producers: {CN: {share: 0.85}, US: {share: 0.1}}}
    demand:
      alliance: {share: 0.35}
      china: {share: 0.5}
      rest: {share: 0.15}
policies:
  duty:
    type: tariff
    bloc: alliance
    commodity: ndpr
    rate: 0.25
  free:
    type: tariff
    bloc: alliance
    commodity: ndpr
    rate: 0
  china-duty:
    type: tariff
    bloc: china
    commodity: ndpr
    rate: 0.25
  later:
    type: tariff
    bloc: alliance
    commodity: ndpr
    rate: 0.25
    start: 2026-07
    years: 0.5
options:
  do-nothing: []
  duty: [duty]
  free: [free]
  china-duty: [china-duty]
  later: [later]
""",
    years=2,
    currency="USD",
)


@pytest.fixture
def loaded(tmp_path: Path):
    path = tmp_path / "tariffs.yaml"
    path.write_text(SCENARIO)
    return sim.load(path)


def run(loaded, option: str | None, keep_paths: bool = False):
    r = run_batch(loaded.scenario, np.arange(3), seed=1, option=option, keep_paths=keep_paths)
    assert r.balance_error.max() < 1e-9
    return r


def test_tariff_cuts_use_in_the_taxing_bloc_and_collects_revenue(loaded):
    base, duty = run(loaded, None), run(loaded, "duty", keep_paths=True)
    use_base = base.series_mean["use"][:, NDPR, ALLIANCE].mean()
    use_duty = duty.series_mean["use"][:, NDPR, ALLIANCE].mean()
    assert use_duty < use_base
    cost = duty.paths["fiscal_cost"][:, :, NDPR]  # [T, R, B]
    assert (cost[:, :, ALLIANCE] < 0).all()  # revenue in every tick: the alliance imports
    assert (cost[:, :, [CHINA, REST]] == 0).all()
    total = duty.metrics["fiscal_cost"][:, NDPR, ALLIANCE]
    np.testing.assert_allclose(duty.fiscal_by_policy["duty"], total, rtol=1e-12)
    # revenue = 25% of last tick's price on net imports, which lie between the bloc's primary
    # supply less its refiners' full capacity, and its primary supply
    world = compile_world(loaded.scenario)
    us = world.producer_index(NDPR, "refining", "US")
    home = world.capacity[NDPR, -1, us]  # t/yr
    supply = duty.paths["supply"][:, :, NDPR, ALLIANCE]  # t/yr, all primary: no recycling
    # the recorded price is what users pay, the market price times 1.25; revenue is 25% of
    # the market price of the last tick
    paid = duty.paths["price"][:-1, :, NDPR, ALLIANCE] / 1.25
    price = np.concatenate([np.full((1, 3), world.reference_price[NDPR]), paid])
    revenue = -cost[:, :, ALLIANCE]
    assert (revenue <= 0.25 * price * supply * (1 + 1e-12)).all()
    assert (revenue >= 0.25 * price * (supply - home) * (1 - 1e-12)).all()


def test_a_bloc_that_imports_nothing_collects_nothing(loaded):
    r = run(loaded, "china-duty")
    assert (r.metrics["fiscal_cost"] == 0).all()  # China refines more than it uses
    base = run(loaded, None)
    assert (
        r.series_mean["use"][:, NDPR, CHINA].mean() < base.series_mean["use"][:, NDPR, CHINA].mean()
    )


def test_zero_rate_changes_nothing(loaded):
    base, free = run(loaded, None, keep_paths=True), run(loaded, "free", keep_paths=True)
    for name in base.metrics:
        np.testing.assert_array_equal(free.metrics[name], base.metrics[name])
    for name in base.paths:
        np.testing.assert_array_equal(free.paths[name], base.paths[name])


def test_tariff_acts_only_during_its_term(loaded):
    base, later = run(loaded, None), run(loaded, "later", keep_paths=True)
    cost = later.paths["fiscal_cost"][:, :, NDPR, ALLIANCE]
    assert (cost[26:52] < 0).all()
    assert (cost[:26] == 0).all() and (cost[52:] == 0).all()
    np.testing.assert_array_equal(later.series_mean["use"][:26], base.series_mean["use"][:26])


def test_unknown_bloc_is_reported_where_it_was_written(tmp_path: Path):
    path = tmp_path / "bad.yaml"
    text = SCENARIO.replace("    bloc: china\n", "    bloc: chna\n")
    path.write_text(text)
    line = text.splitlines().index("    bloc: chna") + 1
    with pytest.raises(ScenarioError) as err:
        sim.load(path)
    assert [str(p) for p in err.value.problems] == [
        f"{path}:{line}:11: policies.china-duty.bloc: unknown bloc 'chna'; did you mean 'china'?"
    ]
