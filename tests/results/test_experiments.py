"""The experiments table: a row per replication and option, the engine's own draws beside the
outcomes, the same whatever the executor or the block size."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import sim
from sim.engine.disruptions import compile_specs, sample_plan
from sim.engine.world import compile_world
from sim.experiment.compare import compare_options
from sim.results.experiments import (
    experiments,
    experiments_csv,
    read_experiments,
    split_column,
)
from sim.results.io import write_run

REPS, SEED = 40, 11


@pytest.fixture(scope="module")
def reserve(tmp_path_factory, reserve_text):
    path = tmp_path_factory.mktemp("reserve") / "reserve.yaml"
    path.write_text(reserve_text)
    return sim.load(path)


@pytest.fixture(scope="module")
def comparison(reserve):
    return compare_options(reserve, REPS, SEED, executor="inline")


def bare(table: pd.DataFrame) -> pd.DataFrame:
    """The table with its units stripped from the headers."""
    return table.rename(columns=lambda c: split_column(c)[0])


def test_one_row_per_replication_and_option(comparison):
    table = bare(experiments(list(comparison.results.values())))
    assert len(table) == REPS * len(comparison.results)
    assert list(table.option.unique()) == ["do-nothing", "reserve"]
    for _, rows in table.groupby("option"):
        assert rows.replication.tolist() == list(range(REPS))


def test_the_draws_are_the_same_in_every_option(comparison):
    table = bare(experiments(list(comparison.results.values())))
    drawn = [c for c in table.columns if c.split(":")[-1] in ("onset", "duration", "severity")]
    a = table[table.option == "do-nothing"][drawn].reset_index(drop=True)
    b = table[table.option == "reserve"][drawn].reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)


def test_a_fixed_disruption_gives_its_fixed_onset_duration_and_severity(comparison):
    table = bare(experiments([comparison.results["do-nothing"]]))
    # ga-control: from 2026-07 (6 months after the 2026-01 start) for 12 months, 80% stopped
    assert (table["ga-control:occurrences"] == 1).all()
    assert np.allclose(table["ga-control:onset"], 6.0)
    assert np.allclose(table["ga-control:duration"], 12.0)
    assert np.allclose(table["ga-control:severity"], 0.8)


def test_random_onsets_fall_in_their_window_and_severities_in_their_range(comparison):
    table = bare(experiments([comparison.results["do-nothing"]]))
    happened = table["sb-outage:occurrences"] > 0
    onset = table.loc[happened, "sb-outage:onset"]
    assert ((onset >= 0) & (onset < 48)).all()  # the 4-year horizon
    severity = table.loc[happened, "sb-outage:severity"]
    assert ((severity >= 0.2) & (severity <= 0.8)).all()
    duration = table.loc[happened, "sb-outage:duration"]
    assert ((duration >= 1 - 12 / 52) & (duration <= 9 + 12 / 52)).all()  # 1-9 months, to a week
    assert table.loc[~happened, ["sb-outage:onset", "sb-outage:severity"]].isna().all().all()
    assert (table.loc[~happened, "sb-outage:months_in_force"] == 0).all()
    assert (table["sb-outage:months_in_force"] >= table["sb-outage:duration"].fillna(0)).all()


def test_the_draws_are_the_engines_plan(small):
    """Every onset, length and severity in the table is the first occurrence of the plan the
    engine simulated (sample_plan, drawn again here)."""
    reps = np.arange(30)
    results = sim.run(small, reps=30, seed=SEED)
    table = bare(experiments([results]))
    world = compile_world(small.scenario)
    plan = sample_plan(small.scenario, world, compile_specs(small.scenario, world), reps, SEED)
    months = 12 / world.ticks_per_year
    for name in small.scenario.disruptions:
        occ = plan[name]
        assert table[f"{name}:occurrences"].tolist() == np.bincount(occ.rows, minlength=30).tolist()
        for row in range(30):
            mine = np.flatnonzero(occ.rows == row)
            if not len(mine):
                continue
            first = mine[np.argmin(occ.start[mine])]
            assert table.at[row, f"{name}:onset"] == pytest.approx(occ.start[first] * months)
            length = (occ.end[first] - occ.start[first]) * months
            assert table.at[row, f"{name}:duration"] == pytest.approx(length)
            assert table.at[row, f"{name}:severity"] == pytest.approx(occ.severity[first])


def test_occurrence_rates_match_their_hazards(small):
    """A fixed disruption with probability 0.5 occurs in about half the replications; a
    Poisson one at rate r a year at least once in 1 - exp(-4r) of a 4-year horizon."""
    n = 2000
    table = bare(experiments([sim.run(small, reps=n, seed=3, block_size=1000)]))
    tol = 4 * np.sqrt(0.25 / n)  # four standard errors
    assert (table["boom:occurrences"] > 0).mean() == pytest.approx(0.5, abs=tol)
    for name, rate in (("sb-outage", 0.5), ("sb-quota", 0.3)):
        expected = 1 - np.exp(-4 * rate)
        assert (table[f"{name}:occurrences"] > 0).mean() == pytest.approx(expected, abs=tol)


def test_outcomes_are_the_metrics_of_each_replication(comparison):
    r = comparison.results["reserve"]
    table = bare(experiments([r]))
    b = r.world.blocs.index("alliance")
    k = r.world.commodities.index("gallium")
    assert np.array_equal(table["social_cost:alliance"], r.metrics["social_cost"][:, :, b].sum(1))
    assert np.array_equal(table["social_cost"], r.metrics["social_cost"].sum((1, 2)))
    assert np.array_equal(
        table["peak_price_multiple:gallium:alliance"], r.metrics["peak_price_multiple"][:, k, b]
    )


def test_every_column_but_the_identifiers_names_its_unit(comparison):
    table = experiments(list(comparison.results.values()))
    units = {split_column(c)[0]: split_column(c)[1] for c in table.columns}
    assert units.pop("option") is None and units.pop("replication") is None
    assert all(units.values()), [n for n, u in units.items() if not u]
    assert units["ga-control:onset"] == "months from 2026-01"
    assert units["social_cost:alliance"] == "USD PV"


def test_block_size_and_executor_do_not_change_the_table(small):
    inline = experiments_csv([sim.run(small, reps=10, seed=SEED)])
    blocks = experiments_csv([sim.run(small, reps=10, seed=SEED, block_size=3)])
    procs = experiments_csv(
        [sim.run(small, reps=10, seed=SEED, block_size=4, executor="processes", workers=2)]
    )
    assert inline == blocks == procs


def test_run_folder_has_it_and_reads_back(comparison, tmp_path):
    out = write_run(list(comparison.results.values()), tmp_path / "run")
    ex = read_experiments(out)
    assert len(ex.frame) == 2 * REPS
    assert "ga-control:onset" in ex.drawn and "social_cost:alliance" in ex.outcomes
    assert not set(ex.drawn) & set(ex.outcomes)
    assert ex.units["shortfall_t:gallium:alliance"] == "t"


def test_parameter_draws_add_each_replications_set(tmp_path):
    """With --parameter-draws, replication i ran with set i mod D, and its drawn market
    parameters are beside its disruptions' draws."""
    loaded = sim.load(sim.__path__[0] + "/../scenarios/history/gallium-2023.yaml")
    r = sim.run(loaded, reps=6, seed=2, parameter_draws=3)
    table = bare(experiments([r]))
    assert table.parameter_set.tolist() == [0, 1, 2, 0, 1, 2]
    params = [c for c in table.columns if c.startswith("parameter:")]
    assert params
    for c in params:
        d = r.parameter_draws[1]["values"]
        commodity, key = c.removeprefix("parameter:").split(".", 1)
        value = d[commodity][key]
        if not isinstance(value, str):
            assert table.at[1, c] == value and table.at[4, c] == value
