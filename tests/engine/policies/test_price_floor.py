"""Price floors: a contract for difference pays the gap on covered output and keeps it running;
a floor below the market costs nothing; a reference tariff lifts the bloc's price to the floor
and collects revenue on imports; bad input is reported where it was written."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from builders import scenario

import sim
from sim.engine import compile_world, run_batch
from sim.engine.market import Market
from sim.engine.policies import price_floor
from sim.engine.policies.base import Context, Effects
from sim.scenario import ScenarioError

ALLIANCE, CHINA, REST = 0, 1, 2
NDPR = 0
TERM = slice(26, 78)  # 2026-07 for one year, in weeks from 2026-01
BEFORE, AFTER = slice(0, 26), slice(78, None)

# The US refiner's cash cost (130) is above the market price (about 100-110), so without help
# it curtails to (P/c)^3 of its output; a floor of 150 keeps it running.
BASE = scenario(
    "floors",
    """\
commodities:
  ndpr:
    world_output: 1000 t
    reference_price: 100 USD/kg
    stages:
      mining: {producers: {CN: {share: 0.7}, US: {share: 0.15}, AU: {share: 0.1}}}
      refining:
        producers:
          CN: {share: 0.85}
          US: {share: 0.1, unit_cost: 130 USD/kg}
    demand:
      alliance: {share: 0.35}
      china: {share: 0.5}
      rest: {share: 0.15}
""",
    years=3,
    currency="USD",
    fx={"AUD": 0.65},
)

POLICIES = """\
policies:
  mp-cfd:
    type: price_floor
    mechanism: cfd
    commodity: ndpr
    producers: [US]
    floor: 150 USD/kg
    payer: alliance
    start: 2026-07
    years: 1
  capped-cfd:
    type: price_floor
    mechanism: cfd
    commodity: ndpr
    producers: [US]
    floor: 150 USD/kg
    payer: alliance
    start: 2026-07
    years: 1
    volume_cap: 10 t
  low-cfd:
    type: price_floor
    mechanism: cfd
    commodity: ndpr
    producers: [US]
    floor: 20 USD/kg
    payer: alliance
  aud-cfd:
    type: price_floor
    mechanism: cfd
    commodity: ndpr
    producers: [US]
    floor: 200 AUD/kg
    payer: alliance
  zone:
    type: price_floor
    mechanism: reference_tariff
    commodity: ndpr
    bloc: alliance
    floor: 130 USD/kg
    start: 2026-07
    years: 1
options:
  do-nothing: []
  cfd: [mp-cfd]
  capped: [capped-cfd]
  low: [low-cfd]
  zone: [zone]
"""


@pytest.fixture
def loaded(tmp_path: Path):
    path = tmp_path / "floors.yaml"
    path.write_text(BASE + POLICIES)
    return sim.load(path)


def run(loaded, option: str | None, keep_paths: bool = False):
    r = run_batch(loaded.scenario, np.arange(3), seed=1, option=option, keep_paths=keep_paths)
    assert r.balance_error.max() < 1e-9  # policies never break the mass balance
    return r


# -- contract for difference ---------------------------------------------------------------------
def test_cfd_above_the_market_pays_in_every_tick_of_its_term_and_only_then(loaded):
    r = run(loaded, "cfd", keep_paths=True)
    cost = r.paths["fiscal_cost"][:, :, NDPR]  # [T, R, B] currency/yr
    assert (cost[TERM, :, ALLIANCE] > 0).all()
    assert (cost[BEFORE] == 0).all() and (cost[AFTER] == 0).all()
    assert (cost[:, :, [CHINA, REST]] == 0).all()  # booked to the payer only
    assert (r.series_mean["fiscal_cost"][TERM, NDPR, ALLIANCE] > 0).all()
    total = r.metrics["fiscal_cost"][:, NDPR, ALLIANCE]
    np.testing.assert_allclose(r.fiscal_by_policy["mp-cfd"], total, rtol=1e-12)


def test_cfd_keeps_covered_high_cost_output_running(loaded):
    base, cfd = run(loaded, None), run(loaded, "cfd")
    supply = {
        name: r.series_mean["supply"][TERM, NDPR] for name, r in (("base", base), ("cfd", cfd))
    }
    assert supply["cfd"][:, ALLIANCE].mean() > supply["base"][:, ALLIANCE].mean()
    assert supply["cfd"].sum(-1).mean() > supply["base"].sum(-1).mean()  # world supply too
    # more supply, lower price for everyone during the term
    assert (cfd.series_mean["price"][40:78, NDPR] < base.series_mean["price"][40:78, NDPR]).all()
    # before the term nothing differs
    np.testing.assert_array_equal(
        cfd.series_mean["price"][BEFORE], base.series_mean["price"][BEFORE]
    )


def test_volume_cap_limits_the_payment_not_the_market(loaded):
    full, capped = run(loaded, "cfd"), run(loaded, "capped")
    paid_full = full.metrics["fiscal_cost"][:, NDPR, ALLIANCE]
    paid_capped = capped.metrics["fiscal_cost"][:, NDPR, ALLIANCE]
    assert (paid_capped > 0).all() and (paid_capped < 0.2 * paid_full).all()  # 10 of ~100 t/yr
    np.testing.assert_array_equal(full.series_mean["supply"], capped.series_mean["supply"])


def test_floor_below_the_market_costs_nothing_and_changes_nothing(loaded):
    base, low = run(loaded, None), run(loaded, "low")
    assert (low.metrics["fiscal_cost"] == 0).all()
    for name in base.metrics:
        np.testing.assert_array_equal(low.metrics[name], base.metrics[name])


def test_floor_in_another_currency_is_converted(loaded):
    s = loaded.scenario
    world = compile_world(s)
    ctx = Context(s, world, Market(world, 1), np.arange(1), 1)
    inst = price_floor.Instrument("aud-cfd", s.policies["aud-cfd"], ctx)
    assert inst.floor == pytest.approx(200 * 0.65 * 1000)  # USD/t
    assert (inst.first, inst.end) == (0, world.n_ticks)  # no start, no years: the whole run


# -- reference tariff ----------------------------------------------------------------------------
def test_reference_tariff_lifts_the_price_users_and_producers_see_to_the_floor(loaded):
    s = loaded.scenario
    world = compile_world(s)
    market = Market(world, 3)
    ctx = Context(s, world, market, np.arange(3), 1)
    inst = price_floor.Instrument("zone", s.policies["zone"], ctx)
    market.price[:, NDPR, ALLIANCE] = np.array([50_000.0, 100_000.0, 160_000.0])
    effects = Effects(3, *world.shape)
    inst.before_clear(26, effects)
    # users and home producers pay max(P * tariff, reference price)
    seen = np.maximum(
        market.price[:, NDPR] * effects.tariff[:, NDPR], effects.reference_price[:, NDPR]
    )
    np.testing.assert_allclose(seen[:, ALLIANCE], [130_000.0, 130_000.0, 160_000.0])
    assert (effects.reference_price[:, NDPR, [CHINA, REST]] == 0).all()
    assert (effects.investment_floor[:, NDPR, ALLIANCE] == 130_000.0).all()
    # a higher reference price already in place is kept
    effects.reset()
    effects.reference_price[:, NDPR, ALLIANCE] = 300_000.0
    inst.before_clear(26, effects)
    assert (effects.reference_price[:, NDPR, ALLIANCE] == 300_000.0).all()
    # outside the term: nothing
    for tick in (25, 78):
        effects.reset()
        inst.before_clear(tick, effects)
        assert (effects.reference_price == 0).all() and (effects.investment_floor == 0).all()


def test_reference_tariff_collects_revenue_on_imports_and_cuts_use(loaded):
    base, zone = run(loaded, None), run(loaded, "zone", keep_paths=True)
    cost = zone.paths["fiscal_cost"][:, :, NDPR]
    assert (cost[TERM, :, ALLIANCE] < 0).all()  # the alliance imports most of what it uses
    assert (cost[BEFORE] == 0).all() and (cost[AFTER] == 0).all()
    assert (zone.metrics["fiscal_cost"][:, NDPR, ALLIANCE] < 0).all()
    use = {
        n: r.series_mean["use"][TERM, NDPR, ALLIANCE].mean() for n, r in (("b", base), ("z", zone))
    }
    assert use["z"] < use["b"]


# -- located errors ------------------------------------------------------------------------------
def where(text: str, line_text: str, value: str) -> str:
    """'LINE:COL' of `value` on the one line of `text` holding `line_text`."""
    hits = [i for i, line in enumerate(text.splitlines()) if line_text in line]
    assert len(hits) == 1, hits
    line = text.splitlines()[hits[0]]
    return f"{hits[0] + 1}:{line.index(value, line.index(line_text)) + 1}"


BAD = """\
policies:
  mp-cfd:
    type: price_floor
    mechanism: cfd
    commodity: ndpr
    producers: [US, BR]
    floor: 150 USD/kg
    payer: allience
  eur-cfd:
    type: price_floor
    mechanism: cfd
    commodity: ndpr
    producers: [CN]
    floor: 150 EUR/kg
    payer: china
    start: 2025-10
  mine-cfd:
    type: price_floor
    mechanism: cfd
    commodity: ndpr
    stage: mining
    producers: [AU]
    floor: 150 USD/kg
    payer: alliance
  typo-cfd:
    type: price_floor
    mechanism: cfd
    commodity: ndpr
    stage: refinng
    producers: [US]
    floor: 150 USD/kg
    payer: alliance
  zone:
    type: price_floor
    mechanism: reference_tariff
    commodity: ndrp
    bloc: alliance
    floor: 130 USD/kg
"""


def test_bad_input_is_reported_where_it_was_written(tmp_path: Path):
    path = tmp_path / "bad.yaml"
    text = BASE + BAD
    path.write_text(text)
    with pytest.raises(ScenarioError) as err:
        sim.load(path)
    got = [str(p) for p in err.value.problems]
    assert got == [
        f"{path}:{where(text, '[US, BR]', 'BR')}: policies.mp-cfd.producers.1: "
        "BR does not produce ndpr at stage 'refining' (producers: CN, US)",
        f"{path}:{where(text, 'payer: allience', 'allience')}: policies.mp-cfd.payer: "
        "unknown bloc 'allience'; did you mean 'alliance'?",
        f"{path}:{where(text, '150 EUR/kg', '150')}: policies.eur-cfd.floor: "
        "currency EUR has no exchange rate; add 'fx: {EUR: <USD per EUR>}' (rates given: AUD)",
        f"{path}:{where(text, 'start: 2025-10', '2025')}: policies.eur-cfd.start: "
        "2025-10 is outside the horizon (2026-01 to 2029-01, exclusive)",
        f"{path}:{where(text, 'stage: mining', 'mining')}: policies.mine-cfd.stage: "
        "a cfd can cover only the last stage of ndpr ('refining'): "
        "the engine reports producers' output at the last stage only",
        f"{path}:{where(text, 'stage: refinng', 'refinng')}: policies.typo-cfd.stage: "
        "ndpr has no stage 'refinng'; did you mean 'refining'?",
        f"{path}:{where(text, 'commodity: ndrp', 'ndrp')}: policies.zone.commodity: "
        "unknown commodity 'ndrp'; did you mean 'ndpr'?",
    ]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ("mechanism: cfd, commodity: ndpr, floor: 1 USD/kg, payer: china",
         "a 'cfd' needs 'producers' and a 'payer' bloc"),
        ("mechanism: cfd, commodity: ndpr, floor: 1 USD/kg, producers: [CN], payer: china, bloc: china",
         "a 'cfd' takes 'payer', not 'bloc'"),
        ("mechanism: reference_tariff, commodity: ndpr, floor: 1 USD/kg",
         "a 'reference_tariff' needs the 'bloc' that defends the floor"),
        ("mechanism: reference_tariff, commodity: ndpr, floor: 1 USD/kg, bloc: china, payer: china",
         "a 'reference_tariff' does not take payer"),
    ],
)  # fmt: skip
def test_each_mechanism_takes_its_own_fields(tmp_path: Path, fields: str, message: str):
    path = tmp_path / "mixed.yaml"
    text = BASE + f"policies:\n  p: {{type: price_floor, {fields}}}\n"
    path.write_text(text)
    with pytest.raises(ScenarioError) as err:
        sim.load(path)
    assert [str(p) for p in err.value.problems] == [
        f"{path}:{where(text, '  p: ', '{')}: policies.p: {message}"
    ]
