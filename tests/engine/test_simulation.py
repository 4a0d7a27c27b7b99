"""The engine's invariants: mass balance, batching, directions, price split, reproducibility."""

import gc
import itertools
from pathlib import Path

import numpy as np
import pytest

import sim
from sim.engine import compile_world, run_batch, simulation
from sim.engine.disruptions import LazyStream, draw, stream
from sim.engine.market import Market
from sim.scenario.base import Distribution

ALLIANCE, CHINA, REST = 0, 1, 2
GALLIUM, ANTIMONY = 0, 1

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


def test_mass_balances_every_tick_and_replication(small):
    r = run_batch(small.scenario, np.arange(64), seed=3, keep_paths=True)
    assert r.balance_error.max() < 1e-9
    # the same identity recomputed from the recorded paths (rates, t/yr)
    p = r.paths
    assert np.allclose(p["wanted"], p["use"] + p["shortfall"], rtol=1e-9, atol=1e-9)


def test_batch_of_n_equals_n_batches_of_one(small):
    ids = np.arange(6)
    batch = run_batch(small.scenario, ids, seed=11, keep_paths=True)
    for i in ids:
        one = run_batch(small.scenario, np.array([i]), seed=11, keep_paths=True)
        for name in batch.metrics:
            np.testing.assert_array_equal(batch.metrics[name][i], one.metrics[name][0])
        for name in batch.paths:
            np.testing.assert_array_equal(batch.paths[name][:, i], one.paths[name][:, 0])


def test_replication_does_not_depend_on_its_batch_neighbours(small):
    a = run_batch(small.scenario, np.array([5, 9, 2]), seed=4)
    b = run_batch(small.scenario, np.array([2, 7, 5]), seed=4)
    np.testing.assert_array_equal(
        a.metrics["peak_price_multiple"][0], b.metrics["peak_price_multiple"][2]
    )


def test_without_disruptions_prices_stay_at_reference(calm):
    r = run_batch(calm.scenario, np.arange(4), seed=1, keep_paths=True)
    world = compile_world(calm.scenario)
    mult = r.paths["price"] / world.reference_price[None, None, :, None]
    # the calm state of the storage tables holds to their interpolation error
    assert np.abs(mult - 1).max() < 1e-5
    assert r.metrics["shortfall_share"].max() < 1e-5
    assert r.metrics["weeks_in_shortfall"].max() == 0


def test_export_control_splits_prices(small):
    r = run_batch(small.scenario, np.arange(8), seed=2, keep_paths=True)
    world = compile_world(small.scenario)
    start, end = 26, 26 + 52  # 2026-07 for 12 months, in weeks from 2026-01
    during = r.paths["price"][start:end, :, GALLIUM] / world.reference_price[GALLIUM]
    assert (during[..., ALLIANCE].max(0) > 1.5).all()  # the restricted bloc's price rises
    assert (during[..., CHINA].max(0) <= 1.0).all()  # the restricting country's does not
    assert (during[..., CHINA].mean(0) < 0.95).all()  # it falls: exports pile up at home


@pytest.mark.parametrize("stage", ["refining", "mining"])
def test_deeper_cut_never_lowers_the_peak(small_path, stage):
    peaks = []
    for severity in (0.0, 0.2, 0.4, 0.6, 0.8, 1.0):
        loaded = sim.load(
            small_path,
            sets=(
                f"disruptions.ga-control.severity={severity}",
                f"+disruptions.ga-control.stage={stage}" if stage == "mining" else "name=x",
                "~disruptions.ga-control.licensing",
            ),
        )
        r = run_batch(loaded.scenario, np.arange(2), seed=1)
        peaks.append(r.metrics["peak_price_multiple"][0, GALLIUM, ALLIANCE])
    assert all(b >= a - 1e-12 for a, b in itertools.pairwise(peaks)), peaks
    assert peaks[-1] > peaks[0]


def test_same_seed_same_numbers_other_seed_other_numbers(small):
    a = run_batch(small.scenario, np.arange(16), seed=7)
    b = run_batch(small.scenario, np.arange(16), seed=7)
    c = run_batch(small.scenario, np.arange(16), seed=8)
    for m in a.metrics:
        np.testing.assert_array_equal(a.metrics[m], b.metrics[m])
    assert not np.array_equal(a.metrics["peak_price_multiple"], c.metrics["peak_price_multiple"])


def test_stochastic_outage_varies_across_replications(small):
    r = run_batch(small.scenario, np.arange(40), seed=5)
    peaks = r.metrics["peak_price_multiple"][:, ANTIMONY, ALLIANCE]
    assert peaks.std() > 0


def test_outage_lowers_supply_and_raises_prices_everywhere(small_path):
    loaded = sim.load(
        small_path,
        sets=(
            "~disruptions.ga-control",
            "~disruptions.sb-quota",
            "~disruptions.boom",
            "~disruptions.sb-outage.stochastic",
            "disruptions.sb-outage.severity=1.0",
            "+disruptions.sb-outage.start=2026-03",
            "+disruptions.sb-outage.duration=6 months",
        ),
    )
    r = run_batch(loaded.scenario, np.arange(2), seed=1)
    peak = r.metrics["peak_price_multiple"][0, ANTIMONY]
    assert (peak > 1.05).all()  # an outage outside any bloc's control hits every bloc


class _EveryRowMarket(Market):
    """A market that clears every replication of every commodity (nothing copied)."""

    @property
    def varies(self):
        return np.ones(self.K, dtype=np.bool_)

    @varies.setter
    def varies(self, value):
        pass


@pytest.mark.parametrize(
    ("name", "option"),
    [("china-export-controls.yaml", None), ("allied-stockpiles.yaml", "both-coordinated")],
)
def test_untouched_commodities_cleared_once_give_the_same_numbers(name, option, monkeypatch):
    """Commodities that no disruption and no policy touches are cleared in the first row only,
    and the recorder reads their other rows from it: every number equals clearing each row."""
    loaded = sim.load(SCENARIOS / name, sets=("horizon.years=3",))
    world = compile_world(loaded.scenario)
    ids = np.arange(6)
    copied = run_batch(loaded.scenario, ids, 4, world=world, option=option, keep_paths=True)
    monkeypatch.setattr(simulation, "Market", _EveryRowMarket)
    every = run_batch(loaded.scenario, ids, 4, world=world, option=option, keep_paths=True)
    for name_, x in every.paths.items():
        np.testing.assert_array_equal(copied.paths[name_], x, err_msg=name_)
    for name_, x in every.metrics.items():
        np.testing.assert_array_equal(copied.metrics[name_], x, err_msg=name_)
    for name_, x in every.series.items():
        np.testing.assert_array_equal(copied.series[name_], x, err_msg=name_)
    for name_, x in every.diagnostics.items():
        np.testing.assert_array_equal(copied.diagnostics[name_], x, err_msg=name_)
    np.testing.assert_array_equal(copied.balance_error, every.balance_error)


def test_a_lazy_stream_draws_what_its_stream_draws_and_only_when_asked():
    triangular = Distribution(dist="triangular", low=6, mode=12, high=24, unit="months")
    lazy = LazyStream(7, 3, "group:wave")
    assert draw(4.0, lazy) == 4.0 and lazy._rng is None  # a fixed value creates no generator
    eager = stream(7, 3, "group:wave")
    assert [draw(triangular, lazy, years=True) for _ in range(3)] == [
        draw(triangular, eager, years=True) for _ in range(3)
    ]


@pytest.mark.parametrize("enabled", [True, False])
def test_a_batch_pauses_the_cyclic_gc_and_leaves_it_as_it_found_it(small, monkeypatch, enabled):
    seen = []
    clear = Market.clear

    def spy(self, *args, **kwargs):
        seen.append(gc.isenabled())
        return clear(self, *args, **kwargs)

    monkeypatch.setattr(Market, "clear", spy)
    was = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    try:
        run_batch(small.scenario, np.arange(2), 1)
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()
    assert seen and not any(seen)


def test_more_leakage_never_raises_the_peak_and_a_schedule_equals_its_single_licence(small_path):
    def peak(*sets):
        loaded = sim.load(small_path, sets=("~disruptions.ga-control.licensing", *sets))
        r = run_batch(loaded.scenario, np.arange(2), seed=1)
        return r.metrics["peak_price_multiple"][0, GALLIUM, ALLIANCE]

    peaks = [
        peak(f"+disruptions.ga-control.leakage={{share: {share}, lag: 1 month}}")
        for share in (0.0, 0.3, 0.6, 0.9)
    ]
    assert all(b <= a + 1e-12 for a, b in itertools.pairwise(peaks)), peaks
    assert peaks[-1] < peaks[0]
    single = peak("+disruptions.ga-control.licensing={delay: 2 months, resumed_share: 0.4}")
    schedule = peak(
        "+disruptions.ga-control.licensing={schedule: [{after: 2 months, resumed_share: 0.4}]}"
    )
    assert single == schedule


def test_an_announcement_raises_the_hit_blocs_price_and_stocks_before_the_start(small_path):
    def run(*sets):
        loaded = sim.load(small_path, sets=sets)
        world = compile_world(loaded.scenario)
        r = run_batch(loaded.scenario, np.arange(2), seed=1, keep_paths=True)
        return world, r

    world, plain = run()
    _, told = run("+disruptions.ga-control.announced=2026-05")
    start, announced = 26, 17  # 2026-07 and 2026-05, in weeks from 2026-01
    ref = world.reference_price[GALLIUM]
    before = slice(announced, start)
    p_plain = plain.paths["price"][before, 0, GALLIUM, ALLIANCE] / ref
    p_told = told.paths["price"][before, 0, GALLIUM, ALLIANCE] / ref
    assert np.abs(p_plain - 1).max() < 0.01  # nothing known, nothing happens
    assert (p_told > 1.05).all()  # stockholders hoard from the announcement on
    # more metal reaches the alliance before the start (front-loading)
    got_plain = plain.paths["supply"][before, 0, GALLIUM, ALLIANCE].sum()
    got_told = told.paths["supply"][before, 0, GALLIUM, ALLIANCE].sum()
    assert got_told > 1.05 * got_plain
    assert told.balance_error.max() < 1e-9  # hoarding moves metal; it makes none
    # before the announcement the two runs are the same
    np.testing.assert_array_equal(
        plain.paths["price"][:announced, 0, GALLIUM], told.paths["price"][:announced, 0, GALLIUM]
    )


def test_home_support_keeps_the_restricting_countrys_price_from_collapsing(small_path):
    """The more of the stopped flow China keeps off its home market, the less its price
    falls under its own control; the controlled bloc is no better off; no metal is made."""
    world = None
    lows, peaks = [], []
    for support in (0.0, 0.5, 1.0):
        loaded = sim.load(small_path, sets=(f"+disruptions.ga-control.home_support={support}",))
        world = compile_world(loaded.scenario)
        r = run_batch(loaded.scenario, np.arange(2), seed=1, keep_paths=True)
        assert r.balance_error.max() < 1e-9
        home = r.paths["price"][:, 0, GALLIUM, CHINA] / world.reference_price[GALLIUM]
        lows.append(home.min())
        peaks.append(r.metrics["peak_price_multiple"][0, GALLIUM, ALLIANCE])
    assert lows[0] < lows[1] < lows[2], lows
    assert lows[0] < 0.95  # without support the home price falls
    assert all(b >= a - 1e-9 for a, b in itertools.pairwise(peaks)), peaks


@pytest.mark.parametrize("applies_to", ["exports", "output"])
def test_a_quota_in_tonnes_equals_the_same_quota_as_a_share(small_path, applies_to):
    from sim.engine.disruptions.effects import baseline_flow_shares

    share = sim.load(small_path, sets=(f"+disruptions.sb-quota.applies_to={applies_to}",))
    world = compile_world(share.scenario)
    s = world.stage_index(ANTIMONY, "refining")
    p = world.producer_index(ANTIMONY, "refining", "CN")
    tonnes = world.capacity[ANTIMONY, s, p] * world.utilisation[ANTIMONY, s, p] * 0.6
    if applies_to == "exports":
        home = world.producer_bloc[ANTIMONY, s, p]
        foreign = [b for b in range(len(world.blocs)) if b != home]
        tonnes *= baseline_flow_shares(world)[ANTIMONY, s, foreign].sum()
    tonnage = sim.load(
        small_path,
        sets=(
            f"+disruptions.sb-quota.applies_to={applies_to}",
            "~disruptions.sb-quota.cap",
            f"+disruptions.sb-quota.tonnes={float(tonnes)!r} t",
        ),
    )
    a = run_batch(share.scenario, np.arange(6), seed=4)
    b = run_batch(tonnage.scenario, np.arange(6), seed=4)
    for m in a.metrics:
        np.testing.assert_allclose(a.metrics[m], b.metrics[m], rtol=1e-9, atol=1e-9)
    assert a.metrics["peak_price_multiple"][:, ANTIMONY].max() > 1.01  # the quota bites


def test_a_quota_takes_a_cap_or_tonnes_not_both(small_path):
    with pytest.raises(sim.ScenarioError, match="give either 'cap' \\(a share\\) or 'tonnes'"):
        sim.load(small_path, sets=("+disruptions.sb-quota.tonnes=1000 t",))


def test_a_control_on_one_country_of_a_bloc_is_a_smaller_cut_to_the_bloc(small_path):
    """Metal moves freely inside a bloc, so stopping exports to the US, with 40% of the
    alliance's use, is stopping 40% of the exports to the alliance; a larger share is a
    deeper cut."""

    def metrics(*sets):
        loaded = sim.load(small_path, sets=("~disruptions.ga-control.licensing", *sets))
        return run_batch(loaded.scenario, np.arange(3), seed=2).metrics

    us = metrics(
        "disruptions.ga-control.to=[US]",
        "+commodities.gallium.demand.alliance.countries={US: 0.4}",
        "disruptions.ga-control.severity=0.8",
    )
    bloc = metrics("disruptions.ga-control.severity=0.32")
    for m in us:
        np.testing.assert_allclose(us[m], bloc[m], rtol=1e-12, atol=1e-12)
    peaks = [
        metrics(
            "disruptions.ga-control.to=[US, JP]",
            f"+commodities.gallium.demand.alliance.countries={{US: {us_share}, JP: 0.1}}",
        )["peak_price_multiple"][0, GALLIUM, ALLIANCE]
        for us_share in (0.1, 0.4, 0.8)
    ]
    assert peaks[0] < peaks[1] < peaks[2], peaks
    # a country that is its bloc's only member is the bloc
    alone = sim.load(
        small_path,
        sets=(
            "blocs={alliance: {members: [EU, JP, AU]}, us: {members: [US]}, china: {members: "
            "[CN]}, rest: {members: ['*']}}",
            "commodities.gallium.demand={alliance: {share: 0.25}, us: {share: 0.15}, china: "
            "{share: 0.45}, rest: {share: 0.15}}",
            "commodities.antimony.demand={alliance: {share: 0.2}, us: {share: 0.15}, china: "
            "{share: 0.5}, rest: {share: 0.15}}",
        ),
    )
    by_country = sim.load(alone.path, sets=(*alone.source.sets, "disruptions.ga-control.to=[US]"))
    by_bloc = sim.load(alone.path, sets=(*alone.source.sets, "disruptions.ga-control.to=[us]"))
    a = run_batch(by_country.scenario, np.arange(2), seed=1).metrics
    b = run_batch(by_bloc.scenario, np.arange(2), seed=1).metrics
    np.testing.assert_array_equal(a["peak_price_multiple"], b["peak_price_multiple"])


@pytest.mark.parametrize(
    ("sets", "message"),
    [
        (
            ("disruptions.ga-control.to=[US]",),
            "US is one country of bloc 'alliance': give its share of the bloc's gallium use in "
            "commodities.gallium.demand.alliance.countries (e.g. {US: 0.4}), or target the "
            "whole bloc",
        ),
        (
            ("disruptions.ga-control.to=[CN]",),
            "CN is in bloc 'china' with CN; a country cannot restrict exports to its own bloc",
        ),
        (
            (
                "disruptions.ga-control.to=[US]",
                "+commodities.gallium.demand.alliance.countries={US: 0.4, IN: 0.2}",
            ),
            "IN is not a member of bloc 'alliance'",
        ),
        (
            (
                "disruptions.ga-control.to=[US]",
                "+commodities.gallium.demand.alliance.countries={US: 0.7, JP: 0.5}",
            ),
            "the countries' shares of the bloc's use sum to 1.2; at most 1",
        ),
    ],
)
def test_country_targets_need_their_share_of_the_blocs_use(small_path, sets, message):
    with pytest.raises(sim.ScenarioError) as e:
        sim.load(small_path, sets=sets)
    assert message in str(e.value)
