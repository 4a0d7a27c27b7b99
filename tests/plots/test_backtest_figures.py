"""Back-test figures: one per episode, a panel per observed target, PNG and SVG."""

from __future__ import annotations

from sim.experiment.backtest import episodes, run_episode
from sim.plots.backtest import save_backtest_figures


def test_one_figure_per_episode_in_both_formats(tmp_path):
    done = [run_episode(episodes()["ree-2010"], 2)]
    files = save_backtest_figures(done, tmp_path / "figs")
    assert sorted(f.name for f in files) == ["backtest-ree-2010.png", "backtest-ree-2010.svg"]
    assert all(f.stat().st_size > 1000 for f in files)
    assert files[0].read_bytes().startswith(b"\x89PNG")
    assert b"<svg" in files[1].read_bytes()[:2000]
