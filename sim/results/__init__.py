"""Results of a run: per-replication metrics, quantile time series, the summary table."""

from .results import SUMMARY_COLUMNS, NonFiniteResult, Results

__all__ = ["SUMMARY_COLUMNS", "NonFiniteResult", "Results"]
