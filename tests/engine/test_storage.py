"""The competitive-storage tables (sim/engine/storage.py): properties an economist checks."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from sim.engine import storage

CALM = storage.StorageParameters(
    dt=1 / 52,
    short_run=-0.05,
    backstop=12.0,
    backstop_spread=1.0,
    target=60 / 365,
    carry=0.1,
    stock_elasticity=1.0,
    capacity=4.0,
    persistence=1.0,
    hazard=0.0,
    feared_inflow=0.5,
    ceiling=100.0,
)
CALM_ROW = round(1 / storage.INFLOW_STEP)
LOG_A = storage.LOG_A0 + storage.LOG_STEP * np.arange(storage.A_POINTS)
DAY = np.exp(LOG_A) >= 1 / 365
"""Availabilities of a day's use or more: below, stocks are near zero and the table is the
tail approximation (model.md section 5)."""


def price(table, inflow_row: int, years: float) -> float:
    log_a = storage.LOG_A0 + storage.LOG_STEP * np.arange(storage.A_POINTS)
    return float(np.exp(np.interp(np.log(years), log_a, np.log(table.price[inflow_row]))))


@pytest.fixture(scope="module")
def calm():
    return storage.solve(CALM)


def test_calm_market_holds_its_target_stock_at_the_reference_price(calm):
    assert calm.steady_stock * 365 == pytest.approx(60, abs=2.0)  # the grid's error
    assert price(calm, CALM_ROW, calm.steady_stock + CALM.dt) == pytest.approx(1.0, abs=1e-9)


def test_price_falls_with_stocks_and_rises_as_inflow_falls(calm):
    log_p = np.log(calm.price[:, DAY])
    assert (np.diff(log_p, axis=1) <= 1e-12).all()  # more on hand, lower price
    assert (np.diff(log_p, axis=0) <= 0.01).all()  # more coming, lower (to 1% near empty)
    assert price(calm, CALM_ROW - 4, 0.2) > 1.2 * price(calm, CALM_ROW, 0.2)


def test_no_price_reaches_the_ceiling_with_a_day_of_use_and_some_inflow(calm):
    assert calm.price[4:, DAY].max() < CALM.ceiling  # from a fifth of use coming in


def test_use_never_exceeds_what_is_there(calm):
    log_a = storage.LOG_A0 + storage.LOG_STEP * np.arange(storage.A_POINTS)
    assert (calm.use <= np.exp(log_a)[None, :] * (1 + 1e-12)).all()


def test_feared_disruptions_raise_the_stocks_held():
    fearful = storage.solve(dataclasses.replace(CALM, hazard=0.5))
    assert fearful.steady_stock > storage.solve(CALM).steady_stock * 1.05


def test_a_longer_expected_disruption_raises_the_price_now(calm):
    longer = storage.solve(dataclasses.replace(CALM, persistence=3.0))
    row = CALM_ROW - 10  # half the usual inflow
    assert price(longer, row, 0.1) > price(calm, row, 0.1)


def test_tables_come_back_from_the_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("MINSIM_CACHE", str(tmp_path))
    par = dataclasses.replace(CALM, carry=0.123)
    first = storage._cached.__wrapped__(par, None)
    assert list((tmp_path / "storage").glob("*.npz"))
    again = storage._cached.__wrapped__(par, None)
    np.testing.assert_array_equal(first.price, again.price)


@pytest.fixture(scope="module")
def announced():
    return storage.solve_announced(CALM, lead=1 / 12, inflow=0.2)


def test_an_announced_cut_never_lowers_the_price_and_raises_the_stocks_held(calm, announced):
    # knowing that a cut is coming, every state up to the most stock held is worth at least
    # what it is in calm (beyond, a glut prices at the demand grid's floor either way)
    held = DAY & (np.exp(LOG_A) <= CALM.capacity * CALM.target)
    assert (np.log(announced.price[:, held]) >= np.log(calm.price[:, held]) - 1e-6).all()
    assert price(announced, CALM_ROW, 60 / 365) > 1.05 * price(calm, CALM_ROW, 60 / 365)
    assert announced.steady_stock > 1.5 * calm.steady_stock


def test_a_nearer_or_deeper_cut_is_priced_higher(calm):
    def p(lead, inflow):
        return price(storage.solve_announced(CALM, lead, inflow), CALM_ROW, 60 / 365)

    assert p(1 / 12, 0.2) > p(6 / 12, 0.2) > price(calm, CALM_ROW, 60 / 365)
    assert p(1 / 12, 0.2) > p(1 / 12, 0.6) > p(1 / 12, 1.0)


def test_an_announcement_that_changes_nothing_is_the_calm_market(calm):
    same = storage.solve_announced(CALM, lead=1 / 12, inflow=1.0)
    np.testing.assert_allclose(same.price[CALM_ROW, DAY], calm.price[CALM_ROW, DAY], rtol=1e-4)


def test_accelerated_iteration_reaches_plain_time_iterations_table(monkeypatch):
    """Anderson mixing changes how fast the fixed point is reached, not where it is: the
    table matches plain time iteration's to well within the error plain iteration leaves
    (its last change over 1 - e^{-c dt}), in a fraction of the rounds."""
    announced = dataclasses.replace(CALM, hazard=0.5)
    fast = storage._solve(announced)
    monkeypatch.setattr(storage, "ANDERSON_MEMORY", 0)
    monkeypatch.setattr(storage, "TOLERANCE", 1e-10)
    plain = storage._solve(announced)
    assert fast.iterations < plain.iterations / 3
    assert np.abs(np.log(fast.price) - np.log(plain.price)).max() < 1e-6
    assert fast.steady_stock == pytest.approx(plain.steady_stock, abs=1e-7)


@pytest.mark.parametrize("announced", [False, True], ids=["calm", "announced"])
def test_compiled_round_is_the_numpy_round(calm, announced):
    """`time_iteration_round` (numba) computes what its numpy form does, on a calm and on an
    announced grid, from prices with stocks near zero, at capacity and between."""
    grid = storage.grid_of(CALM, calm, 0.25, 0.3) if announced else storage.grid_of(CALM)
    equilibrium = np.log(calm.price)
    for logp in (equilibrium, 1.5 * equilibrium, equilibrium + 0.4, np.zeros_like(equilibrium)):
        compiled = storage.time_iteration_round(logp, grid)
        reference = storage.time_iteration_round_numpy(logp, grid)
        np.testing.assert_allclose(compiled, reference, rtol=0, atol=1e-12)
    assert (grid.avail < grid.stocks[0]).sum() > 10  # the low tail is among the cells compared
