"""Executors: the same replications give bit-identical results wherever and however grouped
they run, results come back in block order, and progress and Ctrl-C are handled."""

from __future__ import annotations

import multiprocessing
import sys
import time
import weakref
from pathlib import Path

import numpy as np
import pytest

import sim
from sim.engine.recorder import QUANTILES
from sim.experiment import runner
from sim.experiment.executors import DASK_MISSING, EXECUTORS, _in_order, run_blocks
from sim.experiment.results import BlockMerger
from sim.results.io import summary_csv

REPS = 10
SEED = 7
SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


def square(x: int, delay: float = 0.0) -> int:
    """A trivial top-level task (picklable by reference) that may take its time."""
    time.sleep(delay)
    return x * x


def block_of(x: int) -> np.ndarray:
    """A top-level task whose result can be watched with a weak reference."""
    return np.full(1000, float(x))


@pytest.fixture(scope="module")
def dask_cluster():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        scheduler_kwargs={"dashboard_address": ":0"},  # leave port 8787 to other clusters
    ) as cluster:
        yield cluster


def assert_identical(a: sim.Results, b: sim.Results) -> None:
    assert summary_csv([a]) == summary_csv([b])
    assert a.metrics.keys() == b.metrics.keys()
    for name in a.metrics:
        np.testing.assert_array_equal(a.metrics[name], b.metrics[name], err_msg=name)
    np.testing.assert_array_equal(a.balance_error, b.balance_error)
    assert a.fiscal_by_policy.keys() == b.fiscal_by_policy.keys()
    for name in a.fiscal_by_policy:
        np.testing.assert_array_equal(a.fiscal_by_policy[name], b.fiscal_by_policy[name])
    assert a.policy_reports.keys() == b.policy_reports.keys()
    for key in a.policy_reports:
        np.testing.assert_array_equal(a.policy_reports[key], b.policy_reports[key])
    if a.baseline_shortfall is None:
        assert b.baseline_shortfall is None
    else:
        np.testing.assert_array_equal(a.baseline_shortfall, b.baseline_shortfall)


def record(calls: list):
    return lambda done, total: calls.append((done, total))


def counts(blocks: int) -> list[tuple[int, int]]:
    """The progress calls expected for `blocks` blocks."""
    return [(done, blocks) for done in range(1, blocks + 1)]


def test_inline_blocks_give_the_results_of_one_block(small):
    reference = sim.run(small, REPS, SEED)
    assert_identical(reference, sim.run(small, REPS, SEED, block_size=3))


def test_processes_give_the_results_of_one_inline_block(small):
    reference = sim.run(small, REPS, SEED)
    calls = []
    results = sim.run(
        small, REPS, SEED, block_size=4, executor="processes", workers=2, progress=record(calls)
    )
    assert_identical(reference, results)
    assert calls == counts(3)  # blocks of 4, 4 and 2


def test_dask_gives_the_results_of_one_inline_block(small, dask_cluster):
    reference = sim.run(small, REPS, SEED)
    calls = []
    results = sim.run(
        small,
        REPS,
        SEED,
        block_size=5,
        executor="dask",
        scheduler=dask_cluster.scheduler_address,
        progress=record(calls),
    )
    assert_identical(reference, results)
    assert calls == counts(2)  # blocks of 5 and 5


def test_a_policy_option_and_its_baseline_come_back_from_workers(dask_cluster):
    """Policy reports, fiscal costs per policy and the do-nothing baseline's shortfall."""
    loaded = sim.load(SCENARIOS / "australia-reserve.yaml", sets=("horizon.years=2",))
    reference = sim.run(loaded, 4, SEED, option="reserve")
    results = sim.run(
        loaded,
        4,
        SEED,
        option="reserve",
        block_size=2,
        executor="dask",
        scheduler=dask_cluster.scheduler_address,
    )
    assert results.baseline_shortfall is not None
    assert results.policy_reports and results.fiscal_by_policy
    assert_identical(reference, results)


@pytest.mark.parametrize("executor", EXECUTORS)
def test_results_come_back_in_block_order_with_progress(executor):
    """dask here starts (and closes) its own LocalCluster of two workers."""
    blocks = [(i, 0.5 if i == 0 else 0.0) for i in range(5)]  # the first block finishes last
    calls = []
    results = run_blocks(square, blocks, executor=executor, workers=2, progress=record(calls))
    assert results == [0, 1, 4, 9, 16]
    assert calls == counts(5)


def test_unknown_executor_names_the_known_ones():
    with pytest.raises(ValueError, match="unknown executor 'threads'") as info:
        run_blocks(square, [(1,)], executor="threads")
    for name in EXECUTORS:
        assert name in str(info.value)


def test_bad_workers_and_misplaced_scheduler_are_refused():
    with pytest.raises(ValueError, match="workers must be at least 1"):
        run_blocks(square, [(1,)], executor="processes", workers=0)
    with pytest.raises(ValueError, match="only applies to the dask executor"):
        run_blocks(square, [(1,)], executor="processes", scheduler="tcp://127.0.0.1:8786")


def test_no_blocks_no_work():
    assert run_blocks(square, [], executor="dask") == []


def test_missing_dask_says_which_extra_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import fails
    with pytest.raises(ImportError) as info:
        run_blocks(square, [(1,)], executor="dask")
    assert str(info.value) == DASK_MISSING


def test_ctrl_c_cancels_pending_blocks_and_stops_the_workers():
    before = {p.pid for p in multiprocessing.active_children()}

    def interrupt(done, total):
        raise KeyboardInterrupt

    # one quick block, then blocks that would take a minute each
    blocks = [(0, 0.0)] + [(i, 60.0) for i in range(1, 6)]
    t0 = time.perf_counter()
    with pytest.raises(KeyboardInterrupt):
        run_blocks(square, blocks, executor="processes", workers=2, progress=interrupt)
    assert time.perf_counter() - t0 < 30
    left = {p.pid for p in multiprocessing.active_children() if p.is_alive()} - before
    assert not left


def assert_same_series(a: sim.Results, b: sim.Results) -> None:
    for name in a.series:
        np.testing.assert_array_equal(a.series[name], b.series[name], err_msg=name)
        np.testing.assert_array_equal(a.series_mean[name], b.series_mean[name], err_msg=name)


def test_fan_quantiles_do_not_depend_on_executor_or_workers(small):
    """Blocks are folded in replication order, so even the batch-means series agree bit for
    bit; only the block size (fixed unless told) enters them."""
    inline = sim.run(small, REPS, SEED, block_size=3)
    for workers in (2, 3):
        pooled = sim.run(small, REPS, SEED, block_size=3, executor="processes", workers=workers)
        assert_identical(inline, pooled)
        assert_same_series(inline, pooled)


def test_default_blocks_are_fixed_not_one_per_worker(small, monkeypatch):
    monkeypatch.setattr(runner, "DEFAULT_BLOCK", 4)
    calls = []
    results = sim.run(small, REPS, SEED, executor="processes", workers=2, progress=record(calls))
    assert calls == counts(3)  # 4, 4 and 2 whatever the number of workers
    assert_same_series(results, sim.run(small, REPS, SEED, block_size=4))


def test_keeping_every_replication_gives_exact_quantiles(small):
    kept = sim.run(small, REPS, SEED, block_size=3, keep_paths=True)
    one_block = sim.run(small, REPS, SEED, block_size=REPS)  # quantiles over all rows at once
    assert kept.paths["price"].shape[1] == REPS
    for name in kept.series:
        exact = np.moveaxis(np.quantile(kept.paths[name], QUANTILES, axis=1), 0, 1)
        np.testing.assert_array_equal(kept.series[name], exact)
        np.testing.assert_allclose(kept.series[name], one_block.series[name], rtol=1e-12)


def test_blocks_stay_in_a_window_and_come_back_in_order():
    """Finishing in reverse order, results still come back in block order, and no more than
    the window are ever submitted and not yet handed to the caller."""
    pending: set[int] = set()
    submitted, out, most = 0, [], 0

    def submit(args):
        nonlocal submitted, most
        pending.add(args[0])
        submitted += 1
        most = max(most, submitted - len(out))
        return args[0]

    def wait_any(futures):
        last = max(futures)  # the latest block finishes first
        pending.discard(last)
        return {last}

    for value in _in_order(submit, wait_any, lambda f: f * 10, [(i,) for i in range(9)], 3, None):
        out.append(value)
    assert out == [i * 10 for i in range(9)]
    assert most == 3


def test_merging_refuses_blocks_out_of_order(small):
    from sim.engine import compile_world, run_batch

    world = compile_world(small.scenario)
    merger = BlockMerger()
    merger.add(run_batch(small.scenario, np.arange(3, 6), SEED, world=world))
    with pytest.raises(ValueError, match="blocks out of order: expected replication 6, got 0"):
        merger.add(run_batch(small.scenario, np.arange(0, 3), SEED, world=world))


def test_merging_into_preallocated_rows_equals_joining_them(small):
    from sim.engine import compile_world, run_batch

    world = compile_world(small.scenario)
    blocks = [run_batch(small.scenario, np.arange(i, i + 3), SEED, world=world) for i in (0, 3)]
    merged = {}
    for total in (None, 6):
        merger = BlockMerger(total)
        for b in blocks:
            merger.add(b)
        merged[total] = merger.results(small, world, seed=SEED, option="base", timings={})
    assert_identical(merged[None], merged[6])
    short = BlockMerger(9)
    short.add(blocks[0])
    with pytest.raises(ValueError, match="expected 9 replications, got 3"):
        short.results(small, world, seed=SEED, option="base", timings={})


@pytest.mark.parametrize("executor", ["processes", "dask"])
def test_a_result_is_let_go_once_handed_over(executor, request):
    """Memory holds the blocks in flight, not every block run so far: once the caller has
    dropped a block's result, the executor keeps it alive no longer than until the next
    one comes (the pool's own threads hold the last result they handled)."""
    from sim.experiment.executors import iter_blocks

    scheduler = None
    if executor == "dask":
        scheduler = request.getfixturevalue("dask_cluster").scheduler_address
    handed = []
    for result in iter_blocks(
        block_of, [(i,) for i in range(8)], executor=executor, workers=2, scheduler=scheduler
    ):
        handed.append(weakref.ref(result))
        del result
        assert sum(ref() is not None for ref in handed) <= 2
    assert len(handed) == 8
