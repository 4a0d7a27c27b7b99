"""The `minsim` command: parses options, calls the library, prints. No model logic here."""

from __future__ import annotations

import contextlib
import json
import signal
import sys
import threading
import traceback
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
import numpy as np
import pandas as pd

from . import __version__
from .experiment.results import NonFiniteResult
from .scenario import ScenarioError, json_schema, load

if TYPE_CHECKING:
    from .results.io import Claim

EXIT_INPUT = 2
EXIT_FAILED = 1
"""A run that could not finish (an internal error, or a run folder that could not be written)."""
EXIT_INTERRUPTED = 130
"""After Ctrl-C (SIGINT): 128 + 2, what a shell reports for a process the signal stopped."""
EXIT_TERMINATED = 143
"""After SIGTERM: 128 + 15, so a supervisor sees the termination it asked for."""

_set_option = click.option(
    "--set",
    "sets",
    multiple=True,
    metavar="KEY=VALUE",
    help="Change one value: a.b=v sets, +a.b=v adds, ~a.b deletes (values read as YAML). Repeatable.",
)
_override_option = click.option(
    "--override",
    "overrides",
    multiple=True,
    metavar="NAME",
    help="Switch on a named override from the scenario's `overrides:`. Repeatable.",
)


def _focus_options(func: Callable) -> Callable:
    """--bloc and --commodity: what the figures, the report and the terminal are about,
    checked against the scenario before anything runs."""
    func = click.option(
        "--commodity",
        "commodities",
        multiple=True,
        metavar="NAME",
        help="A mineral the outputs are about. Repeatable [every mineral something touched].",
    )(func)
    return click.option(
        "--bloc",
        "blocs",
        multiple=True,
        metavar="NAME",
        help="A bloc the outputs are about. Repeatable [every bloc that is hit].",
    )(func)


def _check_focus(loaded, blocs: tuple[str, ...], commodities: tuple[str, ...]) -> None:
    """Unknown --bloc or --commodity names: exit 2 with the closest name, before any work."""
    from .experiment.compare import check_focus

    check_focus(loaded, blocs, commodities)


_seed_option = click.option(
    "--seed", default=None, type=click.IntRange(min=0), help="Seed [20260204]."
)
_out_option = click.option(
    "--out", type=click.Path(path_type=Path), help="Run folder [runs/<scenario>-<time>]."
)


def _execution_options(func: Callable) -> Callable:
    """--executor, --workers, --scheduler and --block-size, shared by run and compare."""
    from .experiment.executors import EXECUTORS

    func = click.option(
        "--block-size",
        default=None,
        type=click.IntRange(min=1),
        help="Replications advanced together by one engine batch [500].",
    )(func)
    func = click.option(
        "--scheduler",
        default=None,
        metavar="ADDR",
        help="Dask scheduler address for --executor dask [a local cluster].",
    )(func)
    func = click.option(
        "--workers",
        default=None,
        type=click.IntRange(min=1),
        help="Worker processes [all cores].",
    )(func)
    return click.option(
        "--executor",
        type=click.Choice(EXECUTORS),
        default="processes",
        show_default=True,
        help="Where blocks of replications run; results are identical whichever you choose.",
    )(func)


_draws_option = click.option(
    "--parameter-draws",
    "parameter_draws",
    default=None,
    type=click.IntRange(min=0),
    metavar="N",
    help="Draw the calibrated market parameters from their posterior: N sets, replication i "
    "using set i mod N [the scenario's parameter_uncertainty.draws; 0: off].",
)

_keep_option = click.option(
    "--keep-replications",
    "keep_paths",
    is_flag=True,
    help="Keep every replication's series in replications.nc (NetCDF-4), written as the "
    "blocks finish so memory stays flat; the fans are then exact quantiles (about 0.3 GB "
    "per 1,000 replications of one flagship option).",
)


def _execution(
    executor: str, workers: int | None, scheduler: str | None, block_size: int | None
) -> dict:
    """Keyword arguments for the runner (without --block-size, the runner's default blocks),
    with the progress this command shows (`_progress`)."""
    return {
        "executor": executor,
        "workers": workers,
        "scheduler": scheduler,
        "block_size": block_size,
        **_progress(),
    }


def _progress(stream: Any = None) -> dict:
    """How the runner shows progress on standard error (or `stream`): a bar redrawn in
    place on a terminal; where it is not one (a log, CI, a notebook's `!minsim`), a line
    now and then with the replications done, the time elapsed and an estimate of the time
    left (`experiment.progress.ProgressLines`); nothing with --quiet."""
    from .experiment.progress import ProgressLines

    ctx = click.get_current_context(silent=True)
    if ctx is not None and ctx.find_root().params.get("quiet"):
        return {"progress": None, "report": None}
    stream = stream if stream is not None else sys.stderr
    if stream.isatty():
        return {"progress": _ProgressBar("simulating"), "report": None}
    label = ctx.info_name if ctx is not None and ctx.info_name else "minsim"

    def write(line: str) -> None:
        click.echo(line, file=stream)
        stream.flush()

    return {"progress": None, "report": ProgressLines(label, write)}


class _ProgressBar:
    """Blocks of replications done, redrawn in place on a terminal; silent in logs and CI."""

    def __init__(self, label: str):
        self.label = label
        self.shown = sys.stderr.isatty()

    def __call__(self, done: int, total: int) -> None:
        if not self.shown:
            return
        width = 30
        filled = width * done // max(total, 1)
        bar = "#" * filled + "." * (width - filled)
        click.echo(f"\r{self.label} [{bar}] {done}/{total} blocks", err=True, nl=done == total)


def _run_settings(reps: int | None, seed: int | None, default_reps: int) -> tuple[int, int]:
    """Replications and seed, with their defaults."""
    from .experiment import DEFAULT_SEED

    return reps or default_reps, DEFAULT_SEED if seed is None else seed


def _claim(out: Path | None, named_after: Path, need_bytes: int) -> Claim:
    """Check and take --out (or a fresh runs/<name>-<time>) before any work starts: a taken,
    unwritable or too small output is refused now, not after the simulation. The claim is
    released when the command ends if the run folder was not written."""
    from .results.io import claim, default_out

    taken = claim(out or default_out(named_after), need_bytes, fresh=out is None)
    return click.get_current_context().with_resource(taken)


def _store_path(folder: Claim) -> Path:
    """Where a run streams every replication's series: replications.nc in its partial
    folder, so that the finished run folder holds it without a copy."""
    from .experiment.store import STORE_NAME

    return folder.partial() / STORE_NAME


class _Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the program is, so that it unwinds as Ctrl-C does: workers
    stopped, the run's partial folder and claim removed."""


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """Handle SIGTERM like SIGINT while a command runs, then restore the previous handler.
    A second SIGTERM during the clean-up is ignored so that the clean-up finishes (SIGKILL
    still stops it). Signals can be handled only in the main thread: elsewhere, no change."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def terminated(signum: int, frame: object) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        raise _Terminated

    previous = signal.signal(signal.SIGTERM, terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL if previous is None else previous)


def _report(func: Callable) -> Callable:
    """Turn scenario errors into located messages and exit status 2, output that cannot be
    written into a message naming the path (2 before the work, 1 after it), Ctrl-C and
    SIGTERM into a clean stop (130, 143); hide tracebacks."""
    from .results.io import OutputError, WriteError

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        ctx = click.get_current_context()
        debug = ctx.find_root().params.get("debug", False)
        try:
            with _sigterm_as_interrupt():
                return func(*args, **kwargs)
        except ScenarioError as exc:
            if debug:
                traceback.print_exc()
            for problem in exc.problems:
                click.echo(str(problem), err=True)
            n = len(exc.problems)
            click.echo(f"minsim: {n} problem{'s' if n != 1 else ''} found", err=True)
            ctx.exit(EXIT_INPUT)
        except (OutputError, ValueError) as exc:
            if debug:
                raise
            click.echo(f"minsim: error: {exc}", err=True)
            ctx.exit(EXIT_INPUT)
        except WriteError as exc:
            if debug:
                raise
            click.echo(f"minsim: error: {exc}", err=True)
            ctx.exit(EXIT_FAILED)
        except KeyboardInterrupt as exc:
            click.echo("minsim: interrupted; nothing was written", err=True)
            ctx.exit(EXIT_TERMINATED if isinstance(exc, _Terminated) else EXIT_INTERRUPTED)
        except NonFiniteResult as exc:  # a failed computation, never a table: exit 1
            if debug:
                raise
            click.echo(f"minsim: error: {exc}", err=True)
            ctx.exit(EXIT_FAILED)
        except Exception as exc:  # an internal error: say so, traceback only with --debug
            if debug:
                raise
            click.echo(
                f"minsim: internal error: {type(exc).__name__}: {exc} (rerun with --debug for "
                "the traceback, and please report it)",
                err=True,
            )
            ctx.exit(EXIT_FAILED)

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show tracebacks.")
@click.option(
    "--quiet",
    "-q",
    is_flag=True,
    help="No progress on standard error (a bar on a terminal, lines in a log or notebook).",
)
@click.option(
    "--scenario-path",
    "scenario_path",
    multiple=True,
    metavar="DIR",
    type=click.Path(path_type=Path),
    help="Also let `extends:` reach files under DIR (besides the scenarios/ folder holding the "
    "file, and MINSIM_SCENARIO_PATH). Repeatable.",
)
@click.version_option(__version__, prog_name="minsim")
def cli(debug: bool, quiet: bool, scenario_path: tuple[Path, ...]) -> None:
    """Simulate critical-minerals supply disruptions and the policies that answer them."""
    from .scenario.loader import extra_roots

    click.get_current_context().with_resource(extra_roots(scenario_path))


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@_override_option
@_set_option
@_report
def validate(files: tuple[Path, ...], overrides: tuple[str, ...], sets: tuple[str, ...]) -> None:
    """Check scenario FILES; print every problem as FILE:LINE:COL: key: message."""
    problems = []
    for f in files:
        try:
            load(f, overrides, sets)
            click.echo(f"{f}: ok")
        except ScenarioError as exc:
            problems.extend(exc.problems)
    if problems:
        raise ScenarioError(problems)


@cli.command()
@click.argument("file", type=click.Path(path_type=Path))
@_override_option
@_set_option
@_report
def show(file: Path, overrides: tuple[str, ...], sets: tuple[str, ...]) -> None:
    """Print the resolved scenario: extends merged, overrides and --set applied."""
    from .results.io import resolved_yaml

    loaded = load(file, overrides, sets)
    src = loaded.source
    click.echo(f"# resolved from: {', '.join(src.files)}")
    if src.applied_overrides:
        click.echo(f"# overrides: {', '.join(src.applied_overrides)}")
    for s in src.sets:
        click.echo(f"# --set {s}")
    click.echo(resolved_yaml(src.data), nl=False)
    click.echo(_baseline_diagnostics(loaded))


def _baseline_diagnostics(loaded) -> str:
    """Supply-risk diagnostics of the stated starting output, as YAML comments (no run)."""
    from .engine.diagnostics import baseline
    from .engine.world import compile_world

    w = compile_world(loaded.scenario)
    x = baseline(w)
    lines = [
        "# Diagnostics of the starting output (no simulation; docs/model.md 11.1):",
        "# HHI of world production by stage (0-10,000), net import reliance of each bloc",
    ]
    for k, name in enumerate(w.commodities):
        hhi = ", ".join(f"{s} {x['hhi'][k, w.stage_index(k, s)]:,.0f}" for s in w.stages[k])
        ir = ", ".join(f"{b} {x['import_reliance'][k, i]:.0%}" for i, b in enumerate(w.blocs))
        extra = ""
        if "sr" in x and not np.isnan(x["sr"][k]).all():
            extra += "; JRC SR " + ", ".join(
                f"{b} {x['sr'][k, i]:.2f}" for i, b in enumerate(w.blocs)
            )
        if "dp" in x and not np.isnan(x["dp"][k]).all():
            extra += "; USGS DP " + ", ".join(
                f"{s} {x['dp'][k, w.stage_index(k, s)]:.3f}" for s in w.stages[k]
            )
        lines.append(f"#   {name}: HHI {hhi}; import reliance {ir}{extra}")
    return "\n".join(lines)


@cli.command()
@click.option(
    "-o", "--output", type=click.Path(path_type=Path), help="Write to a file, not stdout."
)
def schema(output: Path | None) -> None:
    """Write the JSON Schema of scenario files (for editors and yaml-language-server)."""
    text = json.dumps(json_schema(), indent=2) + "\n"
    if output:
        output.write_text(text)
        click.echo(f"wrote {output}")
    else:
        click.echo(text, nl=False)


def _table(summary, currency: str) -> str:
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
    for (_option, commodity, bloc), row in wide.iterrows():
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
    for (_option, commodity, bloc), row in wide.iterrows():
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


@cli.command()
@click.argument("file", type=click.Path(path_type=Path))
@_override_option
@_set_option
@click.option("--reps", default=None, type=click.IntRange(min=1), help="Replications [1000].")
@_seed_option
@_execution_options
@_out_option
@click.option("--no-plots", is_flag=True, help="Skip the figures.")
@_keep_option
@_draws_option
@click.option(
    "--option",
    default=None,
    metavar="NAME",
    help="Policy option to run [the scenario's first option, or none].",
)
@_focus_options
@_report
def run(
    file: Path,
    overrides: tuple[str, ...],
    sets: tuple[str, ...],
    option: str | None,
    blocs: tuple[str, ...],
    commodities: tuple[str, ...],
    reps: int | None,
    seed: int | None,
    executor: str,
    workers: int | None,
    scheduler: str | None,
    block_size: int | None,
    out: Path | None,
    no_plots: bool,
    keep_paths: bool,
    parameter_draws: int | None,
) -> None:
    """Run replications of a scenario and write a run folder."""
    from .experiment import DEFAULT_REPS, run_replications
    from .results.io import run_folder_bytes, write_run

    loaded = load(file, overrides, sets)
    _check_focus(loaded, blocs, commodities)
    reps, seed = _run_settings(reps, seed, DEFAULT_REPS)
    need = run_folder_bytes(loaded.scenario, reps=reps, keep_paths=keep_paths, figures=not no_plots)
    folder = _claim(out, file, need)
    from .experiment.runner import default_option

    option = option or default_option(loaded)
    click.echo(
        f"running {reps} replications of {file}, option {option} (seed {seed}) ...", err=True
    )
    execution = _execution(executor, workers, scheduler, block_size)
    results = run_replications(
        loaded,
        reps,
        seed,
        option=option,
        paths_file=_store_path(folder) if keep_paths else None,
        parameter_draws=parameter_draws,
        **execution,
    )

    from .experiment.touched import hit_blocs, touched_commodities

    # what the outputs are about: as chosen, else what was hit (everything in a calm run)
    shown_blocs = list(blocs) or hit_blocs(results) or list(results.world.blocs)
    shown = list(commodities) or touched_commodities(results) or list(results.world.commodities)

    def figures(folder: Path) -> None:
        if not no_plots:
            from .plots import save_run_figures

            _drawn(
                folder,
                lambda: save_run_figures(results, folder, blocs=shown_blocs, commodities=shown),
            )

    out = write_run([results], folder, command=sys.argv, extra=figures)
    summary = results.summary()
    cur = results.world.currency
    click.echo(
        _table(
            summary[summary.bloc.isin(shown_blocs) & summary.commodity.isin([*shown, "all"])], cur
        )
    )
    if results.fiscal_by_policy:
        totals = summary[(summary.commodity == "all") & (summary.bloc == "all")]
        for _, row in totals[totals.metric.str.startswith("fiscal")].iterrows():
            click.echo(
                f"{row.metric} ({row.unit}): {row['mean']:,.0f} (p5 {row.p5:,.0f}, "
                f"p95 {row.p95:,.0f})"
            )
    err = float(results.balance_error.max())
    click.echo(f"\nmass balance: largest relative residual {err:.1e}")
    _warn_bounds([results])
    click.echo(f"wrote {out}")


def _drawn(folder: Path, draw: Callable[[], Any]) -> None:
    """Draw a run's figures; one that fails is reported (a warning, and the traceback in
    plots/FAILED.txt) and the run folder still completes: a figure never loses the data."""
    import traceback

    try:
        draw()
    except Exception as exc:  # any figure bug: the tables are written already
        plots = folder / "plots"
        plots.mkdir(exist_ok=True)
        (plots / "FAILED.txt").write_text(traceback.format_exc())
        click.echo(
            f"warning: the figures failed ({type(exc).__name__}: {exc}); the tables are "
            f"complete; details in plots/FAILED.txt",
            err=True,
        )


def _warn_bounds(results: list) -> None:
    """Say what the numbers need as a caveat (`sim.experiment.results.caveats`), and how much of
    the spread the parameter draws make."""
    from .results.notes import caveats, parameter_note

    note = parameter_note(results)
    if note:
        click.echo(note)
    for line in caveats(results):
        click.echo(f"warning: {line}")


@cli.command()
@click.argument("file", type=click.Path(path_type=Path))
@_override_option
@_set_option
@click.option("--reps", default=None, type=click.IntRange(min=1), help="Replications [1000].")
@_seed_option
@_execution_options
@click.option(
    "--only",
    "only",
    multiple=True,
    metavar="NAME",
    help="Compare only these options (the baseline always runs). Repeatable.",
)
@_out_option
@click.option("--no-plots", is_flag=True, help="Skip the figures.")
@_keep_option
@_draws_option
@_focus_options
@_report
def compare(
    file: Path,
    overrides: tuple[str, ...],
    sets: tuple[str, ...],
    blocs: tuple[str, ...],
    commodities: tuple[str, ...],
    reps: int | None,
    seed: int | None,
    executor: str,
    workers: int | None,
    scheduler: str | None,
    block_size: int | None,
    only: tuple[str, ...],
    out: Path | None,
    no_plots: bool,
    keep_paths: bool,
    parameter_draws: int | None,
) -> None:
    """Run every policy option of a scenario on the same replications and compare them."""
    from .experiment import DEFAULT_REPS
    from .experiment.compare import compare_options
    from .results.io import run_folder_bytes, write_run

    loaded = load(file, overrides, sets)
    _check_focus(loaded, blocs, commodities)
    reps, seed = _run_settings(reps, seed, DEFAULT_REPS)
    n_options = len(only) + 1 if only else max(len(loaded.scenario.options), 1)
    need = run_folder_bytes(
        loaded.scenario,
        reps=reps,
        results=n_options,
        keep_paths=keep_paths,
        figures=not no_plots,
    )
    folder = _claim(out, file, need)
    names = ", ".join(only or loaded.scenario.options) or "base"
    click.echo(
        f"comparing options {names} of {file}: {reps} replications each (seed {seed}) ...", err=True
    )
    execution = _execution(executor, workers, scheduler, block_size)
    comparison = compare_options(
        loaded,
        reps,
        seed,
        options=list(only) or None,
        paths_file=_store_path(folder) if keep_paths else None,
        parameter_draws=parameter_draws,
        blocs=blocs,
        commodities=commodities,
        **execution,
    )
    diffs = comparison.differences()

    def extra(folder: Path) -> None:
        from .results.io import differences_csv

        cur = comparison.results[comparison.baseline].world.currency
        (folder / "differences.csv").write_text(differences_csv(diffs, cur))
        if not no_plots:
            from .plots.compare import save_comparison_figures
            from .plots.report import write_report

            _drawn(
                folder,
                lambda: save_comparison_figures(
                    comparison,
                    folder,
                    blocs=comparison.focus_blocs(),
                    commodities=comparison.focus_commodities(),
                ),
            )
            _drawn(folder, lambda: write_report(comparison, folder))

    out = write_run(list(comparison.results.values()), folder, command=sys.argv, extra=extra)
    click.echo(_comparison_table(comparison))
    _warn_bounds(list(comparison.results.values()))
    click.echo(f"wrote {out}")


def _comparison_table(c) -> str:
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


def _options_option(what: str) -> Callable:
    """--option NAME (repeatable) and --all-options, for sweep and sensitivity."""

    def decorate(func: Callable) -> Callable:
        func = click.option(
            "--all-options",
            is_flag=True,
            help="Run every option of the scenario, on the same replications.",
        )(func)
        return click.option(
            "--option",
            "option",
            multiple=True,
            metavar="NAME",
            help=f"{what} [the scenario's first option]. Repeatable: several run on the same "
            "replications.",
        )(func)

    return decorate


def _chosen_options(loaded, option: tuple[str, ...], all_options: bool) -> list[str]:
    """The options a sweep or sensitivity runs: --all-options, the --option names, or the
    scenario's first option."""
    from .experiment.runner import BASE, default_option

    if all_options and option:
        raise ValueError("give --option or --all-options, not both")
    if all_options:
        return list(loaded.scenario.options) or [BASE]
    return list(dict.fromkeys(option)) or [default_option(loaded)]


@cli.command()
@click.argument("file", type=click.Path(path_type=Path))
@_override_option
@_set_option
@click.option(
    "--sweep",
    "sweeps",
    multiple=True,
    metavar="KEY=VALUES",
    help="A parameter and its values: a.b=1,2,3, a.b=range(0.2,1,0.2) or "
    "a.b=linspace(0,1,5). Repeatable; adds to the scenario's `sweep:`.",
)
@click.option(
    "--design",
    type=click.Choice(["grid", "lhs"]),
    default="grid",
    show_default=True,
    help="Every combination, or a Latin hypercube over the values' ranges.",
)
@click.option(
    "--samples",
    default=20,
    type=click.IntRange(min=1),
    show_default=True,
    help="Points of a Latin hypercube.",
)
@_options_option("Policy option to run at each point")
@click.option(
    "--metric",
    default="peak_price_multiple",
    show_default=True,
    help="Metric plotted over the swept values.",
)
@click.option(
    "--reps", default=None, type=click.IntRange(min=1), help="Replications per point [200]."
)
@_seed_option
@_execution_options
@_out_option
@click.option("--no-plots", is_flag=True, help="Skip the figures.")
@_focus_options
@_report
def sweep(
    file: Path,
    overrides: tuple[str, ...],
    sets: tuple[str, ...],
    blocs: tuple[str, ...],
    commodities: tuple[str, ...],
    sweeps: tuple[str, ...],
    design: str,
    samples: int,
    option: tuple[str, ...],
    all_options: bool,
    metric: str,
    reps: int | None,
    seed: int | None,
    executor: str,
    workers: int | None,
    scheduler: str | None,
    block_size: int | None,
    out: Path | None,
    no_plots: bool,
) -> None:
    """Run a scenario over a grid or a Latin hypercube of parameter values.

    Every point is validated before anything runs, and every point uses the same seed, so
    differences between points are the parameters' and not chance's."""
    from .experiment import DEFAULT_SEED
    from .experiment.sweep import check_names, grid, latin_hypercube, parse_sweep, run_sweep
    from .results.io import run_folder_bytes, table_csv, write_run

    loaded = load(file, overrides, sets)
    options = _chosen_options(loaded, option, all_options)
    check_names(loaded, metrics=[metric], options=options)
    _check_focus(loaded, blocs, commodities)
    axes: dict[str, list[str]] = {}
    for key, values in loaded.scenario.sweep.items():
        if isinstance(values, str):
            axes.update([parse_sweep(f"{key}={values}")])
        else:
            axes[key] = [json.dumps(v) if not isinstance(v, str) else v for v in values]
    for text in sweeps:
        key, values = parse_sweep(text)
        axes[key] = values
    if not axes:
        raise ValueError("nothing to sweep: give --sweep KEY=VALUES or a `sweep:` section")
    if design == "grid":
        points = grid(axes)
    else:
        try:
            ranges = {k: (min(map(float, v)), max(map(float, v))) for k, v in axes.items()}
        except ValueError:
            raise ValueError("a Latin hypercube needs numeric values on every axis") from None
        points = latin_hypercube(ranges, samples, DEFAULT_SEED if seed is None else seed)
    reps, seed = _run_settings(reps, seed, 200)
    runs = len(points) * max(len(options), 1)
    need = run_folder_bytes(loaded.scenario, reps=reps, results=runs, figures=False)
    folder = _claim(out, file, need)
    of = f", options {', '.join(options)}" if len(options) > 1 else ""
    click.echo(
        f"sweeping {', '.join(axes)} over {len(points)} points{of}, {reps} replications "
        f"each (seed {seed}) ...",
        err=True,
    )
    execution = _execution(executor, workers, scheduler, block_size)
    result = run_sweep(
        file,
        points,
        reps=reps,
        seed=seed,
        options=options,
        overrides=overrides,
        sets=sets,
        **execution,
    )
    from .experiment.touched import hit_blocs, touched_commodities

    table = result.table()
    # what the outputs are about: as chosen, else every mineral touched and bloc hit at any
    # point (before the runs are renamed after their points)
    pairs = [
        (c, b)
        for c in (
            list(commodities)
            or touched_commodities(result.results)
            or list(loaded.scenario.commodities)
        )
        for b in (list(blocs) or hit_blocs(result.results) or list(loaded.scenario.blocs))
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
        if no_plots:
            return
        from .plots.sweep import plot_sweep

        plots = folder / "plots"
        plots.mkdir(exist_ok=True)
        each = [None] if len(axes) == 1 or len(options) < 2 else options

        def draw() -> None:
            for c, b in pairs:
                for o in each:
                    name = f"sweep_{metric}" + ("" if len(pairs) == 1 else f"_{c}_{b}")
                    plot_sweep(
                        result, metric, c, b, plots / (name + (f"_{o}" if o else "")), option=o
                    )

        _drawn(folder, draw)

    out = write_run(result.results, folder, command=sys.argv, extra=extra)
    for c, b in pairs:
        shown = rows[(rows.commodity == c) & (rows.bloc == b)]
        click.echo(f"{metric} of {c} in {b}, mean [p5-p95]:")
        for _, row in shown.iterrows():
            point = ", ".join(f"{k}={row[k]}" for k in axes)
            at = f" ({row.option})" if len(options) > 1 else ""
            click.echo(f"  {point}{at}: {row['mean']:.4g} [{row.p5:.4g}-{row.p95:.4g}]")
    click.echo(f"wrote {out}")


@cli.command()
@click.argument("file", type=click.Path(path_type=Path))
@_override_option
@_set_option
@click.option(
    "--param",
    "params",
    multiple=True,
    required=True,
    metavar="KEY=LOW:HIGH",
    help="A parameter and its range, e.g. disruptions.x.severity=0.2:1.0. Repeatable.",
)
@click.option(
    "--method",
    type=click.Choice(["morris", "sobol"]),
    default="morris",
    show_default=True,
    help="Morris elementary effects, or Sobol indices (SALib).",
)
@click.option(
    "--samples",
    default=10,
    type=click.IntRange(min=1),
    show_default=True,
    help="Morris trajectories, or Sobol base samples.",
)
@click.option("--metric", default="peak_price_multiple", show_default=True)
@_focus_options
@_options_option("Policy option to run")
@click.option(
    "--reps", default=None, type=click.IntRange(min=1), help="Replications per model run [50]."
)
@_seed_option
@_execution_options
@_out_option
@click.option("--no-plots", is_flag=True, help="Skip the tornado plot.")
@_report
def sensitivity(
    file: Path,
    overrides: tuple[str, ...],
    sets: tuple[str, ...],
    params: tuple[str, ...],
    method: str,
    samples: int,
    metric: str,
    blocs: tuple[str, ...],
    commodities: tuple[str, ...],
    option: tuple[str, ...],
    all_options: bool,
    reps: int | None,
    seed: int | None,
    executor: str,
    workers: int | None,
    scheduler: str | None,
    block_size: int | None,
    out: Path | None,
    no_plots: bool,
) -> None:
    """Sensitivity indices (SALib Morris or Sobol) of one metric to named parameters, for
    each --commodity in each --bloc (default: every mineral touched, in every bloc hit) and
    each option, all from one set of model runs.

    The metric, commodities, blocs and options are checked before anything runs; every
    metric of every model run is kept in outcomes.csv."""
    from .experiment.results import unit_of
    from .experiment.sensitivity import for_output, outputs, parse_parameter, sensitivities
    from .experiment.sweep import check_names
    from .results.io import FOLDER_OF_TABLES_BYTES, table_csv, write_tables

    loaded = load(file, overrides, sets)  # the base scenario first: its errors are the clearest
    options = _chosen_options(loaded, option, all_options)
    check_names(loaded, metrics=[metric], options=options)
    _check_focus(loaded, blocs, commodities)
    parameters = [parse_parameter(p) for p in params]
    reps, seed = _run_settings(reps, seed, 50)
    folder = _claim(out, file, FOLDER_OF_TABLES_BYTES)
    execution = _execution(executor, workers, scheduler, block_size)
    first = sensitivities(
        file,
        parameters,
        method=method,
        samples=samples,
        metric=metric,
        commodity=(commodities or tuple(loaded.scenario.commodities))[0],
        bloc=(blocs or tuple(loaded.scenario.blocs))[0],
        reps=reps,
        seed=seed,
        options=options,
        overrides=overrides,
        sets=sets,
        **execution,
    )
    default = outputs(first, loaded) if not (commodities and blocs) else []
    pairs = [
        (c, b)
        for c in (list(commodities) or list(dict.fromkeys(c for c, _ in default)))
        for b in (list(blocs) or list(dict.fromkeys(b for _, b in default)))
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
        if not no_plots:
            from .plots.sensitivity import tornado

            (folder / "plots").mkdir()

            def draw() -> None:
                for name, r in results:
                    tornado(r, folder / "plots" / figure_name(name, r))

            _drawn(folder, draw)

    files = {
        # Morris's mu* and sigma are in the metric's unit; Sobol's indices are shares
        "indices.csv": table_csv(
            index_table, cur, unit=lambda m: unit if method == "morris" else "share of variance"
        ),
        "runs.csv": table_csv(pd.concat(runs, ignore_index=True), cur, unit=lambda m: unit),
        "outcomes.csv": table_csv(outcomes, cur),
    }
    info = {
        "scenario": str(file),
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
        "command": sys.argv,
    }
    out = write_tables(folder, files, info, extra)
    for name, r in results:
        of = f", option {name}" if several else ""
        click.echo(f"{method} sensitivity of {metric} ({unit}) for {r.commodity} in {r.bloc}{of}:")
        click.echo(
            r.indices.reset_index().to_string(index=False, float_format=lambda x: f"{x:.4g}")
        )
    click.echo(f"wrote {out}")


@cli.command()
@click.argument("file", type=click.Path(path_type=Path))
@_override_option
@_set_option
@click.option(
    "--population", default=None, type=click.IntRange(min=4), help="Designs per generation."
)
@click.option(
    "--generations", default=None, type=click.IntRange(min=1), help="Generations after the first."
)
@click.option(
    "--reps", default=None, type=click.IntRange(min=10), help="Replications per design searched."
)
@click.option(
    "--rescore-reps",
    default=None,
    type=click.IntRange(min=10),
    help="Replications the frontier is scored again on.",
)
@click.option(
    "--lever",
    "levers",
    multiple=True,
    metavar="KEY=LOW:HIGH[:STEP]",
    help="Another lever (a key of a policy of the design's option). Repeatable.",
)
@click.option(
    "--design-option",
    default=None,
    metavar="NAME",
    help="The option whose policies the levers change [the scenario's design.option].",
)
@click.option(
    "--study",
    "study",
    default=None,
    type=click.Path(path_type=Path),
    help="A study file: resumed if it exists, kept up to date after every generation.",
)
@_seed_option
@_execution_options
@_out_option
@click.option("--no-plots", is_flag=True, help="Skip the figures and report.")
@_report
def optimise(
    file: Path,
    overrides: tuple[str, ...],
    sets: tuple[str, ...],
    population: int | None,
    generations: int | None,
    reps: int | None,
    rescore_reps: int | None,
    levers: tuple[str, ...],
    design_option: str | None,
    study: Path | None,
    seed: int | None,
    executor: str,
    workers: int | None,
    scheduler: str | None,
    block_size: int | None,
    out: Path | None,
    no_plots: bool,
) -> None:
    """Search the scenario's `design:` levers for the frontier of cost against security.

    NSGA-II (pymoo) scores every design on the same replications; the frontier is then
    scored again on fresh ones beside the scenario's options, and written as options of the
    run folder's scenario.yaml, which `minsim compare` runs as it is."""
    from .experiment.levers import with_levers
    from .experiment.optimise import design_of, rescore, search
    from .results.io import run_folder_bytes

    loaded = with_levers(load(file, overrides, sets), levers, design_option)
    design = design_of(loaded)
    _, seed = _run_settings(None, seed, 1)
    s = design.search
    chosen = {
        "population": population or s.population,
        "generations": generations or s.generations,
        "reps": reps or s.reps,
        "rescore_reps": rescore_reps or s.rescore_reps,
    }
    options = len(loaded.scenario.options) + chosen["population"]
    need = run_folder_bytes(
        loaded.scenario, reps=chosen["rescore_reps"], results=options, figures=not no_plots
    )
    folder = _claim(out, file, need)
    if study is not None:
        _check_study_path(study)
    click.echo(
        f"optimising option {design.option} of {file}: {chosen['population']} designs a "
        f"generation, {chosen['generations'] + 1} generations, {chosen['reps']} replications "
        f"each (seed {seed}) ...",
        err=True,
    )
    execution = {**_execution(executor, workers, scheduler, block_size), "progress": None}
    execution["report"] = None
    quiet = click.get_current_context().find_root().params.get("quiet")
    result = search(
        loaded,
        seed=seed,
        study_path=study,
        population=chosen["population"],
        generations=chosen["generations"],
        reps=chosen["reps"],
        line=None if quiet else (lambda text: click.echo(text, err=True)),
        **execution,
    )
    if not result.frontier:
        raise ValueError(
            "no design the search scored meets the constraints; loosen them or widen the levers"
        )
    rescore(result, seed=seed, reps=chosen["rescore_reps"], **execution)
    _write_design(result, folder, no_plots)
    click.echo(_designs_text(result))
    click.echo(f"wrote {folder.path}")


def _check_study_path(study: Path) -> None:
    """A study file's folder must exist and be writable before the search starts."""
    import os

    parent = study.resolve().parent
    if not parent.is_dir() or not os.access(parent, os.W_OK):
        raise ValueError(f"cannot write the study {study}: {parent} is not a writable folder")


def _write_design(result, folder, no_plots: bool) -> None:
    """The run folder of a search: the rescoring's comparison (summary.csv, differences.csv,
    scenario.yaml with the designs as options), designs.csv, levers.csv, study.jsonl, the
    frontier figure and the report."""
    from .experiment.optimise import designs_table, lever_table
    from .results.experiments import column
    from .results.io import FLOAT_FORMAT, differences_csv, write_run

    c = result.rescored
    cur = result.loaded.scenario.currency
    table = designs_table(result)
    units = {k.lever: k.unit for k in result.levers.keys}
    money = f"{cur} PV"
    headers = {}
    for name in table.columns:
        base = str(name).split(":")[0]
        if name in units:
            headers[name] = column(name, units[name])
        elif base in (
            "fiscal_cost_net",
            "social_cost",
            "social_cost_cvar95",
            "consumer_cost",
            "shortfall_value",
            "social_cost_vs_baseline",
        ):
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
        if no_plots:
            return
        from .plots.design import frontier
        from .plots.report import design_section, write_report

        if len(result.design.objectives) >= 2:
            _drawn(tmp, lambda: frontier(result, tmp / "plots" / "frontier"))
        _drawn(tmp, lambda: write_report(c, tmp, extra_html=design_section(result, tmp)))

    write_run(list(c.results.values()), folder, command=sys.argv, extra=extra)


def _designs_text(result) -> str:
    """The frontier as scored again, cheapest first, in millions of the reporting currency."""
    from .experiment.optimise import designs_table

    table = designs_table(result)
    cur = result.loaded.scenario.currency
    objectives = list(result.design.objectives)
    names = result.levers.names
    lines = [
        f"{len(result.frontier)} designs on the frontier of {len(result.study.evaluations)} "
        f"scored; scored again on {result.rescored.results[result.rescored.baseline].reps} "
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


EXIT_BACKTEST_FAILED = 1
"""`minsim backtest` exit status when any episode drifts out of its criteria, or when there
is no episode to score."""
BACKTEST_FIGURE_BYTES = 500_000
"""Room asked per episode for its figure (PNG and SVG, about 90 kB together)."""
CALIBRATION_ROW_BYTES = 1_000
"""Room asked per episode and grid point for grid.csv (a row per criterion)."""


def _episodes(names: tuple[str, ...]) -> dict[str, Path]:
    """The episodes NAMEd (all when none is); with none to be found, the message and exit 1."""
    from .experiment.backtest import NoEpisodeError, select

    try:
        return select(names)
    except NoEpisodeError as exc:
        click.echo(f"minsim: error: {exc}", err=True)
        sys.exit(EXIT_BACKTEST_FAILED)


@cli.command()
@click.argument("names", nargs=-1, metavar="[NAME]...")
@click.option(
    "--reps", default=None, type=click.IntRange(min=1), help="Replications per episode [200]."
)
@click.option("--seed", default=None, type=click.IntRange(min=0), help="Seed [20100701].")
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=Path("runs") / "backtest",
    show_default=True,
    help="Folder for the figures (created if needed; figures in it are replaced).",
)
@click.option("--no-plots", is_flag=True, help="Skip the figures.")
@_draws_option
@_report
def backtest(
    names: tuple[str, ...],
    reps: int | None,
    seed: int | None,
    out: Path,
    no_plots: bool,
    parameter_draws: int | None,
) -> None:
    """Run the historical episodes under scenarios/history/ (all, or the NAMEs given) and
    print observed against simulated with PASS or FAIL; with --parameter-draws the medians
    and fans cover the calibrated parameters' uncertainty.

    Exit status: 0 when every episode passes, 1 when any fails or none is found, 2 for bad
    input (such as an unknown NAME)."""
    from .experiment.backtest import (
        DEFAULT_BACKTEST_REPS,
        DEFAULT_BACKTEST_SEED,
        run_episode,
        table,
    )
    from .results.io import check_output

    chosen = _episodes(names)
    reps = reps or DEFAULT_BACKTEST_REPS
    seed = DEFAULT_BACKTEST_SEED if seed is None else seed
    if not no_plots:  # the figures go into --out, which may exist: checked before the runs
        check_output(out, BACKTEST_FIGURE_BYTES * len(chosen), folder_may_exist=True)
    click.echo(
        f"back-testing {', '.join(chosen)}: {reps} replications each (seed {seed}) ...", err=True
    )
    done = [
        run_episode(path, reps, seed, parameter_draws=parameter_draws) for path in chosen.values()
    ]
    click.echo(table(done))
    if not no_plots:
        from .plots.backtest import save_backtest_figures

        files = save_backtest_figures(done, out)
        click.echo(f"wrote {len(files)} figures to {out}")
    failed = [e.name for e in done if not e.passed]
    if failed:
        click.echo(f"failed: {', '.join(failed)}")
        sys.exit(EXIT_BACKTEST_FAILED)
    click.echo("all episodes pass")


@cli.command()
@click.argument("names", nargs=-1, metavar="[NAME]...")
@click.option(
    "--reps",
    default=None,
    type=click.IntRange(min=1),
    help="Replications per episode and grid point [50].",
)
@click.option("--seed", default=None, type=click.IntRange(min=0), help="Seed [20100701].")
@click.option(
    "--workers",
    default=1,
    type=click.IntRange(min=1),
    show_default=True,
    help="Processes running grid points at once (the numbers do not depend on it).",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=None,
    help="Folder for the tables [runs/calibrate-<time>].",
)
@click.option(
    "--grid",
    "grid_options",
    multiple=True,
    metavar="KEY=V1,V2,...",
    help="Values to try for a commodity key (repeat per key); replaces the default grid "
    "(elasticity.backstop, elasticity.backstop_spread, stock_days, storage.learning, trade.rerouting).",
)
@click.option(
    "--write",
    "world",
    type=click.Path(path_type=Path),
    default=None,
    metavar="WORLD",
    help="Write the fitted values and ranges into this world file (e.g. "
    "scenarios/base/world-2025.yaml).",
)
@click.option(
    "--from-grid",
    "from_grid",
    type=click.Path(path_type=Path, exists=True),
    default=None,
    metavar="DIR",
    help="Refit from the grid.csv of an earlier calibration folder instead of simulating.",
)
@_report
def calibrate(
    names: tuple[str, ...],
    reps: int | None,
    seed: int | None,
    workers: int,
    out: Path | None,
    grid_options: tuple[str, ...],
    world: Path | None,
    from_grid: Path | None,
) -> None:
    """Fit the market parameters of each market class to the historical episodes under
    scenarios/history/ (all, or the NAMEs given) on a grid, and print each class's fit with
    its 5-95% range and each episode's verdict in sample and left out (docs/validation.md).

    Writes calibration tables (grid.csv, fits.csv, loo.csv) to a run folder, and with
    --write the fitted values into a world file. --from-grid refits the z-values of an
    earlier run (e.g. after changing market classes) without simulating."""
    from .experiment.backtest import DEFAULT_BACKTEST_SEED
    from .experiment.calibrate import (
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
    from .experiment.calibrate import (
        calibrate as fit_all,
    )
    from .results.io import FOLDER_OF_TABLES_BYTES, write_calibration, write_tables

    chosen = _episodes(names) if from_grid is None else {}
    grid = parse_grid(grid_options) if grid_options else GRID
    reps = reps or DEFAULT_CALIBRATION_REPS
    seed = DEFAULT_BACKTEST_SEED if seed is None else seed
    target = None
    if world is not None:
        target = load(world).scenario
    rows = len(points(grid)) * len(chosen)
    folder = _claim(out, Path("calibrate"), FOLDER_OF_TABLES_BYTES + CALIBRATION_ROW_BYTES * rows)
    if from_grid is not None:
        source = from_grid / "grid.csv" if from_grid.is_dir() else from_grid
        grid, runs = read_grid(source.read_text())
        if names:
            unknown = sorted(set(names) - {r.name for r in runs})
            if unknown:
                raise ValueError(f"{source} has no episode {unknown[0]!r}")
            runs = [r for r in runs if r.name in names]
        click.echo(f"refitting {len(runs)} episodes from {source} ...", err=True)
        info_from: dict[str, object] = {"from_grid": str(source)}
    else:
        n = len(points(grid))
        click.echo(
            f"calibrating on {', '.join(chosen)}: {n} grid points x {reps} replications each "
            f"(seed {seed}) ...",
            err=True,
        )
        runs = run_grid(
            chosen, grid, reps, seed, workers=workers, progress=_ProgressBar("calibrating")
        )
        info_from = {"reps": reps, "seed": seed}
    c = fit_all(runs, grid)
    click.echo(table(c))
    files = {"grid.csv": grid_csv(c), "fits.csv": fits_csv(c), "loo.csv": loo_csv(c)}
    episodes = [r.name for r in runs]
    info = {"episodes": episodes, **info_from, "grid": grid, "command": sys.argv}
    out = write_tables(folder, files, info)
    click.echo(f"wrote {out}")
    if world is not None and target is not None:
        classes = {name: com.class_name(name) for name, com in target.commodities.items()}
        stamp = datetime.now(UTC).strftime("%Y-%m-%d")
        changed = write_calibration(world, updates(c, classes), stamp)
        click.echo(f"wrote {len(changed)} calibrated values into {world}")


@cli.command()
@click.argument("run_folder", type=click.Path(path_type=Path))
@click.option("--option", required=True, metavar="NAME", help="Option whose failures to explain.")
@click.option(
    "--metric",
    required=True,
    metavar="M",
    help="Outcome column of experiments.csv, e.g. social_cost or social_cost:BLOC.",
)
@click.option(
    "--threshold", type=float, default=None, help="Fails where the outcome is above this."
)
@click.option(
    "--quantile",
    type=float,
    default=None,
    help="Fails above this quantile of the option's replications [0.9 without --threshold].",
)
@click.option(
    "--min-density",
    type=float,
    default=0.8,
    show_default=True,
    help="Share of failures a box must hold to count as found.",
)
@click.option(
    "--boxes", type=click.IntRange(min=1), default=1, show_default=True, help="Boxes to find."
)
@click.option(
    "--significance",
    type=click.FloatRange(0, 1, min_open=True),
    default=0.05,
    show_default=True,
    help="Drop a box's restrictions whose quasi-p value is above this (1 keeps them all).",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    help="Folder [RUN_FOLDER/discovery/<option>-<metric>].",
)
@click.option("--no-plots", is_flag=True, help="Skip the peeling-trajectory figure.")
@_report
def discover(
    run_folder: Path,
    option: str,
    metric: str,
    threshold: float | None,
    quantile: float | None,
    min_density: float,
    boxes: int,
    significance: float,
    out: Path | None,
    no_plots: bool,
) -> None:
    """Scenario discovery (PRIM) on a run folder's experiments.csv: the ranges of the drawn
    conditions (onsets, durations, severities, parameters) where an option fails."""
    from .results import discovery as sd
    from .results.experiments import read_experiments
    from .results.io import FLOAT_FORMAT, FOLDER_OF_TABLES_BYTES, claim, write_tables

    ex = read_experiments(run_folder)
    if option not in ex.options:
        raise ValueError(f"no option {option!r} in {run_folder} (options: {', '.join(ex.options)})")
    if metric not in ex.outcomes:
        raise ValueError(
            f"no outcome {metric!r} in {run_folder}/experiments.csv; outcomes: "
            f"{', '.join(ex.outcomes)}"
        )
    try:
        sd._prim()
    except sd.MissingDiscovery as exc:
        click.echo(f"minsim: error: {exc}", err=True)
        click.get_current_context().exit(EXIT_FAILED)
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
    default = run_folder / "discovery" / f"{option}-{metric.replace(':', '-')}"
    taken = claim(out or default, FOLDER_OF_TABLES_BYTES, fresh=out is None)
    click.get_current_context().with_resource(taken)

    def extra(folder: Path) -> None:
        if not no_plots:
            from .plots.discovery import peeling_trajectory

            (folder / "plots").mkdir()
            _drawn(folder, lambda: peeling_trajectory(result, folder / "plots" / "peeling"))

    def csv(frame: pd.DataFrame) -> str:
        return frame.to_csv(index=False, float_format=FLOAT_FORMAT, lineterminator="\n")

    files = {
        "boxes.csv": csv(result.boxes_table()),
        "trajectory.csv": csv(result.trajectory_table()),
    }
    files["boxes.txt"] = result.text() + "\n"
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
        "command": sys.argv,
    }
    written = write_tables(taken, files, info, extra)
    click.echo(result.text())
    click.echo(f"wrote {written}")


def main() -> None:
    cli(prog_name="minsim")


if __name__ == "__main__":
    main()
