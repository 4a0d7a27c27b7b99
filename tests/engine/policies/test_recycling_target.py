"""Recycling targets: the floor rises linearly and holds, recycled supply lowers what the bloc
needs from primary producers (lower price, fuller stocks), only recycling above the market's
is subsidised, and bad input is located."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from builders import scenario

import sim
from sim.engine import compile_world, run_batch
from sim.scenario import ScenarioError

GALLIUM, ALLIANCE, CHINA, REST = 0, 0, 1, 2
WEEKS = 52
START, BY = 26, 78  # 2026-07 and 2027-07 in weeks from 2026-01

# No disruption: without the target the market stays at its reference state.
BASE = scenario(
    "recycling",
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
  crma:
    type: recycling_target
    bloc: alliance
    commodity: gallium
    start: 2026-07
    target_share: 0.25
    by: 2027-07
    subsidy: 20 EUR/kg
options:
  do-nothing: []
  with: [crma]
""",
    years=3,
    fx={"EUR": 1.1},
)
SUBSIDY = 20_000 * 1.1  # USD/t


def write(tmp_path: Path, text: str = BASE) -> Path:
    path = tmp_path / "recycling.yaml"
    path.write_text(text)
    return path


def run(path: Path, option: str = "with", sets: tuple[str, ...] = (), n: int = 2):
    loaded = sim.load(path, sets=sets)
    r = run_batch(loaded.scenario, np.arange(n), 1, option=option, keep_paths=True)
    assert r.balance_error.max() < 1e-9
    return r, loaded


def floor(s0: float, s1: float) -> np.ndarray:
    """The required share of use at each tick: none before the start, linear, then held."""
    t = np.arange(3 * WEEKS)
    share = s0 + (s1 - s0) * np.clip((t - START) / (BY - START), 0, 1)
    return np.where(t >= START, share, 0.0)


def expected_cost(r, loaded, extra_share: np.ndarray) -> np.ndarray:
    """subsidy × extra share × last tick's use (t) for every tick, summed [R]."""
    world = compile_world(loaded.scenario)
    use = r.paths["use"][:, :, GALLIUM, ALLIANCE]  # [T, R] t/yr
    last = np.vstack([np.full((1, use.shape[1]), world.demand[GALLIUM, ALLIANCE]), use[:-1]])
    return (SUBSIDY * extra_share[:, None] * last / WEEKS).sum(0)


def test_target_recycles_more_lowers_the_price_and_pays_for_the_extra_tonnes(tmp_path):
    path = write(tmp_path)
    none, _ = run(path, "do-nothing")
    r, loaded = run(path)
    # nothing changes before the target starts
    for series in ("price", "supply", "use", "stock_days"):
        np.testing.assert_array_equal(r.paths[series][:START], none.paths[series][:START])
    assert (r.paths["fiscal_cost"][:START] == 0).all()
    # scrap replaces primary metal: the alliance's stocks fill and its price falls
    after = slice(BY, None)
    price = r.paths["price"][after, :, GALLIUM, ALLIANCE]
    assert (price < none.paths["price"][after, :, GALLIUM, ALLIANCE]).all()
    days = r.paths["stock_days"][after, :, GALLIUM, ALLIANCE]
    assert (days > none.paths["stock_days"][after, :, GALLIUM, ALLIANCE]).all()
    mean = r.metrics["mean_price_multiple"][:, GALLIUM, ALLIANCE]
    assert (mean < none.metrics["mean_price_multiple"][:, GALLIUM, ALLIANCE]).all()
    # the market recycles nothing on its own here: every recycled tonne is subsidised
    share = floor(0.0, 0.25)
    cost = expected_cost(r, loaded, share)
    np.testing.assert_allclose(r.fiscal_by_policy["crma"], cost, rtol=1e-9)
    np.testing.assert_allclose(r.metrics["fiscal_cost"][:, GALLIUM, ALLIANCE], cost, rtol=1e-9)
    assert (r.metrics["fiscal_cost"][:, GALLIUM, [CHINA, REST]] == 0).all()
    extra = r.policy_reports[("crma", "gallium", "extra_recycled_t")]
    np.testing.assert_allclose(extra * SUBSIDY, cost, rtol=1e-9)
    # the floor rises linearly and then holds: extra tonnes per tonne of last tick's use
    per_tick = r.paths["fiscal_cost"][:, 0, GALLIUM, ALLIANCE] / WEEKS / SUBSIDY
    use = r.paths["use"][:, 0, GALLIUM, ALLIANCE] / WEEKS
    np.testing.assert_allclose(per_tick[START + 1 :] / use[START:-1], share[START + 1 :], rtol=1e-9)


def test_only_recycling_above_the_market_is_subsidised(tmp_path):
    # the market already recycles 10% (its default start share); the state pays for the rest
    recycling = "    recycling: {share: 0.1, max_share: 0.1}\n    stages:"
    path = write(tmp_path, BASE.replace("    stages:", recycling))
    none, _ = run(path, "do-nothing")
    r, loaded = run(path)
    share = floor(0.1, 0.25)
    extra = np.where(np.arange(3 * WEEKS) >= START, share - 0.1, 0.0)
    np.testing.assert_allclose(
        r.fiscal_by_policy["crma"], expected_cost(r, loaded, extra), rtol=1e-9
    )
    assert (r.metrics["mean_price_multiple"] < none.metrics["mean_price_multiple"] + 1e-12).all()
    # a target the market meets anyway costs nothing and changes nothing
    same, _ = run(path, sets=("policies.crma.target_share=0.1",))
    assert (same.fiscal_by_policy["crma"] == 0).all()
    for series in ("price", "supply", "use"):
        np.testing.assert_array_equal(same.paths[series], none.paths[series])


def test_recycling_eases_a_control(tmp_path):
    control = (
        "disruptions:\n  ga-control:\n    type: export_control\n    country: CN\n"
        "    commodity: gallium\n    to: [alliance]\n    severity: 0.8\n"
        "    start: 2027-09\n    duration: 9 months\n"
    )
    path = write(tmp_path, BASE.replace("policies:", control + "policies:"))
    none, _ = run(path, "do-nothing")
    r, _ = run(path)
    for m in ("shortfall_t", "mean_price_multiple"):
        assert (r.metrics[m][:, GALLIUM, ALLIANCE] < none.metrics[m][:, GALLIUM, ALLIANCE]).all()


def _where(text: str, needle: str) -> str:
    """'LINE:COL' of the value in `KEY: VALUE` on the line holding `needle`."""
    for i, line in enumerate(text.splitlines(), 1):
        if needle in line:
            return f"{i}:{line.index(needle) + needle.index(': ') + 3}"
    raise AssertionError(needle)


BAD = [
    ("bloc: alliance", "bloc: aliance", "bloc", "unknown bloc 'aliance'; did you mean 'alliance'?"),
    (
        "commodity: gallium",
        "commodity: galium",
        "commodity",
        "unknown commodity 'galium'; did you mean 'gallium'?",
    ),
    (
        "target_share: 0.25",
        "start_share: 0.3\n    target_share: 0.25",
        "target_share",
        "the target (0.25) is below the start share (0.3, start_share); a recycling target "
        "can only raise recycling",
    ),
    (
        "subsidy: 20 EUR/kg",
        "subsidy: 20 GBP/kg",
        "subsidy",
        "currency GBP has no exchange rate; add 'fx: {GBP: <USD per GBP>}' (rates given: EUR)",
    ),
    ("by: 2027-07", "by: 2026-05", "by", "2026-05 must be after the start of the target (2026-07)"),
    ("by: 2027-07", "by: 2030-01", "by", "2030-01 is after the horizon ends (2029-01)"),
    (
        "start: 2026-07",
        "start: 2025-07",
        "start",
        "2025-07 is outside the horizon (2026-01 to 2029-01, exclusive)",
    ),
]


@pytest.mark.parametrize(
    ("old", "new", "key", "message"), BAD, ids=[f"{b[2]}-{i}" for i, b in enumerate(BAD)]
)
def test_bad_input_is_located(tmp_path, old, new, key, message):
    text = BASE.replace(old, new)
    path = write(tmp_path, text)
    with pytest.raises(ScenarioError) as info:
        sim.load(path)
    where = _where(text, new.split("\n")[-1].strip())
    assert [str(p) for p in info.value.problems] == [
        f"{path}:{where}: policies.crma.{key}: {message}"
    ]


def test_target_below_the_commoditys_recycling_share_is_located(tmp_path):
    text = BASE.replace("    stages:", "    recycling: {share: 0.3, max_share: 0.4}\n    stages:")
    path = write(tmp_path, text)
    with pytest.raises(ScenarioError) as info:
        sim.load(path)
    assert [str(p) for p in info.value.problems] == [
        f"{path}:{_where(text, 'target_share: 0.25')}: policies.crma.target_share: the target "
        "(0.25) is below the start share (0.3, the commodity's share); a recycling target can "
        "only raise recycling"
    ]
