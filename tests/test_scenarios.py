"""The shipped scenarios behave as the issue requires."""

from pathlib import Path

import numpy as np
import pytest

import sim
from sim.engine import compile_world, run_batch

ROOT = Path(__file__).resolve().parents[1] / "scenarios"


def test_base_world_stays_at_reference_prices_without_disruptions():
    loaded = sim.load(ROOT / "base" / "world-2025.yaml")
    r = run_batch(loaded.scenario, np.arange(2), seed=1)
    assert np.abs(r.metrics["peak_price_multiple"] - 1).max() < 0.01
    assert np.abs(r.metrics["mean_price_multiple"] - 1).max() < 0.01
    assert r.metrics["shortfall_share"].max() < 1e-4  # use priced away by a drift < 0.1%
    assert r.metrics["weeks_in_shortfall"].max() == 0


@pytest.fixture(scope="module")
def flagship():
    loaded = sim.load(ROOT / "china-export-controls.yaml")
    world = compile_world(loaded.scenario)
    return world, run_batch(loaded.scenario, np.arange(16), seed=1, keep_paths=True)


@pytest.mark.parametrize("commodity", ["gallium", "ndpr", "dysprosium", "antimony"])
def test_flagship_raises_the_alliance_price_and_not_chinas(flagship, commodity):
    world, r = flagship
    k = world.commodities.index(commodity)
    a, c = world.blocs.index("alliance"), world.blocs.index("china")
    peak = r.metrics["peak_price_multiple"][:, k]
    assert (peak[:, a] > 1.1).all()
    # during the wave (months 6 to 12 of the run) China's home price does not rise
    during = r.paths["price"][26:52, :, k, c] / world.reference_price[k]
    assert during.max() <= 1.0 + 1e-9


def test_flagship_keeps_mass_balance(flagship):
    _, r = flagship
    assert r.balance_error.max() < 1e-9


def test_flagship_shows_uncertainty(flagship):
    world, r = flagship
    k = world.commodities.index("gallium")
    weeks = r.metrics["weeks_in_shortfall"][:, k, world.blocs.index("alliance")]
    assert weeks.std() > 0


@pytest.mark.parametrize("path", sorted(ROOT.rglob("*.yaml")), ids=lambda p: p.name)
def test_shipped_scenarios_point_editors_at_the_schema(path):
    first = path.read_text().splitlines()[0]
    prefix = "# yaml-language-server: $schema="
    assert first.startswith(prefix)
    target = (path.parent / first[len(prefix) :]).resolve()
    assert target == (ROOT.parent / "docs" / "scenario.schema.json").resolve()


def _floor_run(*overrides):
    loaded = sim.load(ROOT / "ndpr-price-floor.yaml", overrides=("calm", *overrides))
    return run_batch(loaded.scenario, np.arange(2), seed=1, option="floor", keep_paths=True)


def test_ndpr_floor_above_the_market_costs_money_every_period():
    r = _floor_run("low-price")  # NdPr at 63 USD/kg (Jul 2025), under the 110 USD/kg floor
    cost = r.paths["fiscal_cost"].sum((2, 3))  # [T, R] currency/yr
    term = round(9.75 * 52)
    assert (cost[:term] > 0).all()
    assert (cost[term:] == 0).all()


def test_ndpr_floor_below_the_market_costs_nothing():
    r = _floor_run("high-price")  # NdPr at 123 USD/kg (Feb 2026), above the floor
    assert (r.metrics["fiscal_cost"] == 0).all()


@pytest.mark.parametrize(
    ("path", "option"),
    [
        ("alliance-2026.yaml", "stockpiles-and-floors"),
        ("australia-reserve.yaml", "reserve"),
        ("allied-stockpiles.yaml", "both-coordinated"),
    ],
)
def test_policy_scenarios_run_and_balance(path, option):
    loaded = sim.load(ROOT / path)
    r = run_batch(loaded.scenario, np.arange(2), seed=1, option=option)
    assert r.balance_error.max() < 1e-9
    assert r.fiscal_by_policy and all(np.isfinite(v).all() for v in r.fiscal_by_policy.values())


def _random_commodities(s) -> set[str]:
    """Commodities hit by a disruption whose onset, depth or occurrence is drawn. A drawn
    length alone does not count: stockholders do not know it (docs/model.md section 5), so a
    peak reached before the shortest length is the same in every replication."""
    from sim.scenario.base import Distribution

    in_random_group = {
        m
        for g in s.groups.values()
        if g.stochastic is not None or g.probability < 1
        for m in g.members
    }
    out = set()
    for name, d in s.disruptions.items():
        depth = [getattr(d, f, None) for f in ("severity", "cap", "change")]
        if (
            d.stochastic is not None
            or d.probability < 1
            or name in in_random_group
            or any(isinstance(f, Distribution) for f in depth)
        ):
            out.add(d.commodity)
    return out


@pytest.mark.parametrize(
    "name, overrides",
    [
        ("china-export-controls", ()),
        pytest.param(
            "china-export-controls",
            ("stochastic",),
            marks=pytest.mark.xfail(
                strict=True,
                reason="with waves at random dates a second full heavy-REE stop can come before "
                "stocks recover: Dy then has no supply at all and its price reaches the 100x "
                "guard in ~14% of replications (minsim says so in its output)",
            ),
        ),
        pytest.param(
            "alliance-2026",
            (),
            marks=pytest.mark.xfail(
                strict=True,
                reason="the flagship's waves come at random (its active `stochastic`): as for "
                "china-export-controls with that override, Dy reaches the guard in 7-12% of "
                "replications (minsim says so in its output)",
            ),
        ),
        ("alliance-2026", ("fixed-wave",)),
        ("allied-stockpiles", ()),
        ("australia-reserve", ()),
    ],
)
def test_shipped_prices_are_set_by_the_market_not_held_flat_at_a_top(name, overrides):
    """Issue 13: at most 5% of the price paths that rise 1.5x or more stay within 0.01% of
    their peak for four weeks or longer, no price reaches a bound, and the peak has p5 < p95
    wherever the disruption is random."""
    from sim.experiment.results import flat_peaks

    loaded = sim.load(ROOT / f"{name}.yaml", overrides)
    world = compile_world(loaded.scenario)
    r = run_batch(loaded.scenario, np.arange(100), seed=3, keep_paths=True)
    multiple = r.paths["price"] / world.reference_price[None, None, :, None]
    T = multiple.shape[0]
    rising, flat = flat_peaks(multiple.reshape(T, -1), world.ticks_per_year)
    assert rising > 0
    assert flat <= 0.05 * rising, (flat, rising)
    peak = r.metrics["peak_price_multiple"]
    assert (peak < world.choke_multiple[None, :, None] * (1 - 1e-9)).all()
    for c in _random_commodities(loaded.scenario):
        k = world.commodities.index(c)
        for b in range(len(world.blocs)):
            p5, p95 = np.percentile(peak[:, k, b], [5, 95])
            if p95 > 1.05:  # the disruption moves this price
                assert p5 < p95, (c, world.blocs[b], p5, p95)


@pytest.mark.xfail(
    strict=True,
    reason="the back-test library does not identify trade.rerouting (flat posterior over 0-6 months), so "
    "the base world keeps instant switching (issue 13, part 3): a germanium control on "
    "the alliance alone is met at once by the 41% of refining outside China, so it moves no "
    "price",
)
def test_every_disruption_of_the_flagship_moves_a_price():
    loaded = sim.load(ROOT / "china-export-controls.yaml")
    world = compile_world(loaded.scenario)
    r = run_batch(loaded.scenario, np.arange(50), seed=3)
    peak = r.metrics["peak_price_multiple"]
    hit = sorted({d.commodity for d in loaded.scenario.disruptions.values()})
    still = [
        c
        for c in hit
        if np.percentile(peak[:, world.commodities.index(c)], 95, axis=0).max() <= 1.05
    ]
    assert still == [], still


def test_buyers_switching_origins_with_a_lag_make_a_one_bloc_control_bite():
    """A germanium control on the alliance alone is met by the 41% of refining outside
    China; with `trade.rerouting` those producers' foreign customers move to the alliance
    only over months, so the alliance's price rises, more the slower they move, while home
    buyers take their share at once (no overshoot in China's price after the control)."""
    k = None
    peaks, china_top = [], []
    for lag in ("0 months", "1 month", "6 months"):
        sets = (f"commodities.germanium.trade.rerouting={lag}",)
        loaded = sim.load(ROOT / "china-export-controls.yaml", sets=sets)
        world = compile_world(loaded.scenario)
        k = world.commodities.index("germanium")
        r = run_batch(loaded.scenario, np.arange(2), seed=3, keep_paths=True)
        assert r.balance_error.max() < 1e-9
        peaks.append(r.metrics["peak_price_multiple"][0, k, world.blocs.index("alliance")])
        china = r.paths["price"][:, 0, k, world.blocs.index("china")] / world.reference_price[k]
        china_top.append(china.max())
    assert peaks[0] < 1.01  # instant switching: the control moves nothing
    assert peaks[0] < peaks[1] < peaks[2] and peaks[2] > 1.1, peaks
    assert max(china_top) < 1.02, china_top


def test_rerouting_changes_nothing_in_a_calm_world():
    sets = tuple(
        f"commodities.{c}.trade.rerouting=6 months"
        for c in sim.load(ROOT / "base" / "world-2025.yaml").scenario.commodities
    )
    loaded = sim.load(ROOT / "base" / "world-2025.yaml", sets=sets)
    r = run_batch(loaded.scenario, np.arange(2), seed=1)
    assert np.abs(r.metrics["peak_price_multiple"] - 1).max() < 0.01
    assert np.abs(r.metrics["mean_price_multiple"] - 1).max() < 0.01


def test_the_base_world_carries_each_commodity_s_posterior_with_its_fit_first():
    """`minsim calibrate --write` left a posterior in every commodity; its first point is
    the fit, the value written into the commodity's keys, and the weights sum to one."""
    from sim.experiment.calibrate import numeric

    s = sim.load(Path(__file__).parents[1] / "scenarios" / "base" / "world-2025.yaml").scenario
    for name, c in s.commodities.items():
        post = c.calibration.posterior
        assert post is not None, name
        assert abs(sum(p.weight for p in post.points) - 1) < 1e-3, name
        best = post.points[0]
        for key, value in zip(post.keys, best.values, strict=True):
            node = c
            for part in key.split("."):
                node = getattr(node, part)
            assert node == pytest.approx(numeric(value)), (name, key)


@pytest.mark.parametrize(
    "name", ["alliance-2026", "allied-stockpiles", "australia-reserve", "ndpr-price-floor"]
)
def test_every_shipped_scenario_with_options_compares_at_its_default_replications(
    name, tmp_path, monkeypatch
):
    """Issue 14: `minsim compare` completes on each shipped scenario with options at its
    default replications, figures and report included (australia-reserve once failed in its
    figures after simulating), and the terminal, report.html, differences.csv and
    `Comparison.headline()` give the same numbers to the digit."""
    import importlib

    import pandas as pd
    from click.testing import CliRunner

    from sim.cli import cli

    compare = importlib.import_module("sim.studies.compare")  # where the command calls it

    ran = []
    original = compare.compare_options
    monkeypatch.setattr(
        compare, "compare_options", lambda *a, **k: ran.append(original(*a, **k)) or ran[-1]
    )
    out = tmp_path / name
    result = CliRunner().invoke(cli, ["compare", str(ROOT / f"{name}.yaml"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert (out / "report.html").is_file() and (out / "summary.csv").is_file()
    assert not (out / "plots" / "FAILED.txt").exists(), (out / "plots" / "FAILED.txt").read_text()
    assert "ranked by expected social cost" in result.stdout
    (comparison,) = ran
    assert comparison.results[comparison.baseline].reps == 1000
    head = comparison.headline()
    report = (out / "report.html").read_text()
    diffs = pd.read_csv(out / "differences.csv")
    lines = result.stdout.splitlines()
    for _, r in head[head.commodity == "all"].iterrows():
        money = [f"{r[c] / 1e6:,.1f}" for c in ("social_cost", "consumer_cost", "fiscal_cost_net")]
        line = next(x for x in lines if x.split()[:2] == [f"{r['rank']}.", r.option])
        assert all(m in line for m in money), (line, money)
        assert all(f"<td>{m}</td>" in report for m in money)
        if r.verdict != "baseline":
            d = diffs[
                (diffs.option == r.option)
                & (diffs.commodity == "all")
                & (diffs.bloc == r.bloc)
                & (diffs.metric == "social_cost")
            ].iloc[0]
            for got, want in ((d.mean_difference, r.social_cost_vs_baseline), (d.ci_low, r.ci_low)):
                assert got == pytest.approx(want, rel=1e-5, abs=1e-3)


def _hazard(record: list[dict], members: dict[str, str], first: int, last: int):
    """The wave rate (measures touching any member a year, years first..last inclusive)
    and each member's share of those measures: the Poisson maximum likelihood estimates."""
    rows = [r for r in record if first <= int(r["effective"][:4]) <= last]
    waves = [r for r in rows if any(r[c] == "1" for c in members.values())]
    shares = {m: sum(r[c] == "1" for r in waves) / len(waves) for m, c in members.items()}
    return len(waves) / (last - first + 1), shares


@pytest.mark.parametrize(
    ("overrides", "first"), [(("stochastic",), 2010), (("stochastic", "recent-hazard"), 2023)]
)
def test_the_wave_hazard_is_the_record_of_chinese_controls(overrides, first):
    """china-export-controls.yaml's random waves come at the rate of the sourced record
    base/china-controls-2010-2025.csv, and each mineral takes part with the record's odds."""
    import csv

    with open(ROOT / "base" / "china-controls-2010-2025.csv", newline="") as f:
        record = list(csv.DictReader(f))
    loaded = sim.load(ROOT / "china-export-controls.yaml", overrides=overrides)
    wave = loaded.scenario.groups["china-wave"]
    members = {m: loaded.scenario.disruptions[m].commodity for m in wave.members}
    rate, shares = _hazard(record, members, first, 2025)
    assert wave.stochastic.rate == pytest.approx(rate, abs=5e-5)
    assert set(wave.takes_part) == set(members)
    for m, share in shares.items():
        assert wave.takes_part[m] == pytest.approx(share, abs=5e-5), m
