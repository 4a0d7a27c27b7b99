"""Run folders are written whole or not at all; summaries are reproducible."""

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import sim
from sim.results.io import summary_csv, write_run
from sim.results.results import TRADE_COLUMNS


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
    assert list(table.columns) == list(TRADE_COLUMNS)
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
