"""Figures of a run (matplotlib, Agg backend): fan charts of prices, supply and shortfall, stocks."""

from .figures import save_run_figures

__all__ = ["save_run_figures"]
