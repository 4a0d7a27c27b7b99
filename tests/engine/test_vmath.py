"""exp and log on vectors (sim/engine/vmath.py) against the C library's."""

from __future__ import annotations

import numpy as np
import pytest
from numba import njit

from sim.engine.vmath import exp_lanes, log_lanes


@njit(cache=True)
def _exp(x):
    out = np.empty_like(x)
    exp_lanes(len(x), x, out, np.empty((2, len(x))))
    return out


@njit(cache=True)
def _log(x):
    out = np.empty_like(x)
    log_lanes(len(x), x, out, np.empty((2, len(x))))
    return out


def _ulps(got: np.ndarray, want: np.ndarray) -> np.ndarray:
    return np.abs(got - want) / np.spacing(np.abs(want))


RNG = np.random.default_rng(11)
N = 1_000_000
EXP_ARGS = {
    "whole range": RNG.uniform(-745, 709.7, N),
    "elasticity x log price": RNG.uniform(-5, 5, N),
    "tiny": RNG.uniform(-1e-9, 1e-9, N),
    "subnormal results": RNG.uniform(-745, -708, N),
}
LOG_ARGS = {
    "whole range": np.exp(RNG.uniform(-700, 700, N)),
    "price ratios": RNG.uniform(0.01, 40, N),
    "near one": 1 + RNG.uniform(-1e-6, 1e-6, N),
    "subnormal": RNG.uniform(1e-320, 2e-308, N),
}


@pytest.mark.parametrize("name", EXP_ARGS)
def test_exp_within_one_ulp_of_the_c_library(name):
    x = EXP_ARGS[name]
    want = np.exp(x)
    ok = want > 2.3e-308  # below, one ulp is the smallest subnormal: compare absolutely
    assert _ulps(_exp(x)[ok], want[ok]).max() <= 1.0
    assert np.abs(_exp(x)[~ok] - want[~ok]).max(initial=0) <= 5e-324


@pytest.mark.parametrize("name", LOG_ARGS)
def test_log_within_one_ulp_of_the_c_library(name):
    x = LOG_ARGS[name]
    assert _ulps(_log(x), np.log(x)).max() <= 1.0


def test_special_values_as_the_c_library():
    x = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 710.0, -746.0])
    np.testing.assert_array_equal(_exp(x), [1.0, 1.0, np.inf, 0.0, np.nan, np.inf, 0.0])
    x = np.array([0.0, -0.0, -1.0, np.inf, -np.inf, np.nan, 1.0, 2.0, 5e-324])
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal(_log(x), np.log(x))  # log 2 and of 2**-1074 exactly too


def test_a_value_does_not_depend_on_its_lane_or_the_vector_length():
    """A replication's result must not depend on the batch it runs in: the same argument
    gives the same bits at any position of any length of vector."""
    x = RNG.uniform(-5, 5, 1001)
    whole = _exp(x), _log(np.abs(x))
    for i in (0, 1, 3, 4, 999, 1000):
        assert _exp(x[i : i + 1])[0] == whole[0][i]
        assert _log(np.abs(x[i : i + 1]))[0] == whole[1][i]
    np.testing.assert_array_equal(_exp(x[3:10]), whole[0][3:10])
