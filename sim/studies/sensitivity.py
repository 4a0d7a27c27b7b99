"""`minsim sensitivity`: SALib indices of one metric to named parameters."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..experiment.results import unit_of
from ..experiment.sensitivity import for_output, outputs, parse_parameter, sensitivities
from ..experiment.sweep import check_names
from ..results.io import FOLDER_OF_TABLES_BYTES, table_csv, write_tables
from .base import DEFAULT_REPLICATIONS, Outcome, Replications, Session, Source, chosen_options, draw

DEFAULT_SENSITIVITY_REPS = 50
"""Replications per model run."""


def sensitivity(
    source: Source,
    session: Session,
    *,
    params: tuple[str, ...],
    method: str = "morris",
    samples: int = 10,
    metric: str = "peak_price_multiple",
    option: tuple[str, ...] = (),
    all_options: bool = False,
    replications: Replications = DEFAULT_REPLICATIONS,
    plots: bool = True,
) -> Outcome:
    """Morris or Sobol indices of `metric` to the `params` (KEY=LOW:HIGH), for each commodity
    in each bloc (default: every mineral touched, in every bloc hit) and each option, from
    one set of model runs; indices.csv, runs.csv, outcomes.csv and tornado figures."""
    loaded = source.load()  # the base scenario first: its errors are the clearest
    options = chosen_options(loaded, option, all_options)
    check_names(loaded, metrics=[metric], options=options)
    parameters = [parse_parameter(p) for p in params]
    reps, seed = replications.resolved(DEFAULT_SENSITIVITY_REPS)
    folder = session.claim(FOLDER_OF_TABLES_BYTES)
    first = sensitivities(
        source.file,
        parameters,
        method=method,
        samples=samples,
        metric=metric,
        commodity=(source.commodities or tuple(loaded.scenario.commodities))[0],
        bloc=(source.blocs or tuple(loaded.scenario.blocs))[0],
        reps=reps,
        seed=seed,
        options=options,
        overrides=source.overrides,
        sets=source.sets,
        **session.execution,
    )
    default = outputs(first, loaded) if not (source.commodities and source.blocs) else []
    pairs = [
        (c, b)
        for c in (list(source.commodities) or list(dict.fromkeys(c for c, _ in default)))
        for b in (list(source.blocs) or list(dict.fromkeys(b for _, b in default)))
    ]
    results = [
        (name, r if (c, b) == (r.commodity, r.bloc) else for_output(r, c, b, seed))
        for name, r in first.items()
        for c, b in pairs
    ]
    cur = loaded.scenario.currency
    unit = unit_of(metric, cur)
    several = len(first) > 1
    indices, runs = [], []
    for name, r in results:
        where = {"option": name, "commodity": r.commodity, "bloc": r.bloc}
        indices.append(r.indices.reset_index().assign(metric=metric, **where))
        wide = pd.DataFrame(r.X, columns=[p.key for p in parameters])
        wide.insert(0, "run", range(len(wide)))
        runs.append(wide.assign(**where, metric=metric, mean=r.Y))
    keys = ["option", "commodity", "bloc", "parameter", "metric"]
    index_table = pd.concat(indices, ignore_index=True)
    index_table = index_table[keys + [c for c in index_table.columns if c not in keys]]
    outcomes = pd.concat([r.table for r in first.values()], ignore_index=True)

    def figure_name(option: str, r) -> str:
        return (
            "tornado"
            + (f"_{option}" if several else "")
            + (f"_{r.commodity}_{r.bloc}" if len(pairs) > 1 else "")
        )

    def extra(folder: Path) -> None:
        if plots:
            from ..plots.sensitivity import tornado

            (folder / "plots").mkdir()

            def tornadoes() -> None:
                for name, r in results:
                    tornado(r, folder / "plots" / figure_name(name, r))

            draw(folder, tornadoes, session.say)

    files = {
        # Morris's mu* and sigma are in the metric's unit; Sobol's indices are shares
        "indices.csv": table_csv(
            index_table, cur, unit=lambda m: unit if method == "morris" else "share of variance"
        ),
        "runs.csv": table_csv(pd.concat(runs, ignore_index=True), cur, unit=lambda m: unit),
        "outcomes.csv": table_csv(outcomes, cur),
    }
    info = {
        "scenario": str(source.file),
        "applied_overrides": loaded.source.applied_overrides,
        "set": loaded.source.sets,
        "method": method,
        "samples": samples,
        "metric": metric,
        "commodities": list(dict.fromkeys(c for c, _ in pairs)),
        "blocs": list(dict.fromkeys(b for _, b in pairs)),
        "options": options,
        "reps": reps,
        "seed": seed,
        "parameters": [vars(p) for p in parameters],
        "command": session.command,
    }
    out = write_tables(folder, files, info, extra)
    lines = []
    for name, r in results:
        of = f", option {name}" if several else ""
        lines.append(
            f"{method} sensitivity of {metric} ({unit}) for {r.commodity} in {r.bloc}{of}:"
        )
        lines.append(
            r.indices.reset_index().to_string(index=False, float_format=lambda x: f"{x:.4g}")
        )
    lines.append(f"wrote {out}")
    return Outcome("\n".join(lines), out)
