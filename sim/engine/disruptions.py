"""Disruptions: what each one does to the market, when it happens in each replication.

Sampling and effect are separate. `sample_plan` draws every onset, duration and severity
for a set of replications from streams keyed by (seed, replication index, disruption name),
so a replication's draws do not depend on the batch it runs in, on the other disruptions of
the scenario, or on the policies in force (common random numbers across options).
`Disruptions.process` then turns each disruption's occurrences into SimPy events that change
the rows of the market state they hit.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

import numpy as np

from ..scenario.schema import (
    DemandShock,
    Distribution,
    ExportControl,
    Group,
    Outage,
    Quota,
    Scenario,
    Stochastic,
)
from ..scenario.units import DURATION_UNITS
from .world import World


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


def draw(
    value: float | Distribution | None, rng: np.random.Generator, *, years: bool = False
) -> float:
    """One draw of a fixed value or a distribution (durations converted to years)."""
    if value is None:
        return 0.0
    if not isinstance(value, Distribution):
        return float(value)
    d = value
    if d.dist == "fixed":
        x = d.value
    elif d.dist == "uniform":
        x = rng.uniform(d.low, d.high)
    elif d.dist == "triangular":
        x = d.low if d.low == d.high else rng.triangular(d.low, d.mode, d.high)
    elif d.dist == "lognormal":
        x = d.median * np.exp(d.sigma * rng.standard_normal())
    else:
        x = rng.beta(d.a, d.b)
    if years and d.unit is not None:
        x *= DURATION_UNITS[d.unit.removesuffix("s")]
    return float(x)


@dataclass
class Spec:
    """One disruption compiled against the world's indices."""

    name: str
    kind: (
        str  # export_control | outage | quota_output | quota_exports | demand_shock | announcement
    )
    k: int
    s: int = 0
    producers: tuple[int, ...] = ()
    blocs: tuple[int, ...] = ()
    source: object = None  # the schema object
    group: str | None = None


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


def compile_specs(s: Scenario, world: World) -> list[Spec]:
    group_of = {m: g for g, grp in s.groups.items() for m in grp.members}
    specs = []
    for name, d in s.disruptions.items():
        k = world.commodities.index(d.commodity)
        g = group_of.get(name)
        if isinstance(d, DemandShock):
            blocs = tuple(world.blocs.index(b) for b in d.blocs) or tuple(range(len(world.blocs)))
            specs.append(Spec(name, "demand_shock", k, blocs=blocs, source=d, group=g))
            continue
        si = world.stage_index(k, d.stage)
        countries = d.countries if isinstance(d, Outage) else [d.country]
        ps = tuple(world.producer_index(k, d.stage, c) for c in countries)
        everyone = tuple(range(len(world.blocs)))
        if isinstance(d, ExportControl):
            blocs = tuple(world.blocs.index(b) for b in d.to)
            specs.append(Spec(name, "export_control", k, si, ps, blocs, d, g))
        elif isinstance(d, Outage):
            blocs = everyone
            specs.append(Spec(name, "outage", k, si, ps, (), d, g))
        elif isinstance(d, Quota):
            home = world.producer_bloc[k, si, ps[0]]
            foreign = tuple(b for b in everyone if b != home)
            kind = "quota_output" if d.applies_to == "output" else "quota_exports"
            blocs = everyone if d.applies_to == "output" else foreign
            specs.append(Spec(name, kind, k, si, ps, foreign, d, g))
        if d.announced is not None:
            # from the announcement to the start, the blocs it will hit hoard (section 5.4)
            specs.append(Spec(ANNOUNCED + name, "announcement", k, blocs=blocs, source=d, group=g))
    return specs


ANNOUNCED = "announced:"
"""Prefix of the spec that holds a disruption's announcement window."""


def _severity_field(d) -> float | Distribution:
    if isinstance(d, Quota):
        return d.cap
    if isinstance(d, DemandShock):
        return d.change
    return d.severity


def _onsets(
    timing_start,
    probability: float,
    stochastic: Stochastic | None,
    s: Scenario,
    rng,
    horizon: float,
) -> list[tuple[float, float | None]]:
    """Onset times (years since the horizon start) and, for stochastic ones, drawn durations."""
    if stochastic is None:
        if probability < 1 and rng.uniform() >= probability:
            return []
        return [(timing_start.years_since(s.horizon.start), None)]
    t = stochastic.earliest.years_since(s.horizon.start) if stochastic.earliest else 0.0
    out = []
    if stochastic.rate <= 0:
        return out
    while len(out) < stochastic.max_events:
        t += rng.exponential(1.0 / stochastic.rate)
        if t >= horizon:
            break
        out.append((t, draw(stochastic.duration, rng, years=True)))
    return out


def sample_plan(
    s: Scenario, world: World, specs: list[Spec], replications: np.ndarray, seed: int
) -> dict[str, Occurrences]:
    """Draw every occurrence of every disruption for the given replication indices."""
    tpy = world.ticks_per_year
    horizon = world.n_ticks / tpy
    by_spec: dict[str, list[tuple]] = {sp.name: [] for sp in specs}
    spec_of = {sp.name: sp for sp in specs}

    def occurrence(row, onset, duration, rng, d) -> tuple:
        sev = draw(_severity_field(d), rng)
        if isinstance(d, Quota):
            sev = 1.0 - sev  # a cap of 60% stops 40%
        start = int(np.floor(onset * tpy + 1e-9))
        end = max(start + 1, start + round(duration * tpy))
        steps = export_steps(d, sev, start, end, tpy) if isinstance(d, ExportControl) else []
        return (row, start, end, sev, steps)

    for row, rep in enumerate(replications):
        for name, d in s.disruptions.items():
            if spec_of[name].group is not None:
                continue
            rng = LazyStream(seed, int(rep), "disruption:" + name)
            for onset, dur in _onsets(d.start, d.probability, d.stochastic, s, rng, horizon):
                duration = draw(d.duration, rng, years=True) if d.duration is not None else dur
                by_spec[name].append(occurrence(row, onset, duration, rng, d))
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
                for (onset, _), gdur in zip(onsets, group_durations, strict=True):
                    duration = draw(d.duration, rng, years=True) if d.duration is not None else gdur
                    by_spec[m].append(occurrence(row, onset, duration, rng, d))
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


def export_steps(
    d: ExportControl, severity: float, start: int, end: int, tpy: int
) -> list[tuple[int, float]]:
    """The changes of an export control's level after its start, in tick order: licences
    resume shares of the stopped flow (a delay and one share, or a schedule), and from
    `leakage.lag` on a share of what is still stopped reaches the targets through third
    countries (docs/model.md section 6). Steps at or after the end are dropped."""
    resumed: list[tuple[int, float]] = []
    if d.licensing is not None:
        for after, share in d.licensing.steps():
            resumed.append((start + max(1, round(after * tpy)), share))
    leak_tick, leak = end, 0.0
    if d.leakage is not None:
        leak_tick, leak = start + max(1, round(d.leakage.lag * tpy)), d.leakage.share
    out: list[tuple[int, float]] = []
    resumed.sort(key=lambda step: step[0])  # stable: the later of two steps on a tick wins
    for tick in sorted({t for t, _ in resumed} | {leak_tick}):
        if tick >= end:
            break
        share = ([0.0] + [r for t, r in resumed if t <= tick])[-1]  # the latest licence step
        leaked = leak if tick >= leak_tick else 0.0
        out.append((tick, severity * (1 - share) * (1 - leaked)))
    return out


def baseline_flow_shares(world: World) -> np.ndarray:
    """[K,S,B]: each bloc's share of a stage's flow before any disruption.

    The last stage sells to users, so its flow splits like use; an earlier stage feeds the
    next one, so its flow splits like the next stage's capacity.
    """
    K, S, _, B = world.shape
    out = np.zeros((K, S, B))
    onehot = np.eye(B)[world.producer_bloc]  # [K,S,P,B]
    for k in range(K):
        out[k, S - 1] = world.demand[k] / world.demand[k].sum()
        for s in range(S - 1):
            cap = np.einsum("p,pb->b", np.minimum(world.capacity[k, s + 1], 1e20), onehot[k, s + 1])
            out[k, s] = cap / cap.sum() if cap.sum() > 0 else 1.0 / B
    return out


class Disruptions:
    """Holds each disruption's current severity per replication and writes it into the market."""

    def __init__(self, specs: list[Spec], plan: dict[str, Occurrences], market, world: World):
        self.specs = specs
        self.plan = plan
        self.market = market
        self.world = world
        self.level = np.zeros((market.n, len(specs)))  # current severity (or change) per spec
        self.base_output = world.capacity * world.utilisation  # [K,S,P] t/yr
        self.base_share = baseline_flow_shares(world)  # [K,S,B]

    def process(self, env):
        """SimPy process: at each tick where any disruption starts, ends or is licensed, set the
        levels of the rows concerned, then rebuild those rows once (`apply` reads every
        disruption's level, so the members of a group that change together cost one
        rebuild, not one each)."""
        changes: dict[int, list[tuple[int, np.ndarray, np.ndarray]]] = {}
        for j, sp in enumerate(self.specs):
            for tick, rows, level in self.plan[sp.name].timeline(sp.kind == "demand_shock"):
                if tick < self.world.n_ticks:
                    changes.setdefault(tick, []).append((j, rows, level))
        for tick in sorted(changes):
            if tick > env.now:
                yield env.timeout(tick - env.now)
            now = changes[tick]
            for j, rows, level in now:
                self.level[rows, j] = level
            if len(now) == 1:
                self.apply(now[0][1])
            else:
                self.apply(np.unique(np.concatenate([rows for _, rows, _ in now])))

    def apply(self, rows: np.ndarray) -> None:
        """Rebuild the market's disruption arrays for `rows` from every disruption's level."""
        m = self.market
        m.capacity_factor[rows] = 1.0
        m.output_cap[rows] = np.inf
        m.stop[rows] = 0.0
        m.demand_factor[rows] = 1.0
        was = m.announced[rows].copy()
        m.announced[rows] = 0.0
        for j, sp in enumerate(self.specs):
            lv = self.level[rows, j]
            if not lv.any():
                continue
            if sp.kind == "outage":
                for p in sp.producers:
                    m.capacity_factor[rows, sp.k, sp.s, p] *= 1 - lv
            elif sp.kind == "quota_output":
                for p in sp.producers:
                    cap = np.where(lv > 0, (1 - lv) * self.base_output[sp.k, sp.s, p], np.inf)
                    m.output_cap[rows, sp.k, sp.s, p] = np.minimum(
                        m.output_cap[rows, sp.k, sp.s, p], cap
                    )
            elif sp.kind in ("export_control", "quota_exports"):
                # the flow to the named blocs is capped at (1 - severity) of their baseline
                # share of the producer's output; they share that allowance between them
                allowed = (1 - lv) * self.base_share[sp.k, sp.s, list(sp.blocs)].sum()
                barred = np.where(lv > 0, 1 - allowed, 0.0)
                for p in sp.producers:
                    for b in sp.blocs:
                        old = m.stop[rows, sp.k, sp.s, p, b]
                        m.stop[rows, sp.k, sp.s, p, b] = np.maximum(old, barred)
            elif sp.kind == "demand_shock":
                for b in sp.blocs:
                    m.demand_factor[rows, sp.k, b] *= 1 + lv
            elif sp.kind == "announcement":
                for b in sp.blocs:
                    m.announced[rows, sp.k, b] = np.maximum(m.announced[rows, sp.k, b], lv)
        # when an announced disruption takes effect, its blocs' stockholders know the inflow
        # it leaves them at once: they need not learn it from the deliveries (section 5.4)
        began = (was > 0.5) & (m.announced[rows] < 0.5)  # [rows, K, B]
        if began.any():
            r, k, b = np.nonzero(began)
            known = self.world.announced_inflow[k, b]
            m.inflow[rows[r], k, b] = np.minimum(m.inflow[rows[r], k, b], known)
        m.refresh(rows)


__all__ = [
    "ANNOUNCED",
    "Disruptions",
    "Group",
    "LazyStream",
    "Occurrences",
    "Spec",
    "compile_specs",
    "sample_plan",
    "stream",
]
