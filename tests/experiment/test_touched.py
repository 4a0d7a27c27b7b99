"""What a run is about (sim.experiment.touched): touched commodities, hit blocs, and when the
disruptions were active, drawn again exactly as the engine drew them."""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim.experiment.touched import (
    PRICE_NOISE,
    _active,
    chosen_blocs,
    chosen_commodities,
    commodity_activity,
    disruption_activity,
    hit_blocs,
    price_moved,
    touched_commodities,
)


@pytest.fixture(scope="module")
def small_results(tmp_path_factory, small_text):
    path = tmp_path_factory.mktemp("touched") / "small.yaml"
    path.write_text(small_text)
    return sim.run(sim.load(path), reps=24, seed=3)


@pytest.fixture(scope="module")
def calm_comparison(tmp_path_factory, reserve_text):
    """No disruption at all; one option holds a gallium reserve."""
    path = tmp_path_factory.mktemp("calm") / "calm.yaml"
    path.write_text(reserve_text)
    loaded = sim.load(
        path,
        sets=tuple(
            f"~disruptions.{name}" for name in ("ga-control", "sb-outage", "sb-quota", "boom")
        ),
    )
    return sim.compare(loaded, reps=4, seed=1)


def test_a_calm_market_drifts_within_the_noise_and_touches_nothing(calm_comparison):
    base = calm_comparison.results["do-nothing"]
    multiple = base.series["price"] / base.world.reference_price[None, None, :, None]
    assert np.abs(multiple - 1).max() < PRICE_NOISE  # start-up drift is not movement
    assert not price_moved(base).any()
    assert touched_commodities(base) == []
    assert hit_blocs(base) == []
    # the reserve's option acts on gallium: that touches gallium, and only it
    assert touched_commodities(calm_comparison.results["reserve"]) == ["gallium"]
    assert touched_commodities(calm_comparison.results.values()) == ["gallium"]


def test_disrupted_commodities_and_blocs_are_touched(small_results):
    assert touched_commodities(small_results) == ["gallium", "antimony"]
    # the outage cuts every bloc's inflow
    assert hit_blocs(small_results) == ["alliance", "china", "rest"]


def test_a_demand_shock_hits_its_own_blocs(tmp_path, small_text):
    path = tmp_path / "s.yaml"
    path.write_text(small_text)
    loaded = sim.load(
        path,
        sets=(
            "~disruptions.ga-control",
            "~disruptions.sb-outage",
            "~disruptions.sb-quota",
            "disruptions.boom.change=0",
        ),
    )
    r = sim.run(loaded, reps=2, seed=1)
    assert hit_blocs(r) == ["alliance"]
    assert touched_commodities(r) == ["antimony"]


def test_unknown_names_get_a_hint(small_results):
    with pytest.raises(ValueError) as e:
        chosen_blocs(small_results, ["aliance"])
    assert str(e.value) == (
        "no bloc named 'aliance'; did you mean 'alliance'? (the blocs: alliance, china, rest)"
    )
    with pytest.raises(ValueError) as e:
        chosen_commodities(small_results, ["tin"])
    assert str(e.value) == "no commodity named 'tin' (the commodities: gallium, antimony)"
    # named ones come back in the world's order
    assert chosen_commodities(small_results, ["antimony", "gallium"]) == ["gallium", "antimony"]
    assert chosen_blocs(small_results, None) == hit_blocs(small_results)


def test_activity_is_the_engines_own_draw(small_results):
    r = small_results
    share = disruption_activity(r)
    assert set(share) == {"ga-control", "sb-outage", "sb-quota", "boom"}
    # ga-control: a fixed onset in July 2026 (week 26) for 12 months, in every replication
    inside = np.zeros(r.world.n_ticks, dtype=bool)
    inside[26 : 26 + 52] = True
    assert np.all(share["ga-control"][inside] == 1.0)
    assert np.all(share["ga-control"][~inside] == 0.0)
    # boom fires with probability 1/2: a constant share inside its window, strictly between
    boom = share["boom"][share["boom"] > 0]
    assert np.all(boom == boom[0]) and 0 < boom[0] < 1
    # the replications with some antimony disruption are those the engine saw start one
    k = r.world.commodities.index("antimony")
    active = _active(r)
    any_antimony = np.logical_or.reduce([active[n] for n in ("sb-outage", "sb-quota", "boom")])
    started = ~np.isnan(r.metrics["cover_days_at_onset"][:, k, 0])
    assert np.array_equal(any_antimony.any(axis=0), started)
    assert started.any() and not started.all()
    union = commodity_activity(r)[k]
    assert np.allclose(union, any_antimony.mean(axis=1))
    assert np.all(union >= np.max([share[n] for n in ("sb-outage", "sb-quota", "boom")], 0))
