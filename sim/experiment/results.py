"""The `Results` of a run: metrics per replication, quantile series, summary, xarray Dataset."""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import xarray as xr

from ..engine.diagnostics import named_metrics
from ..engine.recorder import METRICS, MONEY, QUANTILES, SERIES, BatchResult
from ..engine.world import World
from ..scenario import LoadedScenario
from .mixture import mixture_quantiles
from .store import KeptReplications, ReplicationStore, exact_series, memory_slabs, series_units

REPR_ROWS = 10
"""Rows of the summary a notebook shows for a `Results` or a `Comparison`."""

SUMMARY_COLUMNS = ("option", "commodity", "bloc", "metric", "unit", "mean", "p5", "p50", "p95")

UNITS = {
    "peak_price_multiple": "x P_ref",
    "mean_price_multiple": "x P_ref",
    "shortfall_share": "share of use wanted",
    "shortfall_t": "t",
    "weeks_in_shortfall": "weeks",
    "quarter_shortfall_over_5pct": "probability",
    "cover_days_at_onset": "days of use",
    "shortfall_avoided_t": "t",
}
"""summary.csv's `unit` of each metric; money metrics are in the reporting currency (present
values where discounted), cost per tonne in currency/t, the diagnostics in their scales."""


def unit_of(metric: str, currency: str) -> str:
    """The unit of a summary metric (docs/model.md section 11)."""
    if metric in UNITS:
        return UNITS[metric]
    if metric == "cost_per_tonne_avoided":
        return f"{currency}/t"
    if metric.startswith("fiscal_cost") or metric in MONEY or metric == "social_cost_cvar95":
        return f"{currency} PV" if metric != "fiscal_cost" else currency
    if metric.startswith("hhi_"):
        return "0-10000"
    return "index" if metric.startswith(("jrc_sr", "usgs_dp")) else "share"


TOTALLED = ("fiscal_cost", "fiscal_cost_discounted", *MONEY)
"""The metrics summed over the commodities (all in the reporting currency): the summary's
`all/all` rows and differences.csv's totals; tonnes are never added across minerals."""
CVAR_LEVEL = 0.95
"""`social_cost_cvar95`: the mean of the worst 5% of replications."""


POLICY_COLUMNS = ("option", "policy", "commodity", "metric", "mean", "p5", "p50", "p95")

TRADE_COLUMNS = (
    "option",
    "commodity",
    "origin",
    "destination",
    "year",
    "unit",
    "mean",
    "share",
    "total_mean",
    "total_p5",
    "total_p95",
    "total_unit",
)
"""trade.csv: per calendar year, the mean flow (`unit`, t/yr) and its share of what the
destination received; over the whole run, the tonnes across replications (`total_unit`)."""


NAN_MEANS_UNDEFINED = frozenset({"cover_days_at_onset"})
"""Metrics whose NaN means 'not defined in this replication' (no disruption started); any
other NaN, and an infinity anywhere, is a failed computation."""
_CHUNK = 64
"""Rows of a large array checked at a time, so the check never holds a copy of it."""


class NonFiniteResult(ArithmeticError):
    """A run produced a number that is not finite (NaN or infinite). Such a number is a
    failed computation, never a result: the run is refused before anything is written."""

    def __init__(self, what: str, value: float, commodity: str | None, where: str):
        self.what, self.value, self.commodity, self.where = what, value, commodity, where
        of = f" for {commodity}" if commodity else ""
        super().__init__(
            f"the run produced a non-finite {what} ({value}){of} {where}; nothing "
            "was written. The scenario passed its checks, so this is a gap in them or a bug: "
            "please report it with the scenario (minsim show prints it resolved)"
        )


def _first_bad(x: np.ndarray, allow_nan: bool = False) -> tuple[int, ...] | None:
    """The index of the first non-finite value of `x` (NaN passes if `allow_nan`), or None;
    large arrays are scanned in chunks of rows."""
    x = np.asarray(x)
    if not np.issubdtype(x.dtype, np.floating):
        return None
    step = _CHUNK if x.ndim > 1 else max(len(x), 1)
    for lo in range(0, len(x), step):
        part = x[lo : lo + step]
        bad = np.isinf(part) if allow_nan else ~np.isfinite(part)
        if bad.any():
            at = np.unravel_index(int(np.argmax(bad)), bad.shape)
            return (int(at[0]) + lo, *(int(i) for i in at[1:]))
    return None


def tick_dates(world: World) -> np.ndarray:
    """Dates of the ticks of a run (the start of each period)."""
    T = world.n_ticks
    if world.ticks_per_year == 12:
        return (np.datetime64(world.start, "M") + np.arange(T)).astype("datetime64[D]")
    return np.datetime64(world.start + "-01", "D") + np.arange(T) * np.timedelta64(7, "D")


def _bad_path(w: World, v: str, value, t: int, rep: int, k: int, b: int) -> NonFiniteResult:
    when = str(tick_dates(w)[t])[:7]
    return NonFiniteResult(
        f"{v} path",
        value,
        w.commodities[k],
        f"in {w.blocs[b]} at tick {t} ({when}), replication {rep}",
    )


def _slab_check(w: World, v: str):
    """The finite check of a slab of kept paths ([R, t, K, B] for `ticks`) as it is read."""

    def check(ticks: slice, x: np.ndarray) -> None:
        at = _first_bad(x)
        if at is not None:
            rep, t, k, b = at
            raise _bad_path(w, v, x[at], ticks.start + t, rep, k, b)

    return check


def check_finite(r: Results) -> None:
    """Raise NonFiniteResult at the first non-finite value of a run's results, naming the
    commodity and the tick (or replication) where it is: a table must never show one."""
    w = r.world
    times = r.times()

    def tick(t: int) -> str:
        return f"at tick {t} ({str(times[t])[:7]})"

    for v in SERIES:
        for x, kind in ((r.series_mean[v], "mean"), (r.series[v], "quantile")):
            at = _first_bad(x)
            if at is not None:
                k, b = at[-2], at[-1]
                raise NonFiniteResult(
                    f"{v} ({kind})", x[at], w.commodities[k], f"in {w.blocs[b]} {tick(at[0])}"
                )
        if v in r.paths:
            x = r.paths[v]  # [T, R, K, B]
            at = _first_bad(x)
            if at is not None:
                t, rep, k, b = at
                raise _bad_path(w, v, x[at], t, rep, k, b)
    for m, x in r.metrics.items():  # [R, K, B]
        at = _first_bad(x, allow_nan=m in NAN_MEANS_UNDEFINED)
        if at is not None:
            rep, k, b = at
            raise NonFiniteResult(
                m, x[at], w.commodities[k], f"in {w.blocs[b]} over the run, replication {rep}"
            )
    for name, x in r.fiscal_by_policy.items():
        at = _first_bad(x)
        if at is not None:
            raise NonFiniteResult(
                f"fiscal cost of policy {name!r}", x[at], None, f"in replication {at[0]}"
            )
    for (policy, commodity, metric), x in r.policy_reports.items():
        at = _first_bad(x)
        if at is not None:
            raise NonFiniteResult(
                f"{metric} of policy {policy!r}", x[at], commodity, f"in replication {at[0]}"
            )
    at = _first_bad(r.balance_error)
    if at is not None:
        raise NonFiniteResult(
            "mass-balance residual", r.balance_error[at], None, f"in replication {at[0]}"
        )
    if r.trade_mean is not None:  # [T, K, origin, destination]
        at = _first_bad(r.trade_mean)
        if at is not None:
            t, k, o, d = at
            raise NonFiniteResult(
                "trade flow (mean)",
                r.trade_mean[at],
                w.commodities[k],
                f"from {w.blocs[o]} to {w.blocs[d]} {tick(t)}",
            )


def _no_infinity(table: pd.DataFrame) -> None:
    """A summary of finite metrics can still overflow (a mean of values near the float
    limit, a cost over a tonne avoided near zero): refuse it rather than print `inf`. NaN
    stays, where a statistic is not defined."""
    stats = table[["mean", "p5", "p50", "p95"]].to_numpy(dtype=float)
    bad = np.isinf(stats)
    if bad.any():
        i, j = np.unravel_index(int(np.argmax(bad)), bad.shape)
        row = table.iloc[i]
        raise NonFiniteResult(
            f"{row.metric} ({('mean', 'p5', 'p50', 'p95')[j]} over the replications)",
            stats[i, j],
            None if row.commodity == "all" else row.commodity,
            f"in {row.bloc} (option {row.option})",
        )


def _stats(x: np.ndarray) -> tuple[float, float, float, float]:
    """Mean, p5, p50, p95; over the replications where the metric is defined (NaN elsewhere:
    cover_days_at_onset where nothing started), NaN if none."""
    if np.isnan(x).any():
        x = x[~np.isnan(x)]
        if not x.size:
            return (np.nan,) * 4
    p5, p50, p95 = np.quantile(x, [0.05, 0.5, 0.95])
    return x.mean(), p5, p50, p95


def cvar(x: np.ndarray, level: float = CVAR_LEVEL) -> float:
    """Conditional value at risk: the mean of the worst (highest) 1 - `level` of the
    replications, at least one (Rockafellar & Uryasev 2000, for a discrete sample)."""
    x = np.sort(np.asarray(x, float))
    n = max(1, int(np.ceil((1 - level) * len(x) - 1e-9)))
    return float(x[-n:].mean())


def _row(option: str, commodity: str, bloc: str, metric: str, x: np.ndarray) -> tuple:
    return (option, commodity, bloc, metric, *_stats(x))


def _per_tonne(
    option: str, commodity: str, bloc: str, cost: np.ndarray, avoided: np.ndarray
) -> tuple:
    """cost_per_tonne_avoided: the mean is total cost over total tonnes avoided (a ratio of
    means, stable when some replications avoid nothing); the quantiles are taken over the
    replications that avoided some shortfall. NaN where nothing was avoided."""
    metric = "cost_per_tonne_avoided"
    some = avoided > 1e-9
    if not some.any() or avoided.sum() <= 0:
        return (option, commodity, bloc, metric, np.nan, np.nan, np.nan, np.nan)
    per = cost[some] / avoided[some]
    p5, p50, p95 = np.quantile(per, [0.05, 0.5, 0.95])
    return (option, commodity, bloc, metric, cost.sum() / avoided.sum(), p5, p50, p95)


def _cvar_row(option: str, commodity: str, bloc: str, x: np.ndarray) -> tuple:
    """social_cost_cvar95: the tail mean in the `mean` column; no quantiles."""
    return (option, commodity, bloc, "social_cost_cvar95", cvar(x), np.nan, np.nan, np.nan)


class _Rows:
    """The per-replication arrays of one name, block after block. With the total known they
    are written into one array allocated at the first block, so joining them never holds two
    copies (at 100,000 replications the metrics alone take about 250 MiB)."""

    def __init__(self, total: int | None, axis: int = 0):
        self.total, self.axis = total, axis
        self.parts: list[np.ndarray] = []
        self.array: np.ndarray | None = None
        self.count = 0

    def add(self, x: np.ndarray, rows: np.ndarray | None = None) -> None:
        """`rows`: the replications of `x` when they are not the next ones (a run drawing
        parameters interleaves them); then the total must be known."""
        n = x.shape[self.axis]
        if self.total is None:
            if rows is not None:
                raise ValueError("interleaved blocks need the total number of replications")
            self.parts.append(x)
        else:
            if self.array is None:
                shape = list(x.shape)
                shape[self.axis] = self.total
                self.array = np.empty(shape, dtype=x.dtype)
            where: list = [slice(None)] * x.ndim
            where[self.axis] = slice(self.count, self.count + n) if rows is None else rows
            self.array[tuple(where)] = x
        self.count += n

    def value(self) -> np.ndarray:
        if self.total is None:
            return np.concatenate(self.parts, axis=self.axis)
        if self.count != self.total or self.array is None:
            raise ValueError(f"expected {self.total} replications, got {self.count}")
        return self.array


class BlockMerger:
    """Folds blocks of replications into one run, one block at a time, so that a run's memory
    does not grow with its series: a block is dropped once added.

    - Per-replication metrics are joined exactly whatever the blocks (into arrays of `total`
      rows allocated once, when the total is given).
    - Quantile series are the mean, weighted by block size, of each block's quantiles (a
      batch-means estimate; exact for one block). Blocks must come in replication order, so
      the sums are taken in the same order whatever executor ran them.
    - With `draws` parameter sets (sim/experiment/uncertainty.py), replication i belongs to
      set i mod draws, and a block holds replications of one set, in order: the quantiles
      are batch means within each set, then the quantiles of the sets' mixture
      (mixture.py); means stay exact.
    - Kept paths (every replication) are joined, or, given a `store`, written to its file
      as each block arrives and dropped; the series quantiles and means are then taken
      exactly over all replications, a slab of ticks at a time.
    - Trade flows: each replication's totals are joined as the metrics; the mean series is
      weighted by block size, as the means of the series (exact up to rounding).
    """

    def __init__(
        self,
        total: int | None = None,
        draws: int = 1,
        store: ReplicationStore | None = None,
        option: str | None = None,
    ) -> None:
        if store is not None and (total is None or option not in store.options):
            raise ValueError("a merger writing to a store needs the total and a stored option")
        self.total = total
        self.draws = draws
        self.store = store
        self.option = option
        # the store kept paths are written to and the option they are filed under, together
        self._kept: tuple[ReplicationStore, str] | None = None
        if store is not None and option is not None:
            self._kept = (store, option)
        self.count = 0
        self.next_replication: dict[int, int] = {}
        self.rows: dict[tuple, _Rows] = {}
        self.series: dict[str, np.ndarray] = {}
        self.mean: dict[str, np.ndarray] = {}
        self.diagnostic_series: dict[str, np.ndarray] = {}
        self.per_draw = np.zeros(draws)  # replications of each parameter set so far
        self._rows_now: np.ndarray | None = None
        self.trade_mean: np.ndarray | None = None

    def _add(self, key: tuple, x: np.ndarray, axis: int = 0) -> None:
        if key not in self.rows:
            self.rows[key] = _Rows(self.total, axis)
        self.rows[key].add(x, self._rows_now)

    def _values(self, kind: str) -> dict:
        return {key[1]: r.value() for key, r in self.rows.items() if key[0] == kind}

    def add(self, b: BatchResult) -> None:
        first = int(b.replications[0])
        d = first % self.draws  # the parameter set of the block
        expected = self.next_replication.get(d, d if self.draws > 1 else first)
        if first != expected:
            raise ValueError(f"blocks out of order: expected replication {expected}, got {first}")
        step = np.diff(b.replications)
        if self.draws > 1 and (step != self.draws).any():
            raise ValueError(
                f"a block must hold one parameter set: replications {d} mod {self.draws}"
            )
        self.next_replication[d] = int(b.replications[-1]) + self.draws
        self._rows_now = None if self.draws == 1 else np.asarray(b.replications)
        n = len(b.replications)
        self.per_draw[d] += n
        for m in METRICS:
            self._add(("metric", m), b.metrics[m])
        for v in SERIES:
            if v in self.series:
                self.mean[v] += n * b.series_mean[v]
            else:
                self.mean[v] = n * b.series_mean[v]
            if self.draws == 1:
                if v in self.series:
                    self.series[v] += n * b.series[v]
                else:
                    self.series[v] = n * b.series[v]
            else:  # per parameter set: [draws, T, Q, K, B]
                if v not in self.series:
                    self.series[v] = np.zeros((self.draws, *b.series[v].shape))
                self.series[v][d] += n * b.series[v]
        if self._kept is not None and b.paths:
            store, option = self._kept
            start = self.count if self.draws == 1 else first
            stride = 1 if self.draws == 1 else self.draws
            store.write(option, slice(start, start + stride * (n - 1) + 1, stride), b.paths)
        else:
            for v, x in b.paths.items():
                self._add(("path", v), x, axis=1)
        self._add(("error", "balance"), b.balance_error)
        for name, x in b.fiscal_by_policy.items():
            self._add(("policy", name), x)
        for key, x in b.policy_reports.items():
            self._add(("report", key), x)
        for name, x in b.diagnostics.items():
            self._add(("diagnostic", name), x)
        for name, x in b.diagnostic_series.items():  # means over replications: exact
            if name in self.diagnostic_series:
                self.diagnostic_series[name] += n * x
            else:
                self.diagnostic_series[name] = n * x
        if b.trade_mean is not None:
            if self.trade_mean is None:
                self.trade_mean = n * b.trade_mean
            else:
                self.trade_mean += n * b.trade_mean
        if b.trade_total is not None:
            self._add(("trade", "total"), b.trade_total)
        for drawn, x in b.drawn.items():  # the experiments table's draws, joined as the metrics
            self._add(("drawn", drawn), x)
        self.count += n

    def results(
        self,
        loaded: LoadedScenario,
        world: World,
        *,
        seed: int,
        option: str,
        timings: dict[str, float],
        baseline_shortfall: np.ndarray | None = None,
    ) -> Results:
        if not self.count:
            raise ValueError("no blocks to merge")
        paths = self._values("path")
        if self.draws == 1:
            series = {v: x / self.count for v, x in self.series.items()}
        else:
            held = self.per_draw > 0
            n = self.per_draw[held].reshape(-1, *[1] * 4)
            series = {
                v: mixture_quantiles(x[held] / n, self.per_draw[held], QUANTILES)
                for v, x in self.series.items()
            }
        mean = {v: x / self.count for v, x in self.mean.items()}
        kept = None
        store, stored_option = self._kept if self._kept is not None else (None, "")
        if store is not None and not store.written[stored_option]:
            store = None  # nothing was kept
        if store is not None and store.written[stored_option] != self.total:
            raise ValueError(
                f"expected {self.total} replications, got {store.written[stored_option]}"
            )
        for v in SERIES:  # every replication kept: exact quantiles and means
            if store is not None:
                slabs = store.slabs(stored_option, v)
                series[v], mean[v] = exact_series(slabs, world.n_ticks, _slab_check(world, v))
            elif v in paths:
                slabs = memory_slabs(paths[v])
                series[v], mean[v] = exact_series(slabs, world.n_ticks)
        if store is not None:
            store.flush()
            kept = KeptReplications(store.path, stored_option)
        results = Results(
            loaded,
            world,
            option,
            seed,
            self._values("metric"),
            series,
            mean,
            self._values("error")["balance"],
            paths,
            dict(timings),
            self._values("policy"),
            baseline_shortfall,
            self._values("report"),
            self._values("diagnostic"),
            {name: x / self.count for name, x in self.diagnostic_series.items()},
            trade_mean=None if self.trade_mean is None else self.trade_mean / self.count,
            trade_total=self._values("trade").get("total"),
            kept=kept,
            drawn=self._values("drawn"),
        )
        check_finite(results)
        return results


PRICE_MOVED = 1.01
"""A peak price below 1.01 times the reference in 95% of replications moved nothing."""
SHORTFALL_MOVED = 1e-3
"""A shortfall below 0.1% of the use wanted in 95% of replications moved nothing."""


def disruptions_without_effect(results: Sequence[Results]) -> list[str]:
    """The disruptions whose commodity neither rose in price (peak below `PRICE_MOVED` times
    its reference) nor went short (below `SHORTFALL_MOVED` of the use wanted) in any bloc,
    in 95% of the replications, under every option of `results`: the cut was met from
    elsewhere (other producers, stocks) or was too small to matter, and an option's benefit
    against it is nothing. A demand shock of zero change is no disruption and is skipped."""
    if not results:
        return []
    moved = np.zeros(len(results[0].world.commodities), dtype=bool)
    for r in results:
        peak = np.percentile(r.metrics["peak_price_multiple"], 95, axis=0).max(axis=1)  # [K]
        short = np.percentile(r.metrics["shortfall_share"], 95, axis=0).max(axis=1)  # [K]
        moved |= (peak >= PRICE_MOVED) | (short >= SHORTFALL_MOVED)
    first = results[0]
    out = []
    for name, d in first.loaded.scenario.disruptions.items():
        if d.type == "demand_shock" and getattr(d, "change", 0) == 0:
            continue
        if not moved[first.world.commodities.index(d.commodity)]:
            out.append(name)
    return out


def flat_peaks(
    multiple: np.ndarray,
    ticks_per_year: int,
    rise: float = 1.5,
    weeks: float = 4.0,
    tolerance: float = 1e-4,
) -> tuple[int, int]:
    """Of the price paths (`multiple`, [T, N] price over its reference) that rise `rise`
    times or more, how many, and how many of them stay within `tolerance` of their peak for
    `weeks` weeks or longer in a row: a flat top is the mark of a price held by a bound
    rather than set by the market (issue 13). The default tolerance (0.01%) tells a held
    price from the broad, rounded top of a slow market, which moves by more than that in
    four weeks."""
    peak = multiple.max(axis=0)
    rising = np.flatnonzero(peak >= rise)
    need = max(1, round(weeks * ticks_per_year / 52))
    flat = 0
    for n in rising:
        near = multiple[:, n] >= peak[n] * (1 - tolerance)
        at = int(np.argmax(multiple[:, n]))
        lo = at - (np.flatnonzero(~near[:at][::-1])[:1].tolist() or [at])[0]
        after = np.flatnonzero(~near[at:])
        hi = at + (int(after[0]) if after.size else len(near) - at)
        flat += (hi - lo) >= need
    return len(rising), int(flat)


@dataclass
class Results:
    """What a run produced, in memory; `sim.results.io` writes it to a run folder."""

    loaded: LoadedScenario
    world: World
    option: str
    seed: int
    metrics: dict[str, np.ndarray]  # name -> [R, K, B], R in replication order
    series: dict[str, np.ndarray]  # name -> [T, Q, K, B]
    series_mean: dict[str, np.ndarray]  # name -> [T, K, B]
    balance_error: np.ndarray  # [R]
    paths: dict[str, np.ndarray] = field(default_factory=dict)  # name -> [T, R, K, B]
    timings: dict[str, float] = field(default_factory=dict)
    fiscal_by_policy: dict[str, np.ndarray] = field(default_factory=dict)  # name -> [R]
    baseline_shortfall: np.ndarray | None = None  # [R, K, B] shortfall_t of the do-nothing option
    policy_reports: dict[tuple[str, str, str], np.ndarray] = field(default_factory=dict)
    diagnostics: dict[str, np.ndarray] = field(default_factory=dict)  # name -> [R, K, ...]
    diagnostic_series: dict[str, np.ndarray] = field(default_factory=dict)  # name -> [T, K, ...]
    parameter_draws: list[dict] = field(default_factory=list)
    """With parameter uncertainty, each parameter set's values per commodity and the posterior
    point drawn per fit; replication i ran with set i mod len(parameter_draws)."""
    trade_mean: np.ndarray | None = None  # [T, K, origin, destination] t/yr, mean over reps
    trade_total: np.ndarray | None = None  # [R, K, origin, destination] t over the run
    kept: KeptReplications | None = None
    """Where every replication's series is, when the run streamed them to a file
    (`ReplicationStore`) instead of holding them in `paths`."""
    drawn: dict[tuple[str, str], np.ndarray] = field(default_factory=dict)
    """(disruption, field) -> [R]: what each replication drew (`BatchResult.drawn`); the
    experiments table (experiments.py) is made of them."""

    @property
    def reps(self) -> int:
        return len(self.balance_error)

    @classmethod
    def from_blocks(
        cls,
        loaded: LoadedScenario,
        world: World,
        blocks: Iterable[BatchResult],
        *,
        seed: int,
        option: str,
        timings: dict[str, float],
        baseline_shortfall: np.ndarray | None = None,
    ) -> Results:
        """Fold blocks, in replication order, as they arrive (see `BlockMerger`)."""
        merger = BlockMerger()
        for block in blocks:
            merger.add(block)
        return merger.results(
            loaded,
            world,
            seed=seed,
            option=option,
            timings=timings,
            baseline_shortfall=baseline_shortfall,
        )

    def policy_summary(self) -> pd.DataFrame:
        """Each instrument's figures (purchases, spend, value held, ...) across replications,
        with its total fiscal cost."""
        rows = []
        for name, cost in self.fiscal_by_policy.items():
            rows.append((self.option, name, "all", "fiscal_cost", *_stats(cost)))
        for (policy, commodity, metric), x in self.policy_reports.items():
            rows.append((self.option, policy, commodity, metric, *_stats(x)))
        return pd.DataFrame(rows, columns=list(POLICY_COLUMNS))

    def budgets(self) -> pd.DataFrame:
        """Each stockpile's money side by side, in the reporting currency (undiscounted):
        its budget (NaN without one), the most it had spent net of sales at any point
        (holding included, which counts against the budget; mean and p95), the holding paid,
        and the value of what it holds at the end at the owners' price (means over the
        replications). One row per stockpile of this option."""
        cols = ["option", "policy", "budget", "max_net_spend", "max_net_spend_p95"]
        cols += ["holding_paid", "value_held", "currency"]
        rows = []
        names = sorted({p for (p, _, m) in self.policy_reports if m == "max_net_spend"})
        for name in names:
            rep = {(c, m): x for (p, c, m), x in self.policy_reports.items() if p == name}
            budget = rep.get(("all", "budget"))
            spend = rep[("all", "max_net_spend")]

            def total(metric: str, rep=rep) -> float:
                parts = [x for (c, m), x in rep.items() if m == metric and c != "all"]
                return float(np.sum(parts, axis=0).mean()) if parts else 0.0

            rows.append(
                (
                    self.option,
                    name,
                    float(budget.mean()) if budget is not None else np.nan,
                    float(spend.mean()),
                    float(np.quantile(spend, 0.95)),
                    total("holding_paid"),
                    total("value_held"),
                    self.world.currency,
                )
            )
        return pd.DataFrame(rows, columns=cols)

    def avoided_shortfall(self) -> np.ndarray | None:
        """Tonnes of shortfall avoided against the do-nothing option [R, K, B], if it ran."""
        if self.baseline_shortfall is None:
            return None
        return self.baseline_shortfall - self.metrics["shortfall_t"]

    def summary(self) -> pd.DataFrame:
        """Long table: one row per option, commodity, bloc and metric, with mean and quantiles."""
        rows = []
        avoided = self.avoided_shortfall()
        fiscal = self.metrics["fiscal_cost"]
        social = self.metrics["social_cost"]
        for k, commodity in enumerate(self.world.commodities):
            for b, bloc in enumerate(self.world.blocs):
                for m in METRICS:
                    rows.append(_row(self.option, commodity, bloc, m, self.metrics[m][:, k, b]))
                if avoided is not None:
                    rows.append(
                        _row(self.option, commodity, bloc, "shortfall_avoided_t", avoided[:, k, b])
                    )
                    rows.append(
                        _per_tonne(self.option, commodity, bloc, fiscal[:, k, b], avoided[:, k, b])
                    )
                rows.append(_cvar_row(self.option, commodity, bloc, social[:, k, b]))
        if self.diagnostics:
            for commodity, bloc, m, x in named_metrics(self.world, self.diagnostics):
                rows.append(_row(self.option, commodity, bloc, m, x))
        # totals across commodities only in money, never in tonnes: per bloc, and everywhere
        for b, bloc in enumerate(self.world.blocs):
            for m in MONEY:
                rows.append(_row(self.option, "all", bloc, m, self.metrics[m][:, :, b].sum(1)))
            rows.append(_cvar_row(self.option, "all", bloc, social[:, :, b].sum(1)))
        for m in TOTALLED:
            rows.append(_row(self.option, "all", "all", m, self.metrics[m].sum((1, 2))))
        rows.append(_cvar_row(self.option, "all", "all", social.sum((1, 2))))
        columns = [c for c in SUMMARY_COLUMNS if c != "unit"]
        table = pd.DataFrame(rows, columns=columns)
        table.insert(4, "unit", [unit_of(m, self.world.currency) for m in table.metric])
        _no_infinity(table)
        return table

    def parameter_share(self) -> pd.DataFrame:
        """With parameter draws: the share of each metric's variance across replications that
        the parameter sets explain (the variance of the sets' means over the total variance,
        the law of total variance), per commodity and bloc, with the metric's standard
        deviation and mean; empty without draws. Near 1, model uncertainty, not the
        disruptions' dice, drives the spread."""
        cols = ["option", "commodity", "bloc", "metric", "parameter_share", "std", "mean"]
        if not self.parameter_draws:
            return pd.DataFrame(columns=cols)
        D = len(self.parameter_draws)
        group = np.arange(self.reps) % D
        rows = []
        for m in ("peak_price_multiple", "mean_price_multiple", "shortfall_t"):
            x = self.metrics[m]  # [R, K, B]
            total = x.var(axis=0)
            means = np.stack([x[group == d].mean(axis=0) for d in range(D) if (group == d).any()])
            counts = np.array([(group == d).sum() for d in range(D) if (group == d).any()])
            between = (counts[:, None, None] * (means - x.mean(axis=0)) ** 2).sum(0) / self.reps
            share = np.divide(between, total, out=np.zeros_like(total), where=total > 1e-300)
            for k, commodity in enumerate(self.world.commodities):
                for b, bloc in enumerate(self.world.blocs):
                    rows.append(
                        (
                            self.option,
                            commodity,
                            bloc,
                            m,
                            float(min(share[k, b], 1.0)),
                            float(np.sqrt(total[k, b])),
                            float(x[:, k, b].mean()),
                        )
                    )
        return pd.DataFrame(rows, columns=cols)

    def tick_years(self) -> np.ndarray:
        """The calendar year [T] of each tick, in the model's time (a tick is 1/52 or 1/12 of
        a year from the start month, as disruptions and policies date their ticks)."""
        year, month = (int(x) for x in self.world.start.split("-"))
        months = month - 1 + np.arange(self.world.n_ticks) * 12 / self.world.ticks_per_year
        return year + np.floor(months / 12 + 1e-9).astype(int)

    def trade_flows(self) -> pd.DataFrame:
        """Trade flows by origin (the producers' home bloc) and destination: one row per
        commodity, origin, destination and calendar year, with the mean flow over the year
        (t/yr, the mean over replications), its share of what the destination received from
        every origin that year (a ratio of those means; NaN where it received nothing), and
        each replication's total over the run (t) as mean, p5 and p95 (TRADE_COLUMNS)."""
        if self.trade_mean is None or self.trade_total is None:
            raise ValueError("these results carry no trade flows")
        years = self.tick_years()
        calendar = np.unique(years)
        by_year = np.stack([self.trade_mean[years == y].mean(0) for y in calendar])  # [Y,K,O,D]
        received = by_year.sum(axis=2, keepdims=True)
        share = np.divide(by_year, received, out=np.full_like(by_year, np.nan), where=received > 0)
        total = self.trade_total
        p5, p95 = np.quantile(total, [0.05, 0.95], axis=0)
        mean = total.mean(0)
        rows = []
        blocs = self.world.blocs
        for k, commodity in enumerate(self.world.commodities):
            for o, origin in enumerate(blocs):
                for d, destination in enumerate(blocs):
                    stats = (mean[k, o, d], p5[k, o, d], p95[k, o, d])
                    for i, y in enumerate(calendar):
                        rows.append(
                            (
                                self.option,
                                commodity,
                                origin,
                                destination,
                                int(y),
                                "t/yr",
                                by_year[i, k, o, d],
                                share[i, k, o, d],
                                *stats,
                                "t",
                            )
                        )
        return pd.DataFrame(rows, columns=list(TRADE_COLUMNS))

    def _repr_html_(self) -> str:
        name = self.loaded.scenario.name or self.loaded.path.stem
        head = self.summary().head(REPR_ROWS).to_html(index=False, float_format="{:,.4g}".format)
        return (
            f"<p><b>minsim Results</b>: {html.escape(str(name))}, option "
            f"<code>{html.escape(self.option)}</code>, {self.reps:,} replications, "
            f"seed {self.seed}. First {REPR_ROWS} rows of <code>.summary()</code>; "
            f"<code>sim.plot(results)</code> draws the price fans.</p>{head}"
        )

    def __repr__(self) -> str:
        name = self.loaded.scenario.name or self.loaded.path.stem
        return f"<minsim Results {name}: option {self.option}, {self.reps:,} replications>"

    def __str__(self) -> str:
        """A short summary for `print(results)`: what ran, each bloc's expected social cost
        (all minerals, with its 5-95% range) and, per mineral, the worst bloc's peak price
        and shortfall. The full table is `.summary()`."""
        w = self.world
        cur = w.currency
        name = self.loaded.scenario.name or self.loaded.path.stem
        lines = [
            f"minsim Results {name}: option {self.option}, {self.reps:,} replications, "
            f"seed {self.seed}",
            f"expected social cost, all minerals (M {cur}, present values; 5-95%):",
        ]
        social = self.metrics["social_cost"].sum(1)  # [R, B]
        for b, bloc in enumerate(w.blocs):
            p5, p95 = np.quantile(social[:, b], [0.05, 0.95])
            lines.append(
                f"  {bloc}: {social[:, b].mean() / 1e6:,.1f} [{p5 / 1e6:,.1f}-{p95 / 1e6:,.1f}]"
            )
        peak = self.metrics["peak_price_multiple"].mean(0)  # [K, B]
        short = self.metrics["shortfall_t"].mean(0)
        lines.append("per mineral, in the bloc hit hardest (means):")
        for k, commodity in enumerate(w.commodities[:REPR_ROWS]):
            b = int(np.argmax(peak[k]))
            s = int(np.argmax(short[k]))
            lines.append(
                f"  {commodity}: peak price {peak[k, b]:.3g}x reference ({w.blocs[b]}), "
                f"shortfall {short[k, s]:,.4g} t ({w.blocs[s]})"
            )
        if len(w.commodities) > REPR_ROWS:
            lines.append(f"  ... and {len(w.commodities) - REPR_ROWS} more")
        lines.append(".summary() has every metric; sim.plot(results) draws the price fans")
        return "\n".join(lines)

    def at_bound(self) -> list[tuple[str, str, float]]:
        """(commodity, bloc, share of replications) where the price reached the numerical
        guard (`price.choke_multiple`): there the market had nothing left to sell, and the
        peak is a lower bound, not a market price (docs/model.md section 5)."""
        peak = self.metrics["peak_price_multiple"]  # [R, K, B]
        hit = peak >= self.world.choke_multiple[None, :, None] * (1 - 1e-9)
        share = hit.mean(axis=0)
        return [
            (c, b, float(share[k, j]))
            for k, c in enumerate(self.world.commodities)
            for j, b in enumerate(self.world.blocs)
            if share[k, j] > 0
        ]

    def inert_disruptions(self) -> list[str]:
        """Disruptions of this run that moved neither the price nor the shortfall of their
        mineral (`disruptions_without_effect` of this run alone)."""
        return disruptions_without_effect([self])

    def times(self) -> np.ndarray:
        """Dates of the ticks (start of each period)."""
        return tick_dates(self.world)

    def to_dataset(self) -> xr.Dataset:
        """Quantile and mean series as an xarray Dataset (time × quantile × commodity × bloc)
        and the mean trade flows (`trade_mean`, time × commodity × origin × destination):
        timeseries.nc. Every replication's path, when kept, is in `paths` or `kept`
        (replications.nc), not here."""
        coords = {
            "time": self.times(),
            "quantile": list(QUANTILES),
            "commodity": list(self.world.commodities),
            "bloc": list(self.world.blocs),
        }
        data: dict[str, tuple[tuple[str, ...], np.ndarray, dict[str, str]]] = {}
        units = series_units(self.world.currency)
        for v in SERIES:
            data[v] = (
                ("time", "quantile", "commodity", "bloc"),
                self.series[v],
                {"units": units[v]},
            )
            data[f"{v}_mean"] = (
                ("time", "commodity", "bloc"),
                self.series_mean[v],
                {"units": units[v]},
            )
        if self.diagnostic_series:
            d = self.world.diagnostics
            if d is None:
                raise ValueError("the world was compiled without its diagnostic inputs")
            coords["stage"] = list(d.stage_labels)
            hhi = np.where(d.stage_valid[None], self.diagnostic_series["hhi"], np.nan)
            data["hhi_mean"] = (
                ("time", "commodity", "stage"),
                hhi,
                {"units": "0-10000", "long_name": "HHI of world production (mean)"},
            )
            data["import_reliance_mean"] = (
                ("time", "commodity", "bloc"),
                self.diagnostic_series["import_reliance"],
                {"units": "1", "long_name": "net import reliance, last stage (mean)"},
            )
        if self.trade_mean is not None:
            coords["origin"] = list(self.world.blocs)
            coords["destination"] = list(self.world.blocs)
            data["trade_mean"] = (
                ("time", "commodity", "origin", "destination"),
                self.trade_mean,
                {
                    "units": "t/yr",
                    "long_name": "trade flow from the producers' home bloc to the bloc "
                    "receiving it (mean)",
                },
            )
        ds = xr.Dataset(data, coords=coords)
        ds = ds.expand_dims(option=[self.option])
        ds.attrs.update(
            scenario=self.loaded.scenario.name or str(self.loaded.path),
            seed=self.seed,
            replications=self.reps,
            currency=self.world.currency,
        )
        return ds
