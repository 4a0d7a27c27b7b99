"""The `Results` of a run: metrics per replication, quantile series, summary, xarray Dataset."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import xarray as xr

from ..engine.diagnostics import named_metrics
from ..engine.recorder import METRICS, QUANTILES, SERIES, BatchResult
from ..engine.world import World
from ..scenario import LoadedScenario

SUMMARY_COLUMNS = ("option", "commodity", "bloc", "metric", "mean", "p5", "p50", "p95")


POLICY_COLUMNS = ("option", "policy", "commodity", "metric", "mean", "p5", "p50", "p95")


def _stats(x: np.ndarray) -> tuple[float, float, float, float]:
    p5, p50, p95 = np.quantile(x, [0.05, 0.5, 0.95])
    return x.mean(), p5, p50, p95


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

    @property
    def reps(self) -> int:
        return len(self.balance_error)

    @classmethod
    def from_blocks(
        cls,
        loaded: LoadedScenario,
        world: World,
        blocks: list[BatchResult],
        *,
        seed: int,
        option: str,
        timings: dict[str, float],
        baseline_shortfall: np.ndarray | None = None,
    ) -> Results:
        """Join blocks: metrics concatenated exactly; series quantiles weighted by block size
        (exact for one block, an approximation otherwise)."""
        blocks = sorted(blocks, key=lambda b: int(b.replications[0]))
        sizes = np.array([len(b.replications) for b in blocks], dtype=float)
        weights = sizes / sizes.sum()
        metrics = {m: np.concatenate([b.metrics[m] for b in blocks]) for m in METRICS}
        series = {
            v: sum(w * b.series[v] for w, b in zip(weights, blocks, strict=True)) for v in SERIES
        }
        mean = {
            v: sum(w * b.series_mean[v] for w, b in zip(weights, blocks, strict=True))
            for v in SERIES
        }
        paths = {}
        if blocks[0].paths:
            paths = {
                v: np.concatenate([b.paths[v] for b in blocks], axis=1) for v in blocks[0].paths
            }
        error = np.concatenate([b.balance_error for b in blocks])
        by_policy = {
            name: np.concatenate([b.fiscal_by_policy[name] for b in blocks])
            for name in blocks[0].fiscal_by_policy
        }
        return cls(
            loaded,
            world,
            option,
            seed,
            metrics,
            series,
            mean,
            error,
            paths,
            dict(timings),
            by_policy,
            baseline_shortfall,
            {
                key: np.concatenate([b.policy_reports[key] for b in blocks])
                for key in blocks[0].policy_reports
            },
            {m: np.concatenate([b.diagnostics[m] for b in blocks]) for m in blocks[0].diagnostics},
            {  # means over replications: the size-weighted mean of block means is exact
                v: sum(w * b.diagnostic_series[v] for w, b in zip(weights, blocks, strict=True))
                for v in blocks[0].diagnostic_series
            },
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
        if self.diagnostics:
            for commodity, bloc, m, x in named_metrics(self.world, self.diagnostics):
                rows.append(_row(self.option, commodity, bloc, m, x))
        for m in ("fiscal_cost", "fiscal_cost_discounted"):
            rows.append(_row(self.option, "all", "all", m, self.metrics[m].sum((1, 2))))
        if avoided is not None:
            total_avoided = avoided.sum((1, 2))
            rows.append(_row(self.option, "all", "all", "shortfall_avoided_t", total_avoided))
            rows.append(_per_tonne(self.option, "all", "all", fiscal.sum((1, 2)), total_avoided))
        return pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS))

    def times(self) -> np.ndarray:
        """Dates of the ticks (start of each period)."""
        start = np.datetime64(self.world.start + "-01", "D")
        T = self.world.n_ticks
        if self.world.ticks_per_year == 12:
            return (np.datetime64(self.world.start, "M") + np.arange(T)).astype("datetime64[D]")
        return start + np.arange(T) * np.timedelta64(7, "D")

    def to_dataset(self) -> xr.Dataset:
        """Quantile and mean series as an xarray Dataset (time × quantile × commodity × bloc)."""
        coords = {
            "time": self.times(),
            "quantile": list(QUANTILES),
            "commodity": list(self.world.commodities),
            "bloc": list(self.world.blocs),
        }
        data = {}
        cur = self.world.currency
        units = {
            "price": f"{cur}/t",
            "supply": "t/yr",
            "use": "t/yr",
            "shortfall": "t/yr",
            "stock_days": "days",
            "strategic_stock": "t",
            "fiscal_cost": f"{cur}/yr",
        }
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
        ds = xr.Dataset(data, coords=coords)
        ds = ds.expand_dims(option=[self.option])
        ds.attrs.update(
            scenario=self.loaded.scenario.name or str(self.loaded.path),
            seed=self.seed,
            replications=self.reps,
            currency=self.world.currency,
        )
        return ds
