"""Quantiles of a mixture of parameter sets from each set's quantiles (mixture.py)."""

from __future__ import annotations

import numpy as np
import pytest

from sim.engine.recorder import QUANTILES
from sim.experiment.mixture import mixture_quantiles

P = np.asarray(QUANTILES)


def as_parts(*samples: np.ndarray) -> np.ndarray:
    """[G, T=1, Q, cells=1] quantiles of each sample."""
    return np.stack([np.quantile(x, P) for x in samples])[:, None, :, None]


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(7)


def test_a_mixture_of_equal_parts_is_the_part(rng):
    part = as_parts(rng.normal(size=1000))
    parts = np.concatenate([part, part, part])
    got = mixture_quantiles(parts, [1, 2, 3], P)
    np.testing.assert_allclose(got, part[0], rtol=0, atol=1e-12)


def test_two_separated_parts_come_close_to_the_pooled_quantiles(rng):
    a, b = rng.normal(0, 1, 200_000), rng.normal(3, 0.5, 100_000)
    got = mixture_quantiles(as_parts(a, b), [2, 1], P)[0, :, 0]
    exact = np.quantile(np.concatenate([a, b]), P)
    # the parts' tails beyond 5% and 95% are extrapolated: within 3% of the 5-95% range
    assert np.abs(got - exact).max() < 0.03 * (exact[-1] - exact[0])
    # the middle quantiles are exact where they fall inside one part's 5-95% range
    assert got[2] == pytest.approx(exact[2], abs=0.01)


def test_a_part_without_spread_is_an_atom(rng):
    """A parameter set whose price never moves (all its quantiles equal) holds its weight
    at that one value; the quantiles below its weight are that value."""
    flat, spread = np.ones(1000), rng.uniform(1, 3, 1000)
    got = mixture_quantiles(as_parts(flat, spread), [1, 1], P)[0, :, 0]
    assert got[0] == got[1] == 1.0
    assert np.all(np.diff(got) >= 0)
    assert got[-1] == pytest.approx(np.quantile(np.concatenate([flat, spread]), 0.95), abs=0.02)


def test_quantiles_never_decrease_and_weights_move_them(rng):
    low, high = rng.normal(0, 1, 5000), rng.normal(5, 1, 5000)
    parts = as_parts(low, high)
    mostly_low = mixture_quantiles(parts, [9, 1], P)[0, :, 0]
    mostly_high = mixture_quantiles(parts, [1, 9], P)[0, :, 0]
    assert np.all(np.diff(mostly_low) >= 0) and np.all(np.diff(mostly_high) >= 0)
    assert np.all(mostly_high > mostly_low)


def test_series_keep_their_shape():
    parts = np.sort(np.random.default_rng(1).random((4, 6, 5, 3, 2)), axis=2)
    assert mixture_quantiles(parts, np.ones(4), P).shape == (6, 5, 3, 2)
