"""The recorder: per-replication metrics and the mass-balance check of every tick."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from sim.engine import compile_world
from sim.engine.market import Market
from sim.engine.recorder import Recorder


@pytest.fixture
def tick(small):
    """A market of three replications after one clearing, and a recorder for it."""
    world = compile_world(small.scenario)
    market = Market(world, 3)
    flows = market.clear(0.0)
    return world, market, flows, Recorder(world, 3)


def test_a_balanced_tick_leaves_no_residual(tick):
    _, market, flows, recorder = tick
    recorder.record(0, flows, market.stock)
    assert recorder.error.max() < 1e-12


@pytest.mark.parametrize(
    ("field", "balance"),
    [
        ("use", "bloc stocks"),  # delivered + recycled + releases = use + stock change
        ("shortfall", "users"),  # wanted = use + shortfall
        ("delivered", "market"),  # deliveries and diversions = last-stage output
    ],
)
def test_each_broken_balance_is_caught_in_its_row(tick, field, balance):
    _, market, flows, recorder = tick
    broken = getattr(flows, field).copy()
    broken[1, 0, 0] += 0.01 * flows.wanted[1, 0, 0]  # one row, commodity and bloc off by 1%
    recorder.record(0, dataclasses.replace(flows, **{field: broken}), market.stock)
    assert recorder.error[1] > 1e-4, balance
    assert recorder.error[[0, 2]].max() < 1e-12


def test_peak_and_shortfall_weeks_accumulate(tick):
    world, market, flows, recorder = tick
    doubled = flows.user_price.copy()
    doubled[0] *= 2.0
    short = flows.shortfall.copy()
    short[2, 1, 1] = 0.5 * flows.wanted[2, 1, 1]
    use = flows.use.copy()
    use[2, 1, 1] = flows.wanted[2, 1, 1] - short[2, 1, 1]
    recorder.record(0, dataclasses.replace(flows, user_price=doubled), market.stock)
    result = recorder.result(np.arange(3))
    ref = world.reference_price[None, :, None]
    np.testing.assert_allclose(
        result.metrics["peak_price_multiple"][0], 2 * flows.user_price[0] / ref[0]
    )
    recorder2 = Recorder(world, 3)
    recorder2.record(0, dataclasses.replace(flows, shortfall=short, use=use), market.stock)
    weeks = recorder2.result(np.arange(3)).metrics["weeks_in_shortfall"]
    assert weeks[2, 1, 1] == pytest.approx(52.0 / world.ticks_per_year)
    assert weeks[0].sum() == 0.0


def test_a_commodity_that_does_not_vary_is_accumulated_once_for_every_row(tick):
    """Of a commodity the market clears once (varies false), only the first row is
    accumulated; the result gives it to every row, and its residual counts in every row."""
    world, market, flows, _ = tick
    varies = np.ones(len(world.commodities), dtype=np.bool_)
    varies[0] = False
    recorder = Recorder(world, 3, varies=varies)
    price = flows.user_price.copy()
    price[0, 0] *= 3.0  # the first row of the fixed commodity: every row's value
    price[1:, 0] = 0.0  # the market leaves the other rows of a fixed commodity unwritten
    use = flows.use.copy()
    use[0, 0, 0] *= 0.9  # an imbalance in the first row of the fixed commodity
    recorder.record(0, dataclasses.replace(flows, user_price=price, use=use), market.stock)
    result = recorder.result(np.arange(3))
    peak = result.metrics["peak_price_multiple"][:, 0]
    np.testing.assert_array_equal(peak, np.broadcast_to(peak[0], peak.shape))
    np.testing.assert_allclose(peak[0], 3 * flows.user_price[0, 0] / world.reference_price[0])
    assert (result.balance_error > 1e-3).all()


def test_trade_flows_are_totalled_per_replication_and_averaged_over_the_batch(small):
    """Each replication's trade over the run, and the batch's mean flow at each tick in
    t/yr; of a commodity that does not vary, the first row's flows are every row's. 37
    replications: the batch sums run in lanes of 16 and a remainder."""
    world = compile_world(small.scenario)
    n = 37
    market = Market(world, n)
    flows = market.clear(0.0)
    rng = np.random.default_rng(5)
    ticks = [flows.traded * rng.uniform(0.5, 1.5, flows.traded.shape) for _ in range(2)]
    varies = np.array([True, False])
    recorder = Recorder(world, n, varies=varies)
    for t, traded in enumerate(ticks):
        stale = traded.copy(order="K")
        stale[1:, 1] = np.nan  # rows the market leaves unwritten for a commodity that does not vary
        recorder.record(t, dataclasses.replace(flows, traded=stale), market.stock)
    result = recorder.result(np.arange(n))
    total = ticks[0] + ticks[1]
    np.testing.assert_allclose(result.trade_total[:, 0], total[:, 0], rtol=1e-15)
    np.testing.assert_allclose(
        result.trade_total[:, 1], np.broadcast_to(total[0, 1], total[:, 1].shape), rtol=1e-15
    )
    assert result.trade_mean.shape == (world.n_ticks, 2, 3, 3)
    for t, traded in enumerate(ticks):
        mean = result.trade_mean[t]
        np.testing.assert_allclose(mean[0], traded[:, 0].mean(0) / world.dt, rtol=1e-14)
        np.testing.assert_allclose(mean[1], traded[0, 1] / world.dt, rtol=1e-14)
    assert (result.trade_mean[2:] == 0).all()
