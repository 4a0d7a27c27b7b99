"""`minsim calibrate`: the market parameters of each market class, fitted to the episodes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from ..experiment.backtest import DEFAULT_BACKTEST_SEED, select
from ..experiment.calibrate import (
    DEFAULT_CALIBRATION_REPS,
    GRID,
    fits_csv,
    grid_csv,
    loo_csv,
    parse_grid,
    points,
    read_grid,
    run_grid,
    table,
    updates,
)
from ..experiment.calibrate import (
    calibrate as fit_all,
)
from ..results.io import FOLDER_OF_TABLES_BYTES, write_calibration, write_tables
from ..scenario import load
from .base import DEFAULT_REPLICATIONS, Outcome, Replications, Session

CALIBRATION_ROW_BYTES = 1_000
"""Room asked per episode and grid point for grid.csv (a row per criterion)."""


def calibrate(
    names: tuple[str, ...],
    session: Session,
    *,
    replications: Replications = DEFAULT_REPLICATIONS,
    workers: int = 1,
    grid_options: tuple[str, ...] = (),
    world: Path | None = None,
    from_grid: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Outcome:
    """Fit each market class on a grid to the episodes NAMEd (all when none is), with the
    5-95% ranges and each episode's verdict in sample and left out; grid.csv, fits.csv and
    loo.csv, and with `world` the fitted values written into that world file. `from_grid`
    refits the grid.csv of an earlier calibration (a folder or the file) without simulating."""
    chosen = select(names) if from_grid is None else {}
    grid = parse_grid(grid_options) if grid_options else GRID
    reps, seed = replications.resolved(DEFAULT_CALIBRATION_REPS, DEFAULT_BACKTEST_SEED)
    target = load(world).scenario if world is not None else None
    rows = len(points(grid)) * len(chosen)
    folder = session.claim(FOLDER_OF_TABLES_BYTES + CALIBRATION_ROW_BYTES * rows)
    if from_grid is not None:
        source = from_grid / "grid.csv" if from_grid.is_dir() else from_grid
        grid, runs = read_grid(source.read_text())
        if names:
            unknown = sorted(set(names) - {r.name for r in runs})
            if unknown:
                raise ValueError(f"{source} has no episode {unknown[0]!r}")
            runs = [r for r in runs if r.name in names]
        session.say(f"refitting {len(runs)} episodes from {source} ...")
        info_from: dict[str, object] = {"from_grid": str(source)}
    else:
        n = len(points(grid))
        session.say(
            f"calibrating on {', '.join(chosen)}: {n} grid points x {reps} replications each "
            f"(seed {seed}) ..."
        )
        runs = run_grid(chosen, grid, reps, seed, workers=workers, progress=progress)
        info_from = {"reps": reps, "seed": seed}
    c = fit_all(runs, grid)
    lines = [table(c)]
    files = {"grid.csv": grid_csv(c), "fits.csv": fits_csv(c), "loo.csv": loo_csv(c)}
    episodes = [r.name for r in runs]
    info = {"episodes": episodes, **info_from, "grid": grid, "command": session.command}
    out = write_tables(folder, files, info)
    lines.append(f"wrote {out}")
    if world is not None and target is not None:
        classes = {name: com.class_name(name) for name, com in target.commodities.items()}
        stamp = datetime.now(UTC).strftime("%Y-%m-%d")
        changed = write_calibration(world, updates(c, classes), stamp)
        lines.append(f"wrote {len(changed)} calibrated values into {world}")
    return Outcome("\n".join(lines), out)
