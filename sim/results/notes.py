"""What a report and a manifest say about a run besides its numbers: the caveats an analyst
must read first, the command-line changes that made the run, and the scenario's own flagged
assumptions."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from ..experiment.results import (
    PRICE_MOVED,
    SHORTFALL_MOVED,
    Results,
    disruptions_without_effect,
)
from ..scenario import LoadedScenario
from ..scenario.errors import dotted
from ..scenario.loader import parse_set


def parameter_note(results: list[Results], top: int = 3) -> str:
    """One line on a run that drew its market parameters: how many sets, and where they make
    most of the spread of the peak price (empty without draws)."""
    if not results or not results[0].parameter_draws:
        return ""
    table = pd.concat([r.parameter_share() for r in results], ignore_index=True)
    peak = table[table.metric == "peak_price_multiple"]
    peak = peak[peak["std"] > 0.01 * peak["mean"].abs()]  # a spread worth naming
    worst = peak.groupby(["commodity", "bloc"]).parameter_share.max().nlargest(top)
    rows = worst.reset_index().itertuples(index=False, name=None)  # commodity, bloc, share
    cells = ", ".join(f"{c}/{b} {v:.0%}" for c, b, v in rows if v > 0)
    n = len(results[0].parameter_draws)
    return (
        f"parameter uncertainty: {n} sets drawn from the calibrated posterior; share of the "
        f"variance of the peak price they explain: {cells or 'no peak spreads by more than 1%'} (uncertainty.csv)"
    )


def caveats(results: list[Results]) -> list[str]:
    """What an analyst must know before reading the numbers of these runs (one option
    each), in plain sentences: disruptions that moved nothing under every option
    (`disruptions_without_effect`), and prices that reached the numerical guard."""
    out = []
    inert = disruptions_without_effect(results)
    if inert:
        out.append(
            f"{', '.join(inert)} moved nothing: neither the price (the peak stayed below "
            f"{PRICE_MOVED}x in every bloc) nor the shortfall (below {SHORTFALL_MOVED:.1%} of "
            "use) of its mineral, in 95% of replications under every option; the cut is met "
            "from elsewhere or too small to matter"
        )
    out.extend(bound_caveats(results))
    return out


def bound_caveats(results: list[Results]) -> list[str]:
    """One sentence per option, mineral and bloc whose price reached the numerical guard
    (`Results.at_bound`): there the peak is a lower bound, not a market price."""
    out = []
    for r in results:
        for commodity, bloc, share in r.at_bound():
            guard = r.world.choke_multiple[r.world.commodities.index(commodity)]
            out.append(
                f"{r.option}: the {commodity} price in {bloc} reached the {guard:g}x guard in "
                f"{share:.0%} of replications: nothing was left to sell, so its peak there is "
                "a lower bound, not a market price"
            )
    return out


def _at(data, path: tuple):
    """The value at `path` in plain data, or KeyError."""
    for part in path:
        data = data[part]
    return data


def run_changes(loaded: LoadedScenario) -> list[dict]:
    """What made this run differ from its file, in the order applied: the edits of each
    override named on the command line (not those the file switches on itself), then each
    `--set`, with the value as run (after every edit; None where the key
    was deleted). What a run folder's manifest and report name, so that a rerun with
    `--set policies.x.budget=500e6 AUD` never reads as the file's budget."""
    src = loaded.source
    data = src.data
    edits: list[tuple[str, str, str]] = []
    own = set(data.get("active_overrides") or [])  # the file's own: part of the file
    for name in dict.fromkeys(n for n in src.applied_overrides if n not in own):
        body = (data.get("overrides") or {}).get(name) or {}
        for key in body:
            text = str(key)
            op = text[0] if text.startswith(("+", "~")) else "="
            edits.append((f"override {name}", op, text.lstrip("+~")))
    for option in src.sets:
        op, path, _, _ = parse_set(option)
        edits.append(("--set", op, dotted(path)))
    out = []
    for by, op, key in edits:
        path = tuple(int(p) if p.isdigit() else p for p in key.split("."))
        try:
            value = _at(data, path)
        except (KeyError, IndexError, TypeError):
            value = None
        change = {"=": "set", "+": "added", "~": "deleted"}[op]
        out.append({"by": by, "key": key, "change": change, "value": value})
    return out


def change_text(change: dict, width: int = 100) -> str:
    """One change of `run_changes` in words: 'policies.x.budget = 500e6 AUD (--set)', a
    long value cut to `width` characters."""
    if change["value"] is None:
        what = "deleted" if change["change"] == "deleted" else "= null"
    else:
        v = change["value"]
        text = v if isinstance(v, str) else json.dumps(v, default=str, ensure_ascii=False)
        what = "= " + (text if len(text) <= width else text[: width - 3] + "...")
    return f"{change['key']} {what} ({change['by']})"


def assumptions(loaded: LoadedScenario, under: Iterable[tuple]) -> list[tuple[str, str]]:
    """The values under the given key paths (('policies', 'au-stockpile'), ...) that the
    scenario's files mark as weak: a ⚠ in the comment on the value's line, the convention of
    the shipped scenarios. (dotted key, the comment), in the order of the paths; a value
    set on the command line is not a file's assumption."""
    prefixes = [tuple(p) for p in under]
    lines: dict[str, list[str]] = {}
    out = []
    for path, loc in loaded.source.values.items():
        if not any(path[: len(p)] == p for p in prefixes) or loc.line < 1:
            continue
        if loc.file not in lines:
            try:
                lines[loc.file] = Path(loc.file).read_text(encoding="utf-8").splitlines()
            except OSError:
                lines[loc.file] = []
        text = lines[loc.file][loc.line - 1] if loc.line <= len(lines[loc.file]) else ""
        comment = text.partition("#")[2].strip()
        if "⚠" in comment and not isinstance(_at(loaded.source.data, path), dict | list):
            out.append((dotted(path), comment))
    order = {p: i for i, p in enumerate(prefixes)}
    out.sort(key=lambda x: min(i for p, i in order.items() if x[0].startswith(dotted(p))))
    return out
