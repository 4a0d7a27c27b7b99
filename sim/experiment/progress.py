"""Progress of a long run as lines of text, for a log or a notebook's `!minsim`.

The runner reports an `Advance` after every block of replications it folds in; a
`ProgressLines` turns those into a line now and then and hands each to a `write` callback
(the CLI's writes to standard error), so nothing here knows about click or terminals.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace

EVERY_SHARE = 0.1
"""A line after at least this share of the work since the last line ..."""
EVERY_S = 10.0
"""... and at least this many seconds: whichever is rarer, so a fast run is not chatty and
a slow one still writes at most about ten lines."""


@dataclass(frozen=True)
class Advance:
    """How far a call of the runner has got: replications of `option` simulated out of
    `option_total`, and of the whole call (every option, and a baseline run for an
    option's cost per tonne) `done` out of `total`."""

    option: str
    option_done: int
    option_total: int
    done: int
    total: int
    stage: str = ""
    """Where in a larger task this call is (e.g. 'point 3/10' of a sweep), or ''."""


Report = Callable[[Advance], None]
"""What the runner calls after each block (`run_replications(..., report=...)`)."""


class Counter:
    """Counts the replications of one runner call and reports each block's advance."""

    def __init__(self, report: Report | None, total: int):
        self.report, self.total, self.done = report, total, 0
        self.by_option: dict[str, int] = {}

    def add(self, option: str, replications: int, option_total: int) -> None:
        if self.report is None:
            return
        self.done += replications
        self.by_option[option] = self.by_option.get(option, 0) + replications
        self.report(Advance(option, self.by_option[option], option_total, self.done, self.total))


def within(report: Report | None, stage: str, first: int, total: int) -> Report | None:
    """`report` for one call among several (a sweep's points): its counts shifted by the
    `first` replications done before it, out of the `total` of every call."""
    if report is None:
        return None

    def shifted(a: Advance) -> None:
        report(replace(a, done=first + a.done, total=total, stage=stage))

    return shifted


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


class ProgressLines:
    """A `Report` that writes a line such as "compare: option reserve, 4,000/10,000
    replications (12,000/60,000 in all), 35 s elapsed, ~2.4 min left" when at least
    `every_share` of the work and `every_s` seconds have passed since the last line, and
    always when the work is done. `write` takes each line (without a newline)."""

    def __init__(
        self,
        label: str,
        write: Callable[[str], None],
        *,
        every_share: float = EVERY_SHARE,
        every_s: float = EVERY_S,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.label, self.write, self.clock = label, write, clock
        self.every_share, self.every_s = every_share, every_s
        self.start = clock()
        self.last_time = self.start
        self.last_share = 0.0

    def __call__(self, a: Advance) -> None:
        now = self.clock()
        share = a.done / max(a.total, 1)
        finished = a.done >= a.total
        due = share - self.last_share >= self.every_share and now - self.last_time >= self.every_s
        if not (due or finished):
            return
        self.last_time, self.last_share = now, share
        elapsed = now - self.start
        where = f" {a.stage}," if a.stage else ""
        line = (
            f"{self.label}:{where} option {a.option}, "
            f"{a.option_done:,}/{a.option_total:,} replications"
        )
        if a.total != a.option_total:
            line += f" ({a.done:,}/{a.total:,} in all)"
        if finished:
            line += f", done in {_duration(elapsed)}"
        else:
            left = elapsed * (1 - share) / share if share > 0 else float("nan")
            line += f", {_duration(elapsed)} elapsed, ~{_duration(left)} left"
        self.write(line)
