"""The trade rule: water-filling shares supply so that cover is as equal as allowed."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.engine import water_fill


def test_fills_the_scarcest_bloc_first():
    avail = np.array([[0.0, 10.0, 10.0]])
    need = np.array([[10.0, 10.0, 10.0]])
    x = water_fill(avail, need, np.array([5.0]), np.array([True, True, True]))
    assert x.tolist() == [[5.0, 0.0, 0.0]]


def test_equalises_cover_when_there_is_enough():
    avail = np.array([[0.0, 10.0, 0.0]])
    need = np.array([[10.0, 10.0, 20.0]])
    x = water_fill(avail, need, np.array([50.0]), np.array([True, True, True]))
    cover = (avail + x) / need
    assert np.allclose(cover, cover[0, 0])
    assert x.sum() == pytest.approx(50.0)


def test_barred_bloc_gets_nothing():
    avail = np.zeros((1, 3))
    need = np.ones((1, 3))
    x = water_fill(avail, need, np.array([3.0]), np.array([False, True, True]))
    assert x[0, 0] == 0.0
    assert x.sum() == pytest.approx(3.0)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.floats(0, 1e4), min_size=3, max_size=3),
    st.lists(st.floats(1e-3, 1e4), min_size=3, max_size=3),
    st.floats(0, 1e5),
    st.lists(st.booleans(), min_size=3, max_size=3).filter(any),
)
def test_allocation_conserves_mass_and_levels(avail, need, amount, allowed):
    a, n = np.array([avail]), np.array([need])
    mask = np.array(allowed)
    x = water_fill(a, n, np.array([amount]), mask)
    assert (x >= 0).all()
    assert x.sum() == pytest.approx(amount, rel=1e-9, abs=1e-9)
    assert (x[0, ~mask] == 0).all()
    # every bloc that received something ends at the common (lowest-possible) level
    level = (a + x) / n
    got = x[0] > 1e-9 * max(amount, 1)
    if got.any():
        top = level[0, got].max()
        assert np.all(level[0, mask] >= top * (1 - 1e-9) - 1e-12)


def test_a_tick_leaves_the_arrays_of_earlier_ticks_alone(small):
    """The compiled clearing updates state in place on fresh copies: flows and prices handed
    out at one tick (to the recorder, to policies) keep their values after the next."""
    from sim.engine import compile_world
    from sim.engine.market import Market

    market = Market(compile_world(small.scenario), 4)
    market.demand_factor[:, 0, 0] = 1.5  # a demand shock, so that the next tick differs
    first = market.clear(0.0)
    kept = {name: getattr(first, name).copy() for name in ("price", "shortfall", "use")}
    stock = market.stock
    stock_then = stock.copy()
    second = market.clear(market.dt)
    for name, value in kept.items():
        np.testing.assert_array_equal(getattr(first, name), value, err_msg=name)
    np.testing.assert_array_equal(stock, stock_then)
    assert not np.array_equal(second.price, first.price)
