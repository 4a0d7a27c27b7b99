"""`minsim show`: the resolved scenario and the supply-risk diagnostics of its start."""

from __future__ import annotations

import numpy as np

from ..engine.diagnostics import baseline
from ..engine.world import compile_world
from ..results.io import resolved_yaml
from ..scenario import LoadedScenario
from .base import Outcome, Source


def show(source: Source) -> Outcome:
    """The scenario with `extends:` merged, overrides and `--set` applied, as YAML, headed
    by where it came from and followed by the diagnostics of its starting output."""
    loaded = source.load()
    src = loaded.source
    lines = [f"# resolved from: {', '.join(src.files)}"]
    if src.applied_overrides:
        lines.append(f"# overrides: {', '.join(src.applied_overrides)}")
    lines += [f"# --set {s}" for s in src.sets]
    text = "\n".join(lines) + "\n" + resolved_yaml(src.data) + baseline_diagnostics(loaded)
    return Outcome(text)


def baseline_diagnostics(loaded: LoadedScenario) -> str:
    """Supply-risk diagnostics of the stated starting output, as YAML comments (no run)."""
    w = compile_world(loaded.scenario)
    x = baseline(w)
    lines = [
        "# Diagnostics of the starting output (no simulation; docs/model.md 11.1):",
        "# HHI of world production by stage (0-10,000), net import reliance of each bloc",
    ]
    for k, name in enumerate(w.commodities):
        hhi = ", ".join(f"{s} {x['hhi'][k, w.stage_index(k, s)]:,.0f}" for s in w.stages[k])
        ir = ", ".join(f"{b} {x['import_reliance'][k, i]:.0%}" for i, b in enumerate(w.blocs))
        extra = ""
        if "sr" in x and not np.isnan(x["sr"][k]).all():
            extra += "; JRC SR " + ", ".join(
                f"{b} {x['sr'][k, i]:.2f}" for i, b in enumerate(w.blocs)
            )
        if "dp" in x and not np.isnan(x["dp"][k]).all():
            extra += "; USGS DP " + ", ".join(
                f"{s} {x['dp'][k, w.stage_index(k, s)]:.3f}" for s in w.stages[k]
            )
        lines.append(f"#   {name}: HHI {hhi}; import reliance {ir}{extra}")
    return "\n".join(lines)
