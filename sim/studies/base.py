"""What every study shares: the session it runs in, what it hands back, and figures that
may fail without losing the run."""

from __future__ import annotations

import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..experiment import DEFAULT_SEED
from ..experiment.compare import check_focus
from ..scenario import LoadedScenario, load

if TYPE_CHECKING:
    from ..results.io import Claim


def _silent(text: str) -> None:
    """Status lines nobody reads."""


@dataclass(frozen=True)
class Source:
    """A scenario as a command names it: the file, the overrides it switches on and the
    `--set` edits (read again by studies that vary it: sweeps, sensitivity), and the `blocs`
    and `commodities` the outputs are to be about (none: what the run hits)."""

    file: Path
    overrides: tuple[str, ...] = ()
    sets: tuple[str, ...] = ()
    blocs: tuple[str, ...] = ()
    commodities: tuple[str, ...] = ()

    def load(self) -> LoadedScenario:
        """The scenario, validated, with the blocs and commodities of the focus checked
        against it (closest names offered) before any work."""
        loaded = load(self.file, self.overrides, self.sets)
        check_focus(loaded, self.blocs, self.commodities)
        return loaded


@dataclass
class Session:
    """Where a study writes and how it tells what it is doing, as the caller (the command
    line, a notebook, a test) wants: `claim(room)` checks and takes the run folder for the
    bytes the study will need before any work starts; `say` gets status lines (the command
    prints them on standard error); `execution` holds the runner's keywords (executor,
    workers, scheduler, block_size, progress, report); `command` is recorded in run.json."""

    claim: Callable[[int], Claim]
    say: Callable[[str], None] = _silent
    execution: dict[str, Any] = field(default_factory=dict)
    command: list[str] = field(default_factory=list)


@dataclass
class Outcome:
    """What a study hands back: the text to print, the folder written, and whether it
    failed (a back-test out of its criteria)."""

    text: str
    path: Path | None = None
    failed: bool = False


@dataclass(frozen=True)
class Replications:
    """How many replications a study runs and on which seed, as the caller asks (None: the
    study's default, `resolved`)."""

    reps: int | None = None
    seed: int | None = None

    def resolved(self, default_reps: int, default_seed: int = DEFAULT_SEED) -> tuple[int, int]:
        """Replications and seed, with the study's defaults where none was asked for."""
        return self.reps or default_reps, default_seed if self.seed is None else self.seed


DEFAULT_REPLICATIONS = Replications()
"""Nothing asked: each study's own replications and seed."""


def draw(folder: Path, figures: Callable[[], Any], say: Callable[[str], None]) -> None:
    """Draw a run's figures; one that fails is reported (a warning to `say`, and the
    traceback in plots/FAILED.txt) and the run folder still completes: a figure never loses
    the data."""
    try:
        figures()
    except Exception as exc:  # any figure bug: the tables are written already
        plots = folder / "plots"
        plots.mkdir(exist_ok=True)
        (plots / "FAILED.txt").write_text(traceback.format_exc())
        say(
            f"warning: the figures failed ({type(exc).__name__}: {exc}); the tables are "
            f"complete; details in plots/FAILED.txt"
        )


def caveat_lines(results: list) -> list[str]:
    """What the numbers need as a caveat (`sim.results.notes.caveats`), and how much of the
    spread the parameter draws make."""
    from ..results.notes import caveats, parameter_note

    note = parameter_note(results)
    return ([note] if note else []) + [f"warning: {line}" for line in caveats(results)]


def chosen_options(loaded: LoadedScenario, option: tuple[str, ...], all_options: bool) -> list[str]:
    """The options a sweep or sensitivity runs: every option (`all_options`), the `option`
    names, or the scenario's first option."""
    from ..experiment.runner import BASE, default_option

    if all_options and option:
        raise ValueError("give --option or --all-options, not both")
    if all_options:
        return list(loaded.scenario.options) or [BASE]
    return list(dict.fromkeys(option)) or [default_option(loaded)]
