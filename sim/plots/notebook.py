"""`sim.plot`: one call that draws any minsim object in a notebook.

The objects of the lower layers (a loaded scenario, a run's `Results`, a `Comparison`) hold
no drawing code of their own, so that nothing below `sim.plots` imports matplotlib or this
package; this function finds the figure for each (docs/guide.md, "In a notebook").
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..experiment.compare import Comparison
from ..experiment.results import Results
from ..scenario import LoadedScenario
from .compare import comparison_figure
from .figures import run_figure
from .scenario import structure


def plot(
    obj: LoadedScenario | Results | Comparison,
    kind: str | None = None,
    *,
    commodity: str | Sequence[str] | None = None,
    bloc: str | Sequence[str] | None = None,
    ax: Any = None,
) -> Any:
    """Draw `obj`, returning the Axes of one panel or the Figure of a grid.

    A loaded scenario: its structure (a bar per stage with the producers' shares, a bar of
    use, by bloc). A run's `Results`: kind "price" (default; a fan per bloc: median, 25-75%,
    5-95%), "supply" or "stocks". A `Comparison`: "price" (default), "shortfall", "stocks"
    (strategic), "frontier" or "differences", for one `bloc` (default: the one that loses
    most under the baseline). With one `commodity`, or an `ax` to draw on, one panel."""
    if isinstance(obj, LoadedScenario):
        if kind is not None or bloc is not None:
            raise ValueError("a scenario's structure takes only `commodity` and `ax`")
        return structure(obj, commodity, ax)
    if isinstance(obj, Results):
        return run_figure(obj, kind or "price", commodity, bloc, ax)
    if isinstance(obj, Comparison):
        if bloc is not None and not isinstance(bloc, str):
            raise ValueError("a comparison's figures are for one bloc: give `bloc` as a name")
        return comparison_figure(obj, kind or "price", commodity, bloc, ax)
    raise TypeError(
        f"sim.plot draws a loaded scenario, Results or a Comparison, not {type(obj).__name__}"
    )
