"""Where blocks of replications run: in this process, in a pool of processes, or on dask.

`iter_blocks(task, blocks)` applies a top-level (picklable) function to each block's arguments
and yields the results in the order of `blocks`, whatever order they finish in, with only a few
blocks in flight (`run_blocks` gathers them into a list). Replication i
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
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass
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


def run_blocks(task: Callable[..., Any], blocks: Iterable[tuple], **where: Any) -> list:
    """`[task(*args) for args in blocks]`, run where `iter_blocks` says (`executor`,
    `workers`, `scheduler`, `progress`, `shared`), results in the order of `blocks`; it
    yields them one at a time instead of holding them all."""
    return list(iter_blocks(task, blocks, **where))


def iter_blocks(
    task: Callable[..., Any],
    blocks: Iterable[tuple],
    *,
    executor: str = "processes",
    workers: int | None = None,
    scheduler: str | None = None,
    progress: Progress | None = None,
    shared: SharedWorkers | None = None,
) -> Iterator:
    """Yield `task(*args)` for each block, in the order of `blocks`, as they finish.

    - "inline": a loop in this process.
    - "processes": a `ProcessPoolExecutor` of `workers` processes (default: the CPUs this
      process may use, at most one per block), started with "spawn". One block, or one
      worker, runs inline: a single process would only add its start-up.
    - "dask": a `dask.distributed` client on the scheduler at address `scheduler`, or on a
      local cluster of `workers` single-threaded worker processes started for the call.

    At most `WINDOW` blocks per worker are in flight, and a result that finishes early waits
    only for those before it: the caller can fold results in block order (so that sums come
    out the same whatever the executor) while memory holds a few blocks, not all of them.

    `task` must be a top-level function (pickled by reference) for the pooled executors.
    `progress(done, total)` is called in this process each time a block finishes. On Ctrl-C,
    or if the caller stops iterating, the blocks not yet started are cancelled and the workers
    stopped. `shared` (from `shared_workers`) runs the blocks on workers already started, which
    stay up for the next call.
    """
    if executor not in EXECUTORS:
        raise ValueError(f"unknown executor {executor!r}: choose one of {', '.join(EXECUTORS)}")
    if workers is not None and workers < 1:
        raise ValueError(f"workers must be at least 1, not {workers}")
    if scheduler is not None and executor != "dask":
        raise ValueError(f"a scheduler address only applies to the dask executor, not {executor!r}")
    blocks = [tuple(args) for args in blocks]
    if not blocks:
        return iter(())
    if shared is not None and shared.executor != executor:
        raise ValueError(f"workers started for {shared.executor!r}, not {executor!r}")
    handle = shared.start(len(blocks)) if shared is not None else None
    if handle is not None:
        if executor == "dask":
            return _dask(task, blocks, workers, scheduler, progress, handle)
        return _processes(task, blocks, workers, progress, handle)
    if shared is not None and executor != "dask":
        return _inline(task, blocks, progress)
    if executor == "dask":
        return _dask(task, blocks, workers, scheduler, progress)
    if executor == "processes" and len(blocks) > 1 and (workers is None or workers > 1):
        return _processes(task, blocks, workers, progress)
    return _inline(task, blocks, progress)


WINDOW = 2
"""Blocks in flight per worker: one running and one queued, so no worker waits."""


def _in_order(
    submit: Callable[[tuple], Any],
    wait_any: Callable[[set], Any],
    result: Callable[[Any], Any],
    blocks: Sequence[tuple],
    in_flight: int,
    progress: Progress | None,
) -> Iterator:
    """Submit blocks keeping `in_flight` pending; yield results in block order."""
    pending: dict[Any, int] = {}
    ready: dict[int, Any] = {}
    next_submit, next_yield, done = 0, 0, 0
    while next_yield < len(blocks):
        while next_submit < len(blocks) and len(pending) + len(ready) < in_flight:
            pending[submit(blocks[next_submit])] = next_submit
            next_submit += 1
        if next_yield not in ready:
            for future in wait_any(set(pending)):
                ready[pending.pop(future)] = result(future)  # the first failure stops the run
                done += 1
                if progress is not None:
                    progress(done, len(blocks))
            continue
        yield ready.pop(next_yield)
        next_yield += 1


def _inline(task: Callable[..., Any], blocks: Sequence[tuple], progress: Progress | None):
    for done, args in enumerate(blocks, start=1):
        result = task(*args)
        if progress is not None:
            progress(done, len(blocks))
        yield result


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


class _Pool(ProcessPoolExecutor):
    """A pool of `workers` processes started with "spawn" that leave Ctrl-C to the parent;
    it keeps its size, which the standard pool holds only privately."""

    def __init__(self, workers: int):
        super().__init__(
            max_workers=workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_ignore_sigint,
        )
        self.workers = workers


def _process_pool(n: int) -> _Pool:
    return _Pool(n)


def _processes(
    task: Callable[..., Any],
    blocks: Sequence[tuple],
    workers: int | None,
    progress: Progress | None,
    pool: _Pool | None = None,
):
    own = pool is None
    if pool is None:
        pool = _process_pool(min(workers or cpu_count(), len(blocks)))
    n = pool.workers
    submitted: set = set()  # not yet finished: a finished future holds its block's result

    def submit(args: tuple):
        future = pool.submit(task, *args)
        submitted.add(future)
        return future

    def wait_any(futures: set) -> set:
        done = wait(futures, return_when=FIRST_COMPLETED).done
        submitted.difference_update(done)
        return done

    try:
        yield from _in_order(submit, wait_any, lambda f: f.result(), blocks, WINDOW * n, progress)
    except BaseException:
        # Ctrl-C, a failed block or a caller that stopped early: drop what has not started,
        # stop what is running.
        for future in submitted:
            future.cancel()
        _stop_workers(pool)
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    if own:
        pool.shutdown(wait=True)


def _dask_client(workers: int | None, scheduler: str | None, n_blocks: int | None = None):
    """A client on the scheduler at `scheduler`, or on a new local cluster (returned too)."""
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:
        raise ImportError(DASK_MISSING) from exc
    if scheduler:
        return Client(scheduler), None
    n = workers or cpu_count()
    cluster = LocalCluster(
        n_workers=min(n, n_blocks) if n_blocks else n,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,  # no dashboard, and its HTTP server (health checks)
        scheduler_kwargs={"dashboard_address": ":0"},  # on a free port, not 8787
    )
    return Client(cluster), cluster


def _dask(
    task: Callable[..., Any],
    blocks: Sequence[tuple],
    workers: int | None,
    scheduler: str | None,
    progress: Progress | None,
    client=None,
):
    try:
        from distributed import wait as dask_wait
    except ImportError as exc:
        raise ImportError(DASK_MISSING) from exc
    own = client is None
    cluster = None
    submitted: set = set()  # not yet finished: a finished future holds its block's result
    try:
        if client is None:
            client, cluster = _dask_client(workers, scheduler, len(blocks))
        n = max(1, len(client.scheduler_info().get("workers", {})))

        def submit(args: tuple):
            future = client.submit(task, *args, pure=False)
            submitted.add(future)
            return future

        def wait_any(futures: set) -> set:
            done = set(dask_wait(list(futures), return_when="FIRST_COMPLETED").done)
            submitted.difference_update(done)
            return done

        yield from _in_order(submit, wait_any, lambda f: f.result(), blocks, WINDOW * n, progress)
    except BaseException:
        if client is not None and submitted:
            with contextlib.suppress(Exception):  # the error that stopped the run matters more
                client.cancel(list(submitted))
        raise
    finally:
        if own and client is not None:
            client.close()
        if cluster is not None:
            cluster.close()


@dataclass
class SharedWorkers:
    """Workers shared by several runs (see `shared_workers`), started when first needed."""

    executor: str
    workers: int | None = None
    scheduler: str | None = None
    handle: Any = None  # the process pool or dask client, once started
    cluster: Any = None  # a local dask cluster this object started

    def start(self, n_blocks: int) -> Any:
        """The pool or client for a run of `n_blocks` blocks; None to run them in this
        process (inline executor, one worker, or a single block while nothing is started)."""
        if self.handle is not None:
            return self.handle
        if self.executor == "processes":
            if n_blocks > 1 and (self.workers is None or self.workers > 1):
                self.handle = _process_pool(self.workers or cpu_count())
        elif self.executor == "dask":
            self.handle, self.cluster = _dask_client(self.workers, self.scheduler)
        return self.handle

    def close(self, failed: bool = False) -> None:
        if self.executor == "processes" and self.handle is not None:
            if failed:
                _stop_workers(self.handle)
            self.handle.shutdown(wait=True, cancel_futures=failed)
        elif self.executor == "dask" and self.handle is not None:
            self.handle.close()
            if self.cluster is not None:
                self.cluster.close()
        self.handle = self.cluster = None


@contextlib.contextmanager
def shared_workers(
    executor: str = "processes", workers: int | None = None, scheduler: str | None = None
) -> Iterator[SharedWorkers]:
    """Workers of `executor` shared by every run inside the block, started at the first run
    that needs them: `compare` runs each option, and an option its do-nothing baseline, on
    one pool instead of paying the start-up (2-6 s, docs/performance.md) each time."""
    if executor not in EXECUTORS:
        raise ValueError(f"unknown executor {executor!r}: choose one of {', '.join(EXECUTORS)}")
    shared = SharedWorkers(executor, workers, scheduler)
    try:
        yield shared
    except BaseException:
        shared.close(failed=True)
        raise
    shared.close()
