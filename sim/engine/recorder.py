"""What a batch keeps of each tick: per-replication metrics, quantile series, optional paths.

Per-replication accumulators are exact whatever the batch size; the quantile series are
taken across the batch's replications at each tick.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from . import kernels, layout
from .diagnostics import DiagnosticRecorder
from .market import Flows
from .world import World

if TYPE_CHECKING:
    from .policies.base import Ledger

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
SERIES = ("price", "supply", "use", "shortfall", "stock_days", "strategic_stock", "fiscal_cost")
"""price: currency/t; supply, use, shortfall: t/yr; stock_days: commercial stocks in days of
use; strategic_stock: t held by stockpiles; fiscal_cost: policies' net outlays, currency/yr."""
METRICS = (
    "peak_price_multiple",
    "mean_price_multiple",
    "shortfall_share",
    "shortfall_t",
    "weeks_in_shortfall",
    "fiscal_cost",
    "fiscal_cost_discounted",
    "consumer_cost",
    "shortfall_value",
    "fiscal_cost_net",
    "social_cost",
    "quarter_shortfall_over_5pct",
    "cover_days_at_onset",
)
"""Per replication, commodity and bloc (docs/model.md section 11). The money metrics
(consumer_cost, shortfall_value, fiscal_cost_net, social_cost) are present values in the
reporting currency; quarter_shortfall_over_5pct is 1 where some quarter's shortfall passed 5%
of the use wanted, else 0 (its mean is a probability); cover_days_at_onset is the commercial
and strategic stock held when the commodity's first disruption starts, in days of use (NaN
in a replication without one)."""
MONEY = ("consumer_cost", "shortfall_value", "fiscal_cost_net", "social_cost")
"""The metrics that may be added across commodities: they are all in one currency."""
QUARTER_SHORTFALL = 0.05
"""`quarter_shortfall_over_5pct`: the share of a quarter's wanted use that counts as a
shortfall worth a minister's attention."""


@dataclass
class BatchResult:
    """The outcome of one batch of replications."""

    replications: np.ndarray
    metrics: dict[str, np.ndarray]  # name -> [R, K, B]
    series: dict[str, np.ndarray]  # name -> [T, Q, K, B] quantiles across the batch
    series_mean: dict[str, np.ndarray]  # name -> [T, K, B]
    balance_error: np.ndarray  # [R] largest relative mass-balance residual over the run
    paths: dict[str, np.ndarray] = field(default_factory=dict)  # name -> [T, R, K, B]
    fiscal_by_policy: dict[str, np.ndarray] = field(default_factory=dict)  # name -> [R]
    policy_reports: dict[tuple[str, str, str], np.ndarray] = field(default_factory=dict)
    """(policy, commodity, metric) -> [R]: each instrument's end-of-run figures."""
    diagnostics: dict[str, np.ndarray] = field(default_factory=dict)
    """Supply-risk diagnostics per replication (diagnostics.py): name -> [R, K, S | B, ...]."""
    diagnostic_series: dict[str, np.ndarray] = field(default_factory=dict)
    """Their mean over the batch at each tick: hhi [T, K, S], import_reliance [T, K, B]."""
    trade_mean: np.ndarray | None = None
    """[T, K, origin, destination] t/yr: the mean over the batch of each tick's trade flows
    (`Flows.traded`), the origin being the producers' home bloc."""
    trade_total: np.ndarray | None = None
    """[R, K, origin, destination] t: each replication's trade flows over the run."""
    drawn: dict[tuple[str, str], np.ndarray] = field(default_factory=dict)
    """(disruption, field) -> [R]: what each replication drew of each disruption
    (`disruptions.plan.drawn_by_row`), for the experiments table."""


class Recorder:
    def __init__(
        self,
        world: World,
        n: int,
        keep_paths: bool = False,
        discount_rate: float = 0.0,
        policies: list[str] | None = None,
        varies: np.ndarray | None = None,
        calm: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
    ):
        """`varies` [K]: the market's flags of commodities whose replications may differ
        (`Market.varies`, read at every tick); by default all. `calm`: the users' price and
        wanted use [T, K, B] without disruptions (`simulation.calm_path`), the counterfactual
        of consumer_cost, and its shortfall [T, K, B] (t this tick), that of shortfall_value;
        without it, the reference price, the trend of use and no shortfall."""
        self.w = world
        self.calm = calm
        self._no_short = np.zeros(world.demand.shape)
        self._ref_price = np.ascontiguousarray(
            np.broadcast_to(world.reference_price[:, None], world.demand.shape)
        )
        self.discount = discount_rate
        T, (K, _, _, B) = world.n_ticks, world.shape
        # the per-replication accumulators are stored replication-last, as the flows
        self.fiscal = layout.zeros(n, K, B)
        self.fiscal_pv = layout.zeros(n, K, B)
        self.ledger: Ledger | None = None
        self.peak = layout.ones(n, K, B)
        self.sum_mult = layout.zeros(n, K, B)
        self.short = layout.zeros(n, K, B)
        self.wanted = layout.zeros(n, K, B)
        self.short_ticks = layout.zeros(n, K, B)
        self.consumer_pv = layout.zeros(n, K, B)
        self.shortfall_pv = layout.zeros(n, K, B)
        # quarters: the cumulative shortfall and wanted use at the last quarter's end, and
        # whether a quarter's shortfall passed QUARTER_SHORTFALL of its wanted use
        self._quarter = max(1, round(world.ticks_per_year / 4))
        self._short_q = np.zeros((n, K, B))
        self._wanted_q = np.zeros((n, K, B))
        self.quarter_hit = np.zeros((n, K, B), dtype=bool)
        # the tick of each commodity's first disruption per row (set by run_batch; -1 none)
        self.onset = np.full((n, K), -1, dtype=np.intp)
        self.cover_at_onset = np.full((n, K, B), np.nan)
        self.held_value_pv = np.zeros((n, K, B))  # strategic stock left, at P_ref (set at the end)
        self.error = np.zeros(n)
        self._error_first = np.zeros(1)  # residuals of the commodities that do not vary
        self._series = np.zeros((len(SERIES), T, len(QUANTILES), K, B))
        self._mean = np.zeros((len(SERIES), T, K, B))
        self.series = {v: self._series[i] for i, v in enumerate(SERIES)}
        self.mean = {v: self._mean[i] for i, v in enumerate(SERIES)}
        self._values = np.empty((len(SERIES), K, B, n))  # replications last: see kernels
        self._order = np.empty((len(SERIES), K, B, n), dtype=np.intp)
        self._order[:] = np.arange(n)
        pos = np.asarray(QUANTILES) * (n - 1)
        self._lo = np.floor(pos).astype(np.intp)
        self._hi = np.minimum(self._lo + 1, n - 1)
        self._frac = pos - self._lo
        self.varies = np.ones(K, dtype=np.bool_) if varies is None else varies
        self._zero = layout.zeros(n, K, B)
        self.keep = keep_paths
        self.paths = {v: np.zeros((T, n, K, B)) for v in (*SERIES, "wanted")} if keep_paths else {}
        self.ticks = 0
        self.diag = DiagnosticRecorder(world, n, self.varies)
        self.trade_total = layout.zeros(n, K, B, B)  # t over the run, by origin and destination
        self.trade_mean = np.zeros((T, K, B, B))  # t/yr, the mean over the batch
        self._trade_total = layout.kernel(self.trade_total)
        rl = layout.kernel  # the accumulators as the kernels take them, found once
        # tuples, so that a type checker counts the arguments they fill in `kernels.accumulate`
        self._sums = (
            rl(self.peak),
            rl(self.sum_mult),
            rl(self.short),
            rl(self.wanted),
            rl(self.short_ticks),
            rl(self.fiscal),
            rl(self.fiscal_pv),
        )
        self._money = (rl(self.consumer_pv), rl(self.shortfall_pv))

    def record(
        self,
        tick: int,
        f: Flows,
        stock: np.ndarray,
        fiscal: np.ndarray | None = None,
        state: dict[str, np.ndarray] | None = None,
    ) -> None:
        dt = self.w.dt
        zero = self._zero
        fiscal = zero if fiscal is None else fiscal
        rl = layout.kernel
        kernels.accumulate(
            rl(f.user_price),
            self.w.reference_price,
            rl(f.wanted),
            rl(f.use),
            rl(f.shortfall),
            rl(f.delivered),
            rl(f.recycled),
            rl(f.releases),
            rl(f.stock_change),
            rl(f.diverted),
            rl(f.output),
            rl(fiscal),
            (1 + self.discount) ** (tick * dt),  # the discount divisor
            *self._sums,
            self.w.value_lost,
            self.calm[0][tick] if self.calm is not None else self._ref_price,
            self.calm[1][tick] if self.calm is not None else f.reference_use,
            self.calm[2][tick] if self.calm is not None else self._no_short,
            *self._money,
            self.error,
            self._error_first,
            self.varies,
        )
        values = self._values
        live = kernels.series_values(
            dt,
            rl(f.user_price),
            rl(f.delivered),
            rl(f.recycled),
            rl(f.releases),
            rl(f.use),
            rl(f.shortfall),
            rl(stock),
            rl((state or {}).get("strategic_stock", zero)),
            rl(fiscal),
            self.varies,
            self.keep,
            values,
        )
        kernels.tick_quantiles(
            values,
            live,
            self.varies,
            self._order,
            self._lo,
            self._hi,
            self._frac,
            self._series[:, tick],
            self._mean[:, tick],
        )
        if self.keep:
            for i, v in enumerate(SERIES):
                self.paths[v][tick] = values[i].transpose(2, 0, 1)
            wanted = f.wanted / dt
            wanted[:, ~self.varies] = wanted[:1, ~self.varies]  # see Market.varies
            self.paths["wanted"][tick] = wanted
        kernels.accumulate_trade(
            dt, rl(f.traded), self.varies, self._trade_total, self.trade_mean[tick]
        )
        self.diag.record(tick, f.producer_output, f.delivered)
        if (tick + 1) % self._quarter == 0 or tick + 1 == self.w.n_ticks:
            self._close_quarter()
        # [R, K]: a first disruption starts next tick (one at the start: after the first)
        starting = (self.onset == tick + 1) | ((self.onset == 0) & (tick == 0))
        if starting.any():
            strategic = (state or {}).get("strategic_stock")
            held = stock + (strategic if strategic is not None else 0.0)
            daily = f.wanted / (dt * 365.0)
            cover = np.divide(held, daily, out=np.full_like(held, np.nan), where=daily > 0)
            r, k = np.nonzero(starting)
            self.cover_at_onset[r, k] = cover[r, k]
        self.ticks += 1

    def _close_quarter(self) -> None:
        """A quarter ends: did its shortfall pass QUARTER_SHORTFALL of its wanted use?"""
        short = np.asarray(self.short) - self._short_q
        wanted = np.asarray(self.wanted) - self._wanted_q
        over = (short > QUARTER_SHORTFALL * np.maximum(wanted, 1e-300)) & (wanted > 0)
        self.quarter_hit |= over
        self._short_q = np.array(self.short)
        self._wanted_q = np.array(self.wanted)

    def result(self, replications: np.ndarray) -> BatchResult:
        weeks_per_tick = 52.0 / self.w.ticks_per_year
        # `accumulate` kept only the first replication of a commodity that does not vary
        same = ~self.varies
        kept = (self.peak, self.sum_mult, self.short, self.wanted, self.short_ticks)
        money = (self.consumer_pv, self.shortfall_pv)
        for a in (*kept, self.fiscal, self.fiscal_pv, self.trade_total, *money):
            a[:, same] = a[:1, same]
        self.quarter_hit[:, same] = self.quarter_hit[:1, same]
        np.maximum(self.error, self._error_first, out=self.error)
        metrics = {
            "peak_price_multiple": self.peak,
            "mean_price_multiple": self.sum_mult / max(self.ticks, 1),
            "shortfall_share": np.where(
                self.wanted > 0, self.short / np.maximum(self.wanted, 1e-300), 0.0
            ),
            "shortfall_t": self.short,
            "weeks_in_shortfall": self.short_ticks * weeks_per_tick,
            "fiscal_cost": self.fiscal,
            "fiscal_cost_discounted": self.fiscal_pv,
            "consumer_cost": self.consumer_pv,
            "shortfall_value": self.shortfall_pv,
            "fiscal_cost_net": self.fiscal_pv - self.held_value_pv,
            "quarter_shortfall_over_5pct": self.quarter_hit.astype(float),
            "cover_days_at_onset": self.cover_at_onset,
        }
        metrics["social_cost"] = (
            metrics["consumer_cost"] + metrics["shortfall_value"] + metrics["fiscal_cost_net"]
        )
        metrics = {m: metrics[m] for m in METRICS}
        by_policy = dict(self.ledger.by_policy) if self.ledger is not None else {}
        return BatchResult(
            replications,
            metrics,
            self.series,
            self.mean,
            self.error,
            self.paths,
            by_policy,
            diagnostics=self.diag.metrics(),
            diagnostic_series=self.diag.series,
            trade_mean=self.trade_mean,
            trade_total=self.trade_total,
        )
