"""`minsim discover`: scenario discovery (PRIM) on a run folder's experiments.csv."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..results import discovery as sd
from ..results.experiments import read_experiments
from ..results.io import FLOAT_FORMAT, FOLDER_OF_TABLES_BYTES, Claim, write_tables
from .base import Outcome, Session, draw


def discovery_folder(run_folder: Path, option: str, metric: str) -> Path:
    """Where a discovery is written by default: inside the run folder it explains."""
    return run_folder / "discovery" / f"{option}-{metric.replace(':', '-')}"


def discover(
    run_folder: Path,
    session: Session,
    *,
    option: str,
    metric: str,
    threshold: float | None = None,
    quantile: float | None = None,
    min_density: float = 0.8,
    boxes: int = 1,
    significance: float = 0.05,
    plots: bool = True,
) -> Outcome:
    """The ranges of the drawn conditions (onsets, durations, severities, parameters) where
    `option` fails on `metric`, written as boxes.csv, trajectory.csv and boxes.txt;
    `MissingDiscovery` when the PRIM library is not installed."""
    ex = read_experiments(run_folder)
    if option not in ex.options:
        raise ValueError(f"no option {option!r} in {run_folder} (options: {', '.join(ex.options)})")
    if metric not in ex.outcomes:
        raise ValueError(
            f"no outcome {metric!r} in {run_folder}/experiments.csv; outcomes: "
            f"{', '.join(ex.outcomes)}"
        )
    sd.import_prim()  # the library, before the search
    result = sd.discover(
        ex,
        option,
        metric,
        threshold=threshold,
        quantile=quantile,
        min_density=min_density,
        boxes=boxes,
        significance=significance,
        horizon_months=sd.horizon_months(run_folder),
    )
    taken: Claim = session.claim(FOLDER_OF_TABLES_BYTES)

    def extra(folder: Path) -> None:
        if plots:
            from ..plots.discovery import peeling_trajectory

            (folder / "plots").mkdir()
            draw(
                folder,
                lambda: peeling_trajectory(result, folder / "plots" / "peeling"),
                session.say,
            )

    def csv(frame: pd.DataFrame) -> str:
        return frame.to_csv(index=False, float_format=FLOAT_FORMAT, lineterminator="\n")

    files = {
        "boxes.csv": csv(result.boxes_table()),
        "trajectory.csv": csv(result.trajectory_table()),
        "boxes.txt": result.text() + "\n",
    }
    info = {
        "run": str(run_folder),
        "option": option,
        "metric": metric,
        "unit": result.unit,
        "threshold": result.threshold,
        "quantile": result.quantile,
        "min_density": min_density,
        "significance": significance,
        "replications": result.replications,
        "failures": result.failures,
        "variables": result.variables,
        "command": session.command,
    }
    written = write_tables(taken, files, info, extra)
    return Outcome(f"{result.text()}\nwrote {written}", written)
