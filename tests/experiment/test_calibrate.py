"""Calibration: the posterior on the grid, leave-one-out, the z-scores against the back-test's
own verdicts, and the command writing a world file."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from sim.cli import cli
from sim.experiment.backtest import HISTORY, run_episode
from sim.experiment.calibrate import (
    POOLED,
    POSTERIOR_DRAWS,
    EpisodeGrid,
    calibrate,
    fit,
    numeric,
    parse_grid,
    points,
    posterior,
    target_z,
    updates,
)
from sim.scenario import load

GRID = {"elasticity.backstop": (2.0, 4.0, 8.0), "storage.learning": ("1 month", "6 months")}


def synthetic(name: str, cls: str, chi: list[float]) -> EpisodeGrid:
    """An episode whose one criterion has z = sqrt(chi2) at each of the six grid points."""
    return EpisodeGrid(name, cls, ("x",), [{"t.peak": float(np.sqrt(c))} for c in chi])


def test_points_cover_the_grid_in_a_fixed_order():
    pts = points(GRID)
    assert len(pts) == 6
    assert pts[0] == {"elasticity.backstop": 2.0, "storage.learning": "1 month"}
    assert pts[-1] == {"elasticity.backstop": 8.0, "storage.learning": "6 months"}


def test_fit_is_the_point_of_least_chi2_and_the_posterior_sums_to_one():
    runs = [synthetic("a", "k", [9, 4, 0.25, 1, 16, 25]), synthetic("b", "k", [1, 1, 1, 0, 4, 4])]
    f = fit(runs, "k")
    assert f.best == 3 and f.chi2 == pytest.approx(1.0)
    assert f.weights.sum() == pytest.approx(1.0)
    chi2 = np.array([10, 5, 1.25, 1, 20, 29])
    np.testing.assert_allclose(f.weights, np.exp(-chi2 / 2) / np.exp(-chi2 / 2).sum())
    lo, hi = f.interval(points(GRID), "elasticity.backstop")
    assert lo <= 4.0 <= hi


def test_leave_one_out_refits_the_class_without_the_episode_or_falls_back_to_the_pool():
    runs = [
        synthetic("a", "k", [0, 9, 9, 9, 9, 9]),
        synthetic("b", "k", [9, 0, 9, 9, 9, 9]),
        synthetic("c", "m", [9, 9, 0, 1, 9, 9]),
    ]
    c = calibrate(runs, GRID)
    assert set(c.fits) == {POOLED, "k", "m"}
    assert c.held_out["a"] == ("k", 1)  # fitted on b alone
    assert c.held_out["b"] == ("k", 0)  # fitted on a alone
    # c is alone in its class: the pool of a and b decides (a tie, broken by grid order)
    assert c.held_out["c"] == (POOLED, 0)
    assert c.out_of_sample(runs[2]) == {"t.peak": 3.0}
    assert c.in_sample(runs[2]) == {"t.peak": 0.0}


def test_the_posterior_is_stratified_draws_of_the_whole_posterior_with_the_fit_first():
    runs = [synthetic("a", "k", [2.0, 0.0, 1.0, 40.0, 60.0, 60.0])]
    c = calibrate(runs, GRID)
    pts = c.points
    post = posterior(c.fits["k"], pts, list(GRID))
    w = c.fits["k"].weights
    got = {tuple(values): weight for weight, values in post["points"]}
    assert post["points"][0][1] == [pts[1][k] for k in GRID]  # the fit
    assert sum(got.values()) == pytest.approx(1.0)
    for i, p in enumerate(pts):  # each point drawn about n * w times
        share = got.get(tuple(p[k] for k in GRID), 0.0)
        assert abs(share - w[i]) <= 1 / POSTERIOR_DRAWS + 1e-12
        assert share * POSTERIOR_DRAWS == pytest.approx(round(share * POSTERIOR_DRAWS))


def test_a_class_without_episodes_gets_the_pooled_fit():
    runs = [synthetic("a", "k", [0, 9, 9, 9, 9, 9])]
    u = updates(calibrate(runs, GRID), {"gallium": "k", "antimony": "antimony"})
    assert u["gallium"]["fit"] == "k"
    assert u["antimony"]["fit"] == POOLED
    assert u["antimony"]["parameters"]["elasticity.backstop"]["value"] == 2.0


def test_z_is_within_one_exactly_where_the_backtest_passes():
    for sets in ((), ("commodities.gallium.elasticity.backstop=8",)):
        e = run_episode(HISTORY / "gallium-2023.yaml", reps=6, sets=sets)
        z = target_z(e)
        for t in e.targets:
            for check, ok in t.checks.items():
                assert (abs(z[f"{t.name}.{check}"]) <= 1) == ok, (check, z)


def test_parse_grid_reads_numbers_and_durations_and_names_a_bad_value():
    grid = parse_grid(["stock_days=30,60", "storage.learning=1 month, 6 months"])
    assert grid == {"stock_days": (30.0, 60.0), "storage.learning": ("1 month", "6 months")}
    assert numeric("6 months") == pytest.approx(0.5)
    with pytest.raises(ValueError, match="'soon' is neither a number nor a duration"):
        parse_grid(["storage.learning=soon"])
    with pytest.raises(ValueError, match=r"write KEY=V1,V2,\.\.\."):
        parse_grid(["stock_days"])


@pytest.fixture
def world_copy(tmp_path: Path) -> Path:
    world = tmp_path / "world.yaml"
    shutil.copy(HISTORY.parent / "base" / "world-2025.yaml", world)
    return world


def test_calibrate_command_writes_tables_and_the_fitted_values_into_a_world(tmp_path, world_copy):
    args = [
        "calibrate",
        "gallium-2023",
        "--reps",
        "4",
        "--grid",
        "elasticity.backstop=2,8",
        "--grid",
        "storage.learning=1 month,6 months",
        "--out",
    ]
    result = CliRunner().invoke(cli, [*args, str(tmp_path / "a"), "--write", str(world_copy)])
    assert result.exit_code == 0, result.output
    assert "pass in sample:" in result.output
    for name in ("grid.csv", "fits.csv", "loo.csv", "manifest.json"):
        assert (tmp_path / "a" / name).is_file()
    before = (HISTORY.parent / "base" / "world-2025.yaml").read_text()
    after = world_copy.read_text()
    assert "⚠ calibrated (by-product" in after
    assert after.count("# S1: 2024") == before.count("# S1: 2024")  # comments kept
    s = load(world_copy).scenario
    fitted = s.commodities["gallium"]
    assert fitted.calibration.fit == "by-product"
    assert fitted.calibration.episodes == ["gallium-2023"]
    assert fitted.elasticity.backstop in (2.0, 8.0)
    assert s.commodities["germanium"].elasticity.backstop == fitted.elasticity.backstop
    assert s.commodities["antimony"].calibration.fit == POOLED
    # the posterior is written with it: draws of the grid's points, the fit first
    post = fitted.calibration.posterior
    assert post.keys == ["elasticity.backstop", "storage.learning"]
    assert abs(sum(p.weight for p in post.points) - 1) < 1e-3
    assert post.points[0].values[0] == fitted.elasticity.backstop  # the fit first
    assert {p.values[1] for p in post.points} <= {"1 month", "6 months"}
    # the same seed gives the same tables, whatever the number of workers
    again = CliRunner().invoke(cli, [*args, str(tmp_path / "b"), "--workers", "2"])
    assert again.exit_code == 0, again.output
    for name in ("grid.csv", "fits.csv", "loo.csv"):
        assert (tmp_path / "a" / name).read_text() == (tmp_path / "b" / name).read_text()
    # a refit of the saved grid, without simulating, gives the same tables
    refit = CliRunner().invoke(
        cli, ["calibrate", "--from-grid", str(tmp_path / "a"), "--out", str(tmp_path / "c")]
    )
    assert refit.exit_code == 0, refit.output
    for name in ("grid.csv", "fits.csv", "loo.csv"):
        assert (tmp_path / "a" / name).read_text() == (tmp_path / "c" / name).read_text()


def test_calibrate_refuses_an_unknown_episode_with_status_2(tmp_path):
    result = CliRunner().invoke(cli, ["calibrate", "tin-1985", "--out", str(tmp_path / "x")])
    assert result.exit_code == 2
    assert "unknown episode 'tin-1985'" in result.output
    assert not (tmp_path / "x").exists()
