"""Results of a run: per-replication metrics, quantile time series, the summary table."""

from .results import SUMMARY_COLUMNS, Results

__all__ = ["SUMMARY_COLUMNS", "Results"]
