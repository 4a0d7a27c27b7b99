"""`minsim backtest`: the recorded episodes, observed against simulated, PASS or FAIL."""

from __future__ import annotations

from pathlib import Path

from ..experiment.backtest import (
    DEFAULT_BACKTEST_REPS,
    DEFAULT_BACKTEST_SEED,
    run_episode,
    select,
    table,
)
from ..results.io import check_output
from .base import DEFAULT_REPLICATIONS, Outcome, Replications, Session

BACKTEST_FIGURE_BYTES = 500_000
"""Room asked per episode for its figure (PNG and SVG, about 90 kB together)."""


def backtest(
    names: tuple[str, ...],
    session: Session,
    *,
    replications: Replications = DEFAULT_REPLICATIONS,
    out: Path = Path("runs") / "backtest",
    plots: bool = True,
    parameter_draws: int | None = None,
) -> Outcome:
    """Run the episodes NAMEd (all when none is; `NoEpisodeError` when there is none) and
    score them; the outcome fails when any episode drifts out of its criteria. Figures go
    into `out`, which may exist (figures in it are replaced)."""
    chosen = select(names)
    reps, seed = replications.resolved(DEFAULT_BACKTEST_REPS, DEFAULT_BACKTEST_SEED)
    if plots:  # the figures go into `out`, which may exist: checked before the runs
        check_output(out, BACKTEST_FIGURE_BYTES * len(chosen), folder_may_exist=True)
    session.say(f"back-testing {', '.join(chosen)}: {reps} replications each (seed {seed}) ...")
    done = [
        run_episode(path, reps, seed, parameter_draws=parameter_draws) for path in chosen.values()
    ]
    lines = [table(done)]
    if plots:
        from ..plots.backtest import save_backtest_figures

        files = save_backtest_figures(done, out)
        lines.append(f"wrote {len(files)} figures to {out}")
    failed = [e.name for e in done if not e.passed]
    lines.append(f"failed: {', '.join(failed)}" if failed else "all episodes pass")
    return Outcome("\n".join(lines), out if plots else None, failed=bool(failed))
