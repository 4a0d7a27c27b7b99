"""Replications that draw their market parameters from a calibrated posterior."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from click.testing import CliRunner

from sim.cli import cli
from sim.experiment.runner import run_replications
from sim.experiment.uncertainty import draw_parameters, systematic
from sim.scenario import ScenarioError, load

POSTERIOR = (
    "+commodities.gallium.calibration={fit: by-product, posterior: {keys: "
    "[elasticity.backstop, storage.learning], points: [{weight: 0.7, values: [3, 1 month]}, "
    "{weight: 0.3, values: [21, 6 months]}]}}"
)


@pytest.fixture
def drawn(small_path):
    """The small scenario with a two-point posterior on gallium and five parameter sets."""
    return load(small_path, sets=(POSTERIOR, "+parameter_uncertainty.draws=5"))


def peaks(results, commodity="gallium", bloc="alliance") -> np.ndarray:
    w = results.world
    k, b = w.commodities.index(commodity), w.blocs.index(bloc)
    return results.metrics["peak_price_multiple"][:, k, b]


def test_systematic_draws_follow_the_weights_exactly():
    rng = np.random.default_rng(1)
    for n in (5, 10, 40):
        counts = Counter(systematic(np.array([0.7, 0.3]), n, rng).tolist())
        assert abs(counts[0] - 0.7 * n) < 1 and abs(counts[1] - 0.3 * n) < 1


def test_each_set_holds_a_posterior_point_and_the_scenario_with_it(drawn):
    sets = draw_parameters(drawn, 5, seed=11)
    assert len(sets) == 5
    backstops = [d.loaded.scenario.commodities["gallium"].elasticity.backstop for d in sets]
    assert sorted(backstops) == [3.0, 3.0, 3.0, 3.0, 21.0] or sorted(backstops) == [
        3.0,
        3.0,
        3.0,
        21.0,
        21.0,
    ]
    for d in sets:
        g = d.loaded.scenario.commodities["gallium"]
        expected = {3.0: 1 / 12, 21.0: 0.5}[g.elasticity.backstop]
        assert g.storage.learning == pytest.approx(expected)
        assert d.values["gallium"]["elasticity.backstop"] == g.elasticity.backstop
    # antimony has no posterior: never drawn
    assert all("antimony" not in d.values for d in sets)
    assert [d.points for d in draw_parameters(drawn, 5, seed=11)] == [d.points for d in sets]


def test_drawn_parameters_widen_the_spread_of_a_fixed_shock(small_path, drawn):
    """The gallium control is fixed (no dice): alone it gives one peak; drawn parameters give
    a peak per posterior point, replication i running with set i mod 5."""
    fixed = run_replications(load(small_path), 10, seed=11)
    assert np.ptp(peaks(fixed)) < 1e-9
    r = run_replications(drawn, 10, seed=11)
    p = peaks(r)
    assert np.ptp(p) > 0.1
    np.testing.assert_array_equal(p[:5], p[5:])
    assert len(r.parameter_draws) == 5
    # a higher backstop (users hold on to the metal longer) never lowers the peak
    backstop = [d["values"]["gallium"]["elasticity.backstop"] for d in r.parameter_draws]
    order = np.argsort(backstop[:5], kind="stable")
    assert np.all(np.diff(p[:5][order]) >= -1e-12)
    share = r.parameter_share()
    row = share[(share.commodity == "gallium") & (share.bloc == "alliance")]
    assert row.set_index("metric").parameter_share["peak_price_multiple"] == pytest.approx(1.0)


def test_draws_do_not_depend_on_blocks_executor_or_the_number_of_replications(drawn):
    a = run_replications(drawn, 12, seed=3, block_size=2)
    b = run_replications(drawn, 12, seed=3, executor="processes", workers=2, block_size=5)
    for m in a.metrics:
        np.testing.assert_array_equal(a.metrics[m], b.metrics[m])
    np.testing.assert_allclose(a.series_mean["price"], b.series_mean["price"], rtol=1e-12)
    more = run_replications(drawn, 17, seed=3)
    np.testing.assert_array_equal(peaks(more)[:12], peaks(a))


def test_kept_paths_give_exact_fans_and_the_mixture_comes_close(drawn):
    kept = run_replications(drawn, 20, seed=5, keep_paths=True)
    mixed = run_replications(drawn, 20, seed=5)
    k = kept.world.commodities.index("antimony")  # random outages: continuous spreads
    exact, approx = kept.series["price"][:, :, k], mixed.series["price"][:, :, k]
    np.testing.assert_allclose(mixed.series_mean["price"], kept.series_mean["price"], rtol=1e-12)
    span = exact[:, -1] - exact[:, 0]  # 5-95% width at each tick [T, B]
    err = np.abs(approx[:, 2] - exact[:, 2])  # medians
    assert (err <= 0.25 * span + 1e-9 * exact[:, 2]).mean() > 0.95


def test_an_option_and_its_baseline_share_the_draws(tmp_path, reserve_text):
    path = tmp_path / "reserve.yaml"
    path.write_text(reserve_text)
    loaded = load(path, sets=(POSTERIOR,))
    base = run_replications(loaded, 8, seed=2, option="do-nothing", parameter_draws=4)
    other = run_replications(loaded, 8, seed=2, option="reserve", parameter_draws=4)
    np.testing.assert_array_equal(other.baseline_shortfall, base.metrics["shortfall_t"])
    assert other.parameter_draws == base.parameter_draws


def test_drawing_without_a_posterior_is_a_located_error(small_path):
    with pytest.raises(ScenarioError) as e:
        load(small_path, sets=("+parameter_uncertainty.draws=5",))
    assert (
        "parameter_uncertainty: no commodity has a calibrated posterior to draw from; run "
        "`minsim calibrate --write WORLD` on the world this scenario extends, or remove "
        "parameter_uncertainty"
    ) in str(e.value)


def test_a_posterior_whose_weights_do_not_sum_to_one_is_refused(small_path):
    bad = POSTERIOR.replace("weight: 0.3", "weight: 0.5")
    with pytest.raises(ScenarioError) as e:
        load(small_path, sets=(bad,))
    assert "the points' weights sum to 1.2; they must sum to 1" in str(e.value)


def test_the_cli_draws_and_writes_the_variance_shares(small_path, tmp_path):
    runner = CliRunner()
    out = tmp_path / "run"
    args = ["run", str(small_path), "--set", POSTERIOR, "--reps", "6", "--no-plots"]
    result = runner.invoke(cli, [*args, "--parameter-draws", "3", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "parameter uncertainty: 3 sets drawn from the calibrated posterior" in result.output
    text = (out / "uncertainty.csv").read_text()
    assert text.startswith("option,commodity,bloc,metric,unit,currency,parameter_share,std,mean\n")
    import json

    assert len(json.loads((out / "manifest.json").read_text())["parameter_draws"]) == 3
    one = runner.invoke(cli, [*args, "--parameter-draws", "1", "--out", str(tmp_path / "x")])
    assert one.exit_code == 2
    assert "--parameter-draws must be 0 (off) or at least 2, not 1" in one.output
    assert not (tmp_path / "x").exists()
