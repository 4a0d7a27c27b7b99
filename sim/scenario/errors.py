"""Errors a person can act on: every problem carries the file, line, column and dotted key."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass

from .countries import COUNTRIES, suggest


@dataclass(frozen=True, order=True)
class Location:
    """Where a value came from: a file position, or a command-line `--set`."""

    file: str
    line: int = 1
    column: int = 1

    def __str__(self) -> str:
        if self.line == 0:  # the command line has no lines
            return self.file
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a scenario."""

    location: Location | None
    key: str
    message: str

    def __str__(self) -> str:
        where = f"{self.location}: " if self.location else ""
        key = f"{self.key}: " if self.key else ""
        return f"{where}{key}{self.message}"

    def sort_key(self) -> tuple:
        loc = self.location or Location("~")
        return (loc.file, loc.line, loc.column, self.key, self.message)


class ScenarioError(Exception):
    """Raised with every problem found, so the analyst fixes them all in one pass."""

    def __init__(self, problems: Iterable[Problem]):
        unique = {str(p): p for p in problems}
        self.problems: list[Problem] = sorted(unique.values(), key=Problem.sort_key)
        super().__init__("\n".join(str(p) for p in self.problems))


def dotted(path: tuple) -> str:
    return ".".join(str(p) for p in path)


def hint(word: str, options: Iterable[str]) -> str:
    """'; did you mean ...?' for a near miss among `options`, else ''."""
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def country_hint(code: str) -> str:
    """'; did you mean ...?' for a near miss among the ISO country codes, else ''."""
    close = suggest(code, COUNTRIES)
    return f"; did you mean {close[0]!r}?" if close else ""
