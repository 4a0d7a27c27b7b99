"""A design's levers as a point of the unit cube, and the designs as options of a scenario.

The search (optimise.py) moves in [0, 1]^D; `Levers.decode` turns a point into the values of
the policy keys: a lever scales its coordinate onto [low, high] and rounds to its step; a
split of n parts takes n coordinates u and gives part i the share u_i / sum(u) of the total
(`spend: all`) or u_i / max(1, sum(u)) (`spend: up_to`, so that what sums below 1 is not
spent); a part's `also` keys scale with its money, and a part given nothing leaves its policy
out of the design. Every corner of the cube is a corner design: a lever at a bound, a budget
all in one part (or, for `up_to`, none spent).

`design_scenario` writes candidates as options of the scenario itself: each candidate option
switches on copies of the design option's policies with the levers' values, so that a whole
generation runs as one comparison on the same replications (common random numbers), and a
chosen design is an option `minsim compare` runs as it is. A copy keeps the original's random
stream (`stream:`) and points its references to other policies (`destination`,
`coordinate_with`) at their copies.
"""

from __future__ import annotations

import contextlib
import json
import re
from dataclasses import dataclass

import numpy as np

from ..scenario import LoadedScenario, ScenarioError, with_sets
from ..scenario.design import Design, split_quantity

REFERENCES = ("destination", "coordinate_with")
"""Policy keys that name other policies."""


@dataclass(frozen=True)
class Coordinate:
    """One key the design sets: what decides it and how its value is written."""

    key: str  # policies.<policy>.<rest>
    lever: str  # the lever's name, or `split.part`
    unit: str
    path: tuple[str, ...]  # where the file defines it, under `design`


class Levers:
    """The design's coordinates: one per lever, n per split of n parts."""

    def __init__(self, design: Design, fx: dict[str, float], currency: str):
        self.design = design
        self.keys: list[Coordinate] = []
        for name, lever in design.levers.items():
            self.keys.append(Coordinate(lever.key, name, lever.unit, ("levers", name)))
        for name, split in design.split.items():
            for part_name, part in split.parts.items():
                unit = part.unit if part.per is not None else split.total.currency
                path = ("split", name, "parts", part_name)
                self.keys.append(Coordinate(part.key, f"{name}.{part_name}", unit, path))

    @property
    def dimensions(self) -> int:
        return len(self.keys)

    @property
    def names(self) -> list[str]:
        """The levers' names as the outputs' columns (`split.part` for a split's parts)."""
        return [c.lever for c in self.keys]

    def decode(self, x: np.ndarray) -> np.ndarray:
        """[D] point of the unit cube -> [D] values of the keys, in their units."""
        x = np.clip(np.asarray(x, float), 0.0, 1.0)
        out = np.empty(self.dimensions)
        i = 0
        for lever in self.design.levers.values():
            low, high = lever.bounds
            v = low + x[i] * (high - low)
            step = lever.step_value
            if step is not None:
                # to 12 digits: 0.2 + 2 × 0.2 is 0.6, not 0.6000000000000001
                v = float(f"{min(low + np.round((v - low) / step) * step, high):.12g}")
            out[i] = v
            i += 1
        for split in self.design.split.values():
            n = len(split.parts)
            u = x[i : i + n]
            total = u.sum()
            if split.spend == "all":
                shares = u / total if total > 0 else np.full(n, 1.0 / n)
            else:
                shares = u / max(1.0, total)
            for j, part in enumerate(split.parts.values()):
                money = shares[j] * split.total.value
                out[i + j] = money / part.per.value if part.per is not None else money
            i += n
        return out

    def corners(self) -> np.ndarray:
        """[C, D] the corner designs: every lever low, every lever high, each lever high
        with the others low (when there are several), and for each split each part alone
        (with the levers at their middle), and none spent for `up_to`."""
        D = self.dimensions
        rows = [np.zeros(D), np.ones(D)]
        n_levers = len(self.design.levers)
        if n_levers > 1:
            for j in range(n_levers):
                row = np.zeros(D)
                row[n_levers:] = 0.5
                row[j] = 1.0
                rows.append(row)
        i = n_levers
        for split in self.design.split.values():
            n = len(split.parts)
            for j in range(n):
                row = np.full(D, 0.5)
                row[i : i + n] = 0.0
                row[i + j] = 1.0
                rows.append(row)
            if split.spend == "up_to":
                row = np.full(D, 0.5)
                row[i : i + n] = 0.0
                rows.append(row)
            i += n
        unique = {tuple(np.round(r, 12)): r for r in rows}
        return np.array(list(unique.values()))

    def text(self, values: np.ndarray) -> list[str]:
        """Each value as `--set` writes it (`185e+06 AUD`, `60`)."""
        return [f"{v:.10g} {c.unit}".strip() for v, c in zip(values, self.keys, strict=True)]

    def assignments(self, values: np.ndarray) -> tuple[list[tuple[str, str]], set[str]]:
        """The (key, text) edits that make a design from its values, the keys a split's
        part scales with its money (`also`) included; and the policies left out of it (a
        split's part given nothing)."""
        edits = list(zip([c.key for c in self.keys], self.text(values), strict=True))
        unfunded: set[str] = set()
        i = len(self.design.levers)
        for split in self.design.split.values():
            for part in split.parts.values():
                v = values[i]
                money = v * part.per.value if part.per is not None else v
                if money <= 1e-9 * split.total.value:
                    unfunded.add(part.key.split(".")[1])
                for other in part.also:
                    edits.append(
                        (other.key, f"{money / other.per.value:.10g} {other.unit}".strip())
                    )
                i += 1
        return edits, unfunded


def _copy_name(option: str, policy: str) -> str:
    """The name of `policy`'s copy in design `option` (no dots: `--set` splits keys on them)."""
    return re.sub(r"[^A-Za-z0-9_\-]", "_", f"{option}-{policy}")


def design_scenario(
    loaded: LoadedScenario, levers: Levers, candidates: dict[str, np.ndarray]
) -> LoadedScenario:
    """`loaded` with one more option per candidate (name -> the keys' values), each
    switching on copies of the design option's policies with those values set. Validated
    like any scenario: a value a policy refuses is a ScenarioError naming its lever."""
    design = levers.design
    names = loaded.scenario.options[design.option]
    data = loaded.source.data.get("policies") or {}
    sets: list[str] = []
    for option, values in candidates.items():
        edits, unfunded = levers.assignments(values)
        kept = [p for p in names if p not in unfunded]
        copies = {p: _copy_name(option, p) for p in kept}
        for policy in kept:
            body = json.loads(json.dumps(data[policy], default=str))
            body["stream"] = body.get("stream") or policy
            for ref in REFERENCES:
                if isinstance(body.get(ref), str):
                    body[ref] = copies.get(body[ref], body[ref])
                elif isinstance(body.get(ref), list):
                    body[ref] = [copies.get(r, r) for r in body[ref]]
            sets.append(f"+policies.{copies[policy]}={json.dumps(body)}")
        for key, text in edits:
            _, policy, rest = key.split(".", 2)
            if policy in copies:
                sets.append(f"policies.{copies[policy]}.{rest}={text}")
        sets.append(f"+options.{option}={json.dumps([copies[p] for p in kept])}")
    try:
        return with_sets(loaded, tuple(sets))
    except ScenarioError as exc:
        raise ScenarioError(
            list(dict.fromkeys(_as_lever(p, loaded, levers) for p in exc.problems))
        ) from None


def _as_lever(problem, loaded: LoadedScenario, levers: Levers):
    """A problem of a copied policy, said of the lever that set the value, at the lever's
    place in the file."""
    from ..scenario import Problem
    from ..scenario.errors import dotted

    for c in levers.keys:
        _, policy, rest = c.key.split(".", 2)
        copied = re.escape(_copy_name("", policy)[1:]) + r"\." + re.escape(rest)
        if re.search(r"-" + copied + r"$", problem.key or ""):
            path = ("design", *c.path)
            return Problem(
                loaded.source.where(path),
                dotted(path),
                f"lever {c.lever!r} gives {c.key} a value the policy refuses: {problem.message}",
            )
    return problem


def check_levers(loaded: LoadedScenario, levers: Levers) -> None:
    """Build the corner designs' scenario before any simulation: a bound the policy refuses
    (a negative budget, a share above 1) is an error now, naming the lever."""
    corners = levers.corners()
    design_scenario(loaded, levers, {f"corner{i}": levers.decode(x) for i, x in enumerate(corners)})


def split_value(text: str) -> float:
    """The number of a value written by `Levers.text`."""
    return split_quantity(text)[0]


_LEVER_FORM = "expected KEY=LOW:HIGH or KEY=LOW:HIGH:STEP, e.g. policies.reserve.days=10:180:10"


def parse_lever(text: str) -> tuple[str, dict]:
    """`--lever KEY=LOW:HIGH[:STEP]` -> (its name, its definition); the name is the key
    without `policies.`, dots as dashes (`reserve-days`). ValueError naming the text."""
    key, eq, raw = text.partition("=")
    key = key.strip()
    parts = [p.strip() for p in raw.split(":")]
    if not eq or not key.startswith("policies.") or len(parts) not in (2, 3) or "" in parts:
        raise ValueError(f"cannot read lever {text!r}: {_LEVER_FORM}")
    body: dict = {"key": key, "low": parts[0], "high": parts[1]}
    if len(parts) == 3:
        body["step"] = parts[2]
    for k in ("low", "high", "step"):  # plain numbers stay numbers
        if k in body:
            with contextlib.suppress(ValueError):
                body[k] = float(body[k])
    return key.removeprefix("policies.").replace(".", "-"), body


def with_levers(loaded: LoadedScenario, levers: tuple[str, ...], option: str | None):
    """The scenario with more levers (`--lever`), in its `design:` or in a new one for
    `option` (`--design-option`); validated, so a bad lever is a located error."""
    if not levers and option is None:
        return loaded
    design = loaded.source.data.get("design")
    sets: list[str] = []
    if design is None:
        if option is None:
            raise ValueError(
                "the scenario has no `design:` section: give --design-option NAME, the option "
                "whose policies the levers change"
            )
        sets.append(f"+design={json.dumps({'option': option, 'levers': {}})}")
    elif option is not None:
        sets.append(f"design.option={option}")
    elif "levers" not in design:
        sets.append("+design.levers={}")
    for text in levers:
        name, body = parse_lever(text)
        exists = design is not None and name in (design.get("levers") or {})
        sets.append(f"{'' if exists else '+'}design.levers.{name}={json.dumps(body)}")
    return with_sets(loaded, tuple(sets))
