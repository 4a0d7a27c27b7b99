"""Replication-last storage of the engine's per-replication arrays.

Everywhere in Python an array of a batch is indexed replication first, [R, K, B] or
[R, K, S, P], so that policies and disruptions can pick rows. In memory the replication is
the last axis: each (commodity, bloc) holds its R values side by side. The compiled kernels
take the replication-last array itself (`kernel`), and their innermost loops then run over
consecutive replications, which the compiler turns into vector instructions: four
replications per instruction on this machine, for the divisions and comparisons that are
most of a clearing (docs/performance.md).

numpy keeps the layout: element-wise operations on such arrays return arrays laid out the
same way, and so do `zeros_like` and `copy(order="K")`. Arrays made with `np.zeros((R, ...))`
are laid out replication first; a kernel given one still computes the same numbers, only
more slowly, so the arrays the engine makes for its kernels come from here.
"""

from __future__ import annotations

import numpy as np


def full(n: int, shape: tuple[int, ...], value: float = 0.0) -> np.ndarray:
    """An array [n, *shape] of `value`, stored replication-last."""
    store = np.zeros((*shape, n)) if value == 0.0 else np.full((*shape, n), value)
    return store.transpose(_TO_FIRST[store.ndim])


def zeros(n: int, *shape: int) -> np.ndarray:
    return np.zeros((*shape, n)).transpose(_TO_FIRST[len(shape) + 1])


def ones(n: int, *shape: int) -> np.ndarray:
    return full(n, shape, 1.0)


def new(n: int, *shape: int) -> tuple[np.ndarray, np.ndarray]:
    """A new array of zeros as a pair: its view [n, *shape] and its store [*shape, n], the
    array the kernels take (so that a caller making arrays every tick transposes once)."""
    store = np.zeros((*shape, n))
    return store.transpose(_TO_FIRST[store.ndim]), store


def view(store: np.ndarray) -> np.ndarray:
    """The view [R, ...] of a replication-last store [..., R]: the inverse of `kernel`."""
    return store.transpose(_TO_FIRST[store.ndim])


def kernel(a: np.ndarray) -> np.ndarray:
    """The array [..., R] the kernels take for `a` [R, ...]: a view, contiguous when `a` is
    stored replication-last."""
    return a.transpose(_TO_LAST[a.ndim])


def is_replication_last(a: np.ndarray) -> bool:
    return kernel(a).flags.c_contiguous


# the axes of `transpose` for each number of dimensions, worked out once (called ~80 times a tick)
_TO_FIRST = {d: (d - 1, *range(d - 1)) for d in range(1, 8)}
_TO_LAST = {d: (*range(1, d), 0) for d in range(1, 8)}
