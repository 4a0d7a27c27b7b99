"""Where blocks of replications run: in this process, in a pool of processes, or on dask.

`run_blocks(task, blocks)` applies a top-level (picklable) function to each block's arguments
and returns the results in the order of `blocks`, whatever order they finish in. Replication i
draws from the streams keyed by (seed, i), so the results do not depend on the executor, the
number of workers or the grouping of replications into blocks.

The "processes" executor starts its workers with the "spawn" method (a fresh interpreter, safe
whatever threads the parent runs); like any use of multiprocessing with spawn, a script that
calls it must guard its entry point with `if __name__ == "__main__":`.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any

EXECUTORS = ("inline", "processes", "dask")
"""Names accepted by `run_blocks(executor=...)`."""

DASK_MISSING = "the dask executor needs the 'distributed' extra: pip install 'minsim[distributed]'"

Progress = Callable[[int, int], None]


def cpu_count() -> int:
    """CPUs this process may use (its affinity mask where the platform has one)."""
    if hasattr(os, "process_cpu_count"):  # Python 3.13+
        return os.process_cpu_count() or 1
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def run_blocks(
    task: Callable[..., Any],
    blocks: Iterable[tuple],
    *,
    executor: str = "processes",
    workers: int | None = None,
    scheduler: str | None = None,
    progress: Progress | None = None,
) -> list:
    """`[task(*args) for args in blocks]`, run by `executor`, results in the order of `blocks`.

    - "inline": a loop in this process.
    - "processes": a `ProcessPoolExecutor` of `workers` processes (default: the CPUs this
      process may use, at most one per block), started with "spawn". One block, or one
      worker, runs inline: a single process would only add its start-up.
    - "dask": a `dask.distributed` client on the scheduler at address `scheduler`, or on a
      local cluster of `workers` single-threaded worker processes started for the call.

    `task` must be a top-level function (pickled by reference) for the pooled executors.
    `progress(done, total)` is called in this process each time a block finishes. On Ctrl-C
    the blocks not yet started are cancelled and the workers stopped before KeyboardInterrupt
    propagates.
    """
    if executor not in EXECUTORS:
        raise ValueError(f"unknown executor {executor!r}: choose one of {', '.join(EXECUTORS)}")
    if workers is not None and workers < 1:
        raise ValueError(f"workers must be at least 1, not {workers}")
    if scheduler is not None and executor != "dask":
        raise ValueError(f"a scheduler address only applies to the dask executor, not {executor!r}")
    blocks = [tuple(args) for args in blocks]
    if not blocks:
        return []
    if executor == "dask":
        return _dask(task, blocks, workers, scheduler, progress)
    if executor == "processes" and len(blocks) > 1 and (workers is None or workers > 1):
        return _processes(task, blocks, workers, progress)
    return _inline(task, blocks, progress)


def _inline(task: Callable[..., Any], blocks: Sequence[tuple], progress: Progress | None) -> list:
    results = []
    for args in blocks:
        results.append(task(*args))
        if progress is not None:
            progress(len(results), len(blocks))
    return results


def _ignore_sigint() -> None:
    """Workers leave Ctrl-C to the parent, which cancels the run and stops them."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _stop_workers(pool: ProcessPoolExecutor) -> None:
    """Terminate the pool's processes, so blocks already running do not hold up the exit."""
    if hasattr(pool, "terminate_workers"):  # Python 3.14+
        pool.terminate_workers()
        return
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        if process.is_alive():
            process.terminate()


def _processes(
    task: Callable[..., Any],
    blocks: Sequence[tuple],
    workers: int | None,
    progress: Progress | None,
) -> list:
    n = min(workers or cpu_count(), len(blocks))
    pool = ProcessPoolExecutor(
        max_workers=n,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_ignore_sigint,
    )
    futures = []
    try:
        futures = [pool.submit(task, *args) for args in blocks]
        for done, future in enumerate(as_completed(futures), start=1):
            future.result()  # the first failure stops the run
            if progress is not None:
                progress(done, len(futures))
        results = [future.result() for future in futures]
    except BaseException:
        # Ctrl-C or a failed block: drop what has not started, stop what is running.
        for future in futures:
            future.cancel()
        _stop_workers(pool)
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    return results


def _dask(
    task: Callable[..., Any],
    blocks: Sequence[tuple],
    workers: int | None,
    scheduler: str | None,
    progress: Progress | None,
) -> list:
    try:
        from distributed import Client, LocalCluster
        from distributed import as_completed as dask_as_completed
    except ImportError as exc:
        raise ImportError(DASK_MISSING) from exc
    cluster = None
    client = None
    futures = []
    try:
        if scheduler:
            client = Client(scheduler)
        else:
            cluster = LocalCluster(
                n_workers=min(workers or cpu_count(), len(blocks)),
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,  # no dashboard, and its HTTP server (health checks)
                scheduler_kwargs={"dashboard_address": ":0"},  # on a free port, not 8787
            )
            client = Client(cluster)
        futures = [client.submit(task, *args, pure=False) for args in blocks]
        for done, future in enumerate(dask_as_completed(futures), start=1):
            if future.status == "error":
                future.result()  # the first failure stops the run
            if progress is not None:
                progress(done, len(futures))
        return client.gather(futures)
    except BaseException:
        if client is not None and futures:
            with contextlib.suppress(Exception):  # the error that stopped the run matters more
                client.cancel(futures)
        raise
    finally:
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()
