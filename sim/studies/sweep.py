"""`minsim sweep`: one scenario over a grid or a Latin hypercube of parameter values."""

from __future__ import annotations

from pathlib import Path

from ..experiment.sweep import check_names, design_points, run_sweep, sweep_axes
from ..experiment.touched import hit_blocs, touched_commodities
from ..results.io import run_folder_bytes, table_csv, write_run
from .base import DEFAULT_REPLICATIONS, Outcome, Replications, Session, Source, chosen_options, draw

DEFAULT_SWEEP_REPS = 200
"""Replications per point."""


def sweep(
    source: Source,
    session: Session,
    *,
    sweeps: tuple[str, ...] = (),
    design: str = "grid",
    samples: int = 20,
    option: tuple[str, ...] = (),
    all_options: bool = False,
    metric: str = "peak_price_multiple",
    replications: Replications = DEFAULT_REPLICATIONS,
    plots: bool = True,
) -> Outcome:
    """Run every point of the sweep (`sweeps` added to the scenario's `sweep:`) on the same
    seed, write the run folder with sweep.csv and a figure of `metric` over the values, and
    give the metric at each point for the commodities and blocs shown."""
    loaded = source.load()
    options = chosen_options(loaded, option, all_options)
    check_names(loaded, metrics=[metric], options=options)
    axes = sweep_axes(loaded, sweeps)
    reps, seed = replications.resolved(DEFAULT_SWEEP_REPS)
    points = design_points(axes, design, samples, seed)
    runs = len(points) * max(len(options), 1)
    folder = session.claim(
        run_folder_bytes(loaded.scenario, reps=reps, results=runs, figures=False)
    )
    of = f", options {', '.join(options)}" if len(options) > 1 else ""
    session.say(
        f"sweeping {', '.join(axes)} over {len(points)} points{of}, {reps} replications "
        f"each (seed {seed}) ..."
    )
    result = run_sweep(
        source.file,
        points,
        reps=reps,
        seed=seed,
        options=options,
        overrides=source.overrides,
        sets=source.sets,
        **session.execution,
    )
    table = result.table()
    # what the outputs are about: as chosen, else every mineral touched and bloc hit at any
    # point (before the runs are renamed after their points)
    pairs = [
        (c, b)
        for c in (
            list(source.commodities)
            or touched_commodities(result.results)
            or list(loaded.scenario.commodities)
        )
        for b in (list(source.blocs) or hit_blocs(result.results) or list(loaded.scenario.blocs))
    ]
    for n, (i, r) in enumerate(result.runs()):  # unique names along timeseries.nc's `option`
        r.option = f"point-{i}" if len(options) < 2 else f"point-{i}:{options[n % len(options)]}"

    rows = table[table.metric == metric]
    if rows.empty:
        raise ValueError(
            f"the results hold no {metric!r}; choose one of {', '.join(table.metric.unique())}"
        )
    cur = loaded.scenario.currency

    def extra(folder: Path) -> None:
        (folder / "sweep.csv").write_text(table_csv(table, cur))
        if not plots:
            return
        from ..plots.sweep import plot_sweep

        figures = folder / "plots"
        figures.mkdir(exist_ok=True)
        each = [None] if len(axes) == 1 or len(options) < 2 else options

        def sweep_figures() -> None:
            for c, b in pairs:
                for o in each:
                    name = f"sweep_{metric}" + ("" if len(pairs) == 1 else f"_{c}_{b}")
                    plot_sweep(
                        result, metric, c, b, figures / (name + (f"_{o}" if o else "")), option=o
                    )

        draw(folder, sweep_figures, session.say)

    out = write_run(result.results, folder, command=session.command, extra=extra)
    lines = []
    for c, b in pairs:
        shown = rows[(rows.commodity == c) & (rows.bloc == b)]
        lines.append(f"{metric} of {c} in {b}, mean [p5-p95]:")
        for _, row in shown.iterrows():
            point = ", ".join(f"{k}={row[k]}" for k in axes)
            at = f" ({row.option})" if len(options) > 1 else ""
            lines.append(f"  {point}{at}: {row['mean']:.4g} [{row.p5:.4g}-{row.p95:.4g}]")
    lines.append(f"wrote {out}")
    return Outcome("\n".join(lines), out)
