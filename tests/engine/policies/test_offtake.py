"""Offtake agreements: allied offtake eases a control, controlled offtake delivers nothing and
costs nothing while barred, options follow their strike, costs add up, bad input is located."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from builders import scenario

import sim
from sim.engine import run_batch
from sim.scenario import ScenarioError

GALLIUM, ALLIANCE, CHINA, REST = 0, 0, 1, 2
CONTROL = slice(52, 91)  # ga-control: 2027-01 (tick 52) for 9 months (39 weekly ticks)

# Refiners' utilisation does not follow price (supply_elasticity 0), so only a commitment
# brings JP's spare refining capacity into use. JP refines 5% of 760 t at 85% utilisation:
# 44.7 t/yr of capacity.
BASE = scenario(
    "offtake",
    """\
commodities:
  gallium:
    world_output: 760 t
    reference_price: 250 USD/kg
    stages:
      mining: {producers: {CN: {share: 0.98}}}
      refining:
        supply_elasticity: 0
        producers: {CN: {share: 0.9}, JP: {share: 0.05}}
    demand: {alliance: {share: 0.4}, china: {share: 0.45}, rest: {share: 0.15}}
disruptions:
  ga-control:
    type: export_control
    country: CN
    commodity: gallium
    to: [alliance]
    severity: 1.0
    start: 2027-01
    duration: 9 months
policies:
  deal:
    type: offtake
    buyer: JP
    commodity: gallium
    producers: [JP]
    volume: 44 t
    strike: 300 USD/kg
    years: 3
options:
  do-nothing: []
  with: [deal]
""",
    years=3,
    fx={"AUD": 0.65},
)


def write(tmp_path: Path, text: str = BASE) -> Path:
    path = tmp_path / "offtake.yaml"
    path.write_text(text)
    return path


def run(path: Path, option: str = "with", sets: tuple[str, ...] = (), n: int = 2, seed: int = 1):
    loaded = sim.load(path, sets=sets)
    r = run_batch(loaded.scenario, np.arange(n), seed, option=option, keep_paths=True)
    assert r.balance_error.max() < 1e-9
    return r


def report(r, metric: str, policy: str = "deal") -> np.ndarray:
    return r.policy_reports[(policy, "gallium", metric)]


def test_allied_offtake_lowers_the_buyers_shortfall_under_a_chinese_control(tmp_path):
    path = write(tmp_path)
    none = run(path, "do-nothing")
    allied = run(path)
    chinese = run(path, sets=("policies.deal.producers=[CN]",))
    short = {
        k: r.metrics["shortfall_t"][:, GALLIUM, ALLIANCE]
        for k, r in (("none", none), ("allied", allied), ("chinese", chinese))
    }
    assert (short["none"] > 0).all()
    assert (short["allied"] < 0.99 * short["none"]).all()  # JP's spare capacity is used
    assert (short["chinese"] > short["allied"]).all()  # CN's offtake is barred when it matters
    assert (report(allied, "delivered_t") > 0).all()


def test_offtake_from_the_controlled_producer_delivers_and_costs_nothing_while_barred(tmp_path):
    path = write(tmp_path)
    r = run(path, sets=("policies.deal.producers=[CN]",))
    cost = r.paths["fiscal_cost"][:, :, GALLIUM, ALLIANCE]  # [T, R]
    assert (cost[CONTROL] == 0).all()  # nothing arrives, so nothing is paid or resold
    outside = np.r_[0 : CONTROL.start, CONTROL.stop : cost.shape[0]]
    assert (cost[outside] != 0).all()
    requested, delivered = report(r, "requested_t"), report(r, "delivered_t")
    np.testing.assert_allclose(requested, 44 * 3, rtol=1e-12)
    assert (delivered < requested - 0.7 * 44 * 0.75).all()  # the 9 months barred are lost
    # a term that lies inside the control: asked for, never delivered, never paid
    inside = run(
        path,
        sets=(
            "policies.deal.producers=[CN]",
            "+policies.deal.start=2027-02",
            "policies.deal.years=0.5",
        ),
    )
    assert (report(inside, "requested_t") > 0).all()
    assert (report(inside, "delivered_t") == 0).all()
    assert (inside.fiscal_by_policy["deal"] == 0).all()
    assert (inside.metrics["fiscal_cost"] == 0).all()


def test_fiscal_cost_is_contract_price_less_resale_plus_premium_to_the_buyer(tmp_path):
    path = write(tmp_path)
    r = run(path, sets=("+policies.deal.premium=1e6 AUD",))
    delivered, paid = report(r, "delivered_t"), report(r, "paid")
    resold, premium = report(r, "resold"), report(r, "premium")
    np.testing.assert_allclose(paid, 300_000 * delivered, rtol=1e-12)  # 300 USD/kg
    np.testing.assert_allclose(premium, 1e6 * 0.65 * 3, rtol=1e-12)  # A$1m a year, 3 years
    np.testing.assert_allclose(r.fiscal_by_policy["deal"], paid - resold + premium, rtol=1e-9)
    cost = r.metrics["fiscal_cost"]
    np.testing.assert_allclose(cost[:, GALLIUM, ALLIANCE], r.fiscal_by_policy["deal"], rtol=1e-12)
    assert (cost[:, GALLIUM, [CHINA, REST]] == 0).all()
    # floating price: the state buys at the buyer's price less 10% and resells at that price
    floating = run(
        path,
        sets=(
            "+policies.deal.price=floating",
            "~policies.deal.strike",
            "+policies.deal.discount=0.1",
        ),
    )
    np.testing.assert_allclose(
        floating.fiscal_by_policy["deal"], -0.1 * report(floating, "resold"), rtol=1e-9
    )
    assert (floating.fiscal_by_policy["deal"] < 0).all()


def test_agreements_on_one_producer_add_up_and_share_deliveries_pro_rata(tmp_path):
    text = BASE.replace(
        "options:",
        "  deal2:\n    type: offtake\n    buyer: alliance\n    commodity: gallium\n"
        "    producers: [JP]\n    volume: 24 t\n    strike: 300 USD/kg\n    years: 3\n"
        "options:\n  split: [deal, deal2]",
    )
    path = write(tmp_path, text)
    one = run(path)
    two = run(path, "split", sets=("policies.deal.volume=20 t",))
    for series in ("price", "supply", "shortfall"):
        np.testing.assert_allclose(two.paths[series], one.paths[series], rtol=1e-9)
    a, b = report(two, "delivered_t"), report(two, "delivered_t", "deal2")
    np.testing.assert_allclose(a + b, report(one, "delivered_t"), rtol=1e-9)
    np.testing.assert_allclose(a / b, 20 / 24, rtol=1e-9)


def test_option_is_exercised_only_above_the_strike(tmp_path):
    path = write(tmp_path)
    sets = ("+policies.deal.kind=option", "disruptions.ga-control.severity=0.6")
    r = run(path, sets=sets, n=3)
    price = r.paths["price"][:, :, GALLIUM, ALLIANCE]  # [T, R] USD/t
    seen = np.vstack([np.full((1, price.shape[1]), 250_000.0), price[:-1]])  # before each tick
    exercised = r.paths["fiscal_cost"][:, :, GALLIUM, ALLIANCE] != 0
    assert exercised.any() and not exercised.all()
    np.testing.assert_array_equal(exercised, seen > 300_000)
    # buying at 300 USD/kg and reselling above it earns money
    assert (r.fiscal_by_policy["deal"] < 0).all()
    # without the control the price never passes the strike: only the premium is paid, and
    # the market is as if there were no agreement
    calm_sets = (
        "+policies.deal.kind=option",
        "~disruptions.ga-control",
        "+policies.deal.premium=2e6 USD",
    )
    calm = run(path, sets=calm_sets)
    none = run(path, "do-nothing", sets=("~disruptions.ga-control",))
    assert (report(calm, "delivered_t") == 0).all()
    np.testing.assert_allclose(calm.fiscal_by_policy["deal"], 6e6, rtol=1e-12)
    for m in ("peak_price_multiple", "mean_price_multiple", "shortfall_t"):
        np.testing.assert_array_equal(calm.metrics[m], none.metrics[m])


def _where(text: str, needle: str) -> str:
    """'LINE:COL' of the value in `KEY: VALUE` (the first line of the policies holding
    `needle`)."""
    start = text.index("policies:")
    for i, line in enumerate(text.splitlines(), 1):
        if needle in line and i > text[:start].count("\n"):
            return f"{i}:{line.index(needle) + needle.index(': ') + 3}"
    raise AssertionError(needle)


STOCKPILE = "  reserve: {type: stockpile, owners: [alliance], commodities: [gallium], days: 30}\n"
BAD = [
    (
        "commodity: gallium",
        "commodity: galium",
        "commodity",
        "unknown commodity 'galium'; did you mean 'gallium'?",
    ),
    (
        "buyer: JP",
        "buyer: aliance",
        "buyer",
        "unknown buyer 'aliance': name a bloc or an ISO country code; did you mean 'alliance'?",
    ),
    (
        "volume: 44 t",
        "volume: 44 t\n    stage: mining",
        "stage",
        "an offtake buys at the last stage ('refining'), whose output goes to markets; 'mining' "
        "only feeds the next stage",
    ),
    (
        "strike: 300 USD/kg",
        "strike: 300 EUR/kg",
        "strike",
        "currency EUR has no exchange rate; add 'fx: {EUR: <USD per EUR>}' (rates given: AUD)",
    ),
    (
        "producers: [JP]",
        "producers: [JP, AU]",
        "producers.1",
        "AU does not produce gallium at stage 'refining' (producers: CN, JP)",
    ),
    (
        "years: 3",
        "years: 3\n    destination: reserv",
        "destination",
        "'reserv' is neither 'market' nor the name of a stockpile policy",
    ),
]


@pytest.mark.parametrize(
    ("old", "new", "key", "message"), BAD, ids=[b[2] + str(i) for i, b in enumerate(BAD)]
)
def test_bad_input_is_located(tmp_path, old, new, key, message):
    head, policies = BASE.split("policies:\n")
    policies = policies.replace(old, new).replace("options:", STOCKPILE + "options:")
    text = head + "policies:\n" + policies
    path = write(tmp_path, text)
    with pytest.raises(ScenarioError) as info:
        sim.load(path)
    needle = new.split("\n")[-1].strip()
    if key == "producers.1":
        line, col = _where(text, needle).split(":")
        where = f"{line}:{int(col) + len('[JP, ')}"
    else:
        where = _where(text, needle)
    assert [str(p) for p in info.value.problems] == [
        f"{path}:{where}: policies.deal.{key}: {message}"
    ]


def test_fixed_price_without_a_strike_is_refused(tmp_path):
    path = write(tmp_path, BASE.replace("    strike: 300 USD/kg\n", ""))
    with pytest.raises(ScenarioError) as info:
        sim.load(path)
    line = BASE.splitlines().index("    type: offtake") + 1  # the policy's mapping starts here
    assert [str(p) for p in info.value.problems] == [
        f"{path}:{line}:5: policies.deal: a fixed price and an option need a 'strike'"
    ]


def test_delivery_into_a_stockpile_keeps_the_tonnes_out_of_the_market(tmp_path):
    text = BASE.replace("    years: 3\n", "    years: 3\n    destination: reserve\n", 1)
    text = text.replace("options:", STOCKPILE + "options:").replace(
        "with: [deal]", "with: [deal, reserve]"
    )
    path = write(tmp_path, text)
    r = run(path, sets=("+policies.reserve.release={price_above: 1000, when_short: false}",))
    delivered = report(r, "delivered_t")
    received = r.policy_reports[("reserve", "gallium", "received_t")]
    assert (delivered > 0).all()
    np.testing.assert_allclose(received, delivered, rtol=1e-12)
    level = r.policy_reports[("reserve", "gallium", "level_t")]
    bought = r.policy_reports[("reserve", "gallium", "purchased_t")]
    sold = r.policy_reports[("reserve", "gallium", "sold_t")]
    np.testing.assert_allclose(level, bought + received - sold, rtol=1e-12)
    # stocked tonnes are paid at the contract price and not resold: no resale revenue
    assert (report(r, "resold") == 0).all()


def test_delivery_into_a_stockpile_outside_the_option_is_refused(tmp_path):
    text = BASE.replace("    years: 3\n", "    years: 3\n    destination: reserve\n", 1)
    text = text.replace("options:", STOCKPILE + "options:")
    path = write(tmp_path, text)
    with pytest.raises(ScenarioError) as info:
        sim.load(path)
    (p,) = info.value.problems
    assert p.key == "options.with.0"
    assert p.message == (
        "'deal' delivers into stockpile 'reserve', which this option does not switch on; "
        "add 'reserve' to the option"
    )
