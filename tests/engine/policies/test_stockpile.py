"""Stockpiles: release helps the owner, buying into a tight market hurts, budgets hold, tonnes
are conserved, and bad input is located."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from builders import scenario
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sim
from sim.engine import run_batch
from sim.scenario import ScenarioError

GALLIUM, ALLIANCE, CHINA = 0, 0, 1

BODY = """\
commodities:
  gallium:
    world_output: 760 t
    reference_price: 250 USD/kg
    stock_days: {stock_days}
    stages:
      mining: {{producers: {{CN: {{share: 0.98}}}}}}
      refining: {{producers: {{CN: {{share: 0.95}}, JP: {{share: 0.03}}}}}}
    demand: {{alliance: {{share: 0.4}}, china: {{share: 0.45}}, rest: {{share: 0.15}}}}
disruptions:
  ga-control:
    type: export_control
    country: CN
    commodity: gallium
    to: [alliance]
    severity: {severity}
    start: 2027-01
    duration: 9 months
policies:
  reserve:
    type: stockpile
    owners: [alliance]
    commodities: [gallium]
    days: {days}
    initial: {initial}
    budget: {budget}
    acquire: {{rate: {rate}, max_market_share: {cap}}}
    release: {{price_above: {trigger}, rate: 4}}
  partner:
    type: stockpile
    owners: [JP]
    use_share: 0.2
    commodities: [gallium]
    days: 60
    initial: 1
    release: {{price_above: 50, when_short: false}}
    coordinate_with: [reserve]
options:
  do-nothing: []
  stockpile: [reserve]
  coordinated: [reserve, partner]
  alone: [partner]
"""


def scenario_text(**values) -> str:
    """The scenario with `values` (years, step, stock_days, severity, days, ...) filled in."""
    return scenario(
        "stockpiles",
        BODY.format(**values),
        years=values["years"],
        step=values["step"],
        fx={"AUD": 0.65},
    )


DEFAULTS = dict(
    years=3,
    step="week",
    stock_days=60,
    severity=0.5,
    days=90,
    initial=1.0,
    budget="1.2e9 AUD",
    rate=1.0,
    cap=0.1,
    trigger=1.5,
)


def write(tmp_path: Path, **kw) -> Path:
    path = tmp_path / "s.yaml"
    path.write_text(scenario_text(**{**DEFAULTS, **kw}))
    return path


def run(path: Path, option: str, n: int = 2, seed: int = 1, **kw):
    loaded = sim.load(path, **kw)
    return run_batch(loaded.scenario, np.arange(n), seed, option=option, keep_paths=True)


def test_release_lowers_the_owners_peak_price_and_shortfall(tmp_path):
    path = write(tmp_path)
    none = run(path, "do-nothing")
    held = run(path, "stockpile")
    assert (
        held.metrics["shortfall_t"][0, GALLIUM, ALLIANCE]
        < none.metrics["shortfall_t"][0, GALLIUM, ALLIANCE]
    )
    assert (
        held.metrics["peak_price_multiple"][0, GALLIUM, ALLIANCE]
        < none.metrics["peak_price_multiple"][0, GALLIUM, ALLIANCE]
    )
    sold = held.policy_reports[("reserve", "gallium", "sold_t")]
    assert (sold > 0).all()
    assert held.balance_error.max() < 1e-9


def test_buying_into_a_tight_market_raises_prices_and_the_cap_limits_it(tmp_path):
    # no disruption, thin commercial stocks, an empty stockpile buying hard (the warning that
    # uncoordinated build-ups can cause the crisis they fear)
    path = write(tmp_path, severity=0.0, stock_days=20, initial=0.0, rate=4.0, trigger=50)
    none = run(path, "do-nothing")
    peaks = {}
    for cap in (0.02, 0.1, 0.3):
        r = run(path, "stockpile", sets=(f"policies.reserve.acquire.max_market_share={cap}",))
        peaks[cap] = r.metrics["peak_price_multiple"][0, GALLIUM]
    base = none.metrics["peak_price_multiple"][0, GALLIUM]
    assert np.allclose(base, 1.0)
    # the buyer's own bloc pays more, and trade passes the tightness on to the others
    for b in range(3):
        assert peaks[0.02][b] < peaks[0.1][b] < peaks[0.3][b]
        assert peaks[0.02][b] > base[b]


def test_coordinated_release_makes_partners_release_together(tmp_path):
    path = write(tmp_path)
    alone = run(path, "alone")  # trigger at 50x: never fires on its own
    together = run(path, "coordinated")
    assert (alone.policy_reports[("partner", "gallium", "sold_t")] == 0).all()
    assert (together.policy_reports[("partner", "gallium", "sold_t")] > 0).all()


def test_refill_after_release(tmp_path):
    path = write(tmp_path, years=4)
    r = run(path, "stockpile")
    level = r.series_mean["strategic_stock"][:, GALLIUM, ALLIANCE]
    low = level.argmin()
    assert low < len(level) - 1
    assert level[-1] > level[low] + 1.0  # bought back after the crisis


@pytest.mark.parametrize("option", ["stockpile", "coordinated"])
def test_tonnes_are_conserved(tmp_path, option):
    r = run(write(tmp_path), option)
    for name in ("reserve", "partner") if option == "coordinated" else ("reserve",):
        rep = {
            m: r.policy_reports[(name, "gallium", m)]
            for m in ("initial_t", "purchased_t", "sold_t", "level_t")
        }
        np.testing.assert_allclose(
            rep["initial_t"] + rep["purchased_t"] - rep["sold_t"], rep["level_t"], rtol=1e-12
        )
    assert r.balance_error.max() < 1e-9


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    budget=st.floats(1e5, 5e7),
    days=st.floats(5, 400),
    initial=st.floats(0, 1),
    rate=st.floats(0.1, 8),
    cap=st.floats(0.001, 1),
    trigger=st.floats(1.05, 10),
    severity=st.floats(0, 1),
)
def test_no_budget_is_ever_exceeded(tmp_path, budget, days, initial, rate, cap, trigger, severity):
    path = write(
        tmp_path,
        years=2,
        step="month",
        budget=f"{budget} USD",
        days=days,
        initial=initial,
        rate=rate,
        cap=cap,
        trigger=trigger,
        severity=severity,
    )
    r = run(path, "stockpile", n=3, seed=7)
    spent = r.policy_reports[("reserve", "all", "max_net_spend")]
    initial_cost = r.policy_reports[("reserve", "gallium", "initial_t")] * 250_000
    # the initial fill is bought before the run and kept (2% a year for 2 years); from then
    # on the budget binds, holding costs included
    assert (spent <= np.maximum(budget, initial_cost * (1 + 0.02 * 2)) * (1 + 1e-9)).all()
    rep = {
        m: r.policy_reports[("reserve", "gallium", m)]
        for m in ("initial_t", "purchased_t", "sold_t", "level_t")
    }
    np.testing.assert_allclose(
        rep["initial_t"] + rep["purchased_t"] - rep["sold_t"], rep["level_t"], rtol=1e-9, atol=1e-9
    )
    assert r.balance_error.max() < 1e-9


def problems(path: Path, **kw) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        sim.load(path, **kw)
    return [str(p).replace(str(path), "{file}") for p in info.value.problems]


@pytest.mark.parametrize(
    ("sets", "expected"),
    [
        (
            ("policies.reserve.owners=[alliance, ZZ]",),
            "--set policies.reserve.owners=[alliance, ZZ]: policies.reserve.owners.1: "
            "unknown owner 'ZZ': name a bloc or an ISO country code",
        ),
        (
            ("policies.reserve.budget=-5 USD",),
            "--set policies.reserve.budget=-5 USD: policies.reserve.budget: "
            "a money amount cannot be negative (got '-5 USD')",
        ),
        (
            ("policies.reserve.budget=5e6 EUR",),
            "--set policies.reserve.budget=5e6 EUR: policies.reserve.budget: currency EUR has "
            "no exchange rate; add 'fx: {EUR: <USD per EUR>}' (rates given: AUD)",
        ),
        (
            ("+policies.reserve.acquire.below_price=2.0",),
            "{file}:35:28: policies.reserve.release.price_above: the release trigger (1.5x) must "
            "be above the buy trigger (2x), or the stockpile would buy and sell at the same price",
        ),
        (
            ("options.stockpile=[reserv]",),
            "--set options.stockpile=[reserv]: options.stockpile.0: no policy named 'reserv'; "
            "did you mean 'reserve'? (policies: reserve, partner)",
        ),
        (
            ("policies.reserve.commodities=[galium]",),
            "--set policies.reserve.commodities=[galium]: policies.reserve.commodities.0: "
            "unknown commodity 'galium'; did you mean 'gallium'?",
        ),
    ],
    ids=[
        "unknown-owner",
        "negative-budget",
        "currency-without-fx",
        "release-below-buy",
        "option-names-missing-policy",
        "unknown-commodity",
    ],
)
def test_bad_policy_input_is_located(tmp_path, sets, expected):
    assert problems(write(tmp_path), sets=sets) == [expected]


def test_a_stockpile_needs_a_size(tmp_path):
    path = write(tmp_path)
    found = problems(path, sets=("~policies.reserve.days", "~policies.reserve.budget"))
    assert found == ["{file}:28:5: policies.reserve: give a size: 'days', 'tonnes' or 'budget'"]


def test_sale_at_reference_price_earns_reference_price(tmp_path):
    path = write(tmp_path)
    r = run(path, "stockpile", sets=("+policies.reserve.release.sale_price=reference",))
    sold = r.policy_reports[("reserve", "gallium", "sold_t")]
    earned = r.policy_reports[("reserve", "gallium", "earned")]
    assert (sold > 0).all()
    np.testing.assert_allclose(earned, sold * 250_000, rtol=1e-12)
    market = run(path, "stockpile")
    assert (market.policy_reports[("reserve", "gallium", "earned")] > earned).all()


def test_holding_costs_count_against_the_budget(tmp_path):
    """A budget-sized stockpile buys what it can also keep to the end: its net spend, holding
    included, ends within the budget, and without holding costs it would have bought more."""
    budget = 5e6  # USD: about 20 t of gallium at the reference price
    # calm, and no release: nothing is sold
    calm = {"severity": 0.0, "budget": f"{budget} USD", "initial": 0.0, "trigger": 50}
    text = scenario_text(**{**DEFAULTS, **calm})
    text = text.replace("    days: 90\n", "", 1)  # sized by the budget alone
    path = tmp_path / "s.yaml"
    path.write_text(text)
    quiet = "+policies.reserve.release.when_short=false"
    kept = run(path, "stockpile", sets=(quiet, "+policies.reserve.holding_cost=0.1"))
    free = run(path, "stockpile", sets=(quiet, "+policies.reserve.holding_cost=0"))
    rep = kept.policy_reports
    paid = rep[("reserve", "gallium", "holding_paid")]
    net = rep[("reserve", "gallium", "spent")] - rep[("reserve", "gallium", "earned")] + paid
    assert (paid > 0).all()
    assert (rep[("reserve", "all", "max_net_spend")] <= budget * (1 + 1e-9)).all()
    np.testing.assert_allclose(rep[("reserve", "all", "max_net_spend")], net, rtol=1e-12)
    # 10% a year for 3 years: the target is budget / 1.3 at the reference price; buying
    # into the market lifts the price above it, so the budget binds a little earlier
    target = budget / 1.3 / 250_000
    bought = rep[("reserve", "gallium", "purchased_t")]
    assert (bought <= target * (1 + 1e-9)).all() and (bought > 0.9 * target).all()
    assert (bought < free.policy_reports[("reserve", "gallium", "purchased_t")]).all()
