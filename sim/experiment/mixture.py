"""Quantiles of a mixture from the quantiles of its parts.

A run that draws its market parameters (sim/experiment/uncertainty.py) simulates each
parameter set in its own blocks, which record, at every tick, the 5-25-50-75-95% quantiles of
their replications (recorder.py). The run's fan is the quantile of the mixture of the sets,
weighted by their replications. Each part's distribution is taken as linear between its
quantiles, and beyond the outer ones as continuing the slope of the nearest 20% (so a part
spans a little more than its 5-95% range); the mixture's distribution function, the weighted
sum of the parts', is then piecewise linear with a knot at every part's knot, and is inverted
exactly. The approximation is in the parts' tails: it is tested against the exact quantiles
of kept paths (tests/results/test_mixture.py).
"""

from __future__ import annotations

import numpy as np
from numba import njit


def knots(probs: np.ndarray) -> np.ndarray:
    """The distribution function's values at a part's knots: 0, `probs`, 1."""
    return np.concatenate(([0.0], np.asarray(probs, float), [1.0]))


@njit(cache=True)
def _cdf(x, xs, ps):
    """A part's distribution function at x: linear between knots `xs` (non-decreasing)."""
    n = len(xs)
    if x < xs[0]:
        return 0.0
    if x >= xs[n - 1]:
        return 1.0
    for j in range(n - 1):
        if xs[j] <= x < xs[j + 1]:
            return ps[j] + (ps[j + 1] - ps[j]) * (x - xs[j]) / (xs[j + 1] - xs[j])
    return 1.0


@njit(cache=True)
def _cdf_left(x, xs, ps):
    """Its limit from the left at x (less where a part has an atom at x)."""
    n = len(xs)
    if x <= xs[0]:
        return 0.0
    if x > xs[n - 1]:
        return 1.0
    for j in range(n - 1):
        if xs[j] < x <= xs[j + 1]:
            return ps[j] + (ps[j + 1] - ps[j]) * (x - xs[j]) / (xs[j + 1] - xs[j])
    return 1.0


@njit(cache=True)
def _mix(q, w, probs, ps, out):
    """q [G, Q, C]: each part's quantiles per cell; w [G] weights; out [Q, C]."""
    G, Q, C = q.shape
    n = Q + 2
    xs = np.empty((G, n))
    cand = np.empty(G * n)
    f = np.empty(G * n)
    fl = np.empty(G * n)
    lo_share = (probs[0] - 0.0) / (probs[1] - probs[0])
    hi_share = (1.0 - probs[Q - 1]) / (probs[Q - 1] - probs[Q - 2])
    for c in range(C):
        for g in range(G):
            for j in range(Q):
                xs[g, j + 1] = q[g, j, c]
            xs[g, 0] = q[g, 0, c] - (q[g, 1, c] - q[g, 0, c]) * lo_share
            xs[g, n - 1] = q[g, Q - 1, c] + (q[g, Q - 1, c] - q[g, Q - 2, c]) * hi_share
            for j in range(n):
                cand[g * n + j] = xs[g, j]
        cand.sort()
        for i in range(G * n):
            s = 0.0
            sl = 0.0
            for g in range(G):
                s += w[g] * _cdf(cand[i], xs[g], ps)
                sl += w[g] * _cdf_left(cand[i], xs[g], ps)
            f[i] = s
            fl[i] = sl
        for k in range(Q):
            p = probs[k]
            i = 0
            while i < G * n - 1 and f[i] < p:
                i += 1
            if i == 0 or fl[i] < p or cand[i] == cand[i - 1]:
                out[k, c] = cand[i]  # the first knot, or p falls in an atom at cand[i]
            else:  # the function is linear from f[i-1] at cand[i-1] up to fl[i] at cand[i]
                out[k, c] = cand[i - 1] + (p - f[i - 1]) / (fl[i] - f[i - 1]) * (
                    cand[i] - cand[i - 1]
                )


def mixture_quantiles(parts: np.ndarray, weights: np.ndarray, probs) -> np.ndarray:
    """The quantiles `probs` of the mixture of parts whose quantiles at `probs` are `parts`
    [G, ..., Q, ...] with the quantile axis second (as the series [T, Q, K, B] stacked on a
    first axis of parts), weighted by `weights` [G]."""
    parts = np.asarray(parts, float)
    probs = np.asarray(probs, float)
    G, Q = parts.shape[0], len(probs)
    w = np.asarray(weights, float)
    w = w / w.sum()
    if parts.ndim < 3:
        raise ValueError("parts must be [G, T, Q, ...]")
    moved = np.moveaxis(parts, 2, 1)  # [G, Q, T, ...]
    rest = moved.shape[2:]
    flat = np.ascontiguousarray(moved.reshape(G, Q, -1))
    out = np.empty((Q, flat.shape[2]))
    _mix(flat, w, probs, knots(probs), out)
    return np.moveaxis(out.reshape(Q, *rest), 0, 1)
