"""Comparing options: common random numbers, paired differences, and the compare command."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import sim
from sim.cli import cli
from sim.experiment.compare import compare_options

POLICIES = """
policies:
  reserve:
    type: stockpile
    owners: [alliance]
    commodities: [gallium]
    days: 60
    initial: 1
    release: {price_above: 1.5}
  duty:
    type: tariff
    bloc: alliance
    commodity: antimony
    rate: 0.1
options:
  do-nothing: []
  reserve: [reserve]
  duty: [duty]
"""


@pytest.fixture
def with_options(small_path: Path) -> Path:
    path = small_path.with_name("options.yaml")
    path.write_text(small_path.read_text() + POLICIES)
    return path


@pytest.fixture
def comparison(with_options):
    return compare_options(sim.load(with_options), reps=8, seed=3)


def test_every_option_runs_on_the_same_disruptions(comparison):
    # the antimony outage is stochastic; the reserve (gallium) and the duty (antimony users)
    # change neither the draws nor, for gallium without the reserve, the outcome
    base, duty = comparison.results["do-nothing"], comparison.results["duty"]
    np.testing.assert_array_equal(
        base.metrics["peak_price_multiple"][:, 0], duty.metrics["peak_price_multiple"][:, 0]
    )
    assert comparison.baseline == "do-nothing"
    assert comparison.options == ["do-nothing", "reserve", "duty"]


def test_paired_differences_match_the_replications(comparison):
    table = comparison.differences()
    base, opt = comparison.results["do-nothing"], comparison.results["reserve"]
    d = opt.metrics["peak_price_multiple"][:, 0, 0] - base.metrics["peak_price_multiple"][:, 0, 0]
    row = table[
        (table.option == "reserve")
        & (table.commodity == "gallium")
        & (table.bloc == "alliance")
        & (table.metric == "peak_price_multiple")
    ].iloc[0]
    assert row.mean_difference == pytest.approx(d.mean())
    assert row.ci_low <= d.mean() <= row.ci_high
    assert row.mean_difference < 0  # the reserve lowers the alliance's gallium peak price
    assert row.share_better == pytest.approx((d < 0).mean())


def test_baseline_run_once_and_reused_for_cost_per_tonne(comparison, with_options):
    alone = sim.run(sim.load(with_options), reps=8, seed=3, option="reserve")
    a = alone.summary().set_index(["commodity", "bloc", "metric"])["mean"]
    b = comparison.results["reserve"].summary().set_index(["commodity", "bloc", "metric"])["mean"]
    pd.testing.assert_series_equal(a, b)


def test_compare_command_writes_one_folder_for_all_options(with_options, tmp_path):
    out = tmp_path / "cmp"
    result = CliRunner().invoke(
        cli, ["compare", str(with_options), "--reps", "6", "--seed", "2", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    summary = pd.read_csv(out / "summary.csv")
    assert list(summary.option.unique()) == ["do-nothing", "reserve", "duty"]
    diffs = pd.read_csv(out / "differences.csv")
    assert set(diffs.option) == {"reserve", "duty"}
    for fig in (
        "prices_by_option",
        "shortfall_by_option",
        "risk_vs_cost",
        "strategic_stocks",
        "differences",
    ):
        assert (out / "plots" / f"{fig}.png").is_file() and (out / "plots" / f"{fig}.svg").is_file()
    assert "reserve" in result.output and f"wrote {out}" in result.output


def test_compare_refuses_an_unknown_option(with_options):
    result = CliRunner().invoke(cli, ["compare", str(with_options), "--only", "resrve"])
    assert result.exit_code == 2
    assert "no option named 'resrve'" in result.stderr


def test_every_option_runs_on_one_pool_of_workers(with_options, comparison, monkeypatch):
    """The workers start once for the baseline and every option, and give the same numbers
    as the inline run."""
    from sim.experiment import executors

    started = []
    real = executors._process_pool

    def counting(n):
        started.append(n)
        return real(n)

    monkeypatch.setattr(executors, "_process_pool", counting)
    pooled = compare_options(
        sim.load(with_options), reps=8, seed=3, block_size=4, executor="processes", workers=2
    )
    assert started == [2]
    for option, r in comparison.results.items():
        for name, x in r.metrics.items():
            np.testing.assert_array_equal(x, pooled.results[option].metrics[name], err_msg=name)


def test_a_single_block_runs_without_starting_workers(with_options, monkeypatch):
    from sim.experiment import executors

    def refuse(n):
        raise AssertionError("no pool should start for one block")

    monkeypatch.setattr(executors, "_process_pool", refuse)
    compare_options(sim.load(with_options), reps=4, seed=3, executor="processes", workers=2)


@pytest.mark.parametrize(("reps", "streams"), [(8, [6]), (4, [1, 1, 1])])
def test_options_of_several_blocks_go_in_one_stream(with_options, monkeypatch, reps, streams):
    """Blocks of the next option start while the last ones of the option before still run;
    options of one block each go one by one (each inline)."""
    from sim.experiment import runner

    seen = []
    real = runner._iter_results

    def spy(world, blocks, **run_on):
        seen.append(len(blocks))
        return real(world, blocks, **run_on)

    monkeypatch.setattr(runner, "_iter_results", spy)
    compare_options(sim.load(with_options), reps=reps, seed=3, block_size=4)
    assert seen == streams


def test_run_options_wants_a_baseline_without_policies(with_options):
    from sim.experiment.runner import run_options

    with pytest.raises(ValueError, match="the baseline 'reserve' must be one of the options"):
        run_options(sim.load(with_options), ["do-nothing", "reserve"], 4, baseline="reserve")
