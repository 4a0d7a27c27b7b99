"""Replication-last storage (sim/engine/layout.py): what the kernels are given is contiguous."""

from __future__ import annotations

import dataclasses

import numpy as np

from sim.engine import compile_world, layout
from sim.engine.market import Market
from sim.engine.policies.base import Effects


def test_arrays_are_indexed_replication_first_and_stored_replication_last():
    a = layout.zeros(5, 3, 2)
    assert a.shape == (5, 3, 2) and layout.is_replication_last(a)
    assert layout.kernel(a).shape == (3, 2, 5) and layout.kernel(a).flags.c_contiguous
    view, store = layout.new(5, 3, 2)
    assert np.shares_memory(view, store) and layout.view(store).shape == (5, 3, 2)
    assert np.isinf(layout.full(4, (2,), np.inf)).all() and (layout.ones(4, 2) == 1).all()
    assert not layout.is_replication_last(np.zeros((5, 3, 2)))


def test_numpy_keeps_the_layout():
    """Policies and the market compute on these arrays with numpy: results stay laid out
    the same, so they can go to the kernels without a copy."""
    a, b = layout.ones(6, 3, 2), layout.zeros(6, 3, 2)
    for x in (a + b, np.maximum(a, b), a.copy(order="K"), np.zeros_like(a), a * 2.0):
        assert layout.is_replication_last(x)


def test_market_and_policy_arrays_reach_the_kernels_contiguous(small):
    world = compile_world(small.scenario)
    market = Market(world, 7)
    K, S, P, B = world.shape
    effects = Effects(7, K, S, P, B)
    flows = market.clear(0.0, effects)
    arrays = {f.name: getattr(flows, f.name) for f in dataclasses.fields(flows)}
    arrays |= {n: getattr(market, n) for n in (*Market._state, "stop", "widths", "new_capacity")}
    arrays |= {n: getattr(effects, n) for n in Effects.FIELDS}
    arrays.pop("reference_use")  # [K, B]: the same in every replication
    for name, x in arrays.items():
        if isinstance(x, np.ndarray) and x.ndim > 1:
            assert layout.is_replication_last(x), name
