"""Supply-risk diagnostics (sim/engine/diagnostics.py, docs/model.md section 11.1)."""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim.engine.diagnostics import (
    baseline,
    country_output,
    hhi,
    import_reliance,
    jrc_supply_risk,
)
from sim.engine.simulation import run_batch
from sim.engine.world import compile_world
from sim.results.io import summary_csv

# One commodity, two blocs, shares that sum to 1 (no 'other producers'), no growth: the
# stated output is exactly capacity × utilisation and the numbers below are by hand.
GOVERNED = """\
name: governed
horizon: {start: 2026-01, years: 1, step: month}
blocs:
  alliance: {members: [AU, US]}
  china: {members: [CN]}
commodities:
  x:
    world_output: 100 t
    reference_price: 1000 USD/t
    stages:
      mining: {producers: {CN: {share: 0.6}, AU: {share: 0.4}}}
      refining: {producers: {CN: {share: 0.8}, AU: {share: 0.2}}}
    demand:
      alliance: {share: 0.5}
      china: {share: 0.5}
    criticality: {eol_rir: 0.1, substitution_index: 0.9, published_sr: 3.0}
governance:
  CN: {wgi: 6.0, trade_factor: {x: 1.2}, asi: 0.5, wsi: 0.4}
  AU: {wgi: 2.0, asi: 0.9, wsi: 0.9}
  US: {wgi: 2.5, asi: 0.9, wsi: 1.0}
"""


@pytest.fixture
def governed(tmp_path):
    path = tmp_path / "governed.yaml"
    path.write_text(GOVERNED)
    return sim.load(path)


def test_hhi_of_one_producer_and_of_n_equal_ones():
    assert hhi(np.array([1.0])) == pytest.approx(10_000)
    for n in (2, 4, 10):
        assert hhi(np.full(n, 1 / n)) == pytest.approx(10_000 / n)


def test_baseline_hhi_of_the_small_scenario(calm):
    w = compile_world(calm.scenario)
    h = baseline(w)["hhi"]
    ga, sb = w.commodities.index("gallium"), w.commodities.index("antimony")
    mining, refining = w.stage_index(ga, "mining"), w.stage_index(ga, "refining")
    # gallium: CN 98% (other 2% atomised); CN 95% + JP 3% (other 2%)
    assert h[ga, mining] == pytest.approx(98**2)
    assert h[ga, refining] == pytest.approx(95**2 + 3**2)
    # antimony: CN 48, RU 20, AU 5 (other 27% atomised); CN 70
    assert h[sb, mining] == pytest.approx(48**2 + 20**2 + 5**2)
    assert h[sb, refining] == pytest.approx(70**2)


def test_other_producers_are_atomised_not_one_country():
    from dataclasses import replace

    y = np.array([[[[50.0, 50.0]]]])  # CN 50, 'other' 50
    d = _inputs(keep=[1.0, 0.0])
    yc = country_output(y, d)
    assert hhi(yc / y.sum(-1, keepdims=True))[0, 0, 0] == pytest.approx(2500)
    d = replace(d, keep=np.ones((1, 1, 2)))  # were it one country: 5000
    assert hhi(country_output(y, d) / 100)[0, 0, 0] == pytest.approx(5000)


def test_new_capacity_of_a_one_country_bloc_counts_as_that_country(calm):
    w = compile_world(calm.scenario)
    d = w.diagnostics
    ga = w.commodities.index("gallium")
    s = w.stage_index(ga, "refining")
    cn = w.producer_index(ga, "refining", "CN")
    new_cn = w.new_slot[ga, s, w.blocs.index("china")]
    new_alliance = w.new_slot[ga, s, w.blocs.index("alliance")]
    y = np.zeros((1, *w.shape[:3]))
    y[0, ga, s, cn] = 60
    y[0, ga, s, new_cn] = 20
    y[0, ga, s, new_alliance] = 20
    yc = country_output(y, d)
    assert yc[0, ga, s, cn] == 80  # China's new capacity is China's
    assert yc[0, ga, s, new_alliance] == 0  # the alliance's is spread over its members
    assert hhi(yc / 100)[0, ga, s] == pytest.approx(6400)


def test_import_reliance_is_zero_when_self_sufficient_and_one_without_home_output(calm):
    w = compile_world(calm.scenario)
    ir = baseline(w)["import_reliance"]
    sb, ga = w.commodities.index("antimony"), w.commodities.index("gallium")
    alliance, china, rest = (w.blocs.index(b) for b in ("alliance", "china", "rest"))
    assert ir[sb, alliance] == 1  # no antimony refining in the alliance
    assert ir[sb, china] == 0  # China refines 70%, uses 50%: a net exporter
    assert ir[sb, rest] == 0  # 'other producers' (30%) sit in rest, which uses 15%
    assert ir[ga, alliance] == pytest.approx(1 - 0.03 / 0.4)  # Japan's 3% against 40% of use
    np.testing.assert_array_equal(
        import_reliance(np.array([0.0, 5, 5]), np.array([1, 0, 9.0])), [0, 1, 0]
    )


def test_jrc_supply_risk_formula():
    # [H_GS·IR/2 + H_EU·(1 − IR/2)]·(1 − EoL_RIR)·SI
    assert jrc_supply_risk(4.0, 2.0, 0.5, 0.1, 0.8) == pytest.approx((1.0 + 1.5) * 0.9 * 0.8)


def test_jrc_supply_risk_and_disruption_potential_by_hand(governed):
    w = compile_world(governed.scenario)
    b = baseline(w)
    alliance = w.blocs.index("alliance")
    # refining: CN 80 (WGI 6, t 1.2), AU 20 (WGI 2); the alliance uses 50 and refines 20
    h_gs = 0.8**2 * 6 * 1.2 + 0.2**2 * 2  # 4.688
    ir = 1 - 20 / 50
    h_alliance = (1 - ir) ** 2 * 2 + ir**2 * 6 * 1.2  # home: AU alone; imports: CN alone
    refining = (h_gs * ir / 2 + h_alliance * (1 - ir / 2)) * (1 - 0.1) * 0.9
    assert refining == pytest.approx(2.790288)
    # mining: the alliance's refiners take 20 and its mines give 40 (IR 0): AU alone
    mining = 2 * (1 - 0.1) * 0.9
    assert b["sr"][0, alliance] == pytest.approx(max(refining, mining))
    # DP = Σ s²·ASI·WSI
    assert b["dp"][0, w.stage_index(0, "refining")] == pytest.approx(0.64 * 0.2 + 0.04 * 0.81)
    assert b["dp"][0, w.stage_index(0, "mining")] == pytest.approx(0.36 * 0.2 + 0.16 * 0.81)


def test_recorded_diagnostics_start_at_the_baseline(governed):
    w = compile_world(governed.scenario)
    r = run_batch(governed.scenario, np.arange(3), 1, world=w)
    b = baseline(w)
    np.testing.assert_allclose(r.diagnostics["hhi_start"][0], b["hhi"])
    # an undisturbed market stays where it started
    np.testing.assert_allclose(r.diagnostics["hhi_mean"][0], b["hhi"], rtol=1e-3)
    np.testing.assert_allclose(r.diagnostics["jrc_sr_mean"][0], b["sr"], rtol=1e-2)
    np.testing.assert_allclose(r.diagnostics["usgs_dp_peak"][0], b["dp"], rtol=1e-3)
    assert r.diagnostic_series["hhi"].shape == (12, 1, 2)


def test_every_replication_of_an_undisturbed_commodity_has_its_indices(governed):
    """Nothing random touches x, so the market clears it in the first replication only
    (Market.varies); the supply risk, disruption potential and import reliance, computed by
    array expressions over every replication, must still be the same in all (they were 0
    outside the first)."""
    w = compile_world(governed.scenario)
    r = run_batch(governed.scenario, np.arange(3), 1, world=w)
    for name in ("jrc_sr_mean", "jrc_sr_stage_mean", "usgs_dp_mean", "import_reliance_mean"):
        x = r.diagnostics[name]
        assert (x[0] > 0).any(), name
        np.testing.assert_array_equal(x[1:], np.broadcast_to(x[:1], x[1:].shape), err_msg=name)


def test_production_hhi_does_not_rise_under_an_export_control(small):
    """HHI measures world production; a control moves flows between blocs, not who produces.
    China's home price falls, so its share (and the HHI) fall a little; the exposure of the
    cut-off bloc shows in its import reliance and prices instead (docs/model.md 11.1)."""
    w = compile_world(small.scenario)
    r = run_batch(small.scenario, np.arange(4), 1, world=w)
    ga = w.commodities.index("gallium")
    s = w.stage_index(ga, "refining")
    series = r.diagnostic_series["hhi"][:, ga, s]
    start = r.diagnostics["hhi_start"][:, ga, s]
    during = series[26:78]  # the control runs Jul 2026-Jul 2027 (weeks 26-78)
    assert np.all(during <= start.max() + 1e-6)
    assert during.mean() < start.mean() - 1


def test_absent_inputs_give_absent_rows(small, governed):
    rows = sim.run(small, reps=4, seed=1).summary()
    assert not rows.metric.str.startswith(("jrc_sr", "usgs_dp")).any()
    assert {"hhi_refining_start", "hhi_refining_mean", "hhi_refining_peak"} <= set(rows.metric)
    assert set(rows[rows.metric.str.startswith("hhi_")].bloc) == {"world"}
    assert {"import_reliance_mean", "import_reliance_peak"} <= set(rows.metric)
    rows = sim.run(governed, reps=4, seed=1).summary()
    assert {"jrc_sr_mean", "jrc_sr_peak", "jrc_sr_refining_mean", "usgs_dp_mining_mean"} <= set(
        rows.metric
    )


def test_diagnostics_do_not_depend_on_block_size(small):
    a = sim.run(small, reps=9, seed=2)
    b = sim.run(small, reps=9, seed=2, block_size=4)
    for name, x in a.diagnostics.items():
        np.testing.assert_array_equal(x, b.diagnostics[name], err_msg=name)
    np.testing.assert_allclose(a.diagnostic_series["hhi"], b.diagnostic_series["hhi"], rtol=1e-12)
    assert "hhi_gallium" not in summary_csv([a])  # names are hhi_<stage>_<reduction>
    assert "gallium,world,hhi_refining_peak," in summary_csv([a])


def test_dataset_carries_the_hhi_series(small):
    ds = sim.run(small, reps=4, seed=1).to_dataset()
    assert ds["hhi_mean"].dims == ("option", "time", "commodity", "stage")
    assert list(ds["stage"].values) == ["mining", "refining"]
    assert ds["import_reliance_mean"].dims == ("option", "time", "commodity", "bloc")


def _inputs(keep):
    from sim.engine.diagnostics import DiagnosticInputs

    P = len(keep)
    return DiagnosticInputs(
        stage_valid=np.ones((1, 1), dtype=bool),
        keep=np.array(keep, dtype=float).reshape(1, 1, P),
        merge=tuple(np.array([], dtype=np.intp) for _ in range(4)),  # type: ignore[arg-type]
        onehot=np.ones((1, 1, P, 1)),
        sr_weight=np.zeros((1, 1, P)),
        dp_weight=np.zeros((1, 1, P)),
        sr_ok=np.zeros(1, dtype=bool),
        dp_ok=np.zeros(1, dtype=bool),
        eol_rir=np.zeros(1),
        substitution_index=np.ones(1),
        published_sr=np.full(1, np.nan),
        stage_labels=("refining",),
    )


def test_compiled_hhi_and_reliance_match_their_formulas(small):
    """The per-tick kernel agrees with the formulas above on random output and deliveries."""
    from sim.engine.diagnostics import import_reliance, indices

    w = compile_world(small.scenario)
    d = w.diagnostics
    rng = np.random.default_rng(3)
    y = rng.uniform(0, 100, (5, *w.shape[:3]))
    delivered = rng.uniform(0, 300, (5, w.shape[0], w.shape[3]))
    delivered[0, 0, 0] = 0.0  # nothing used: reliance 0
    x = indices(y, delivered, d)
    yc = country_output(y, d)
    np.testing.assert_allclose(x["hhi"], hhi(yc / y.sum(-1, keepdims=True)), rtol=1e-12)
    home = np.einsum("rkp,kpb->rkb", y[:, :, -1], d.onehot[:, -1])
    expected = import_reliance(delivered, home)
    np.testing.assert_allclose(x["import_reliance"][:, :, -1], expected, rtol=1e-12)
    assert x["import_reliance"][0, 0, -1, 0] == 0.0
