"""`minsim run`: replications of one option, written as a run folder with its figures."""

from __future__ import annotations

from pathlib import Path
from typing import cast

import pandas as pd

from ..experiment import DEFAULT_REPS, run_replications
from ..experiment.runner import default_option
from ..experiment.store import STORE_NAME
from ..experiment.touched import hit_blocs, touched_commodities
from ..results.io import run_folder_bytes, write_run
from .base import DEFAULT_REPLICATIONS, Outcome, Replications, Session, Source, caveat_lines, draw


def run(
    source: Source,
    session: Session,
    *,
    replications: Replications = DEFAULT_REPLICATIONS,
    option: str | None = None,
    keep_paths: bool = False,
    parameter_draws: int | None = None,
    plots: bool = True,
) -> Outcome:
    """Run `reps` replications of `option` (the scenario's first option, or none) and write
    the run folder; the figures and the text are about the source's blocs and commodities as chosen,
    else about what the run hit."""
    loaded = source.load()
    reps, seed = replications.resolved(DEFAULT_REPS)
    need = run_folder_bytes(loaded.scenario, reps=reps, keep_paths=keep_paths, figures=plots)
    folder = session.claim(need)
    option = option or default_option(loaded)
    session.say(f"running {reps} replications of {loaded.path}, option {option} (seed {seed}) ...")
    results = run_replications(
        loaded,
        reps,
        seed,
        option=option,
        paths_file=folder.partial() / STORE_NAME if keep_paths else None,
        parameter_draws=parameter_draws,
        **session.execution,
    )
    # what the outputs are about: as chosen, else what was hit (everything in a calm run)
    shown_blocs = list(source.blocs) or hit_blocs(results) or list(results.world.blocs)
    shown = (
        list(source.commodities) or touched_commodities(results) or list(results.world.commodities)
    )

    def figures(folder: Path) -> None:
        if plots:
            from ..plots import save_run_figures

            draw(
                folder,
                lambda: save_run_figures(results, folder, blocs=shown_blocs, commodities=shown),
                session.say,
            )

    out = write_run([results], folder, command=session.command, extra=figures)
    summary = results.summary()
    cur = results.world.currency
    lines = [
        run_table(
            summary[summary.bloc.isin(shown_blocs) & summary.commodity.isin([*shown, "all"])], cur
        )
    ]
    if results.fiscal_by_policy:
        totals = summary[(summary.commodity == "all") & (summary.bloc == "all")]
        for _, row in totals[totals.metric.str.startswith("fiscal")].iterrows():
            lines.append(
                f"{row.metric} ({row.unit}): {row['mean']:,.0f} (p5 {row.p5:,.0f}, "
                f"p95 {row.p95:,.0f})"
            )
    err = float(results.balance_error.max())
    lines.append(f"\nmass balance: largest relative residual {err:.1e}")
    lines += caveat_lines([results])
    lines.append(f"wrote {out}")
    return Outcome("\n".join(lines), out)


def run_table(summary: pd.DataFrame, currency: str) -> str:
    """A short text table of a run's metrics per mineral and bloc, then each bloc's social
    cost over the minerals (money is the only unit added across minerals)."""
    wide = summary.pivot_table(
        index=["option", "commodity", "bloc"],
        columns="metric",
        values=["mean", "p5", "p50", "p95"],
        sort=False,
    )
    lines = [
        f"{'commodity':<12} {'bloc':<10} {'peak price x (p50 [p5-p95])':>28} "
        f"{'shortfall %':>11} {'weeks short':>11} {'social cost':>12} {'CVaR95':>10}"
        f"   (M {currency}, PV)"
    ]
    rows = [(*cast(tuple[str, str, str], key), row) for key, row in wide.iterrows()]
    for _option, commodity, bloc, row in rows:
        if commodity == "all":
            continue
        peak = (
            f"{row[('p50', 'peak_price_multiple')]:.2f} "
            f"[{row[('p5', 'peak_price_multiple')]:.2f}-{row[('p95', 'peak_price_multiple')]:.2f}]"
        )
        lines.append(
            f"{commodity:<12} {bloc:<10} {peak:>28} "
            f"{100 * row[('mean', 'shortfall_share')]:>10.2f}% "
            f"{row[('mean', 'weeks_in_shortfall')]:>11.1f} "
            f"{row[('mean', 'social_cost')] / 1e6:>12,.1f} "
            f"{row[('mean', 'social_cost_cvar95')] / 1e6:>10,.1f}"
        )
    lines.append("")
    for _option, commodity, bloc, row in rows:
        if commodity != "all":
            continue
        where = "everywhere" if bloc == "all" else f"in {bloc}"
        lines.append(
            f"social cost {where}, all minerals: {row[('mean', 'social_cost')] / 1e6:,.1f} "
            f"M {currency} (p5 {row[('p5', 'social_cost')] / 1e6:,.1f}, p95 "
            f"{row[('p95', 'social_cost')] / 1e6:,.1f}; CVaR95 "
            f"{row[('mean', 'social_cost_cvar95')] / 1e6:,.1f}): users' cost "
            f"{row[('mean', 'consumer_cost')] / 1e6:,.1f}, unmet use "
            f"{row[('mean', 'shortfall_value')] / 1e6:,.1f}, net fiscal cost "
            f"{row[('mean', 'fiscal_cost_net')] / 1e6:,.1f}"
        )
    return "\n".join(lines)
