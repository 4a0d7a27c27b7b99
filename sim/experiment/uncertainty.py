"""Replications that draw their market parameters from the calibrated posterior.

`minsim calibrate` leaves in each commodity's `calibration.posterior` the grid points that hold
nearly all the posterior weight of its market class (docs/validation.md). With
`parameter_uncertainty: {draws: D}` (or `--parameter-draws D`) a run draws D parameter sets:
for each fitted class, D points by systematic resampling of its posterior (each point drawn
in proportion to its weight, with one random offset), shuffled so that the classes' draws are
independent. Replication i runs with set i mod D, in every option, so options still compare on
common random numbers (docs/model.md section 13.1). The draws depend on the seed and D only:
not on the number of replications, the block size or the executor.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..scenario import LoadedScenario, with_sets
from ..scenario.loader import set_option
from ..scenario.schema import Posterior

PARAMETER_STREAM = 0x50415241
"""Key of the random stream of the parameter draws, beside the run's seed ('PARA')."""


@dataclass(frozen=True)
class ParameterDraw:
    """One parameter set: the scenario with it applied, and the values drawn per commodity."""

    index: int
    loaded: LoadedScenario
    values: dict[str, dict[str, float | str]]  # commodity -> key -> value
    points: dict[str, int]  # fit (market class) -> index of the posterior point drawn


def posteriors(loaded: LoadedScenario) -> dict[str, tuple[Posterior, list[str]]]:
    """Each fit's posterior and the commodities that share it (a class, or the pooled fit),
    in a fixed order. Commodities of one fit share one draw; one whose posterior was edited
    apart from its class's draws on its own ('<fit>/<commodity>')."""
    out: dict[str, tuple[Posterior, list[str]]] = {}
    for name, c in loaded.scenario.commodities.items():
        if c.calibration is None or c.calibration.posterior is None:
            continue
        fit, post = c.calibration.fit, c.calibration.posterior
        if fit in out and out[fit][0] != post:
            fit = f"{fit}/{name}"
        if fit in out:
            out[fit][1].append(name)
        else:
            out[fit] = (post, [name])
    return dict(sorted(out.items()))


def systematic(weights: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """n indices drawn in proportion to `weights` with one uniform offset (systematic
    resampling): each point appears floor or ceil of n times its weight."""
    cdf = np.cumsum(weights / weights.sum())
    cdf[-1] = 1.0
    u = (rng.random() + np.arange(n)) / n
    return np.searchsorted(cdf, u, side="right").clip(0, len(weights) - 1)


def draw_parameters(loaded: LoadedScenario, draws: int, seed: int) -> list[ParameterDraw]:
    """The `draws` parameter sets of a run with `seed` (see the module docstring)."""
    fits = posteriors(loaded)
    if not fits:
        raise ValueError(
            "parameter draws need a calibrated posterior: no commodity of this scenario has "
            "`calibration.posterior` (run `minsim calibrate --write WORLD`)"
        )
    rng = np.random.default_rng(np.random.SeedSequence([seed, PARAMETER_STREAM, draws]))
    chosen = {}
    for fit, (post, _) in fits.items():
        w = np.array([p.weight for p in post.points])
        chosen[fit] = rng.permutation(systematic(w, draws, rng))
    data = loaded.source.data
    out = []
    for d in range(draws):
        sets = []
        values: dict[str, dict[str, float | str]] = {}
        for fit, (post, members) in fits.items():
            point = post.points[int(chosen[fit][d])]
            for c in members:
                values[c] = dict(zip(post.keys, point.values, strict=True))
                for key, value in values[c].items():
                    sets.append(set_option(data, f"commodities.{c}.{key}", value))
        variant = with_sets(loaded, tuple(sets))
        points = {fit: int(chosen[fit][d]) for fit in fits}
        out.append(ParameterDraw(d, variant, values, points))
    return out


def draw_of(replications: np.ndarray, draws: int) -> np.ndarray:
    """The parameter set each replication runs with."""
    return np.asarray(replications) % draws
