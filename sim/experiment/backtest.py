"""Back-tests: run a historical episode and set its simulated prices against the observed.

An episode is a scenario under scenarios/history/ with a `backtest:` section: the recorded
shock on top of the commodities' calibrated data, and the prices observed at the time. For
each observed target (a commodity's price in one bloc) this module measures, per
replication, the peak price multiple after the onset, the months to that peak, the ratio of
the bloc's price to another bloc's at the peak (the split) and the share of the peak left
some months later (the fall-back), and takes medians across replications.

Pass criteria (issue 5, docs/validation.md): the median peak multiple within a factor of
`PEAK_FACTOR` of the observed, the median time to peak within `TIME_TOLERANCE` (relative)
of the observed (where a rise was recorded), and a split of the observed sign. The
fall-back is reported, not judged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..scenario import LoadedScenario, load
from ..scenario.schema import BacktestTarget
from ..scenario.shipped import history_dir
from .results import Results
from .runner import run_replications

HISTORY = history_dir()
"""Where the shipped episodes live (one YAML each; their bases are in history/base/), in a
checkout and installed alike."""

DEFAULT_BACKTEST_REPS = 200
DEFAULT_BACKTEST_SEED = 20100701
"""Fixed seed of back-tests: the month of the 2010 rare-earth quota announcement."""

PEAK_FACTOR = 2.0
"""The simulated median peak multiple must lie within this factor of the observed one."""
TIME_TOLERANCE = 0.5
"""The simulated median time to peak must lie within this share of the observed one."""
SPLIT_DEADBAND = 0.1
"""Two blocs' prices count as split when their ratio is more than 10% away from 1."""


class NoEpisodeError(LookupError):
    """The episodes' folder holds no episode: a back-test with nothing to score fails (it
    must not print an empty table and pass)."""


def episodes(folder: Path = HISTORY) -> dict[str, Path]:
    """Episode name (file stem) -> file, for every scenario directly under `folder`."""
    return {p.stem: p for p in sorted(Path(folder).glob("*.yaml"))}


def select(names: list[str] | tuple[str, ...] = (), folder: Path = HISTORY) -> dict[str, Path]:
    """The named episodes (all of them when none is named); an unknown name is a ValueError
    that lists the episodes available, a folder without episodes a NoEpisodeError."""
    known = episodes(folder)
    if not known:
        raise NoEpisodeError(
            f"no episode to score: {folder} holds no scenario (*.yaml); a back-test of "
            "nothing cannot pass"
        )
    unknown = [n for n in names if n not in known]
    if unknown:
        listed = ", ".join(known) or "none"
        which = ", ".join(repr(n) for n in unknown)
        raise ValueError(
            f"unknown episode{'s' if len(unknown) > 1 else ''} {which}; available: {listed}"
        )
    return {n: known[n] for n in names} if names else known


# -- the criteria ---------------------------------------------------------------------------
def peak_ok(observed: float, simulated: float, factor: float = PEAK_FACTOR) -> bool:
    """Simulated peak multiple within a factor of the observed one."""
    return bool(np.isfinite(simulated)) and observed / factor <= simulated <= observed * factor


def time_ok(observed: float, simulated: float, tolerance: float = TIME_TOLERANCE) -> bool:
    """Simulated months to peak within ±tolerance (relative) of the observed."""
    return bool(np.isfinite(simulated)) and abs(simulated - observed) <= tolerance * observed


def split_sign(ratio: float, deadband: float = SPLIT_DEADBAND) -> int:
    """1 if the ratio of two blocs' price multiples is above 1 + deadband, -1 if below
    1 / (1 + deadband), else 0."""
    if not np.isfinite(ratio):
        return 0
    if ratio > 1 + deadband:
        return 1
    if ratio < 1 / (1 + deadband):
        return -1
    return 0


def split_ok(observed_sign: int, ratio: float, deadband: float = SPLIT_DEADBAND) -> bool:
    """The simulated split has the observed sign."""
    return split_sign(ratio, deadband) == observed_sign


# -- measuring a run ------------------------------------------------------------------------
@dataclass
class Simulated:
    """Medians across replications of what the back-test compares, and the per-replication
    values they came from."""

    peak_multiple: float
    months_to_peak: float
    split_ratio: float  # nan without an observed split
    fall_back: float  # share of the peak left `fall_back.months` later; nan if past the end
    at_bound: float = 0.0  # share of ticks with the bloc's price at a model bound (floor, cap)
    per_rep: dict[str, np.ndarray] = field(default_factory=dict)


def _months_between(start: str, month) -> int:
    y, m = (int(x) for x in start.split("-"))
    return (month.year - y) * 12 + (month.month - m)


def measure(results: Results, target: BacktestTarget) -> Simulated:
    """Peak, time to peak, split and fall-back of one target, from the price paths."""
    if "price" not in results.paths:
        raise ValueError("a back-test needs the price paths: run with keep_paths=True")
    w = results.world
    k = w.commodities.index(target.commodity)
    b = w.blocs.index(target.bloc)
    n = w.ticks_per_year
    price = results.paths["price"][:, :, k, :] / w.reference_price[k]  # [T, R, B]
    T = price.shape[0]
    onset = min(T - 1, max(0, round(_months_between(w.start, target.onset) * n / 12)))
    mine = price[onset:, :, b]  # [T', R]
    at = np.argmax(mine, axis=0)  # first tick of the highest price, per replication
    reps = np.arange(mine.shape[1])
    peak = mine[at, reps]
    # the market clears at mid-tick: a peak in tick j (counted from the onset tick) is
    # j + 0.5 ticks after the onset
    months = (at + 0.5) * 12 / n
    per_rep = {"peak_multiple": peak, "months_to_peak": months}
    ratio = np.full(len(reps), np.nan)
    if target.split is not None:
        v = w.blocs.index(target.split.versus)
        ratio = peak / price[onset + at, reps, v]
        per_rep["split_ratio"] = ratio
    left = np.full(len(reps), np.nan)
    if target.fall_back is not None:
        later = onset + at + round(target.fall_back.months * n / 12)
        inside = later < T
        left[inside] = price[later[inside], reps[inside], b] / peak[inside]
        per_rep["fall_back"] = left

    def median(x: np.ndarray) -> float:
        x = x[np.isfinite(x)]
        return float(np.median(x)) if x.size else float("nan")

    bounds = price[:, :, b]
    at = (bounds >= w.choke_multiple[k] * (1 - 1e-9)) | (bounds <= w.floor_multiple[k] * (1 + 1e-9))
    per_rep["at_bound"] = at.mean(axis=0)
    return Simulated(
        median(peak), median(months), median(ratio), median(left), median(at.mean(axis=0)), per_rep
    )


@dataclass
class TargetResult:
    """One observed target against its simulation, and the verdict of each criterion."""

    episode: str
    name: str
    observed: BacktestTarget
    simulated: Simulated
    checks: dict[str, bool]  # peak, time, split (only when a split was observed)

    @property
    def passed(self) -> bool:
        return all(self.checks.values())


@dataclass
class EpisodeResult:
    """A back-test of one episode: the run and each target's verdict."""

    name: str
    path: Path
    loaded: LoadedScenario
    results: Results
    targets: list[TargetResult]

    @property
    def passed(self) -> bool:
        return all(t.passed for t in self.targets)


def judge(episode: str, name: str, target: BacktestTarget, sim: Simulated) -> TargetResult:
    """Apply the pass criteria to one target."""
    checks = {"peak": peak_ok(target.peak_multiple, sim.peak_multiple)}
    if target.months_to_peak is not None:
        checks["time"] = time_ok(target.months_to_peak, sim.months_to_peak)
    if target.split is not None:
        checks["split"] = split_ok(target.split.sign, sim.split_ratio)
    return TargetResult(episode, name, target, sim, checks)


def run_episode(
    path: Path,
    reps: int = DEFAULT_BACKTEST_REPS,
    seed: int = DEFAULT_BACKTEST_SEED,
    *,
    sets: tuple[str, ...] = (),
    **execution,
) -> EpisodeResult:
    """Run one episode (in this process unless `execution` says otherwise) and judge it."""
    path = Path(path)
    loaded = load(path, (), sets)
    bt = loaded.scenario.backtest
    if bt is None:
        raise ValueError(f"{path} has no `backtest:` section: it is not an episode")
    execution.setdefault("executor", "inline")
    results = run_replications(loaded, reps, seed, keep_paths=True, **execution)
    targets = [
        judge(path.stem, name, target, measure(results, target))
        for name, target in bt.targets.items()
    ]
    return EpisodeResult(path.stem, path, loaded, results, targets)


def table(episodes: list[EpisodeResult]) -> str:
    """Observed against simulated (median across replications), one line per target."""

    def f(x: float, fmt: str) -> str:
        return format(x, fmt) if np.isfinite(x) else "n/a"

    head = (
        f"{'episode/target':<26} {'peak x obs/sim':>15} {'months obs/sim':>15} "
        f"{'split obs/sim':>15} {'left after fall obs/sim':>24} {'at bound':>8}  result"
    )
    lines = [head]
    for e in episodes:
        for t in e.targets:
            o, s = t.observed, t.simulated
            if o.split is not None:
                sim_sign = split_sign(s.split_ratio)
                split = f"{o.split.sign:+d}/{sim_sign:+d} ({f(s.split_ratio, '.2f')})"
            else:
                split = "-"
            fall = (
                f"{o.fall_back.remaining:.2f}/{f(s.fall_back, '.2f')} @{o.fall_back.months:g}m"
                if o.fall_back is not None
                else "-"
            )
            failed = [c for c, ok in t.checks.items() if not ok]
            verdict = "PASS" if t.passed else "FAIL (" + ", ".join(failed) + ")"
            lines.append(
                f"{e.name + '/' + t.name:<26} "
                f"{o.peak_multiple:>6.2f}/{f(s.peak_multiple, '<8.2f')} "
                f"{f(o.months_to_peak or np.nan, '>6.1f')}/{f(s.months_to_peak, '<8.1f')} "
                f"{split:>15} {fall:>24} {s.at_bound:>8.0%}  {verdict}"
            )
    return "\n".join(lines)
