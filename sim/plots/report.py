"""report.html: one self-contained page for a comparison (figures embedded as base64 PNG).

No template engine: the page is small, and f-strings with `html.escape` on every value keep it
safe and dependency-free.
"""

from __future__ import annotations

import base64
import html
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from .. import __version__
from ..experiment.compare import Comparison
from ..experiment.results import disruptions_without_effect
from ..results.notes import assumptions, change_text, parameter_note, run_changes

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1240px;margin:2em auto;
padding:0 1em;color:#1d2630;line-height:1.45}
h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.2em;margin-top:1.8em;border-bottom:1px solid #ccd}
table{border-collapse:collapse;font-size:.88em;margin:.6em 0}th,td{padding:.25em .6em;border-bottom:1px solid #e3e6ea;
text-align:right}th:first-child,td:first-child{text-align:left}th{background:#f3f5f8}
figure{margin:1em 0}figure img{max-width:100%;border:1px solid #e3e6ea}figcaption{font-size:.85em;color:#556}
.muted{color:#667;font-size:.9em}.finding{background:#f6f8fb;border-left:3px solid #1f5aa6;padding:.4em .8em;margin:.5em 0}
table.ranked td:nth-child(2),table.ranked td:nth-child(3),table.ranked th:nth-child(2),
table.ranked th:nth-child(3){text-align:left}h1+p{margin-top:.3em}
#answer h2,#caveats h2{margin-top:.8em}table.ranked td:nth-child(n+4),table.ranked td:nth-child(2),table.ranked th{white-space:nowrap}
#caveats ul{font-size:.95em}
#caveats ul{margin:.3em 0;padding-left:1.2em}#caveats li{margin:.2em 0}
.changed{background:#fff6e0;border-left:3px solid #c77c02;padding:.3em .8em}
"""

FIGURES = (
    (
        "risk_vs_cost",
        "Security against cost, one panel per bloc hit: each option's change from the "
        "baseline (at the origin) in expected net fiscal cost against the change in its "
        "users' expected loss (consumer cost plus the value of unmet use), present values, "
        "with 95% intervals of the paired differences. Below the dotted line social cost is "
        "lower than the baseline's; options joined by the dashed line are not beaten on both.",
    ),
    (
        "differences",
        "Each option minus the baseline, paired by replication (95% intervals of "
        "the mean difference): social cost in millions and the peak price, per mineral.",
    ),
    (
        "prices_by_option",
        "Price in the report's blocs, options overlaid (medians over the baseline's 25-75% "
        "band; shaded: the disruption).",
    ),
    ("shortfall_by_option", "Shortfall per replication by option (box 25-75%, whiskers 5-95%)."),
    ("strategic_stocks", "Strategic stocks held, by option (mean)."),
    (
        "flows",
        "Where the metal went: the last stage's trade into each bloc by origin, before the "
        "first disruption and during it, under the baseline.",
    ),
)


def _e(x) -> str:
    return html.escape(str(x))


def _money(x: float, cur: str) -> str:
    return f"{x / 1e6:,.1f} M {cur}"


def _img(path: Path) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="{_e(path.stem)}">'


def _where(bloc: str) -> str:
    return "every bloc" if bloc == "all" else bloc


def option_sentences(c: Comparison) -> dict[str, str]:
    """For each option but the baseline, one sentence on what it buys (its paired difference
    in expected social cost from the baseline, where measurable: the interval is beside it
    in the table) and what it costs (net public spending; a net gain is sales into high
    prices or tariff revenue, which users pay), read from the headline: money, never tonnes
    of minerals added."""
    head = c.headline()
    totals = head[head.commodity == "all"].set_index("option")
    cur = c.results[c.baseline].world.currency
    out: dict[str, str] = {}
    for option, r in totals.sort_values("rank").iterrows():
        if option == c.baseline:
            continue
        d = r.social_cost_vs_baseline
        if r.verdict.startswith("lowers"):
            effect = f"Lowers social cost by {_money(-d, cur)}"
        elif r.verdict.startswith("raises"):
            effect = f"Raises social cost by {_money(d, cur)}"
        else:
            effect = "No measurable change in social cost"
        fiscal = r.fiscal_cost_net
        if fiscal > 0:
            spend = f", at a net public cost of {_money(fiscal, cur)}"
        elif fiscal < 0:
            spend = f", bringing the treasury {_money(-fiscal, cur)} net"
        else:
            spend = ", at no cost to the treasury"
        per = ""
        if r.avoided_per_fiscal == r.avoided_per_fiscal:  # a number: measurable and paid for
            per = f"; each {cur} of it avoids {r.avoided_per_fiscal:,.2f} {cur}"
        out[str(option)] = f"{effect}{spend}{per}."
    return out


def findings(c: Comparison) -> list[str]:
    """What each option costs and what it buys, in plain words: the baseline's expected
    social cost, then one line per option in rank order (`option_sentences`)."""
    head = c.headline()
    # one row per option (to_dict refuses a repeated one)
    totals = head[head.commodity == "all"].set_index("option").to_dict("index")
    cur = c.results[c.baseline].world.currency
    base = totals[c.baseline]
    out = [
        f"Under <b>{_e(c.baseline)}</b>, the expected social cost to {_e(_where(base['bloc']))} "
        f"is {_money(base['social_cost'], cur)} (users' loss against a market without "
        "disruptions, unmet use and net public spending; the worst 5% of futures average "
        f"{_money(base['social_cost_cvar95'], cur)})."
    ]
    for option, sentence in option_sentences(c).items():
        rank = int(totals[option]["rank"])
        out.append(f"<b>{_e(option)}</b> (rank {rank}): {_e(sentence)}")
    return out


def ranked_table(c: Comparison) -> str:
    """The answer first: options by rank, each with its paired difference from the baseline
    [95% interval] and one sentence on what it costs and buys."""
    head = c.headline()
    cur = c.results[c.baseline].world.currency
    totals = head[head.commodity == "all"]
    said = option_sentences(c)

    def m(x: float) -> str:
        return f"{x / 1e6:,.1f}"

    rows = []
    for _, r in totals.iterrows():
        if r.verdict == "baseline":
            diff = "-"
            words = (
                "The baseline the others are measured against; its worst 5% of futures "
                f"average {_money(r.social_cost_cvar95, cur)}."
            )
        else:
            diff = f"{m(r.social_cost_vs_baseline)} [{m(r.ci_low)}, {m(r.ci_high)}]"
            words = said[r.option]
        rows.append(
            f"<tr><td>{int(r['rank'])}</td><td><b>{_e(r.option)}</b></td><td>{_e(words)}</td>"
            f"<td>{m(r.social_cost)}</td><td>{diff}</td></tr>"
        )
    return (
        '<table class="ranked"><tr><th>rank</th><th>option</th><th>what it costs and buys'
        f"</th><th>expected social cost,<br>M {_e(cur)}</th><th>against {_e(c.baseline)}"
        f"<br>[95% interval]</th></tr>{''.join(rows)}</table>"
        '<p class="muted">Social cost: users\' loss against a market without disruptions, '
        "the value of unmet use and net public spending, summed over the minerals.</p>"
    )


def report_caveats(c: Comparison) -> list[str]:
    """Every caveat of the comparison, once (not per option), as HTML-safe sentences: prices
    at the model's guard, disruptions that moved nothing, minerals whose market parameters
    no back-test of their own supports, ⚠ assumptions in the policies that make the
    ranking's differences, and the share of the spread the parameter draws make."""
    runs = list(c.results.values())
    base = c.results[c.baseline]
    w, s = base.world, c.loaded.scenario
    out = []
    at_bound: dict[tuple[str, str], list[str]] = {}
    for r in runs:
        for commodity, bloc, share in r.at_bound():
            at_bound.setdefault((commodity, bloc), []).append(f"{r.option} {share:.0%}")
    for (commodity, bloc), where in at_bound.items():
        guard = w.choke_multiple[w.commodities.index(commodity)]
        out.append(
            f"The {commodity} price in {bloc} reached the {guard:g}x guard (share of "
            f"replications: {', '.join(where)}): nothing was left to sell, so its peak there "
            "is a lower bound, not a market price."
        )
    inert = disruptions_without_effect([base])  # the disruption's own effect, no policy
    if inert:
        out.append(
            f"{', '.join(inert)} moved nothing: under {c.baseline}, neither price nor "
            "shortfall of its mineral rose in any bloc (95% of replications); no option buys "
            "anything against it."
        )
    unbacked = []
    for name in c.focus_commodities():
        record = s.commodities[name].calibration
        if record is None:
            unbacked.append(f"{name} (not calibrated)")
        elif record.fit == "(pooled)" or not record.episodes:
            unbacked.append(f"{name} (the fit of every episode pooled)")
    if unbacked:
        out.append(
            "No back-test of its own market class supports the price response of "
            f"{', '.join(unbacked)}."
        )
    out.append(
        "Back-test verdicts are not recorded with the scenario, so a failing one cannot be "
        "named here: `minsim backtest` runs them (last verdicts: docs/validation.md)."
    )
    weak = ranking_assumptions(c)
    if weak:
        keys = ", ".join(key for key, _ in weak[:3])
        more = f" and {len(weak) - 3} more" if len(weak) > 3 else ""
        out.append(
            f"The options that move social cost rest on {len(weak)} values the scenario marks "
            f"⚠ (assumptions): {keys}{more}, listed under the scenario as run; `minsim "
            "sensitivity` measures their weight."
        )
    note = parameter_note(runs)
    if note:
        out.append(note[0].upper() + note[1:] + ".")
    return [_e(x) for x in out]


def ranking_assumptions(c: Comparison) -> list[tuple[str, str]]:
    """The ⚠ values (`results.notes.assumptions`) of the policies of the options whose social cost
    differs measurably from the baseline's, best-ranked option first: the numbers the
    ranking's differences rest on."""
    head = c.headline()
    totals = head[head.commodity == "all"]
    moving = totals[~totals.verdict.isin(["baseline", "no measurable effect"])]
    options = c.loaded.scenario.options
    policies = list(dict.fromkeys(p for o in moving.option for p in options.get(o, [])))
    return assumptions(c.loaded, [("policies", p) for p in policies])


def _changes_by_owner(c: Comparison) -> dict[tuple[str, str], list[str]]:
    """The run's changes to the file (`run_changes`) under each policy and disruption."""
    out: dict[tuple[str, str], list[str]] = {}
    for change in run_changes(c.loaded):
        parts = change["key"].split(".")
        if len(parts) > 2 and parts[0] in ("policies", "disruptions"):
            out.setdefault((parts[0], parts[1]), []).append(change_text(change))
    return out


def _table(c: Comparison) -> str:
    """The headline's totals: options ranked by expected social cost, with their parts."""
    head = c.headline()
    cur = c.results[c.baseline].world.currency
    totals = head[head.commodity == "all"]
    cols = (
        "<tr><th>rank</th><th>option</th><th>policies</th>"
        f"<th>social cost, M {cur}</th><th>against {_e(c.baseline)} [95%]</th>"
        "<th>users' cost</th><th>unmet use</th><th>net fiscal cost</th><th>CVaR95</th>"
        "<th>verdict</th></tr>"
    )
    rows = []

    def m(x: float) -> str:
        return f"{x / 1e6:,.1f}"

    for _, r in totals.iterrows():
        policies = ", ".join(c.loaded.scenario.options.get(r.option, [])) or "none"
        diff = (
            "-"
            if r.verdict == "baseline"
            else f"{m(r.social_cost_vs_baseline)} [{m(r.ci_low)}, {m(r.ci_high)}]"
        )
        rows.append(
            f"<tr><td>{int(r['rank'])}</td><td>{_e(r.option)}</td><td>{_e(policies)}</td>"
            f"<td>{m(r.social_cost)}</td><td>{diff}</td><td>{m(r.consumer_cost)}</td>"
            f"<td>{m(r.shortfall_value)}</td><td>{m(r.fiscal_cost_net)}</td>"
            f"<td>{m(r.social_cost_cvar95)}</td><td>{_e(r.verdict)}</td></tr>"
        )
    return f"<table>{cols}{''.join(rows)}</table>"


def _by_commodity(c: Comparison) -> str:
    """The headline's rows per mineral (those that moved): money first, then the peak price
    (median over replications of the highest in the headline's blocs) and the share of use
    unmet (in the bloc of those that lost the most)."""
    head = c.headline()
    base = c.results[c.baseline]
    w = base.world
    cur = w.currency
    b = [w.blocs.index(x) for x in c.headline_blocs(None)]
    rows = head[head.commodity != "all"].sort_values(["commodity", "rank"], kind="stable")
    cols = (
        "<tr><th>mineral</th><th>option</th>"
        f"<th>social cost, M {cur}</th><th>against {_e(c.baseline)} [95%]</th>"
        "<th>users' cost</th><th>unmet use</th><th>net fiscal cost</th><th>CVaR95</th>"
        "<th>peak price × p50</th><th>use unmet %, highest bloc</th></tr>"
    )

    def m(x: float) -> str:
        return f"{x / 1e6:,.1f}"

    out = []
    for _, r in rows.iterrows():
        k = w.commodities.index(r.commodity)
        res = c.results[r.option]
        diff = (
            "-"
            if r.verdict == "baseline"
            else f"{m(r.social_cost_vs_baseline)} [{m(r.ci_low)}, {m(r.ci_high)}]"
        )
        out.append(
            f"<tr><td>{_e(r.commodity)}</td><td>{_e(r.option)}</td><td>{m(r.social_cost)}</td>"
            f"<td>{diff}</td><td>{m(r.consumer_cost)}</td><td>{m(r.shortfall_value)}</td>"
            f"<td>{m(r.fiscal_cost_net)}</td><td>{m(r.social_cost_cvar95)}</td>"
            f"<td>{np.median(res.metrics['peak_price_multiple'][:, k, b].max(1)):.2f}</td>"
            f"<td>{100 * res.metrics['shortfall_share'][:, k, b].mean(0).max():.2f}</td></tr>"
        )
    if not out:
        return "<p>No mineral's social cost moved in this bloc.</p>"
    return f"<table>{cols}{''.join(out)}</table>"


def budgets_section(c: Comparison) -> str:
    """Each stockpile's budget, spend and value held side by side, in one currency
    (`Results.budgets`); empty when no option holds a stockpile."""
    tables = [r.budgets() for r in c.results.values()]
    rows = [row for t in tables for _, row in t.iterrows()]
    if not rows:
        return ""
    cur = rows[0].currency

    def m(x: float) -> str:
        return "none" if x != x else f"{x / 1e6:,.1f}"

    body = "".join(
        f"<tr><td>{_e(r.option)}</td><td>{_e(r.policy)}</td><td>{m(r.budget)}</td>"
        f"<td>{m(r.max_net_spend)}</td><td>{m(r.max_net_spend_p95)}</td>"
        f"<td>{m(r.holding_paid)}</td><td>{m(r.value_held)}</td></tr>"
        for r in rows
    )
    return (
        "<h2>Stockpile budgets</h2>"
        f'<p class="muted">Millions of {_e(cur)}, undiscounted, means over the replications. '
        "Net spend is purchases less sales plus holding costs, which count against the "
        "budget; value held is the stock at the end at the owners' price.</p>"
        "<table><tr><th>option</th><th>stockpile</th><th>budget</th><th>most spent (mean)"
        "</th><th>most spent (p95)</th><th>holding paid</th><th>value held at the end</th>"
        f"</tr>{body}</table>"
    )


def diagnostics_section(c: Comparison) -> str:
    """Supply-risk diagnostics under the baseline option: concentration of each stage (HHI of
    world production, 0-10,000: at the start and its highest, medians over replications) and
    each bloc's net import reliance (mean over the run); the EU JRC supply risk of the first
    of the report's blocs where the scenario gives its inputs."""
    base = c.results[c.baseline]
    w, x = base.world, base.diagnostics
    if not x:
        return ""
    d, b = w.diagnostics, w.blocs.index(c.focus_blocs()[0])
    if d is None:
        raise ValueError("the world was compiled without its diagnostic inputs")
    stages = [d.stage_labels[i] for i in range(w.n_stages)]
    sr = "jrc_sr_mean" in x
    head = "<tr><th>commodity</th>" + "".join(
        f"<th>HHI {_e(s)}: start → highest</th>" for s in stages
    )
    head += "".join(f"<th>import reliance {_e(bloc)}</th>" for bloc in w.blocs)
    if sr:
        head += f"<th>JRC supply risk, {_e(w.blocs[b])}</th><th>published</th>"
    rows = []
    for k, name in enumerate(w.commodities):
        cells = ""
        for s in range(w.n_stages):
            if not d.stage_valid[k, s]:
                cells += "<td>—</td>"
                continue
            start = np.median(x["hhi_start"][:, k, s])
            peak = np.median(x["hhi_peak"][:, k, s])
            cells += f"<td>{start:,.0f} → {peak:,.0f}</td>"
        cells += "".join(
            f"<td>{100 * x['import_reliance_mean'][:, k, i].mean():.0f}%</td>"
            for i in range(len(w.blocs))
        )
        if sr:
            value = x["jrc_sr_mean"][:, k, b]
            pub = d.published_sr[k]
            cells += "<td>—</td>" if np.isnan(value).all() else f"<td>{value.mean():.2f}</td>"
            cells += "<td>—</td>" if np.isnan(pub) else f"<td>{pub:.1f}</td>"
        rows.append(f"<tr><td>{_e(name)}</td>{cells}</tr>")
    words = (
        f"Under {_e(c.baseline)}. HHI is the Herfindahl-Hirschman index of world production at "
        "each stage (10,000 = one country produces everything; above 2,500 counts as highly "
        "concentrated); unnamed 'other producers' count as many small ones. Import reliance is "
        "the share of a bloc's supply it does not produce itself (net imports over apparent "
        "use of the last stage), averaged over the run."
    )
    if sr:
        words += (
            " The JRC supply risk follows the EU method (governance-weighted concentration of "
            "world supply and of the bloc's sourcing, recycling and substitution); the EU calls "
            "a material critical from 1.0. 'published' is the value the scenario cites."
        )
    if "usgs_dp_mean" in x:
        words += " The USGS disruption potential of each stage is in summary.csv."
    return (
        f'<h2>Supply-risk diagnostics</h2><p class="muted">{words} Formulas and sources: '
        f"docs/model.md section 11.1.</p><table>{head}</tr>{''.join(rows)}</table>"
    )


def scenario_as_run(c: Comparison) -> str:
    """The scenario as run: the file and what changed it (overrides and `--set`, with the
    values as run, beside the policy or disruption they change), seed, version, sources."""
    s = c.loaded.scenario
    src = c.loaded.source
    base = c.results[c.baseline]
    owned = _changes_by_owner(c)

    def changed(kind: str, name: str) -> str:
        lines = owned.get((kind, name))
        return f' <span class="changed">as run: {_e("; ".join(lines))}</span>' if lines else ""

    disruptions = "".join(
        f"<li><b>{_e(name)}</b> ({_e(d.type)}): {_e(d.description or d.commodity)}"
        f"{changed('disruptions', name)}</li>"
        for name, d in s.disruptions.items()
    )
    policies = "".join(
        f"<li><b>{_e(name)}</b> ({_e(p.type)}): {_e(p.description)}{changed('policies', name)}</li>"
        for name, p in s.policies.items()
    )
    sources = "".join(f"<li><b>{_e(k)}</b>: {_e(v)}</li>" for k, v in s.sources.items())
    changes = "".join(f"<li>{_e(change_text(x))}</li>" for x in run_changes(c.loaded))
    weak = "".join(f"<li><b>{_e(k)}</b>: {_e(note)}</li>" for k, note in ranking_assumptions(c))
    files = ", ".join(_e(f) for f in src.files)
    return f"""<h2 id="as-run">The scenario as run</h2>
<p>Files: {files}. Seed {base.seed}, {base.reps:,} replications per option, minsim
{_e(__version__)}. Overrides: {_e(", ".join(src.applied_overrides) or "none")}.
<code>--set</code>: {_e("; ".join(src.sets) or "none")}.</p>
<h3>Changes to the file, with the values as run</h3><ul>{changes or "<li>none</li>"}</ul>
<h3>Disruptions</h3><ul>{disruptions or "<li>none</li>"}</ul>
<h3>Policies</h3><ul>{policies or "<li>none</li>"}</ul>
<h3>Assumptions the ranking rests on (marked ⚠ in the files)</h3><ul>{weak or "<li>none</li>"}</ul>
<h3>Sources</h3><ul>{sources or "<li>none named</li>"}</ul>"""


def write_report(
    c: Comparison,
    folder: Path,
    *,
    blocs: list[str] | None = None,
    commodities: list[str] | None = None,
    extra_html: str = "",
) -> Path:
    """Write folder/report.html from the comparison and the figures in folder/plots/: the
    ranked options and the caveats first, then the figures, the tables behind them and the
    scenario as run. `blocs`/`commodities` override the comparison's own choice;
    `extra_html` (a section of a design search, `design_section`) comes after the caveats."""
    if blocs or commodities:
        from dataclasses import replace

        c = replace(c, blocs=list(blocs or c.blocs), commodities=list(commodities or c.commodities))
    s = c.loaded.scenario
    base = c.results[c.baseline]
    head = c.headline()
    about = _where(head.bloc.iloc[0])
    chosen = "as chosen" if c.blocs else "every bloc that was hit; --bloc chooses"
    minerals = ", ".join(c.focus_commodities())
    figures = []
    for stem, caption in FIGURES:
        png = Path(folder) / "plots" / f"{stem}.png"
        if png.is_file():
            figures.append(f"<figure>{_img(png)}<figcaption>{_e(caption)}</figcaption></figure>")
    warned = "".join(f"<li>{line}</li>" for line in report_caveats(c))
    changes = run_changes(c.loaded)
    changed = ""
    if changes:
        changed = (
            '<p class="changed">This run changed the file: '
            f"{_e('; '.join(change_text(x, 40) for x in changes))}. The description above is the "
            "file's; the numbers below are the run's.</p>"
        )
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>minsim: {_e(s.name or c.loaded.path.stem)}</title><style>{CSS}</style></head>
<body>
<h1>{_e(s.name or c.loaded.path.stem)}</h1>
<p>{_e(s.description)}</p>
{changed}
<p class="muted">About <b>{_e(about)}</b> ({_e(chosen)}); minerals {_e(minerals)}.
{base.reps:,} replications per option on the same draws (seed {base.seed}), so each
difference is the policy's, not chance's; money in present value.</p>
<section id="answer">
<h2>Ranked options</h2>
{ranked_table(c)}
</section>
<section id="caveats">
<h2>Caveats</h2>
<ul>{warned}</ul>
</section>
{extra_html}
<h2>Figures</h2>
{"".join(figures) or '<p class="muted">No figures (run without --no-plots).</p>'}
<h2>Options in detail</h2>
{_table(c)}
<h2>By mineral</h2>
{_by_commodity(c)}
{budgets_section(c)}
{diagnostics_section(c)}
{scenario_as_run(c)}
<p class="muted">Horizon {_e(s.horizon.start)} for {s.horizon.years} years
({_e(s.horizon.step)}ly). Model equations and their sources: docs/model.md. The resolved
scenario is in scenario.yaml beside this page; the numbers in summary.csv and
differences.csv; what made the run in manifest.json. Written {stamp}.</p>
<script>
// records how many figures decoded, and where the answer ends and the first figure starts
// on this screen, so that a headless browser test can check the page
window.addEventListener("load", () => {{
  const ok = [...document.images].filter((i) => i.complete && i.naturalWidth > 0).length;
  const body = document.body.dataset;
  body.imagesLoaded = String(ok);
  body.viewport = String(window.innerHeight);
  body.rankedBottom = String(Math.ceil(document.getElementById("answer").getBoundingClientRect().bottom));
  body.caveatsBottom = String(Math.ceil(document.getElementById("caveats").getBoundingClientRect().bottom));
  const fig = document.querySelector("figure");
  body.firstFigureTop = fig ? String(Math.floor(fig.getBoundingClientRect().top)) : "none";
}});
</script>
</body></html>
"""
    out = Path(folder) / "report.html"
    out.write_text(page, encoding="utf-8")
    return out


def design_section(result, folder: Path) -> str:
    """The design search in report.html: the frontier figure, then which levers matter
    (`optimise.lever_table`: the part of each lever's range the frontier spans and its rank
    correlation with the objectives), with the search's size."""
    from ..experiment.optimise import lever_table

    design = result.design
    png = Path(folder) / "plots" / "frontier.png"
    figure = (
        f"<figure>{_img(png)}<figcaption>Each design's outcomes: grey as the search scored "
        "it, blue the frontier scored again on fresh replications (95% intervals), black the "
        "scenario's options on those replications.</figcaption></figure>"
        if png.is_file()
        else ""
    )
    levers = lever_table(result)
    first = design.objectives[0]
    rows = []
    for _, r in levers.iterrows():
        spread = r.get("frontier_spread", float("nan"))
        corr = r.get(f"rank_correlation:{first}", float("nan"))
        if spread != spread:
            reading = "no frontier"
        elif spread < 0.1:
            reading = "the frontier agrees on one value"
        elif abs(corr) >= 0.5:
            reading = (
                f"moves you along the frontier ({'dearer' if corr > 0 else 'cheaper'} as it rises)"
            )
        else:
            reading = "varies along the frontier"
        lo, hi = r.get("frontier_min", float("nan")), r.get("frontier_max", float("nan"))
        rows.append(
            f"<tr><td>{_e(r.lever)}</td><td>{r.low:.4g} to {r.high:.4g} {_e(r.unit)}</td>"
            f"<td>{lo:.4g} to {hi:.4g}</td><td>{spread:.0%}</td><td>{corr:+.2f}</td>"
            f"<td>{_e(reading)}</td></tr>"
        )
    searched = len(result.study.evaluations)
    s = design.search
    return f"""<section id="design">
<h2>Design search</h2>
<p>Option <b>{_e(design.option)}</b> with its levers set by NSGA-II (pymoo): {searched}
designs scored on {s.reps} replications each, the same for every design;
{len(result.frontier)} on the frontier of {_e(", ".join(design.objectives))} (all minimised),
scored again below as options <code>design-1</code>... on fresh replications. designs.csv has
their levers and outcomes; scenario.yaml holds them as options.</p>
{figure}
<table><tr><th>lever</th><th>range searched</th><th>on the frontier</th><th>spread</th>
<th>rank correlation with {_e(first)}</th><th>reading</th></tr>{"".join(rows)}</table>
</section>"""
