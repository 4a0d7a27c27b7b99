"""`minsim compare`: every policy option on the same replications, ranked, with the report."""

from __future__ import annotations

from pathlib import Path

from ..experiment import DEFAULT_REPS
from ..experiment.compare import Comparison, compare_options
from ..experiment.store import STORE_NAME
from ..results.io import differences_csv, run_folder_bytes, write_run
from .base import DEFAULT_REPLICATIONS, Outcome, Replications, Session, Source, caveat_lines, draw


def compare(
    source: Source,
    session: Session,
    *,
    replications: Replications = DEFAULT_REPLICATIONS,
    only: tuple[str, ...] = (),
    keep_paths: bool = False,
    parameter_draws: int | None = None,
    plots: bool = True,
) -> Outcome:
    """Run the scenario's options (`only` these, with the baseline) on common random numbers
    and write the comparison's run folder: summaries, differences.csv, figures, report."""
    loaded = source.load()
    reps, seed = replications.resolved(DEFAULT_REPS)
    n_options = len(only) + 1 if only else max(len(loaded.scenario.options), 1)
    need = run_folder_bytes(
        loaded.scenario, reps=reps, results=n_options, keep_paths=keep_paths, figures=plots
    )
    folder = session.claim(need)
    names = ", ".join(only or loaded.scenario.options) or "base"
    session.say(
        f"comparing options {names} of {loaded.path}: {reps} replications each (seed {seed}) ..."
    )
    comparison = compare_options(
        loaded,
        reps,
        seed,
        options=list(only) or None,
        paths_file=folder.partial() / STORE_NAME if keep_paths else None,
        parameter_draws=parameter_draws,
        blocs=source.blocs,
        commodities=source.commodities,
        **session.execution,
    )
    diffs = comparison.differences()

    def extra(folder: Path) -> None:
        cur = comparison.results[comparison.baseline].world.currency
        (folder / "differences.csv").write_text(differences_csv(diffs, cur))
        if plots:
            from ..plots.compare import save_comparison_figures
            from ..plots.report import write_report

            draw(
                folder,
                lambda: save_comparison_figures(
                    comparison,
                    folder,
                    blocs=comparison.focus_blocs(),
                    commodities=comparison.focus_commodities(),
                ),
                session.say,
            )
            draw(folder, lambda: write_report(comparison, folder), session.say)

    out = write_run(list(comparison.results.values()), folder, command=session.command, extra=extra)
    lines = [comparison_table(comparison), *caveat_lines(list(comparison.results.values()))]
    lines.append(f"wrote {out}")
    return Outcome("\n".join(lines), out)


def comparison_table(c: Comparison) -> str:
    """The headline (`Comparison.headline`) as text: options ranked by expected social cost
    in the comparison's blocs (`Comparison.focus_blocs`: those chosen, else every bloc hit),
    in millions of the reporting currency, each with its paired difference from the
    baseline, then the commodities that moved."""
    table = c.headline()
    cur = c.results[c.baseline].world.currency
    bloc = table.bloc.iloc[0]
    where = "every bloc" if bloc == "all" else bloc
    lines = [
        f"ranked by expected social cost in {where} (consumer cost + value of unmet use + net "
        f"fiscal cost, present values, M {cur}; [95% interval of the paired difference])",
        f"{'':4}{'option / commodity':<26}{'social cost':>12}  {'vs ' + c.baseline:<28}"
        f"{'consumer':>10}{'unmet use':>11}{'fiscal net':>11}{'CVaR95':>10}  verdict",
    ]

    def m(x: float) -> str:
        return f"{x / 1e6:,.1f}"

    for _, r in table.iterrows():
        total = r.commodity == "all"
        name = r.option if total else f"  {r.commodity}"
        diff = (
            f"{m(r.social_cost_vs_baseline)} [{m(r.ci_low)}, {m(r.ci_high)}]"
            if r.verdict != "baseline"
            else "-"
        )
        verdict = r.verdict
        if (
            total
            and r.verdict == "lowers social cost"
            and r.avoided_per_fiscal == r.avoided_per_fiscal
        ):
            verdict += f" ({r.avoided_per_fiscal:,.2f} per {cur} of net fiscal cost)"
        lines.append(
            f"{(str(r['rank']) + '.') if total else '':<4}{name:<26}{m(r.social_cost):>12}  "
            f"{diff:<28}{m(r.consumer_cost):>10}{m(r.shortfall_value):>11}"
            f"{m(r.fiscal_cost_net):>11}{m(r.social_cost_cvar95):>10}  "
            f"{verdict if total else ''}"
        )
    return "\n".join(lines)
