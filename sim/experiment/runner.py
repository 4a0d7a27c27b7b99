"""Run replications of a scenario in blocks and gather them into one `Results`.

Replication i always draws from the streams keyed by (seed, i), so results do not depend on
the block size: a block is only a batch of rows advanced by one SimPy calendar.
"""

from __future__ import annotations

import contextlib
import functools
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from ..engine.simulation import simulate_block
from ..engine.world import World, compile_world
from ..scenario import LoadedScenario
from .executors import Progress, SharedWorkers, iter_blocks, shared_workers
from .memory import check_memory, run_memory_bytes
from .progress import Counter, Report
from .results import BlockMerger, Results, tick_dates
from .store import ReplicationStore
from .uncertainty import ParameterDraw, draw_parameters

DEFAULT_REPS = 1000
DEFAULT_SEED = 20260204
"""Default seed: the day of the Washington ministerial (2026-02-04)."""
DEFAULT_BLOCK = 500
"""Replications per block unless told. Fixed, not derived from the number of workers, so that
the fan-chart quantiles (means of block quantiles) are the same on any executor; large enough
that batching pays (see docs/performance.md), small enough that a block's arrays stay small."""


BASE = "base"
"""Name of a run without policies (a scenario with no `options:`)."""


def baseline_option(loaded: LoadedScenario) -> str | None:
    """The option that switches nothing on ('do-nothing' if it exists), or None."""
    options = loaded.scenario.options
    empty = [name for name, policies in options.items() if not policies]
    if "do-nothing" in empty:
        return "do-nothing"
    return empty[0] if empty else None


def default_option(loaded: LoadedScenario) -> str:
    """What `run` runs without --option: the scenario's first option, or 'base'."""
    return next(iter(loaded.scenario.options), BASE)


def _blocks(loaded, reps, seed, block_size, keep_paths, option, draws=None) -> list[tuple]:
    """The tasks' arguments for the blocks of one option, in replication order; with
    parameter `draws`, the blocks of each parameter set in turn, set d holding replications
    d, d + D, d + 2D, ... (uncertainty.py)."""
    size = block_size or DEFAULT_BLOCK
    engine_option = None if option == BASE else option
    if not draws:
        return [
            (
                loaded.scenario,
                np.arange(first, min(first + size, reps)),
                seed,
                keep_paths,
                engine_option,
            )
            for first in range(0, reps, size)
        ]
    out = []
    for d in draws:
        ids = np.arange(d.index, reps, len(draws))
        for first in range(0, len(ids), size):
            out.append(
                (d.loaded.scenario, ids[first : first + size], seed, keep_paths, engine_option)
            )
    return out


def draws_for(
    loaded: LoadedScenario, seed: int, draws: int | None = None
) -> list[ParameterDraw] | None:
    """The run's parameter sets: `draws` (the CLI's --parameter-draws) or the scenario's
    `parameter_uncertainty.draws`; None when neither asks for them (0 turns them off)."""
    if draws is None and loaded.scenario.parameter_uncertainty is not None:
        draws = loaded.scenario.parameter_uncertainty.draws
    if not draws:
        return None
    if draws < 2:
        raise ValueError(f"--parameter-draws must be 0 (off) or at least 2, not {draws}")
    return draw_parameters(loaded, draws, seed)


def _worlds(draws: list[ParameterDraw] | None) -> dict[int, World]:
    """The compiled world of each parameter set, by the id of its scenario (compiled here,
    so that workers find the storage tables solved and cached)."""
    worlds: dict[int, World] = {}
    for d in draws or ():
        worlds[id(d.loaded.scenario)] = compile_world(d.loaded.scenario)
    return worlds


def _inline_task(world: World, worlds: dict[int, World]):
    """The block task in this process: the compiled world of the block's scenario."""

    def task(scenario, ids, seed, keep_paths, option):
        return simulate_block(
            scenario, ids, seed, keep_paths, option, world=worlds.get(id(scenario), world)
        )

    return task


def _iter_results(
    world: World,
    blocks: list[tuple],
    *,
    executor: str = "inline",
    worlds: dict[int, World] | None = None,
    **where: Any,
):
    """Yield the blocks' `BatchResult`s in the order given, as they finish; `where` (workers,
    scheduler, progress, shared) goes to `iter_blocks`."""
    # In this process the compiled world is shared by every block (or each parameter set's,
    # `worlds`); elsewhere each block compiles its own from the scenario (cheap, and the
    # same arrays).
    if executor != "inline":
        task = simulate_block
    elif worlds:
        task = _inline_task(world, worlds)
    else:
        task = functools.partial(simulate_block, world=world)
    return iter_blocks(task, blocks, executor=executor, **where)


def _simulate(loaded, world, reps, seed, block_size, keep_paths, option, draws=None, **run_on):
    """Yield the blocks' `BatchResult`s of one option in replication order, as they finish."""
    return _iter_results(
        world, _blocks(loaded, reps, seed, block_size, keep_paths, option, draws), **run_on
    )


def _gather(blocks, reps: int, metric: str) -> np.ndarray:
    """One metric of every replication, in replication order, from blocks in any order."""
    out = None
    for b in blocks:
        x = b.metrics[metric]
        if out is None:
            out = np.empty((reps, *x.shape[1:]), dtype=x.dtype)
        out[b.replications] = x
    if out is None:
        raise ValueError(f"no block of replications to gather {metric!r} from")
    return out


def run_replications(
    loaded: LoadedScenario,
    reps: int = DEFAULT_REPS,
    seed: int = DEFAULT_SEED,
    *,
    block_size: int | None = None,
    keep_paths: bool = False,
    option: str | None = None,
    baseline_shortfall: np.ndarray | None = None,
    executor: str = "inline",
    workers: int | None = None,
    scheduler: str | None = None,
    progress: Progress | None = None,
    shared: SharedWorkers | None = None,
    parameter_draws: int | None = None,
    paths_file: Path | None = None,
    report: Report | None = None,
) -> Results:
    """Simulate `reps` replications of one option; `block_size` replications (default
    `DEFAULT_BLOCK`) go through the engine together, and are folded into the results as they
    finish, so memory holds a few blocks at a time (plus per-replication metrics). An option
    with policies is also run against the scenario's do-nothing option on the same
    replications (common random numbers), for `cost_per_tonne_avoided`.

    `executor` ("inline", "processes" or "dask"; see `sim.experiment.executors`) says where
    the blocks run: on `workers` processes, or on the dask `scheduler` at that address (a local
    cluster without one). Results are identical whichever runs them. `progress(done, total)` is
    called as blocks finish: over the option's blocks, then over the do-nothing run's, if any.
    `shared` (from `executors.shared_workers`) reuses workers already started; without it the
    option and its baseline share workers started here. `report` (`progress.Report`) is
    told the replications done after each block, the baseline run's included.

    `keep_paths` keeps every replication's series in memory (`Results.paths`); with
    `paths_file`, they are written to that NetCDF-4 file block by block instead
    (`ReplicationStore`; `Results.kept` says where), so memory does not grow with them."""
    if reps < 1:
        raise ValueError("reps must be at least 1")
    option = option or default_option(loaded)
    _check_option(loaded, option)
    _check_memory(loaded, reps, 1, block_size, executor, workers, keep_paths, paths_file)
    draws = draws_for(loaded, seed, parameter_draws)
    keep_paths = keep_paths or paths_file is not None
    has_policies = option != BASE and bool(loaded.scenario.options[option])
    runs_baseline = has_policies and baseline_shortfall is None
    counter = Counter(report, reps * (2 if runs_baseline else 1))
    with contextlib.ExitStack() as stack:
        shared = stack.enter_context(_started(shared, executor, workers, scheduler))
        t0 = time.perf_counter()
        world = compile_world(loaded.scenario)
        store = _store(stack, paths_file, world, [option], reps)
        run_on = {
            "executor": executor,
            "workers": workers,
            "scheduler": scheduler,
            "progress": progress,
            "shared": shared,
            "worlds": _worlds(draws),
        }
        merger = BlockMerger(
            total=reps, draws=len(draws) if draws else 1, store=store, option=option
        )
        for block in _simulate(
            loaded, world, reps, seed, block_size, keep_paths, option, draws, **run_on
        ):
            merger.add(block)
            counter.add(option, len(block.replications), reps)
        timings = {"simulate_s": time.perf_counter() - t0}
        baseline = baseline_shortfall  # given by a comparison that already ran the baseline
        base_name = baseline_option(loaded) or BASE
        if runs_baseline:
            t1 = time.perf_counter()
            base_blocks = _simulate(
                loaded, world, reps, seed, block_size, False, base_name, draws, **run_on
            )
            baseline = _gather(
                _counted(base_blocks, counter, f"{base_name} (baseline)", reps),
                reps,
                "shortfall_t",
            )
            timings["baseline_s"] = time.perf_counter() - t1
        results = merger.results(
            loaded,
            world,
            seed=seed,
            option=option,
            timings=timings,
            baseline_shortfall=baseline,
        )
    results.parameter_draws = _described(draws)
    return results


def _check_memory(loaded, reps, options, block_size, executor, workers, keep, paths_file) -> None:
    """Refuse, before anything is allocated, a run that would not fit in memory (memory.py)."""
    import os

    if executor in (None, "inline"):
        workers = 0
    need = run_memory_bytes(
        loaded.scenario,
        reps,
        options=options,
        block_size=block_size or DEFAULT_BLOCK,
        workers=workers if workers is not None else os.cpu_count() or 1,
        keep_paths=keep or paths_file is not None,
        paths_in_memory=keep and paths_file is None,
    )
    check_memory(need, reps)


def _store(
    stack: contextlib.ExitStack, path: Path | None, world, options: list[str], reps: int
) -> ReplicationStore | None:
    """The run's store of every replication's series, closed when the run ends, or None."""
    if path is None:
        return None
    return stack.enter_context(ReplicationStore(path, world, options, reps, tick_dates(world)))


def _counted(blocks, counter: Counter, option: str, reps: int):
    """`blocks`, each counted as it passes."""
    for block in blocks:
        counter.add(option, len(block.replications), reps)
        yield block


def _described(draws: list[ParameterDraw] | None) -> list[dict]:
    """What the results keep of the parameter sets: each set's values per commodity and the
    posterior point drawn for each fit."""
    return [{"values": d.values, "points": d.points} for d in draws or ()]


@contextlib.contextmanager
def _started(
    shared: SharedWorkers | None, executor: str, workers: int | None, scheduler: str | None
) -> Iterator[SharedWorkers]:
    """`shared` if given, else workers started for this call and stopped after it."""
    if shared is not None:
        yield shared
        return
    with shared_workers(executor, workers, scheduler) as started:
        yield started


def _check_option(loaded: LoadedScenario, option: str) -> None:
    if option != BASE and option not in loaded.scenario.options:
        known = ", ".join(loaded.scenario.options) or "none: the scenario has no options"
        raise ValueError(f"no option named {option!r} in {loaded.path} (options: {known})")


def run_options(
    loaded: LoadedScenario,
    options: list[str],
    reps: int = DEFAULT_REPS,
    seed: int = DEFAULT_SEED,
    *,
    baseline: str,
    block_size: int | None = None,
    keep_paths: bool = False,
    shared: SharedWorkers | None = None,
    parameter_draws: int | None = None,
    paths_file: Path | None = None,
    report: Report | None = None,
    **run_on,
) -> dict[str, Results]:
    """Several options on the same replications, as one stream of blocks: the first blocks of
    an option start as soon as a worker is free of the last blocks of the one before, where
    running the options one after another would leave workers waiting at the end of each
    (docs/performance.md). `baseline` (one of `options`, with no policies) gives the other
    options their `cost_per_tonne_avoided`. Results are those of `run_replications` for each
    option; `progress` counts the blocks of all the options together, and `report` their
    replications (`progress.Report`). Each option's `simulate_s` is the time from the
    previous option's last block to its own; with `paths_file`, every option's paths go to
    that one file (`ReplicationStore`)."""
    if reps < 1:
        raise ValueError("reps must be at least 1")
    for option in options:
        _check_option(loaded, option)
    if baseline not in options or (baseline != BASE and loaded.scenario.options[baseline]):
        raise ValueError(f"the baseline {baseline!r} must be one of the options, without policies")
    executor, workers, scheduler = (run_on.get(k) for k in ("executor", "workers", "scheduler"))
    _check_memory(loaded, reps, len(options), block_size, executor, workers, keep_paths, paths_file)
    draws = draws_for(loaded, seed, parameter_draws)
    keep_paths = keep_paths or paths_file is not None
    with contextlib.ExitStack() as stack:
        shared = stack.enter_context(_started(shared, executor or "inline", workers, scheduler))
        t0 = time.perf_counter()
        world = compile_world(loaded.scenario)
        store = _store(stack, paths_file, world, options, reps)
        worlds = _worlds(draws)
        by_option = {
            o: _blocks(loaded, reps, seed, block_size, keep_paths, o, draws) for o in options
        }
        # one stream; but options of one block each go one by one, so that each runs in this
        # process unless workers are already up (a pool would cost more than it saves)
        single = all(len(blocks) == 1 for blocks in by_option.values())
        streams = [[o] for o in options] if single else [options]
        mergers = {
            option: BlockMerger(
                total=reps, draws=len(draws) if draws else 1, store=store, option=option
            )
            for option in options
        }
        simulated: dict[str, float] = {}
        last = t0
        counter = Counter(report, reps * len(options))
        for stream in streams:
            owner = [o for o in stream for _ in by_option[o]]
            blocks = [b for o in stream for b in by_option[o]]
            done = _iter_results(world, blocks, shared=shared, worlds=worlds, **run_on)
            for option, block in zip(owner, done, strict=True):
                mergers[option].add(block)
                counter.add(option, len(block.replications), reps)
                if mergers[option].count == reps:
                    now = time.perf_counter()
                    simulated[option] = now - last
                    last = now
        results: dict[str, Results] = {}
        for option in [baseline] + [o for o in options if o != baseline]:
            has_policies = option != BASE and bool(loaded.scenario.options[option])
            shortfall = results[baseline].metrics["shortfall_t"] if has_policies else None
            results[option] = mergers[option].results(
                loaded,
                world,
                seed=seed,
                option=option,
                timings={"simulate_s": simulated[option]},
                baseline_shortfall=shortfall,
            )
            results[option].parameter_draws = _described(draws)
    return {option: results[option] for option in options}
