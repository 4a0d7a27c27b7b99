"""Compiled kernels against the numpy formulas they replace (docs/model.md)."""

from __future__ import annotations

import numpy as np
import pytest

from sim.engine import kernels, layout
from sim.engine.recorder import QUANTILES

V, K, B, R = 3, 4, 2, 41


def rl(a: np.ndarray) -> np.ndarray:
    """`a` [R, ...] as the kernels take it: replication-last, contiguous (engine/layout.py)."""
    return np.ascontiguousarray(layout.kernel(a))


def _quantiles(values, varies, order):
    q = np.zeros((V, len(QUANTILES), K, B))
    mean = np.zeros((V, K, B))
    pos = np.asarray(QUANTILES) * (R - 1)
    lo = np.floor(pos).astype(np.intp)
    hi = np.minimum(lo + 1, R - 1)
    live = np.ones(V, dtype=np.bool_)
    kernels.tick_quantiles(values, live, varies, order, lo, hi, pos - lo, q, mean)
    return q, mean


@pytest.fixture
def order():
    out = np.empty((V, K, B, R), dtype=np.intp)
    out[:] = np.arange(R)
    return out


def test_tick_quantiles_equal_numpy_tick_after_tick(order):
    """The order kept from tick to tick is only a head start: every tick's quantiles are
    np.quantile's, whether the ranks drift slowly or are shuffled by a shock."""
    rng = np.random.default_rng(3)
    varies = np.ones(K, dtype=np.bool_)
    values = rng.lognormal(size=(V, K, B, R))
    for tick in range(12):
        if tick == 6:  # a shock: every rank changes
            values = rng.permutation(values, axis=-1) * 5
        else:  # a drift: a few neighbours swap
            values = values * rng.normal(1, 0.01, values.shape)
        values[0, 0, 0, :10] = 1.0  # ties
        q, mean = _quantiles(values, varies, order)
        expected = np.moveaxis(np.quantile(values, QUANTILES, axis=-1), 0, 1)
        np.testing.assert_array_equal(q, expected)
        np.testing.assert_allclose(mean, values.mean(-1), rtol=1e-14)
        # the kept order sorts every series
        kept = np.take_along_axis(values, order, -1)
        assert (np.diff(kept, axis=-1) >= 0).all()


def test_a_commodity_that_does_not_vary_takes_its_first_row(order):
    values = np.random.default_rng(1).random((V, K, B, R))
    varies = np.array([True, False, True, False])
    q, mean = _quantiles(values, varies, order)
    for k in (1, 3):
        np.testing.assert_array_equal(q[:, :, k], np.repeat(values[:, None, k, :, 0], 5, 1))
        np.testing.assert_allclose(mean[:, k], values[:, k, :, 0], rtol=1e-15)


def test_series_that_are_not_live_stay_zero(order):
    values = np.random.default_rng(2).random((V, K, B, R))
    q = np.zeros((V, len(QUANTILES), K, B))
    mean = np.zeros((V, K, B))
    live = np.array([True, False, True])
    lo = hi = np.zeros(len(QUANTILES), dtype=np.intp)
    kernels.tick_quantiles(values, live, np.ones(K, np.bool_), order, lo, hi, np.zeros(5), q, mean)
    assert not q[1].any() and not mean[1].any() and q[0].all()


def test_series_values_by_their_definitions():
    rng = np.random.default_rng(4)
    arrays = [rng.random((R, K, B)) for _ in range(8)]
    price, delivered, recycled, releases, use, shortfall, stock, strategic = arrays
    use[0, 0, 0] = 0.0  # no use: no days of cover
    fiscal = np.zeros((R, K, B))
    dt = 1 / 52
    out = np.empty((7, K, B, R))
    live = kernels.series_values(
        dt,
        *(rl(a) for a in (price, delivered, recycled, releases, use, shortfall, stock, strategic)),
        rl(fiscal),
        np.ones(K, np.bool_),
        True,
        out,
    )
    expected = [
        price,
        (delivered + recycled + releases) / dt,
        use / dt,
        shortfall / dt,
        np.where(use > 0, stock / np.maximum(use / dt, 1e-300) * 365.0, 0.0),
        strategic,
        fiscal / dt,
    ]
    for v, e in enumerate(expected):
        np.testing.assert_array_equal(out[v], np.moveaxis(e, 0, -1))
    assert live.tolist() == [True] * 6 + [False]


def _layers_numpy(stop, home, masks):
    """The flow-layer widths as array expressions (the formula of docs/model.md section 4)."""
    x = np.where(home[None], 0.0, stop)
    out = []
    for inset in masks:
        max_in = np.where(inset, x, -np.inf).max(-1)
        if (~inset).any():
            min_out = np.minimum(np.where(~inset, x, np.inf).min(-1), 1.0)
        else:
            min_out = np.ones(x.shape[:-1])
        out.append(np.maximum(min_out - np.maximum(max_in, 0.0), 0.0))
    return np.stack(out, 3)


def test_flow_layers_equal_the_formula_and_leave_other_rows_alone():
    rng = np.random.default_rng(5)
    n, S, P, Bb = 6, 2, 3, 3
    stop = rng.random((n, K, S, P, Bb)) * (rng.random((n, K, S, P, Bb)) < 0.5)
    home = np.eye(Bb, dtype=bool)[rng.integers(0, Bb, (K, S, P))]
    masks = np.array([[True, False, False], [False, True, True], [True, True, True]])
    widths = layout.full(n, (K, S, len(masks), P), -1.0)
    rows = np.array([1, 4])
    kernels.flow_layers(rl(stop), home, masks, rows, layout.kernel(widths))
    expected = _layers_numpy(stop[rows], home, masks)
    np.testing.assert_array_equal(widths[rows], expected)
    assert (widths[[0, 2, 3, 5]] == -1.0).all()


def test_diagnostics_accumulate_start_sum_peak_and_mean():
    rng = np.random.default_rng(6)
    S = 2
    state = [layout.zeros(R, K, S) for _ in range(3)] + [layout.zeros(R, K, B) for _ in range(2)]
    hhi_start, hhi_sum, hhi_peak, ir_sum, ir_peak = state
    ticks = [(rng.random((R, K, S)) * 1e4, rng.random((R, K, B))) for _ in range(3)]
    for i, (h, ir) in enumerate(ticks):
        hhi_mean, ir_mean = np.empty((K, S)), np.empty((K, B))
        kernels.accumulate_diagnostics(
            rl(h),
            rl(ir),
            i == 0,
            np.ones(K, dtype=np.bool_),
            *(layout.kernel(a) for a in state),
            hhi_mean,
            ir_mean,
        )
        np.testing.assert_array_equal(hhi_mean, h.mean(0))
        np.testing.assert_array_equal(ir_mean, ir.mean(0))
    np.testing.assert_array_equal(hhi_start, ticks[0][0])
    np.testing.assert_allclose(hhi_sum, sum(h for h, _ in ticks), rtol=1e-15)
    np.testing.assert_array_equal(hhi_peak, np.max([h for h, _ in ticks], 0))
    np.testing.assert_array_equal(ir_peak, np.max([ir for _, ir in ticks], 0))
    np.testing.assert_allclose(ir_sum, sum(ir for _, ir in ticks), rtol=1e-15)


def test_diagnostics_accumulate_only_the_first_row_of_a_commodity_that_does_not_vary():
    S = 2
    varies = np.ones(K, dtype=np.bool_)
    varies[1] = False
    state = [layout.zeros(R, K, S) for _ in range(3)] + [layout.zeros(R, K, B) for _ in range(2)]
    h = np.full((R, K, S), 2500.0)
    ir = np.full((R, K, B), 0.5)
    hhi_mean, ir_mean = np.empty((K, S)), np.empty((K, B))
    kernels.accumulate_diagnostics(
        rl(h), rl(ir), True, varies, *(layout.kernel(a) for a in state), hhi_mean, ir_mean
    )
    hhi_start, hhi_sum, hhi_peak, ir_sum, ir_peak = state
    assert (hhi_start == 2500.0).all()  # copied whole
    for a, x in ((hhi_sum, 2500.0), (hhi_peak, 2500.0), (ir_sum, 0.5), (ir_peak, 0.5)):
        assert (a[0] == x).all() and (a[1:, 0] == x).all()  # every row of a varying one
        assert (a[1:, 1] == 0.0).all()  # the others are left to DiagnosticRecorder.metrics
    np.testing.assert_array_equal(hhi_mean, h.mean(0))  # the mean still over every row
