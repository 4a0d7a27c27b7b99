"""Tornado chart of a sensitivity analysis: the importance index of each parameter."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..experiment.sensitivity import SensitivityResult
from .figures import COLOURS, plt, save

_LABELS = {"mu_star": "Morris mu* (mean |elementary effect|)", "ST": "Sobol total-order index ST"}


def tornado(result: SensitivityResult, path: Path) -> list[Path]:
    """Horizontal bars of the importance index (Morris mu* or Sobol ST) per parameter, the
    largest on top, with the confidence half-widths as error bars; saved as PNG and SVG at
    `path` (suffix replaced)."""
    frame = result.indices
    key, conf = result.importance, result.confidence
    values = frame[key].to_numpy(dtype=float)
    errors = np.nan_to_num(frame[conf].to_numpy(dtype=float), nan=0.0)
    names = [str(n) for n in frame.index]
    y = np.arange(len(names))[::-1]  # the first (most important) row on top
    height = max(2.4, 0.9 + 0.45 * len(names))
    fig, ax = plt.subplots(figsize=(6.4, height), layout="constrained")
    ax.barh(
        y,
        np.nan_to_num(values, nan=0.0),
        xerr=errors,
        color=COLOURS[0],
        capsize=3,
        error_kw={"elinewidth": 1.0, "ecolor": "black"},
    )
    ax.set_yticks(y, names, fontsize=8)
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_xlabel(_LABELS.get(key, key))
    runs = len(result.Y)
    ax.set_title(
        f"{result.method.capitalize()} sensitivity of {result.metric}\n"
        f"{result.commodity} in {result.bloc} ({runs} runs)",
        fontsize=10,
    )
    return save(fig, Path(path))
