"""What every figure shares: the backend, the colours, plain axes.

Imported before pyplot by every figure module (through this one), so the backend choice
below comes first.
"""

from __future__ import annotations

import sys

import matplotlib

# The command line and scripts draw off screen. In a notebook or a session that already chose
# a backend (pyplot imported, IPython running), leave the user's backend alone.
if "matplotlib.pyplot" not in sys.modules and "IPython" not in sys.modules:
    matplotlib.use("Agg")
import matplotlib.pyplot as plt
import matplotlib.ticker as mticker

COLOURS = ("#1f5aa6", "#c0392b", "#6b8e23", "#8e44ad", "#d68910", "#17a589")
"""One colour per bloc or option, in order."""


def plain(ax, axis: str = "y") -> None:
    """No offset ('+1') and no scientific multiplier on an axis: its labels are the values."""
    formatter = mticker.ScalarFormatter(useOffset=False)
    formatter.set_scientific(False)
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(formatter)


__all__ = ["COLOURS", "plain", "plt"]
