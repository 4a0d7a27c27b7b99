"""When each disruption happens in each replication: every onset, duration and severity of a
set of replications, drawn from streams keyed by (seed, replication index, disruption name),
so a replication's draws do not depend on the batch it runs in, on the other disruptions of
the scenario, or on the policies in force (common random numbers across options)."""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from ...scenario.base import Distribution
from ...scenario.disruptions.base import Stochastic
from ...scenario.units import DURATION_UNITS, YearMonth
from .base import Compiled, given
from .effects import ANNOUNCED
from .registry import module_of
from .registry import steps as level_steps

if TYPE_CHECKING:
    from ...scenario.schema import Scenario
    from ..world import World


def stream(seed: int, replication: int, component: str) -> np.random.Generator:
    """The random stream of one component in one replication; no global state."""
    key = zlib.crc32(component.encode("utf-8"))
    return np.random.Generator(
        np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(replication, key)))
    )


class LazyStream:
    """`stream(seed, replication, component)`, created on the first draw. Most components of a
    scenario draw nothing (their values are fixed), and creating a generator costs more than
    a tick of the replication it seeds; the draws are the same either way."""

    __slots__ = ("_args", "_rng")

    def __init__(self, seed: int, replication: int, component: str):
        self._args = (seed, replication, component)
        self._rng: np.random.Generator | None = None

    def __getattr__(self, name: str):
        if self._rng is None:
            self._rng = stream(*self._args)
        return getattr(self._rng, name)


Rng = np.random.Generator | LazyStream
"""A random stream, made at once or on its first draw."""


def draw(value: float | Distribution | None, rng: Rng, *, years: bool = False) -> float:
    """One draw of a fixed value or a distribution (durations converted to years)."""
    if value is None:
        return 0.0
    if not isinstance(value, Distribution):
        return float(value)
    d = value
    if d.dist == "fixed":
        (x,) = given(d, "value")
    elif d.dist == "uniform":
        low, high = given(d, "low", "high")
        x = rng.uniform(low, high)
    elif d.dist == "triangular":
        low, mode, high = given(d, "low", "mode", "high")
        x = low if low == high else rng.triangular(low, mode, high)
    elif d.dist == "lognormal":
        median, sigma = given(d, "median", "sigma")
        x = median * np.exp(sigma * rng.standard_normal())
    else:
        a, b = given(d, "a", "b")
        x = rng.beta(a, b)
    if years and d.unit is not None:
        x *= DURATION_UNITS[d.unit.removesuffix("s")]
    return float(x)


@dataclass
class Occurrences:
    """Every occurrence of one disruption in a batch: row, ticks and severities, and the
    later changes of each occurrence's level (licences granted, metal leaking through third
    countries) as steps."""

    rows: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.intp))
    start: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.intp))
    end: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.intp))
    severity: np.ndarray = field(default_factory=lambda: np.zeros(0))
    # steps, sorted by occurrence then tick: from `step_tick` on, occurrence `step_of` has
    # level `step_level` (until its next step or its end)
    step_of: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.intp))
    step_tick: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.intp))
    step_level: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def level_at(self, occ: np.ndarray, t: np.ndarray) -> np.ndarray:
        """Level of occurrences `occ` at ticks `t` (whether or not they are active then):
        the last step at or before `t`, or the severity before the first."""
        span = np.int64(1) << 32
        keys = self.step_of.astype(np.int64) * span + self.step_tick
        at = np.searchsorted(keys, occ.astype(np.int64) * span + t, side="right") - 1
        has = at >= 0
        has[has] = self.step_of[at[has]] == occ[has]
        if not len(keys):
            return self.severity[occ]
        return np.where(has, self.step_level[np.maximum(at, 0)], self.severity[occ])

    def timeline(self, additive: bool) -> list[tuple[int, np.ndarray, np.ndarray]]:
        """(tick, rows, level) at every tick where a row's level changes: the rows where an
        occurrence starts, ends or steps then, in increasing order, and each one's level
        from that tick on. The level of a row is the largest level of its active
        occurrences, or their sum if `additive` (demand shocks): 0 with none active. Worked
        out for the whole run at once, so that a tick costs only its own rows."""
        ticks = np.concatenate([self.start, self.end, self.step_tick])
        rows = np.concatenate([self.rows, self.rows, self.rows[self.step_of]])
        events = np.unique(np.stack([ticks, rows]), axis=1)  # sorted by tick, then row
        if events.shape[1] == 0:
            return []
        t_ev, r_ev = events
        # pair each event with every occurrence of its row (rows have a few occurrences)
        by_row = np.argsort(self.rows, kind="stable")
        lo = np.searchsorted(self.rows[by_row], r_ev, side="left")
        hi = np.searchsorted(self.rows[by_row], r_ev, side="right")
        count = hi - lo
        event = np.repeat(np.arange(len(t_ev)), count)
        first = np.repeat(np.cumsum(count) - count, count)
        occ = by_row[np.repeat(lo, count) + np.arange(count.sum()) - first]
        t = t_ev[event]
        active = (self.start[occ] <= t) & (t < self.end[occ])
        now = self.level_at(occ, t)
        level = np.zeros(len(t_ev))  # summed in occurrence order, from 0 (as np.add.at does)
        (np.add if additive else np.maximum).at(level, event[active], now[active])
        cuts = np.flatnonzero(np.diff(t_ev)) + 1
        return [
            (int(ts[0]), rs, lv)
            for ts, rs, lv in zip(
                np.split(t_ev, cuts), np.split(r_ev, cuts), np.split(level, cuts), strict=True
            )
        ]


def _onsets(
    timing_start: YearMonth | None,
    probability: float,
    stochastic: Stochastic | None,
    s: Scenario,
    rng: Rng,
    horizon: float,
) -> list[tuple[float, float | None]]:
    """Onset times (years since the horizon start) and, for stochastic ones, drawn durations."""
    if stochastic is None:
        if probability < 1 and rng.uniform() >= probability:
            return []
        if timing_start is None:
            raise ValueError("give a 'start' month or a 'stochastic' onset")
        return [(timing_start.years_since(s.horizon.start), None)]
    t = stochastic.earliest.years_since(s.horizon.start) if stochastic.earliest else 0.0
    out: list[tuple[float, float | None]] = []
    if stochastic.rate <= 0:
        return out
    while len(out) < stochastic.max_events:
        t += rng.exponential(1.0 / stochastic.rate)
        if t >= horizon:
            break
        out.append((t, draw(stochastic.duration, rng, years=True)))
    return out


def sample_plan(
    s: Scenario, world: World, specs: list[Compiled], replications: np.ndarray, seed: int
) -> dict[str, Occurrences]:
    """Draw every occurrence of every disruption for the given replication indices."""
    tpy = world.ticks_per_year
    horizon = world.n_ticks / tpy
    by_spec: dict[str, list[tuple]] = {sp.name: [] for sp in specs}
    spec_of = {sp.name: sp for sp in specs}

    def occurrence(row, onset, duration, rng, name) -> tuple:
        d = spec_of[name].source  # as compiled (a quota's tonnes read as a share)
        kind = module_of(d)
        sev = kind.level(d, draw(kind.depth(d), rng))
        start = int(np.floor(onset * tpy + 1e-9))
        end = max(start + 1, start + round(duration * tpy))
        return (row, start, end, sev, level_steps(d, sev, start, end, tpy))

    for row, rep in enumerate(replications):
        for name, d in s.disruptions.items():
            if spec_of[name].group is not None:
                continue
            rng = LazyStream(seed, int(rep), "disruption:" + name)
            for onset, dur in _onsets(d.start, d.probability, d.stochastic, s, rng, horizon):
                duration = draw(d.duration, rng, years=True) if d.duration is not None else dur
                by_spec[name].append(occurrence(row, onset, duration, rng, name))
                if d.announced is not None:  # a fixed onset: the window before it
                    start = int(np.floor(onset * tpy + 1e-9))
                    told = d.announced.years_since(s.horizon.start) * tpy
                    told = min(max(int(np.floor(told + 1e-9)), 0), start)
                    by_spec[ANNOUNCED + name].append((row, told, start, 1.0, []))
        for gname, g in s.groups.items():
            grng = LazyStream(seed, int(rep), "group:" + gname)
            onsets = _onsets(g.start, g.probability, g.stochastic, s, grng, horizon)
            group_durations = [
                draw(g.duration, grng, years=True) if g.duration is not None else dur
                for _, dur in onsets
            ]
            for m in g.members:
                d = s.disruptions[m]
                rng = LazyStream(seed, int(rep), "disruption:" + m)
                chance = g.takes_part.get(m, 1.0)
                for (onset, _), gdur in zip(onsets, group_durations, strict=True):
                    # drawn only when the member may sit a wave out, so that groups without
                    # `takes_part` keep their streams (and their results) as they were
                    if chance < 1.0 and rng.uniform() >= chance:
                        continue
                    duration = draw(d.duration, rng, years=True) if d.duration is not None else gdur
                    by_spec[m].append(occurrence(row, onset, duration, rng, m))
    plan = {}
    for name, occ in by_spec.items():
        steps = [(i, tick, level) for i, o in enumerate(occ) for tick, level in o[4]]
        st = np.array(steps, dtype=float).reshape(-1, 3)
        plan[name] = Occurrences(
            rows=np.array([o[0] for o in occ], dtype=np.intp),
            start=np.array([o[1] for o in occ], dtype=np.intp),
            end=np.array([o[2] for o in occ], dtype=np.intp),
            severity=np.array([o[3] for o in occ], dtype=float),
            step_of=st[:, 0].astype(np.intp),
            step_tick=st[:, 1].astype(np.intp),
            step_level=st[:, 2],
        )
    return plan


DRAWN_FIELDS = ("occurrences", "start", "ticks", "severity", "ticks_total")
"""What `drawn_by_row` keeps of each disruption per row."""


def drawn_by_row(plan: dict[str, Occurrences], n: int) -> dict[tuple[str, str], np.ndarray]:
    """What each of `n` rows drew of each disruption, as the engine applies it (announcement
    windows left out): (name, field) -> [n], the fields being how many times it occurred,
    the start tick, length in ticks and severity (the level the market sees at the start) of
    its first occurrence (-1 or NaN in a row where it never occurred), and the ticks of all
    its occurrences together. The experiments table (sim/results/experiments.py) is made of
    these; they come from the plan itself, so they are what the run simulated."""
    out: dict[tuple[str, str], np.ndarray] = {}
    for name, occ in plan.items():
        if name.startswith(ANNOUNCED):
            continue
        first_start = np.full(n, -1, dtype=np.int64)
        first_ticks = np.full(n, -1, dtype=np.int64)
        first_severity = np.full(n, np.nan)
        length = (occ.end - occ.start).astype(np.int64)
        if len(occ.rows):
            order = np.lexsort((occ.start, occ.rows))  # by row, then onset
            rows = occ.rows[order]
            first = order[np.r_[True, rows[1:] != rows[:-1]]]
            first_start[occ.rows[first]] = occ.start[first]
            first_ticks[occ.rows[first]] = length[first]
            first_severity[occ.rows[first]] = occ.severity[first]
        out[(name, "occurrences")] = np.bincount(occ.rows, minlength=n).astype(np.int64)
        out[(name, "start")] = first_start
        out[(name, "ticks")] = first_ticks
        out[(name, "severity")] = first_severity
        out[(name, "ticks_total")] = np.bincount(occ.rows, weights=length, minlength=n).astype(
            np.int64
        )
    return out
