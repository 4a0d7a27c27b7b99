"""Every replication kept on disk (replications.nc), block by block, and the memory bound
checked before a run starts (issue 15)."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from click.testing import CliRunner

import sim
from sim.cli import cli
from sim.engine.recorder import SERIES
from sim.experiment.compare import compare_options
from sim.experiment.memory import MemoryBound, check_memory, run_memory_bytes
from sim.experiment.results import BlockMerger, NonFiniteResult
from sim.experiment.runner import run_replications
from sim.experiment.store import ReplicationStore, exact_series, memory_slabs

POSTERIOR = (  # as tests/experiment/test_uncertainty.py: a two-point posterior on gallium
    "+commodities.gallium.calibration={fit: by-product, posterior: {keys: "
    "[elasticity.backstop, storage.learning], points: [{weight: 0.7, values: [3, 1 month]}, "
    "{weight: 0.3, values: [21, 6 months]}]}}"
)


def _same(streamed, held) -> None:
    for v in SERIES:
        np.testing.assert_array_equal(streamed.series[v], held.series[v])
        np.testing.assert_array_equal(streamed.series_mean[v], held.series_mean[v])
        np.testing.assert_array_equal(streamed.kept.load(v), held.paths[v])
    for m in held.metrics:
        np.testing.assert_array_equal(streamed.metrics[m], held.metrics[m])


def test_a_streamed_run_equals_one_held_in_memory(small, tmp_path) -> None:
    held = run_replications(small, 12, seed=4, block_size=5, keep_paths=True)
    streamed = run_replications(small, 12, seed=4, block_size=5, paths_file=tmp_path / "r.nc")
    assert streamed.paths == {} and streamed.kept.path == tmp_path / "r.nc"
    _same(streamed, held)


def test_interleaved_parameter_sets_land_in_replication_order(small_path, tmp_path) -> None:
    drawn = sim.load(small_path, sets=(POSTERIOR, "+parameter_uncertainty.draws=3"))
    held = run_replications(drawn, 10, seed=3, block_size=2, keep_paths=True)
    streamed = run_replications(drawn, 10, seed=3, block_size=2, paths_file=tmp_path / "r.nc")
    _same(streamed, held)


def test_every_option_of_a_comparison_goes_to_one_file(small_path, tmp_path) -> None:
    small_path.write_text(
        small_path.read_text()
        + "policies:\n  duty: {type: tariff, bloc: alliance, commodity: gallium, rate: 0.1}\n"
        "options:\n  do-nothing: []\n  duty: [duty]\n"
    )
    loaded = sim.load(small_path)
    path = tmp_path / "r.nc"
    streamed = compare_options(loaded, 6, 2, block_size=4, paths_file=path).results
    held = compare_options(loaded, 6, 2, block_size=4, keep_paths=True).results
    with xr.open_dataset(path, engine="h5netcdf") as ds:
        assert list(ds["option"].values) == ["do-nothing", "duty"]
        for o in ("do-nothing", "duty"):
            np.testing.assert_array_equal(
                ds["price_path"].sel(option=o).transpose("time", "replication", ...).values,
                held[o].paths["price"],
            )
            _same(streamed[o], held[o])


def test_a_non_finite_kept_value_is_named_as_it_is_read_back(small, tmp_path) -> None:
    add = BlockMerger.add

    def poisoned(self, b):
        if b.replications[0] == 5:
            b.paths["stock_days"][60, 1, 1, 0] = np.inf  # replication 6, tick 60
        return add(self, b)

    with pytest.MonkeyPatch.context() as m:
        m.setattr(BlockMerger, "add", poisoned)
        with pytest.raises(NonFiniteResult) as info:
            run_replications(small, 8, seed=1, block_size=5, paths_file=tmp_path / "r.nc")
    assert str(info.value).startswith(
        "the run produced a non-finite stock_days path (inf) for antimony in alliance at tick "
        "60 (2027-02), replication 6; nothing was written."
    )


def test_slabs_of_any_height_give_the_same_numbers() -> None:
    x = np.random.default_rng(1).lognormal(size=(30, 9, 2, 3))  # [T, R, K, B]
    a = exact_series(memory_slabs(x, 7), 30)
    b = exact_series(memory_slabs(x, 30), 30)
    for u, w in zip(a, b, strict=True):
        np.testing.assert_array_equal(u, w)
    np.testing.assert_allclose(a[1], x.mean(1), rtol=1e-14)


def test_a_store_refuses_an_existing_file_and_an_option_twice(small, tmp_path) -> None:
    from sim.engine.world import compile_world
    from sim.experiment.results import tick_dates

    w = compile_world(small.scenario)
    (tmp_path / "there.nc").write_text("")
    with pytest.raises(FileExistsError, match=r"there\.nc exists already"):
        ReplicationStore(tmp_path / "there.nc", w, ["a"], 2, tick_dates(w))
    with pytest.raises(ValueError, match=r"options stored twice: \['a', 'a'\]"):
        ReplicationStore(tmp_path / "new.nc", w, ["a", "a"], 2, tick_dates(w))


def test_the_memory_estimate_grows_with_what_is_held(small) -> None:
    s = small.scenario
    one = run_memory_bytes(s, 1000)
    assert run_memory_bytes(s, 2000) > one
    assert run_memory_bytes(s, 1000, options=3) > one
    assert run_memory_bytes(s, 1000, workers=2, keep_paths=True) > run_memory_bytes(
        s, 1000, keep_paths=True
    )
    assert run_memory_bytes(s, 1000, keep_paths=True) > one
    assert run_memory_bytes(s, 1000, paths_in_memory=True) > run_memory_bytes(s, 1000) * 1.2


def test_a_run_beyond_memory_is_refused_with_the_estimate() -> None:
    with pytest.raises(MemoryBound) as info:
        check_memory(3 * 10**12, 10**9, available=2 * 10**10)
    assert str(info.value) == (
        "1,000,000,000 replications need about 3.0 TB of memory and 20.0 GB is available; "
        "run fewer replications (about 6,500,000 would fit)"
    )
    check_memory(10**9, 1000, available=2 * 10**9)  # fits: no error


def test_the_cli_refuses_a_billion_replications_before_starting(small_path, tmp_path) -> None:
    out = tmp_path / "run"
    result = CliRunner().invoke(
        cli, ["run", str(small_path), "--reps", "1000000000", "--no-plots", "--out", str(out)]
    )
    assert result.exit_code == 2, result.output
    assert "1,000,000,000 replications need about" in result.stderr
    assert "Traceback" not in result.output
    assert not out.exists() and not list(tmp_path.glob(".*partial"))


def test_a_failed_streamed_run_leaves_no_partial_file(small_path, tmp_path, monkeypatch) -> None:
    def fail(*args, **kwargs):
        raise NonFiniteResult("price path", np.nan, "gallium", "at tick 1")

    monkeypatch.setattr("sim.experiment.results.check_finite", fail)
    out = tmp_path / "run"
    args = ["run", str(small_path), "--reps", "4", "--no-plots", "--keep-replications"]
    result = CliRunner().invoke(cli, [*args, "--out", str(out)])
    assert result.exit_code == 1, result.output
    assert not out.exists() and not list(tmp_path.glob(".*partial"))
