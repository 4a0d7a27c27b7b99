"""Compare a scenario's policy options on common random numbers.

Every option runs the same replication indices with the same seed, and disruptions draw from
streams keyed by replication and disruption name (never by policy), so replication i meets
the same disruptions under every option. Differences from the baseline are therefore paired:
the spread of (option - baseline) within a replication is the policy's effect alone, and its
confidence interval is much narrower than the two options' spreads would suggest.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from ..scenario import LoadedScenario
from .results import TOTALLED, Results, unit_of
from .runner import BASE, DEFAULT_REPS, DEFAULT_SEED, baseline_option, run_options

DIFFERENCE_METRICS = (
    "social_cost",
    "consumer_cost",
    "shortfall_value",
    "fiscal_cost_net",
    "fiscal_cost",
    "fiscal_cost_discounted",
    "peak_price_multiple",
    "mean_price_multiple",
    "shortfall_t",
    "shortfall_share",
    "weeks_in_shortfall",
    "quarter_shortfall_over_5pct",
)
"""differences.csv's metrics: the money ones first; only those in money have totals over the
commodities (`results.TOTALLED`)."""
DIFFERENCE_COLUMNS = (
    "option",
    "baseline",
    "commodity",
    "bloc",
    "metric",
    "unit",
    "mean_difference",
    "ci_low",
    "ci_high",
    "p5",
    "p95",
    "share_better",
)
CONFIDENCE = 0.95


@dataclass
class Comparison:
    """Results of every option of a scenario, run on the same replications. `blocs` and
    `commodities` say what the comparison is about (`minsim compare --bloc/--commodity`);
    empty, every bloc that was hit and every mineral something touched
    (`sim.experiment.touched`)."""

    loaded: LoadedScenario
    results: dict[str, Results]
    baseline: str
    blocs: list[str] = field(default_factory=list)
    commodities: list[str] = field(default_factory=list)

    @property
    def options(self) -> list[str]:
        return list(self.results)

    def summary(self) -> pd.DataFrame:
        return pd.concat([r.summary() for r in self.results.values()], ignore_index=True)

    def ranking(self, bloc: str | None = None) -> pd.DataFrame:
        """The headline's totals: one row per option, ranked (1 = lowest expected social cost
        in `bloc`), with its paired difference from the baseline and the verdict."""
        table = self.headline(bloc)
        return table[table.commodity == "all"].reset_index(drop=True)

    def _about(self) -> str:
        base = self.results[self.baseline]
        name = self.loaded.scenario.name or self.loaded.path.stem
        return (
            f"{name}: {len(self.results)} options on the same {base.reps:,} replications "
            f"(seed {base.seed}), baseline {self.baseline}"
        )

    def _ranked_cells(self) -> tuple[str, str, list[list[str]]]:
        """The ranking as text cells, money in millions of the reporting currency."""
        table = self.ranking()
        cur = self.results[self.baseline].world.currency

        def m(x: float) -> str:
            return f"{x / 1e6:,.1f}"

        rows = []
        for _, r in table.iterrows():
            base = r.verdict == "baseline"
            diff = (
                "-" if base else f"{m(r.social_cost_vs_baseline)} [{m(r.ci_low)}, {m(r.ci_high)}]"
            )
            rows.append(
                [
                    f"{r['rank']}",
                    str(r.option),
                    m(r.social_cost),
                    diff,
                    m(r.fiscal_cost_net),
                    m(r.social_cost_cvar95),
                    str(r.verdict),
                ]
            )
        return table.bloc.iloc[0], cur, rows

    _RANK_HEADER = (
        "rank",
        "option",
        "social cost",
        "vs baseline [95% CI]",
        "fiscal net",
        "CVaR95",
        "verdict",
    )

    def __str__(self) -> str:
        """The ranked options, as `minsim compare` prints them first."""
        bloc, cur, rows = self._ranked_cells()
        cells = [list(self._RANK_HEADER), *rows]
        widths = [max(len(row[j]) for row in cells) for j in range(len(self._RANK_HEADER))]
        right = {0, 2, 3, 4, 5}

        def line(row: list[str]) -> str:
            parts = [
                c.rjust(w) if j in right else c.ljust(w)
                for j, (c, w) in enumerate(zip(row, widths, strict=True))
            ]
            return "  ".join(parts).rstrip()

        return "\n".join(
            [
                f"minsim Comparison, {self._about()}",
                f"options ranked by expected social cost in {bloc} (M {cur}, present values; "
                "interval of the paired difference):",
                *(line(row) for row in cells),
            ]
        )

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        """The ranked options first (what a notebook cell shows), then how to see more."""
        bloc, cur, rows = self._ranked_cells()
        head = "".join(f"<th>{html.escape(h)}</th>" for h in self._RANK_HEADER)
        body = "".join(
            "<tr>"
            + "".join(
                f'<td style="text-align:{"left" if j in (1, 6) else "right"}">{html.escape(c)}</td>'
                for j, c in enumerate(row)
            )
            + "</tr>"
            for row in rows
        )
        return (
            f"<p><b>minsim Comparison</b>: {html.escape(self._about())}. Options ranked by "
            f"expected social cost in <code>{html.escape(bloc)}</code> (M {html.escape(cur)}, "
            "present values; the interval is that of the paired difference from the "
            "baseline).</p>"
            f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
            "<p><code>.headline()</code> per mineral, <code>.differences()</code>, "
            "<code>.summary()</code>; <code>.plot('frontier')</code> draws security against "
            "cost.</p>"
        )

    def exposed_bloc(self) -> str:
        """The bloc with the highest expected social cost under the baseline (summed over
        the commodities)."""
        social = self.results[self.baseline].metrics["social_cost"].sum(1).mean(0)  # [B]
        return self.results[self.baseline].world.blocs[int(np.argmax(social))]

    def focus_blocs(self) -> list[str]:
        """The blocs the comparison is about: those chosen (`blocs`), else every bloc that
        was hit under some option (`sim.experiment.touched.hit_blocs`), in the scenario's order;
        every bloc when nothing was hit (a calm run still has a ranking)."""
        from .touched import hit_blocs

        runs = list(self.results.values())
        return list(self.blocs) or hit_blocs(runs) or list(runs[0].world.blocs)

    def focus_commodities(self) -> list[str]:
        """The minerals the comparison is about: those chosen (`commodities`), else every
        one something touched (`sim.experiment.touched.touched_commodities`); every mineral when
        nothing was."""
        from .touched import touched_commodities

        runs = list(self.results.values())
        return (
            list(self.commodities) or touched_commodities(runs) or list(runs[0].world.commodities)
        )

    def headline(self, bloc: str | Sequence[str] | None = None) -> pd.DataFrame:
        """The ranking of the options for a bloc or several together (default
        `focus_blocs`), computed once for the terminal, report.html and notebooks: per
        option, in total over every commodity and for each commodity that moved, the
        expected social cost summed over those blocs, its paired difference from the
        baseline with a 95% interval, its parts, CVaR95, and the social cost avoided per unit
        of net fiscal cost, or 'no measurable effect' where the interval of the difference
        holds zero (docs/model.md section 11). Ranked by expected social cost in total
        (1 = lowest), the criterion named in the table's `rank`. The `bloc` column names the
        blocs ('alliance + rest'; 'all' for every bloc), as differences.csv does. With
        `commodities` chosen, only their rows follow the totals; the total stays over every
        mineral, so that a cost moved onto another mineral still counts."""
        blocs = self.headline_blocs(bloc)
        rows = _headline_rows(self, blocs)
        table = pd.DataFrame(rows, columns=list(HEADLINE_COLUMNS[1:]))
        totals = table[table.commodity == "all"].sort_values("social_cost", kind="stable")
        rank = {o: i + 1 for i, o in enumerate(totals.option)}
        table.insert(0, "rank", table.option.map(rank))
        order = {
            name: i
            for i, name in enumerate(["all", *self.results[self.baseline].world.commodities])
        }
        if self.commodities:
            table = table[table.commodity.isin(["all", *self.commodities])]
        return table.sort_values(
            ["rank", "commodity"], key=lambda s: s.map(order) if s.name == "commodity" else s
        ).reset_index(drop=True)

    def headline_blocs(self, bloc: str | Sequence[str] | None = None) -> list[str]:
        """The blocs `headline(bloc)` is about, in the scenario's order (ValueError for a
        bloc the scenario does not have)."""
        known = self.results[self.baseline].world.blocs
        blocs = [bloc] if isinstance(bloc, str) else list(bloc or self.focus_blocs())
        for b in blocs:
            if b not in known:
                raise ValueError(unknown_name("bloc", b, known))
        return [b for b in known if b in blocs]  # the scenario's order, once each

    def differences(self) -> pd.DataFrame:
        """Paired differences (option - baseline) per replication, for every commodity and
        bloc, and in money also summed over the commodities (commodity 'all', per bloc and
        for bloc 'all'): mean, a 95% t-interval of the mean (`paired_interval`, the formula
        of the headline too), the 5th and 95th percentiles, and the share of replications
        the option improves (a lower value for every metric here)."""
        base = self.results[self.baseline]
        world = base.world
        cur = world.currency
        group = self.headline_blocs(None)
        rows = []
        for option, res in self.results.items():
            if option == self.baseline:
                continue
            for m in DIFFERENCE_METRICS:
                d = res.metrics[m] - base.metrics[m]  # [R, K, B]
                head = (option, self.baseline)
                unit = unit_of(m, cur)
                for k, commodity in enumerate(world.commodities):
                    for b, bloc in enumerate(world.blocs):
                        rows.append((*head, commodity, bloc, m, unit, *_paired(d[:, k, b])))
                if m in TOTALLED:
                    for b, bloc in enumerate(world.blocs):
                        rows.append((*head, "all", bloc, m, unit, *_paired(d[:, :, b].sum(1))))
                    if 1 < len(group) < len(world.blocs):  # the headline's blocs together
                        at = [world.blocs.index(g) for g in group]
                        rows.append(
                            (
                                *head,
                                "all",
                                bloc_label(group, world.blocs),
                                m,
                                unit,
                                *_paired(d[:, :, at].sum((1, 2))),
                            )
                        )
                    rows.append((*head, "all", "all", m, unit, *_paired(d.sum((1, 2)))))
        return pd.DataFrame(rows, columns=list(DIFFERENCE_COLUMNS))


HEADLINE_COLUMNS = (
    "rank",
    "option",
    "commodity",
    "bloc",
    "social_cost",
    "social_cost_vs_baseline",
    "ci_low",
    "ci_high",
    "consumer_cost",
    "shortfall_value",
    "fiscal_cost_net",
    "social_cost_cvar95",
    "avoided_per_fiscal",
    "verdict",
)
"""`Comparison.headline`: money in the reporting currency (present values); the difference
from the baseline is paired by replication, with its 95% t-interval."""


def bloc_label(blocs: Sequence[str], known: Sequence[str]) -> str:
    """How a table names blocs taken together: the bloc, 'alliance + rest', or 'all'."""
    if len(blocs) == len(known):
        return "all"
    return " + ".join(blocs)


def unknown_name(what: str, name: str, known: Sequence[str]) -> str:
    """The message for a bloc, commodity or option the scenario does not have, with the
    closest known name and the list."""
    import difflib

    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    plural = "commodities" if what == "commodity" else f"{what}s"
    return f"no {what} {name!r} in the scenario{hint} ({plural}: {', '.join(known)})"


def check_focus(
    loaded: LoadedScenario, blocs: Sequence[str] = (), commodities: Sequence[str] = ()
) -> None:
    """Refuse, before anything runs, a bloc or commodity the scenario does not have
    (ValueError naming the closest one: the CLI's exit status 2)."""
    for what, names, known in (
        ("bloc", blocs, list(loaded.scenario.blocs)),
        ("commodity", commodities, list(loaded.scenario.commodities)),
    ):
        for name in names:
            if name not in known:
                raise ValueError(unknown_name(what, name, known))


def _headline_rows(c: Comparison, blocs: list[str]) -> list[tuple]:
    from .results import cvar

    base = c.results[c.baseline]
    world = base.world
    b = [world.blocs.index(x) for x in blocs]
    bloc = bloc_label(blocs, world.blocs)
    # the commodities that matter: an expected social cost (in some option) of at least
    # 0.1% of the largest; the others only drift at the start-up (issue 16)
    size = np.array(
        [
            max(abs(r.metrics["social_cost"][:, k, b].sum(1).mean()) for r in c.results.values())
            for k in range(len(world.commodities))
        ]
    )
    moved = [k for k in range(len(world.commodities)) if size[k] >= 1e-3 * max(size.max(), 1e-300)]
    rows = []
    for option, r in c.results.items():
        cells = [("all", slice(None))] + [(world.commodities[k], k) for k in moved]
        for name, k in cells:

            def total(res, metric, k=k):
                x = res.metrics[metric][:, k][..., b]  # [R, B'] or [R, K, B']
                return x.reshape(len(x), -1).sum(1)

            social = total(r, "social_cost")
            d = social - total(base, "social_cost")
            mean, lo, hi, *_ = _paired(d)
            fiscal = total(r, "fiscal_cost_net") - total(base, "fiscal_cost_net")
            measurable = option != c.baseline and (hi < 0 or lo > 0)
            if option == c.baseline:
                ratio, verdict = np.nan, "baseline"
            elif not measurable:
                ratio, verdict = np.nan, "no measurable effect"
            else:
                spent = fiscal.mean()
                # social cost avoided per unit of net fiscal cost, for an option that avoids
                # some at a cost (one that raises social cost has no such ratio)
                ratio = -mean / spent if spent > 0 and hi < 0 else np.nan
                verdict = "lowers social cost" if hi < 0 else "raises social cost"
                if hi < 0 and spent <= 0:
                    verdict += " at no net fiscal cost"
            rows.append(
                (
                    option,
                    name,
                    bloc,
                    float(social.mean()),
                    mean,
                    lo,
                    hi,
                    float(total(r, "consumer_cost").mean()),
                    float(total(r, "shortfall_value").mean()),
                    float(total(r, "fiscal_cost_net").mean()),
                    cvar(social),
                    ratio,
                    verdict,
                )
            )
    return rows


def paired_interval(d: np.ndarray) -> tuple[float, float, float]:
    """The mean of paired differences `d` [R] and its 95% t-interval (Student, R - 1 degrees
    of freedom): the one interval formula of differences.csv, the headline, the terminal,
    report.html and the figures. Zero width when every replication differs by the same."""
    n = len(d)
    mean = float(d.mean())
    if n > 1 and d.std(ddof=1) > 0:
        half = stats.t.ppf(0.5 + CONFIDENCE / 2, n - 1) * d.std(ddof=1) / np.sqrt(n)
    else:
        half = 0.0
    return mean, mean - half, mean + half


def _paired(d: np.ndarray) -> tuple[float, float, float, float, float, float]:
    mean, low, high = paired_interval(d)
    p5, p95 = np.quantile(d, [0.05, 0.95])
    better = float((d < 0).mean())
    return mean, low, high, float(p5), float(p95), better


def compare_options(
    loaded: LoadedScenario,
    reps: int = DEFAULT_REPS,
    seed: int = DEFAULT_SEED,
    *,
    options: list[str] | None = None,
    block_size: int | None = None,
    blocs: Sequence[str] = (),
    commodities: Sequence[str] = (),
    **execution,
) -> Comparison:
    """Run every option (or the named ones) on the same replications. The baseline is the
    scenario's do-nothing option (or a run without policies when it has none). `blocs` and
    `commodities`: what the comparison is about (checked before anything runs; default,
    what was hit)."""
    check_focus(loaded, blocs, commodities)
    scenario_options = list(loaded.scenario.options) or [BASE]
    chosen = options or scenario_options
    unknown = [o for o in chosen if o not in scenario_options]
    if unknown:
        known = ", ".join(scenario_options)
        raise ValueError(f"no option named {unknown[0]!r} in {loaded.path} (options: {known})")
    baseline = baseline_option(loaded) or BASE
    order = [baseline] + [o for o in chosen if o != baseline]
    # one stream of blocks over every option, on workers started once
    results = run_options(
        loaded, order, reps, seed, baseline=baseline, block_size=block_size, **execution
    )
    return Comparison(loaded, results, baseline, list(blocs), list(commodities))
