"""`minsim optimise`: the frontier of cost against security over the scenario's levers."""

from __future__ import annotations

import os
from pathlib import Path

from ..experiment.compare import Comparison
from ..experiment.levers import with_levers
from ..experiment.optimise import (
    SearchResult,
    design_of,
    designs_table,
    lever_table,
    rescore,
    search,
)
from ..results.experiments import column
from ..results.io import FLOAT_FORMAT, differences_csv, run_folder_bytes, write_run
from .base import DEFAULT_REPLICATIONS, Outcome, Replications, Session, Source, draw

MONEY_COLUMNS = (
    "fiscal_cost_net",
    "social_cost",
    "social_cost_cvar95",
    "consumer_cost",
    "shortfall_value",
    "social_cost_vs_baseline",
)
"""Columns of designs.csv in the reporting currency (present values)."""


def optimise(
    source: Source,
    session: Session,
    *,
    population: int | None = None,
    generations: int | None = None,
    replications: Replications = DEFAULT_REPLICATIONS,
    rescore_reps: int | None = None,
    levers: tuple[str, ...] = (),
    design_option: str | None = None,
    study: Path | None = None,
    plots: bool = True,
    line=None,
) -> Outcome:
    """Search the design's levers with NSGA-II on common replications, score the frontier
    again on fresh ones beside the scenario's options, and write the run folder (designs as
    options of its scenario.yaml); `line` gets a line per generation. Settings not given
    come from the scenario's `design.search`."""
    loaded = with_levers(source.load(), levers, design_option)
    design = design_of(loaded)
    s = design.search
    reps, seed = replications.resolved(s.reps)
    chosen = {
        "population": population or s.population,
        "generations": generations or s.generations,
        "reps": reps,
        "rescore_reps": rescore_reps or s.rescore_reps,
    }
    options = len(loaded.scenario.options) + chosen["population"]
    need = run_folder_bytes(
        loaded.scenario, reps=chosen["rescore_reps"], results=options, figures=plots
    )
    folder = session.claim(need)
    if study is not None:
        check_study_path(study)
    session.say(
        f"optimising option {design.option} of {source.file}: {chosen['population']} designs a "
        f"generation, {chosen['generations'] + 1} generations, {chosen['reps']} replications "
        f"each (seed {seed}) ..."
    )
    execution = {**session.execution, "progress": None, "report": None}
    result = search(
        loaded,
        seed=seed,
        study_path=study,
        population=chosen["population"],
        generations=chosen["generations"],
        reps=chosen["reps"],
        line=line,
        **execution,
    )
    if not result.frontier:
        raise ValueError(
            "no design the search scored meets the constraints; loosen them or widen the levers"
        )
    rescore(result, seed=seed, reps=chosen["rescore_reps"], **execution)
    write_design(result, folder, plots, session)
    return Outcome(designs_text(result) + f"\nwrote {folder.path}", folder.path)


def check_study_path(study: Path) -> None:
    """A study file's folder must exist and be writable before the search starts."""
    parent = study.resolve().parent
    if not parent.is_dir() or not os.access(parent, os.W_OK):
        raise ValueError(f"cannot write the study {study}: {parent} is not a writable folder")


def write_design(result: SearchResult, folder, plots: bool, session: Session) -> None:
    """The run folder of a search: the rescoring's comparison (summary.csv, differences.csv,
    scenario.yaml with the designs as options), designs.csv, levers.csv, study.jsonl, the
    frontier figure and the report."""
    c = rescored(result)
    cur = result.loaded.scenario.currency
    table = designs_table(result)
    units = {k.lever: k.unit for k in result.levers.keys}
    money = f"{cur} PV"
    headers = {}
    for name in table.columns:
        if name in units:
            headers[name] = column(name, units[name])
        elif str(name).split(":")[0] in MONEY_COLUMNS:
            headers[name] = column(name, money)
    designs_csv = table.rename(columns=headers).to_csv(
        index=False, float_format=FLOAT_FORMAT, lineterminator="\n"
    )
    levers_csv = lever_table(result).to_csv(
        index=False, float_format=FLOAT_FORMAT, lineterminator="\n"
    )

    def extra(tmp: Path) -> None:
        (tmp / "designs.csv").write_text(designs_csv)
        (tmp / "levers.csv").write_text(levers_csv)
        (tmp / "study.jsonl").write_text(result.study.text())
        (tmp / "differences.csv").write_text(differences_csv(c.differences(), cur))
        if not plots:
            return
        from ..plots.design import frontier
        from ..plots.report import design_section, write_report

        if len(result.design.objectives) >= 2:
            draw(tmp, lambda: frontier(result, tmp / "plots" / "frontier"), session.say)
        draw(
            tmp,
            lambda: write_report(c, tmp, extra_html=design_section(result, tmp)),
            session.say,
        )

    write_run(list(c.results.values()), folder, command=session.command, extra=extra)


def rescored(result: SearchResult) -> Comparison:
    """The frontier's comparison on fresh replications (`rescore` must have run)."""
    if result.rescored is None:
        raise ValueError("the frontier has not been scored again: call rescore(result) first")
    return result.rescored


def designs_text(result: SearchResult) -> str:
    """The frontier as scored again, cheapest first, in millions of the reporting currency."""
    table = designs_table(result)
    cur = result.loaded.scenario.currency
    objectives = list(result.design.objectives)
    names = result.levers.names
    lines = [
        f"{len(result.frontier)} designs on the frontier of {len(result.study.evaluations)} "
        f"scored; scored again on {rescored(result).results[rescored(result).baseline].reps} "
        f"fresh replications (M {cur}, [95% interval]):"
    ]
    for _, row in table.iterrows():
        levers = (
            ", ".join(f"{n}={row[n]:.4g}" for n in names if row.kind == "design")
            or "(the scenario's option)"
        )
        scores = "; ".join(
            f"{m} {row[m] / 1e6:,.1f} [{row[m + ':low'] / 1e6:,.1f}, {row[m + ':high'] / 1e6:,.1f}]"
            for m in objectives
        )
        flag = " (dominated on fresh replications)" if row.dominated else ""
        lines.append(f"  {row.option}: {levers}: {scores}{flag}")
    return "\n".join(lines)
