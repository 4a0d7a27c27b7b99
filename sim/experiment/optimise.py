"""Policy design search: NSGA-II (pymoo) over a scenario's levers, every design scored on the
same replications, the final designs scored again on fresh ones.

A generation's designs run as options of one scenario (levers.design_scenario), so they share
replications (common random numbers) and workers; a design evaluated before (same lever
values) is not run again. The study (every design evaluated and its outcomes) is kept as JSON
lines after each generation: pymoo's NSGA-II draws from its own seeded generator, so a search
started again with the same study replays its steps from the file and carries on where the
last one stopped.

Objectives and constraints are expectations over the replications (the CVaR95 of social cost
is the mean of the worst 5%), in the reporting currency, present values (docs/model.md 11).
The frontier is the non-dominated set of every feasible design evaluated. It is then scored
again (`rescore`) on `rescore_reps` replications of another seed, beside the scenario's own
options: the search's scores are maxima over many noisy draws, so the designs it keeps are
biased towards lucky ones (the winner's curse); the fresh scores are not.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..scenario import LoadedScenario
from ..scenario.design import Design
from .compare import Comparison, compare_options
from .executors import shared_workers
from .levers import Levers, check_levers, design_scenario
from .results import Results, cvar
from .runner import BASE, DEFAULT_SEED, baseline_option

STUDY_FORMAT = 1
RESCORE_SEED_OFFSET = 1
"""The rescoring seed is the search's seed plus this: other replications, the same for
every design and option of the rescoring."""
Line = Callable[[str], None]
OUTCOME_ORDER = (
    "fiscal_cost_net",
    "social_cost",
    "social_cost_cvar95",
    "consumer_cost",
    "shortfall_value",
)
"""The outcomes of a design, in the tables' order (`outcomes`)."""

if TYPE_CHECKING:
    import pandas as pd


def design_of(loaded: LoadedScenario) -> Design:
    design = loaded.scenario.design
    if design is None:
        raise ValueError(
            f"{loaded.path} has no `design:` section: add one with the levers to search "
            "(docs/guide.md, 'Designing a policy')"
        )
    return design


def outcomes(r: Results, design: Design) -> dict[str, float]:
    """A design's expected outcomes, each summed over the minerals: fiscal cost wherever it
    falls, the users' costs in the design's blocs (default every bloc)."""
    w = r.world
    b = [w.blocs.index(x) for x in design.blocs] if design.blocs else list(range(len(w.blocs)))
    social = r.metrics["social_cost"][:, :, b].sum((1, 2))
    return {
        "fiscal_cost_net": float(r.metrics["fiscal_cost_net"].sum((1, 2)).mean()),
        "social_cost": float(social.mean()),
        "social_cost_cvar95": cvar(social),
        "consumer_cost": float(r.metrics["consumer_cost"][:, :, b].sum((1, 2)).mean()),
        "shortfall_value": float(r.metrics["shortfall_value"][:, :, b].sum((1, 2)).mean()),
    }


@dataclass
class Evaluation:
    """One design the search scored."""

    generation: int
    x: list[float]
    """Its point of the unit cube (what NSGA-II moves)."""
    values: list[float]
    """The keys' values, in their units (`Levers.keys`)."""
    outcomes: dict[str, float]


@dataclass
class Study:
    """Every design evaluated, with what the search was asked (`header`): a study resumes only
    the search it was made by."""

    header: dict
    evaluations: list[Evaluation] = field(default_factory=list)

    def key(self, values: np.ndarray) -> tuple:
        return tuple(float(f"{v:.10g}") for v in values)

    def cached(self) -> dict[tuple, Evaluation]:
        return {self.key(np.array(e.values)): e for e in self.evaluations}

    def text(self) -> str:
        lines = [json.dumps(self.header, sort_keys=True)]
        lines += [json.dumps(vars(e), sort_keys=True) for e in self.evaluations]
        return "\n".join(lines) + "\n"

    def save(self, path: Path) -> None:
        """Write the study whole, then rename it into place: a search killed mid-write leaves
        the previous generation's file."""
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(self.text())
        tmp.replace(path)

    @classmethod
    def read(cls, path: Path, header: dict) -> Study:
        """The study at `path`, if it was made by the same search (ValueError otherwise)."""
        lines = path.read_text().splitlines()
        try:
            found = json.loads(lines[0])
            evaluations = [Evaluation(**json.loads(line)) for line in lines[1:] if line.strip()]
        except (IndexError, ValueError, TypeError) as exc:
            raise ValueError(f"{path} is not a study written by minsim optimise ({exc})") from None
        if found != header:
            differ = sorted(k for k in {*found, *header} if found.get(k) != header.get(k))
            raise ValueError(
                f"{path} holds a study of another search (it differs in {', '.join(differ)}); "
                "give a new --study file to start afresh"
            )
        return cls(header, evaluations)


def study_header(loaded: LoadedScenario, seed: int, levers: Levers) -> dict:
    """What makes two searches the same: the scenario as resolved, the seed, the levers,
    objectives, constraints, population and replications (not the generations: a longer
    search of the same study carries on where the shorter one stopped)."""
    data = json.dumps(loaded.source.data, sort_keys=True, default=str)
    d = levers.design
    return {
        "minsim_study": STUDY_FORMAT,
        "scenario": hashlib.sha256(data.encode()).hexdigest()[:16],
        "seed": seed,
        "keys": [c.key for c in levers.keys],
        "objectives": list(d.objectives),
        "constraints": sorted(d.constraints),
        # more generations continue a study; another population or replications do not
        "population": d.search.population,
        "reps": d.search.reps,
    }


def _limits(loaded: LoadedScenario, design: Design) -> dict[str, float]:
    s = loaded.scenario
    return {m: b.max.convert(s.fx, s.currency) for m, b in design.constraints.items()}


def non_dominated(F: np.ndarray) -> np.ndarray:
    """Indices of the rows of `F` [N, M] (minimised) that no other row dominates; of rows
    with equal objectives, the first."""
    keep = []
    for i in range(len(F)):
        worse = np.all(F[i] >= F, axis=1) & np.any(F[i] > F, axis=1)
        same = np.all(F[i] == F, axis=1)
        if not worse.any() and not same[:i].any():
            keep.append(i)
    return np.array(keep, dtype=int)


@dataclass
class SearchResult:
    """A finished search: the study, the frontier (indices into the study's evaluations),
    and the frontier scored again with the scenario's options (`rescored`)."""

    loaded: LoadedScenario
    levers: Levers
    study: Study
    frontier: list[int]
    rescored: Comparison | None = None
    designs: dict[str, int] = field(default_factory=dict)
    """Option name in `rescored` -> index of the evaluation it is."""
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def design(self) -> Design:
        return self.levers.design

    def frontier_evaluations(self) -> list[Evaluation]:
        return [self.study.evaluations[i] for i in self.frontier]


def _initial(levers: Levers, population: int, seed: int) -> np.ndarray:
    """The first generation: the corner designs, then a Latin hypercube (seeded)."""
    from scipy.stats import qmc

    corners = levers.corners()[:population]
    rest = population - len(corners)
    if rest <= 0:
        return corners
    sample = qmc.LatinHypercube(d=levers.dimensions, seed=np.random.default_rng(seed)).random(rest)
    return np.vstack([corners, sample])


def search(
    loaded: LoadedScenario,
    *,
    seed: int = DEFAULT_SEED,
    study_path: Path | None = None,
    population: int | None = None,
    generations: int | None = None,
    reps: int | None = None,
    line: Line | None = None,
    **execution,
) -> SearchResult:
    """Run NSGA-II over the scenario's `design:` (population, generations and replications
    from the file unless given), returning the frontier of every feasible design evaluated.
    `study_path`: a study to resume (if it exists) and to keep up to date. `line(text)` is
    told one line per generation. `execution` goes to the runner (executor, workers, ...)."""
    from pymoo.algorithms.moo.nsga2 import NSGA2
    from pymoo.core.evaluator import Evaluator
    from pymoo.core.problem import Problem
    from pymoo.problems.static import StaticProblem
    from pymoo.termination import get_termination

    design = design_of(loaded)
    d = design.search
    settings = {
        "population": population or d.population,
        "generations": generations or d.generations,
        "reps": reps or d.reps,
    }
    design = design.model_copy(update={"search": d.model_copy(update=settings)})
    s = loaded.scenario
    levers = Levers(design, s.fx, s.currency)
    check_levers(loaded, levers)
    header = study_header(loaded, seed, levers)
    study = Study(header)
    if study_path is not None and Path(study_path).exists():
        study = Study.read(Path(study_path), header)
    cache = study.cached()
    limits = _limits(loaded, design)
    problem = Problem(
        n_var=levers.dimensions,
        n_obj=len(design.objectives),
        n_ieq_constr=len(limits),
        xl=np.zeros(levers.dimensions),
        xu=np.ones(levers.dimensions),
    )
    P = settings["population"]
    algorithm = NSGA2(pop_size=P, sampling=_initial(levers, P, seed), eliminate_duplicates=True)
    algorithm.setup(
        problem, termination=get_termination("n_gen", settings["generations"] + 1), seed=seed
    )
    baseline = baseline_option(loaded) or BASE
    t0 = time.perf_counter()
    generation = 0
    with shared_workers(
        execution.get("executor", "inline"), execution.get("workers"), execution.get("scheduler")
    ) as shared:
        while algorithm.has_next():
            pop = algorithm.ask()
            X = pop.get("X")
            values = [levers.decode(x) for x in X]
            todo: dict[str, np.ndarray] = {}
            for i, v in enumerate(values):
                k = study.key(v)
                if k not in cache and k not in {study.key(u) for u in todo.values()}:
                    todo[f"g{generation}-{i}"] = v
            if todo:
                variant = design_scenario(loaded, levers, todo)
                options = [baseline] if baseline != BASE else []
                ran = compare_options(
                    variant,
                    settings["reps"],
                    seed,
                    options=options + list(todo),
                    shared=shared,
                    **execution,
                )
                for name, v in todo.items():
                    e = Evaluation(
                        generation,
                        [float(u) for u in X[int(name.split("-")[1])]],
                        [float(u) for u in v],
                        outcomes(ran.results[name], design),
                    )
                    study.evaluations.append(e)
                    cache[study.key(v)] = e
            scored = [cache[study.key(v)] for v in values]
            F = np.array([[e.outcomes[m] for m in design.objectives] for e in scored])
            G = np.array([[e.outcomes[m] - limit for m, limit in limits.items()] for e in scored])
            Evaluator().eval(StaticProblem(problem, F=F, G=G if limits else None), pop)
            algorithm.tell(infills=pop)
            if study_path is not None:
                study.save(Path(study_path))
            frontier = _frontier(study, design, limits)
            if line is not None:
                line(
                    f"optimise: generation {generation + 1}/{settings['generations'] + 1}, "
                    f"{len(todo)} new designs ({len(study.evaluations)} in all), "
                    f"{len(frontier)} on the frontier, {time.perf_counter() - t0:.0f} s elapsed"
                )
            generation += 1
    result = SearchResult(loaded, levers, study, _frontier(study, design, limits))
    result.seconds["search_s"] = time.perf_counter() - t0
    return result


def _frontier(study: Study, design: Design, limits: dict[str, float]) -> list[int]:
    """Indices of the feasible, non-dominated designs of the study, cheapest first."""
    feasible = [
        i
        for i, e in enumerate(study.evaluations)
        if all(e.outcomes[m] <= limit for m, limit in limits.items())
    ]
    if not feasible:
        return []
    F = np.array([[study.evaluations[i].outcomes[m] for m in design.objectives] for i in feasible])
    keep = [feasible[j] for j in non_dominated(F)]
    first = design.objectives[0]
    return sorted(keep, key=lambda i: study.evaluations[i].outcomes[first])


def rescore(
    result: SearchResult,
    *,
    seed: int = DEFAULT_SEED,
    reps: int | None = None,
    **execution,
) -> SearchResult:
    """Score the frontier again on `reps` fresh replications (seed + RESCORE_SEED_OFFSET),
    beside every option of the scenario, as one comparison: each design is an option
    `design-N` (N from 1, cheapest first) of the scenario `designs.yaml` holds."""
    t0 = time.perf_counter()
    reps = reps or result.design.search.rescore_reps
    names = {f"design-{n + 1}": i for n, i in enumerate(result.frontier)}
    candidates = {name: np.array(result.study.evaluations[i].values) for name, i in names.items()}
    variant = design_scenario(result.loaded, result.levers, candidates)
    options = list(result.loaded.scenario.options) + list(candidates)
    result.rescored = compare_options(
        variant, reps, seed + RESCORE_SEED_OFFSET, options=options, **execution
    )
    result.designs = names
    result.seconds["rescore_s"] = time.perf_counter() - t0
    return result


BOOTSTRAP = 1000
"""Resamples of the CVaR95's interval (a percentile bootstrap, seeded)."""


def _interval(metric: str, x: np.ndarray, seed: int) -> tuple[float, float, float]:
    """The estimate of `metric` from per-replication values `x` and its 95% interval: the
    t-interval of a mean, a percentile bootstrap of the CVaR95."""
    from .compare import paired_interval

    if metric != "social_cost_cvar95":
        return paired_interval(x)
    rng = np.random.default_rng(seed)
    boot = [cvar(x[rng.integers(0, len(x), len(x))]) for _ in range(BOOTSTRAP)]
    low, high = np.quantile(boot, [0.025, 0.975])
    return cvar(x), float(low), float(high)


def per_replication(r: Results, design: Design) -> dict[str, np.ndarray]:
    """[R] of each outcome but the CVaR (which is social cost's tail)."""
    w = r.world
    b = [w.blocs.index(x) for x in design.blocs] if design.blocs else list(range(len(w.blocs)))
    out = {"fiscal_cost_net": r.metrics["fiscal_cost_net"].sum((1, 2))}
    for m in ("social_cost", "consumer_cost", "shortfall_value"):
        out[m] = r.metrics[m][:, :, b].sum((1, 2))
    out["social_cost_cvar95"] = out["social_cost"]
    return out


def designs_table(result: SearchResult) -> pd.DataFrame:
    """One row per design of the frontier (cheapest first) and per option of the scenario,
    scored on the rescoring's replications: the levers' values, each outcome with its 95%
    interval, the search's own score of each objective, the paired difference in social cost
    from the baseline, and whether another row dominates it on the rescored objectives."""
    import pandas as pd

    c = result.rescored
    if c is None:
        raise ValueError("rescore the search first (`rescore`)")
    design = result.design
    base = per_replication(c.results[c.baseline], design)
    names = result.levers.names
    rows = []
    for option, r in c.results.items():
        e = result.study.evaluations[result.designs[option]] if option in result.designs else None
        row: dict = {"option": option, "kind": "design" if e else "option"}
        for name, v in zip(names, e.values if e else [np.nan] * len(names), strict=True):
            row[name] = v
        x = per_replication(r, design)
        for m in OUTCOME_ORDER:
            mean, low, high = _interval(m, x[m], r.seed)
            row[m], row[f"{m}:low"], row[f"{m}:high"] = mean, low, high
        for m in design.objectives:
            row[f"{m}:search"] = e.outcomes[m] if e else np.nan
        diff, low, high = _paired_difference(x["social_cost"], base["social_cost"])
        row["social_cost_vs_baseline"] = diff
        row["social_cost_vs_baseline:low"], row["social_cost_vs_baseline:high"] = low, high
        rows.append(row)
    table = pd.DataFrame(rows)
    F = table[list(design.objectives)].to_numpy(float)
    kept = set(non_dominated(F))
    table.insert(2, "dominated", [i not in kept for i in range(len(table))])
    return table


def _paired_difference(x: np.ndarray, base: np.ndarray) -> tuple[float, float, float]:
    from .compare import paired_interval

    return paired_interval(x - base)


def lever_table(result: SearchResult) -> pd.DataFrame:
    """Which levers matter, from the search's own data: each lever's range, the part of it
    the frontier spans (`frontier_spread`: 0, the frontier agrees on one value; 1, it uses
    the whole range), and its rank correlation with each objective over every design
    evaluated and along the frontier."""
    import pandas as pd
    from scipy.stats import spearmanr

    design = result.design
    E = result.study.evaluations
    V = np.array([e.values for e in E])
    front = V[result.frontier] if result.frontier else V[:0]
    rows = []
    bounds = _bounds(result.levers)
    for j, c in enumerate(result.levers.keys):
        low, high = bounds[j]
        row = {"lever": c.lever, "key": c.key, "unit": c.unit, "low": low, "high": high}
        if len(front):
            f_min, f_max = float(front[:, j].min()), float(front[:, j].max())
            row["frontier_min"], row["frontier_max"] = f_min, f_max
            row["frontier_spread"] = (f_max - f_min) / (high - low)
        for m in design.objectives:
            y = np.array([e.outcomes[m] for e in E])
            row[f"rank_correlation:{m}"] = _spearman(spearmanr, V[:, j], y)
            if len(front) > 2:
                yf = np.array([E[i].outcomes[m] for i in result.frontier])
                row[f"frontier_rank_correlation:{m}"] = _spearman(spearmanr, front[:, j], yf)
        rows.append(row)
    return pd.DataFrame(rows)


def _spearman(spearmanr, x: np.ndarray, y: np.ndarray) -> float:
    if np.ptp(x) == 0 or np.ptp(y) == 0:
        return float("nan")
    return float(spearmanr(x, y).statistic)


def _bounds(levers: Levers) -> list[tuple[float, float]]:
    """Each key's range of values (a split's part: 0 to the whole total)."""
    out = []
    for lever in levers.design.levers.values():
        out.append(lever.bounds)
    for split in levers.design.split.values():
        for part in split.parts.values():
            top = split.total.value / (part.per.value if part.per is not None else 1.0)
            out.append((0.0, top))
    return out
