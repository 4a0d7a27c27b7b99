"""Capacity programmes: capacity arrives exactly after the lead time (and its random delay),
the delay is drawn per replication on its own stream, costs follow the instrument, capacity due
after the horizon never arrives, and bad input is located."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from builders import scenario

import sim
from sim.engine import run_batch
from sim.engine.disruptions import draw, stream
from sim.scenario import ScenarioError

GALLIUM, ALLIANCE, CHINA, REST = 0, 0, 1, 2
WEEKS = 52
T = 3 * WEEKS

# No disruption unless a test adds one: the market stays at its reference state until the
# capacity arrives, so the first tick that differs from do-nothing is the arrival.
BASE = scenario(
    "programme",
    """\
commodities:
  gallium:
    world_output: 760 t
    reference_price: 250 USD/kg
    stages:
      mining: {producers: {CN: {share: 0.98}}}
      refining: {producers: {CN: {share: 0.95}, JP: {share: 0.03}}}
    demand: {alliance: {share: 0.4}, china: {share: 0.45}, rest: {share: 0.15}}
policies:
  build:
    type: capacity_programme
    bloc: alliance
    commodity: gallium
    capacity: 60 t
    lead_time: 1 year
    start: 2026-07
    amount: 2e8 AUD
options:
  do-nothing: []
  with: [build]
""",
    years=3,
    fx={"AUD": 0.65},
)
DECISION = 26  # 2026-07 in weeks from 2026-01
CONTROL = """\
disruptions:
  ga-control:
    type: export_control
    country: CN
    commodity: gallium
    to: [alliance]
    severity: 0.5
    start: 2028-01
    duration: 6 months
"""


def write(tmp_path: Path, text: str = BASE) -> Path:
    path = tmp_path / "programme.yaml"
    path.write_text(text)
    return path


def run(path: Path, option: str = "with", sets: tuple[str, ...] = (), n: int = 2, seed: int = 1):
    loaded = sim.load(path, sets=sets)
    r = run_batch(loaded.scenario, np.arange(n), seed, option=option, keep_paths=True)
    assert r.balance_error.max() < 1e-9
    return r


def first_change(r, none) -> np.ndarray:
    """First tick [R] at which the alliance's supply differs from do-nothing (T if never)."""
    a = r.paths["supply"][:, :, GALLIUM, ALLIANCE]
    b = none.paths["supply"][:, :1, GALLIUM, ALLIANCE]  # undisturbed: every row is the same
    differs = ~np.isclose(a, b, rtol=1e-12, atol=0)
    return np.where(differs.any(0), differs.argmax(0), a.shape[0])


def test_capacity_arrives_exactly_after_the_lead_time(tmp_path):
    path = write(tmp_path)
    none = run(path, "do-nothing")
    r = run(path)
    arrival = DECISION + WEEKS
    np.testing.assert_array_equal(first_change(r, none), arrival)
    for series in ("price", "supply", "use"):
        np.testing.assert_array_equal(r.paths[series][:arrival], none.paths[series][:arrival])
    # more supply in the alliance from then on: its price falls below the reference
    price = r.paths["price"][arrival + 4 :, :, GALLIUM, ALLIANCE]
    assert (price < 250_000).all()
    np.testing.assert_array_equal(r.policy_reports[("build", "gallium", "capacity_added")], 60)
    np.testing.assert_array_equal(r.policy_reports[("build", "gallium", "arrival_years")], 1.5)


def test_capacity_eases_a_later_control(tmp_path):
    path = write(tmp_path, BASE.replace("policies:", CONTROL + "policies:"))
    none = run(path, "do-nothing")
    r = run(path)
    for m in ("shortfall_t", "peak_price_multiple", "mean_price_multiple"):
        assert (r.metrics[m][:, GALLIUM, ALLIANCE] < none.metrics[m][:, GALLIUM, ALLIANCE]).all()


DELAY = ("+policies.build.delay={dist: uniform, low: 0, high: 12, unit: months}",)


def delay_of(path: Path):
    """The delay distribution as the engine sees it."""
    return sim.load(path, sets=DELAY).scenario.policies["build"].delay


def test_random_delay_is_drawn_per_replication_on_its_own_stream(tmp_path):
    path = write(tmp_path)
    none = run(path, "do-nothing", sets=DELAY)
    r = run(path, sets=DELAY, n=8, seed=5)
    arrival = first_change(r, none)
    expected = [
        DECISION
        + round((1 + draw(delay_of(path), stream(5, i, "policy:build"), years=True)) * WEEKS)
        for i in range(8)
    ]
    np.testing.assert_array_equal(arrival, expected)
    assert len(set(arrival)) > 4  # the delay varies across replications
    assert (arrival >= DECISION + WEEKS).all() and (arrival <= DECISION + 2 * WEEKS).all()
    np.testing.assert_allclose(
        r.policy_reports[("build", "gallium", "arrival_years")], np.array(arrival) / WEEKS
    )
    # the same seed gives the same numbers; a batch of 4 equals 4 batches of 1
    again = run(path, sets=DELAY, n=8, seed=5)
    np.testing.assert_array_equal(first_change(again, none), arrival)
    loaded = sim.load(path, sets=DELAY)
    batch = run_batch(loaded.scenario, np.arange(4), 5, option="with")
    for i in range(4):
        one = run_batch(loaded.scenario, np.array([i]), 5, option="with")
        for name, values in batch.metrics.items():
            np.testing.assert_array_equal(values[i], one.metrics[name][0])
        for key, values in batch.policy_reports.items():
            np.testing.assert_array_equal(values[i], one.policy_reports[key][0])
    other = run(path, sets=DELAY, n=8, seed=6)
    assert not np.array_equal(first_change(other, none), arrival)


@pytest.mark.parametrize(
    ("instrument", "recovery", "net"),
    [("grant", None, 1.0), ("equity", None, 0.5), ("loan", None, 0.2), ("loan", 0.5, 0.5)],
)
def test_cost_is_the_money_not_recovered_spread_over_the_lead_time(
    tmp_path, instrument, recovery, net
):
    sets = (f"+policies.build.instrument={instrument}",)
    if recovery is not None:
        sets += (f"+policies.build.recovery={recovery}",)
    r = run(write(tmp_path), sets=sets)
    total = 2e8 * 0.65 * net  # A$200m in USD, less what comes back
    np.testing.assert_allclose(r.fiscal_by_policy["build"], total, rtol=1e-12)
    cost = r.metrics["fiscal_cost"]
    np.testing.assert_allclose(cost[:, GALLIUM, ALLIANCE], total, rtol=1e-12)
    assert (cost[:, GALLIUM, [CHINA, REST]] == 0).all()
    per_year = r.paths["fiscal_cost"][:, :, GALLIUM, ALLIANCE]  # [T, R] USD/yr
    spend = slice(DECISION, DECISION + WEEKS)
    np.testing.assert_allclose(per_year[spend], total, rtol=1e-12)  # even: total/yr for a year
    assert (per_year[:DECISION] == 0).all() and (per_year[DECISION + WEEKS :] == 0).all()


def test_unspread_cost_is_booked_at_the_decision(tmp_path):
    r = run(write(tmp_path), sets=("+policies.build.spread=false",))
    per_tick = r.paths["fiscal_cost"][:, :, GALLIUM, ALLIANCE] / WEEKS
    np.testing.assert_allclose(per_tick[DECISION], 2e8 * 0.65, rtol=1e-12)
    assert (np.delete(per_tick, DECISION, axis=0) == 0).all()


def test_capacity_due_after_the_horizon_never_arrives_but_is_paid_for_within_it(tmp_path):
    path = write(tmp_path)
    none = run(path, "do-nothing")
    r = run(path, sets=("policies.build.lead_time=10 years",))
    for series in ("price", "supply", "use", "shortfall"):
        np.testing.assert_array_equal(r.paths[series], none.paths[series])
    np.testing.assert_array_equal(r.policy_reports[("build", "gallium", "capacity_added")], 0)
    # spread over 10 years, of which the run sees the ticks from the decision to its end
    np.testing.assert_allclose(
        r.fiscal_by_policy["build"], 2e8 * 0.65 * (T - DECISION) / (10 * WEEKS), rtol=1e-12
    )


def test_delay_draws_leave_other_components_alone(tmp_path):
    # a stochastic outage draws on its own stream: a programme that draws a delay but whose
    # capacity never arrives leaves every replication's market exactly as under do-nothing
    outage = (
        "disruptions:\n  cn-outage:\n    type: outage\n    countries: [CN]\n"
        "    commodity: gallium\n    severity: {dist: uniform, low: 0.2, high: 0.8}\n"
        "    stochastic: {rate: 2, duration: 2 months}\n"
    )
    path = write(tmp_path, BASE.replace("policies:", outage + "policies:"))
    none = run(path, "do-nothing", n=6, seed=3)
    r = run(path, sets=(*DELAY, "policies.build.lead_time=10 years"), n=6, seed=3)
    assert none.paths["price"].std(1).max() > 0  # the outage differs across replications
    for series in ("price", "supply", "shortfall"):
        np.testing.assert_array_equal(r.paths[series], none.paths[series])


def _where(text: str, needle: str) -> str:
    """'LINE:COL' of the value in `KEY: VALUE` on the line holding `needle`."""
    for i, line in enumerate(text.splitlines(), 1):
        if needle in line:
            return f"{i}:{line.index(needle) + needle.index(': ') + 3}"
    raise AssertionError(needle)


BAD = [
    ("bloc: alliance", "bloc: alliace", "bloc", "unknown bloc 'alliace'; did you mean 'alliance'?"),
    (
        "commodity: gallium",
        "commodity: galium",
        "commodity",
        "unknown commodity 'galium'; did you mean 'gallium'?",
    ),
    (
        "amount: 2e8 AUD",
        "amount: 2e8 EUR",
        "amount",
        "currency EUR has no exchange rate; add 'fx: {EUR: <USD per EUR>}' (rates given: AUD)",
    ),
    (
        "start: 2026-07",
        "start: 2030-07",
        "start",
        "2030-07 is outside the horizon (2026-01 to 2029-01, exclusive)",
    ),
    (
        "lead_time: 1 year",
        "lead_time: 1 year\n    delay: {dist: uniform, low: 0, high: 6}",
        "delay",
        "a delay distribution needs a 'unit' (days, weeks, months, quarters, years)",
    ),
]


@pytest.mark.parametrize(("old", "new", "key", "message"), BAD, ids=[b[2] for b in BAD])
def test_bad_input_is_located(tmp_path, old, new, key, message):
    text = BASE.replace(old, new)
    path = write(tmp_path, text)
    with pytest.raises(ScenarioError) as info:
        sim.load(path)
    where = _where(text, new.split("\n")[-1].strip())
    assert [str(p) for p in info.value.problems] == [
        f"{path}:{where}: policies.build.{key}: {message}"
    ]
