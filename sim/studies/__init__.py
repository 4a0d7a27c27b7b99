"""Studies: each command's work, from a scenario to a written run folder and the text to
print, callable without the command line (a notebook, a script, a test).

A study takes what the command names (a `Source`, or episode names, or a run folder) and a
`Session` (how to take the run folder, where status lines go, where the blocks run), and
hands back an `Outcome`. `sim/cli.py` parses options into these, calls one study and prints
its outcome; the arithmetic and the text of results live here and below."""

from .backtest import backtest
from .base import Outcome, Replications, Session, Source
from .calibrate import calibrate
from .compare import compare
from .discover import discover
from .optimise import optimise
from .run import run
from .sensitivity import sensitivity
from .show import show
from .sweep import sweep

__all__ = [
    "Outcome",
    "Replications",
    "Session",
    "Source",
    "backtest",
    "calibrate",
    "compare",
    "discover",
    "optimise",
    "run",
    "sensitivity",
    "show",
    "sweep",
]
