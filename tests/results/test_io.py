"""Run folders are written whole or not at all, by one run only; summaries are reproducible."""

import errno
import json
import os
import threading
from collections import namedtuple

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import sim
from sim.experiment.results import TRADE_COLUMNS
from sim.results import io
from sim.results.io import (
    OutputError,
    WriteError,
    check_output,
    claim,
    default_out,
    run_folder_bytes,
    summary_csv,
    write_run,
)


@pytest.fixture
def results(small):
    return sim.run(small, reps=8, seed=3)


def test_interrupted_write_leaves_nothing(results, tmp_path):
    out = tmp_path / "run"

    def fail(folder):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_run([results], out, extra=fail)
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["small.yaml"]


def test_timeseries_round_trips_through_netcdf(results, tmp_path):
    out = write_run([results], tmp_path / "run")
    ds = xr.open_dataset(out / "timeseries.nc", engine="scipy")
    assert ds["price"].dims == ("option", "time", "quantile", "commodity", "bloc")
    assert list(ds["bloc"].values) == ["alliance", "china", "rest"]
    assert ds.sizes["time"] == 4 * 52
    ds.close()


def test_quantiles_are_ordered(results):
    s = results.summary()
    s = s.dropna(subset=["p5", "p50", "p95"])  # the CVaR rows and cover without an onset
    assert ((s.p5 <= s.p50 + 1e-12) & (s.p50 <= s.p95 + 1e-12)).all()
    assert (s[s.metric == "peak_price_multiple"].p5 >= 1 - 1e-12).all()


def test_summary_does_not_depend_on_block_size(small):
    a = summary_csv([sim.run(small, reps=9, seed=2)])
    b = summary_csv([sim.run(small, reps=9, seed=2, block_size=4)])
    assert a == b


def test_trade_flows_do_not_depend_on_block_size(small):
    """Totals are joined in replication order and the mean series weighted by block size,
    so blocks of 7 and of 50 give the same flows to rounding."""
    a = sim.run(small, reps=60, seed=4, block_size=7)
    b = sim.run(small, reps=60, seed=4, block_size=50)
    assert a.trade_total.shape == (60, 2, 3, 3)
    assert a.trade_mean.shape == (4 * 52, 2, 3, 3)
    np.testing.assert_allclose(a.trade_total, b.trade_total, rtol=1e-12, atol=0)
    np.testing.assert_allclose(a.trade_mean, b.trade_mean, rtol=1e-12, atol=0)
    # replications differ (the antimony outage is random): the totals are in their order
    one = sim.run(small, reps=1, seed=4)
    np.testing.assert_allclose(a.trade_total[:1], one.trade_total, rtol=1e-12)
    assert np.ptp(a.trade_total[:, 1].sum(axis=(1, 2))) > 0


def test_trade_csv_has_a_row_per_option_commodity_origin_destination_and_year(
    tmp_path, reserve_text
):
    path = tmp_path / "reserve.yaml"
    path.write_text(reserve_text)
    comparison = sim.compare(sim.load(path), reps=8, seed=3)
    results = list(comparison.results.values())
    out = write_run(results, tmp_path / "run")
    table = pd.read_csv(out / "trade.csv")
    expected = list(TRADE_COLUMNS)
    expected.insert(expected.index("unit") + 1, "currency")
    assert list(table.columns) == expected
    assert len(table) == 2 * 2 * 3 * 3 * 4  # options × commodities × origins × destinations × years
    assert sorted(table.option.unique()) == ["do-nothing", "reserve"]
    assert sorted(table.year.unique()) == [2026, 2027, 2028, 2029]
    assert set(table.unit) == {"t/yr"} and set(table.total_unit) == {"t"}
    # a year's mean is the mean flow over its ticks; shares of a destination's supply add to 1
    r = results[0]
    row = table[
        (table.option == r.option)
        & (table.commodity == "gallium")
        & (table.origin == "china")
        & (table.destination == "rest")
        & (table.year == 2027)
    ].iloc[0]
    assert row["mean"] == pytest.approx(r.trade_mean[52:104, 0, 1, 2].mean(), rel=1e-5)
    assert row.total_mean == pytest.approx(r.trade_total[:, 0, 1, 2].mean(), rel=1e-5)
    shares = table.groupby(["option", "commodity", "destination", "year"])["share"].sum()
    np.testing.assert_allclose(shares, 1.0, rtol=1e-5)
    assert (
        (table.total_p5 <= table.total_mean + 1e-9) & (table.total_mean <= table.total_p95 + 1e-9)
    ).all()
    ds = xr.open_dataset(out / "timeseries.nc", engine="scipy")
    flow = ds["trade_mean"]
    assert flow.dims == ("option", "time", "commodity", "origin", "destination")
    assert flow.attrs["units"] == "t/yr"
    assert list(ds["origin"].values) == list(ds["destination"].values) == list(ds["bloc"].values)
    np.testing.assert_allclose(flow.sel(option=r.option).values, r.trade_mean, rtol=1e-15)
    ds.close()


def test_a_horizon_from_mid_year_has_a_partial_first_and_last_year(small_path):
    r = sim.run(sim.load(small_path, sets=("horizon.start=2026-07",)), reps=2, seed=1)
    years = r.tick_years()
    assert list(np.unique(years)) == [2026, 2027, 2028, 2029, 2030]
    assert (years == 2026).sum() == 26 and (years == 2027).sum() == 52
    flows = r.trade_flows()
    assert len(flows) == 2 * 3 * 3 * 5


def _partials(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".partial"))


def test_two_writers_into_one_folder_leave_it_entirely_the_winners(small, tmp_path):
    """20 races of two threads released together: each time one writes the whole folder and
    the other is refused at its claim, and nothing else is left beside it."""
    runs = {seed: sim.run(small, reps=4, seed=seed) for seed in (1, 2)}
    texts = {seed: summary_csv([r]) for seed, r in runs.items()}
    assert texts[1] != texts[2]
    for trial in range(20):
        out = tmp_path / f"run-{trial}"
        start = threading.Barrier(2)
        outcome: dict[int, object] = {}

        def write(seed, out=out, start=start, outcome=outcome):
            start.wait()
            try:
                write_run([runs[seed]], out)
                outcome[seed] = "wrote"
            except OutputError as exc:
                outcome[seed] = exc

        threads = [threading.Thread(target=write, args=(seed,)) for seed in (1, 2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        winners = [seed for seed, o in outcome.items() if o == "wrote"]
        assert len(winners) == 1, outcome
        (loser,) = set(outcome) - set(winners)
        assert "already exists (or another run is writing it)" in str(outcome[loser])
        seed = winners[0]
        assert json.loads((out / "manifest.json").read_text())["seed"] == seed
        assert (out / "summary.csv").read_text() == texts[seed]
        with xr.open_dataset(out / "timeseries.nc", engine="scipy") as ds:
            assert ds.attrs["seed"] == seed
    assert _partials(tmp_path) == []


def test_a_full_disk_while_writing_removes_the_runs_own_folder_only(results, tmp_path, monkeypatch):
    out = tmp_path / "run"
    foreign = [tmp_path / "run.run-tmp", tmp_path / ".run.0badc0de.partial"]
    for f in foreign:
        f.mkdir()
        (f / "summary.csv").write_text("someone else's\n")

    def full(results):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(io, "trade_csv", full)
    with pytest.raises(
        WriteError,
        match=r"could not write .*run: No space left on device; "
        "nothing was written; free some space or choose another --out",
    ):
        write_run([results], out)
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["small.yaml", *(f.name for f in foreign)]
    )
    for f in foreign:
        assert (f / "summary.csv").read_text() == "someone else's\n"


def test_an_existing_folder_is_refused_and_left_alone(results, tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    with pytest.raises(OutputError, match="already exists"):
        write_run([results], out)
    assert [p.name for p in out.iterdir()] == ["notes.txt"]
    assert _partials(tmp_path) == []


def test_a_claim_is_released_only_while_it_is_the_empty_folder_it_made(tmp_path):
    taken = claim(tmp_path / "a")
    with pytest.raises(OutputError, match="already exists"):
        claim(tmp_path / "a")
    taken.release()
    assert not (tmp_path / "a").exists()
    # something put into it, or the finished folder renamed over it: never removed
    taken = claim(tmp_path / "b")
    (taken.path / "x").write_text("")
    taken.release()
    assert (tmp_path / "b" / "x").exists()
    taken = claim(tmp_path / "c")
    (tmp_path / ".c.partial").mkdir()
    os.rename(tmp_path / ".c.partial", taken.path)
    taken.release()
    assert (tmp_path / "c").is_dir()


def test_a_fresh_claim_takes_the_next_free_name(tmp_path):
    """A default name (runs/<scenario>-<time>) taken by a run started in the same second is
    not an error: the next run takes name-2."""
    base = tmp_path / "runs" / "small-20260101-000000"
    assert claim(base, fresh=True).path == base
    assert claim(base, fresh=True).path == base.with_name(base.name + "-2")
    name = default_out(tmp_path / "small.yaml", root=tmp_path / "runs")
    assert name.name.startswith("small-") and not name.exists()


def test_output_under_a_file_is_refused(tmp_path):
    (tmp_path / "file").write_text("")
    for out in (tmp_path / "file" / "run", tmp_path / "file" / "a" / "run"):
        with pytest.raises(OutputError, match=r"file is a file, not a folder; choose another"):
            claim(out)
    with pytest.raises(OutputError, match="is a file, not a folder"):
        check_output(tmp_path / "file", folder_may_exist=True)
    check_output(tmp_path / "new" / "deeper" / "run")  # parents are created when claimed
    assert claim(tmp_path / "new" / "deeper" / "run").path.is_dir()


def test_too_little_room_is_refused_with_the_estimate(tmp_path, monkeypatch):
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(io.shutil, "disk_usage", lambda path: usage(10**6, 10**6 - 1500, 1500))
    with pytest.raises(OutputError, match=r"has 1.5 kB free and the output needs about 2.5 MB"):
        claim(tmp_path / "run", 2_500_000)
    assert not (tmp_path / "run").exists()


def test_run_folder_bytes_is_close_to_what_a_run_writes(small, tmp_path):
    """The estimate behind the room check, against the folder written (within 25%, or 60%
    with the compressed replications.nc, and never below the series, which dominate large
    runs)."""
    for keep in (False, True):
        r = sim.run(small, reps=40, seed=1, keep_paths=keep)
        out = write_run([r], tmp_path / f"run-{keep}")
        written = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
        estimate = run_folder_bytes(small.scenario, reps=40, keep_paths=keep, figures=False)
        nc = sum(p.stat().st_size for p in out.glob("*.nc"))
        slack = 1.6 if keep else 1.25
        assert nc <= estimate - 1_000_000 <= slack * written, (keep, written, estimate)


def test_every_csv_of_a_run_folder_has_unit_and_currency_and_short_numbers(tmp_path, reserve_text):
    """summary, policies, trade and uncertainty: a `unit` of every row and the reporting
    `currency`; no number printed with more than 6 significant digits (policies.csv printed
    17, its numbers held as objects after a concat with the do-nothing option's empty table)."""
    import re

    path = tmp_path / "reserve.yaml"
    path.write_text(reserve_text)
    comparison = sim.compare(sim.load(path), reps=6, seed=3, parameter_draws=0)
    results = list(comparison.results.values())
    for r in results:  # as if from two parameter sets, so that uncertainty.csv is written
        r.parameter_draws = [{"values": {}, "points": {}}] * 2
    out = write_run(results, tmp_path / "run")
    names = {p.name for p in out.glob("*.csv")}
    assert names == {"summary.csv", "policies.csv", "trade.csv", "uncertainty.csv"} | {
        "experiments.csv"
    }
    # the wide experiments table names each column's unit in its header instead
    names.remove("experiments.csv")
    headers = (out / "experiments.csv").read_text().splitlines()[0].split(",")
    bare = [h for h in headers if not h.endswith("]")]
    assert bare == ["option", "replication", "parameter_set"], bare
    assert "social_cost [USD PV]" in headers
    number = re.compile(r"^-?(\d+\.?\d*)(e[-+]\d+)?$")

    def significant(cell: str) -> int:
        m = number.match(cell)
        return len(m.group(1).replace(".", "").lstrip("0").rstrip("0")) if m else 0

    for name in sorted(names):
        table = pd.read_csv(out / name)
        assert {"unit", "currency"} <= set(table.columns), name
        assert list(table.columns).index("currency") == list(table.columns).index("unit") + 1
        assert len(table) and table.unit.notna().all(), name
        assert set(table.currency) == {"USD"}, name
        cells = [c for line in (out / name).read_text().splitlines() for c in line.split(",")]
        assert max(significant(c) for c in cells) <= 6, name
    policies = pd.read_csv(out / "policies.csv")
    units = dict(zip(policies.metric, policies.unit, strict=False))
    assert units["purchased_t"] == "t" and units["level_t"] == "t"
    assert units["spent"] == "USD" and units["fiscal_cost"] == "USD"
    assert units["max_net_spend"] == "USD"


def test_policy_units():
    assert io.policy_unit("capacity_added", "AUD") == "t/yr"
    assert io.policy_unit("arrival_years", "AUD") == "years"
    assert io.policy_unit("extra_recycled_t", "AUD") == "t"
    assert io.policy_unit("holding_paid", "AUD") == "AUD"
