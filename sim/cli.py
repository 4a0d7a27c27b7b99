"""The `minsim` command: parses options, calls the library, prints. No model logic here."""

from __future__ import annotations

import contextlib
import json
import signal
import sys
import threading
import traceback
from collections.abc import Callable, Iterator
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from . import __version__
from .experiment.results import NonFiniteResult
from .scenario import ScenarioError, json_schema, load

if TYPE_CHECKING:
    from .results.io import Claim
    from .studies import Outcome, Session

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


def _choice(name: str, choices: tuple[str, ...], help: str) -> Callable:
    """An option taking one of `choices`, the first by default."""
    return click.option(
        name, type=click.Choice(choices), default=choices[0], show_default=True, help=help
    )


def _whole(name: str, default: int, help: str) -> Callable:
    """An option taking a whole number of at least 1."""
    return click.option(
        name, default=default, type=click.IntRange(min=1), show_default=True, help=help
    )


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


def _scenario_file(command: Callable) -> Callable:
    """FILE, --override and --set: the scenario a command works on, as a `Source` reads it."""
    command = _set_option(command)
    command = _override_option(command)
    return click.argument("file", type=click.Path(path_type=Path))(command)


def _run_folder(plots: str = "Skip the figures.") -> Callable:
    """--seed, the executor's options, --out and --no-plots (`plots` its help): how a
    scenario command runs and where it writes."""

    def add(command: Callable) -> Callable:
        command = click.option("--no-plots", is_flag=True, help=plots)(command)
        command = _out_option(command)
        command = _execution_options(command)
        return _seed_option(command)

    return add


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


def _session(
    out: Path | None,
    named_after: Path,
    executor: str = "inline",
    workers: int | None = None,
    scheduler: str | None = None,
    block_size: int | None = None,
    claim: Callable[[int], Claim] | None = None,
) -> Session:
    """How a study runs under this command: --out (or a fresh runs/<name>-<time>) checked and
    taken before any work starts, released when the command ends if the run folder was not
    written; status lines on standard error; the runner's keywords with the progress shown
    (`_progress`; without --block-size, the runner's default blocks); argv in run.json."""
    from .studies import Session

    def take(need_bytes: int) -> Claim:
        from .results.io import claim as take_folder
        from .results.io import default_out

        taken = take_folder(out or default_out(named_after), need_bytes, fresh=out is None)
        return click.get_current_context().with_resource(taken)

    execution = {
        "executor": executor,
        "workers": workers,
        "scheduler": scheduler,
        "block_size": block_size,
        **_progress(),
    }
    return Session(claim or take, _say, execution, list(sys.argv))


def _study(name: str, options: dict[str, Any]) -> Outcome:
    """Call the study `name` (`sim.studies`) with a command's options: FILE, --override,
    --set, --bloc and --commodity as its `Source`; --out, --executor, --workers, --scheduler
    and --block-size as its `Session`; --reps and --seed as its `Replications`; --no-plots
    as `plots=False`; the rest as they are."""
    from . import studies

    o = dict(options)
    file = o.pop("file")
    execution = {k: o.pop(k) for k in ("executor", "workers", "scheduler", "block_size")}
    session = _session(o.pop("out"), file, **execution)
    o["plots"] = not o.pop("no_plots")
    o["replications"] = studies.Replications(o.pop("reps", None), o.pop("seed", None))
    focus = (o.pop("blocs", ()), o.pop("commodities", ()))
    source = studies.Source(file, o.pop("overrides"), o.pop("sets"), *focus)
    return getattr(studies, name)(source, session, **o)


def _say(text: str) -> None:
    """A status line on standard error."""
    click.echo(text, err=True)


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
            if _is_failure(exc):
                click.echo(f"minsim: error: {exc}", err=True)
                ctx.exit(EXIT_FAILED)
            if debug:
                raise
            click.echo(
                f"minsim: internal error: {type(exc).__name__}: {exc} (rerun with --debug for "
                "the traceback, and please report it)",
                err=True,
            )
            ctx.exit(EXIT_FAILED)

    return wrapper


def _is_failure(exc: Exception) -> bool:
    """A study that could not be done, not a bug: no episode to score, or the library a
    scenario discovery needs is missing."""
    from .experiment.backtest import NoEpisodeError
    from .results.discovery import MissingDiscovery

    return isinstance(exc, NoEpisodeError | MissingDiscovery)


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
@_scenario_file
@_report
def show(file: Path, overrides: tuple[str, ...], sets: tuple[str, ...]) -> None:
    """Print the resolved scenario: extends merged, overrides and --set applied."""
    from .studies import Source
    from .studies import show as show_scenario

    click.echo(show_scenario(Source(file, overrides, sets)).text)


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


@cli.command()
@_scenario_file
@click.option("--reps", default=None, type=click.IntRange(min=1), help="Replications [1000].")
@_run_folder()
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
def run(**options: Any) -> None:
    """Run replications of a scenario and write a run folder."""
    click.echo(_study("run", options).text)


@cli.command()
@_scenario_file
@click.option(
    "--only",
    "only",
    multiple=True,
    metavar="NAME",
    help="Compare only these options (the baseline always runs). Repeatable.",
)
@click.option("--reps", default=None, type=click.IntRange(min=1), help="Replications [1000].")
@_run_folder()
@_keep_option
@_draws_option
@_focus_options
@_report
def compare(**options: Any) -> None:
    """Run every policy option of a scenario on the same replications and compare them."""
    click.echo(_study("compare", options).text)


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


@cli.command()
@_scenario_file
@click.option(
    "--sweep",
    "sweeps",
    multiple=True,
    metavar="KEY=VALUES",
    help="A parameter and its values: a.b=1,2,3, a.b=range(0.2,1,0.2) or "
    "a.b=linspace(0,1,5). Repeatable; adds to the scenario's `sweep:`.",
)
@_choice(
    "--design", ("grid", "lhs"), "Every combination, or a Latin hypercube over the values' ranges."
)
@_whole("--samples", 20, "Points of a Latin hypercube.")
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
@_run_folder()
@_focus_options
@_report
def sweep(**options: Any) -> None:
    """Run a scenario over a grid or a Latin hypercube of parameter values.

    Every point is validated before anything runs, and every point uses the same seed, so
    differences between points are the parameters' and not chance's."""
    click.echo(_study("sweep", options).text)


@cli.command()
@_scenario_file
@click.option(
    "--param",
    "params",
    multiple=True,
    required=True,
    metavar="KEY=LOW:HIGH",
    help="A parameter and its range, e.g. disruptions.x.severity=0.2:1.0. Repeatable.",
)
@_choice("--method", ("morris", "sobol"), "Morris elementary effects, or Sobol indices (SALib).")
@_whole("--samples", 10, "Morris trajectories, or Sobol base samples.")
@click.option("--metric", default="peak_price_multiple", show_default=True)
@_focus_options
@_options_option("Policy option to run")
@click.option(
    "--reps", default=None, type=click.IntRange(min=1), help="Replications per model run [50]."
)
@_run_folder("Skip the tornado plot.")
@_report
def sensitivity(**options: Any) -> None:
    """Sensitivity indices (SALib Morris or Sobol) of one metric to named parameters, for
    each --commodity in each --bloc (default: every mineral touched, in every bloc hit) and
    each option, all from one set of model runs.

    The metric, commodities, blocs and options are checked before anything runs; every
    metric of every model run is kept in outcomes.csv."""
    click.echo(_study("sensitivity", options).text)


@cli.command()
@_scenario_file
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
@_run_folder("Skip the figures and report.")
@_report
def optimise(**options: Any) -> None:
    """Search the scenario's `design:` levers for the frontier of cost against security.

    NSGA-II (pymoo) scores every design on the same replications; the frontier is then
    scored again on fresh ones beside the scenario's options, and written as options of the
    run folder's scenario.yaml, which `minsim compare` runs as it is."""
    quiet = click.get_current_context().find_root().params.get("quiet")
    click.echo(_study("optimise", {**options, "line": None if quiet else _say}).text)


EXIT_BACKTEST_FAILED = 1
"""`minsim backtest` exit status when any episode drifts out of its criteria, or when there
is no episode to score."""


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
    from .studies import Replications
    from .studies import backtest as backtest_study

    outcome = backtest_study(
        names,
        _session(None, Path("backtest")),
        replications=Replications(reps, seed),
        out=out,
        plots=not no_plots,
        parameter_draws=parameter_draws,
    )
    click.echo(outcome.text)
    if outcome.failed:
        sys.exit(EXIT_BACKTEST_FAILED)


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
    from .studies import Replications
    from .studies import calibrate as calibrate_study

    outcome = calibrate_study(
        names,
        _session(out, Path("calibrate")),
        replications=Replications(reps, seed),
        workers=workers,
        grid_options=grid_options,
        world=world,
        from_grid=from_grid,
        progress=_ProgressBar("calibrating"),
    )
    click.echo(outcome.text)


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
    from .studies import discover as discover_study
    from .studies.discover import discovery_folder

    def claim(need: int) -> Claim:
        from .results.io import claim as take

        taken = take(out or discovery_folder(run_folder, option, metric), need, fresh=out is None)
        return click.get_current_context().with_resource(taken)

    outcome = discover_study(
        run_folder,
        _session(out, run_folder, claim=claim),
        option=option,
        metric=metric,
        threshold=threshold,
        quantile=quantile,
        min_density=min_density,
        boxes=boxes,
        significance=significance,
        plots=not no_plots,
    )
    click.echo(outcome.text)


def main() -> None:
    cli(prog_name="minsim")


if __name__ == "__main__":
    main()
