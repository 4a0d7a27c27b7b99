"""Where the shipped scenarios are: the examples, the base world and the historical episodes.

They live in scenarios/ at the top of a checkout and install as `sim/scenarios/` (pyproject
maps the one folder onto the other). Both are folders named `scenarios`, so the `extends:`
rule (a file may reach anything under the `scenarios/` folder holding it) holds for either.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1]
"""The `sim` package folder."""


def scenarios_dir() -> Path:
    """The shipped scenarios folder: `sim/scenarios/` when installed from a wheel, else the
    checkout's top-level `scenarios/` (an editable install or a source tree on sys.path)."""
    installed = PACKAGE / "scenarios"
    return installed if installed.is_dir() else PACKAGE.parent / "scenarios"


def history_dir() -> Path:
    """The historical episodes (`minsim backtest`, `minsim calibrate`); their bases are in
    history/base/."""
    return scenarios_dir() / "history"
