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
from ..results.results import caveats
from .compare import focus_bloc

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1100px;margin:2em auto;
padding:0 1em;color:#1d2630;line-height:1.45}
h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.2em;margin-top:1.8em;border-bottom:1px solid #ccd}
table{border-collapse:collapse;font-size:.88em;margin:.6em 0}th,td{padding:.25em .6em;border-bottom:1px solid #e3e6ea;
text-align:right}th:first-child,td:first-child{text-align:left}th{background:#f3f5f8}
figure{margin:1em 0}figure img{max-width:100%;border:1px solid #e3e6ea}figcaption{font-size:.85em;color:#556}
.muted{color:#667;font-size:.9em}.finding{background:#f6f8fb;border-left:3px solid #1f5aa6;padding:.4em .8em;margin:.5em 0}
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
        "Price in each bloc hit, options overlaid (medians over the baseline's 25-75% band; "
        "shaded: the disruption).",
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


def findings(c: Comparison) -> list[str]:
    """What each option costs and what it buys, in plain words, read from the headline
    (`Comparison.headline`): money, never tonnes of different minerals added together."""
    head = c.headline()
    totals = head[head.commodity == "all"].set_index("option")
    cur = c.results[c.baseline].world.currency
    bloc = head.bloc.iloc[0]
    base = totals.loc[c.baseline]
    out = [
        f"Under <b>{_e(c.baseline)}</b>, the expected social cost to {_e(bloc)} (what its "
        f"users lose against a market without disruptions, the value of the use that goes "
        f"unmet, and net public spending) is {_money(base.social_cost, cur)} in present "
        f"value; the worst 5% of futures average {_money(base.social_cost_cvar95, cur)}."
    ]
    for option, r in totals.sort_values("rank").iterrows():
        if option == c.baseline:
            continue
        d, lo, hi = r.social_cost_vs_baseline, r.ci_low, r.ci_high
        interval = f"(95% interval {_money(lo, cur)} to {_money(hi, cur)})"
        if r.verdict.startswith("lowers"):
            effect = f"lowers it by {_money(-d, cur)} {interval}"
        elif r.verdict.startswith("raises"):
            effect = f"raises it by {_money(d, cur)} {interval}"
        else:
            effect = f"changes it by no measurable amount {interval}"
        fiscal = r.fiscal_cost_net
        if fiscal > 0:
            spend = f"its net public cost is {_money(fiscal, cur)}"
        elif fiscal < 0:
            spend = (
                f"it brings the treasury {_money(-fiscal, cur)} net (sales into high prices "
                "or tariff revenue, which its users pay)"
            )
        else:
            spend = "it costs the treasury nothing"
        per = ""
        if r.avoided_per_fiscal == r.avoided_per_fiscal:  # a number: measurable and paid for
            per = f"; each {cur} of it avoids {r.avoided_per_fiscal:,.2f} {cur} of social cost"
        out.append(f"<b>{_e(option)}</b> (rank {int(r['rank'])}) {effect}; {spend}{per}.")
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
    (median over replications) and the share of use unmet, in the headline's bloc."""
    head = c.headline()
    base = c.results[c.baseline]
    w = base.world
    cur = w.currency
    b = w.blocs.index(head.bloc.iloc[0])
    rows = head[head.commodity != "all"].sort_values(["commodity", "rank"], kind="stable")
    cols = (
        "<tr><th>mineral</th><th>option</th>"
        f"<th>social cost, M {cur}</th><th>against {_e(c.baseline)} [95%]</th>"
        "<th>users' cost</th><th>unmet use</th><th>net fiscal cost</th><th>CVaR95</th>"
        "<th>peak price × p50</th><th>use unmet %</th></tr>"
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
            f"<td>{np.median(res.metrics['peak_price_multiple'][:, k, b]):.2f}</td>"
            f"<td>{100 * res.metrics['shortfall_share'][:, k, b].mean():.2f}</td></tr>"
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
    each bloc's net import reliance (mean over the run); the EU JRC supply risk of the focus
    bloc where the scenario gives its inputs."""
    base = c.results[c.baseline]
    w, x = base.world, base.diagnostics
    if not x:
        return ""
    d, b = w.diagnostics, focus_bloc(c)
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


def write_report(c: Comparison, folder: Path) -> Path:
    """Write folder/report.html from the comparison and the figures in folder/plots/."""
    s = c.loaded.scenario
    base = c.results[c.baseline]
    b = focus_bloc(c)
    figures = []
    for stem, caption in FIGURES:
        png = Path(folder) / "plots" / f"{stem}.png"
        if png.is_file():
            figures.append(f"<figure>{_img(png)}<figcaption>{_e(caption)}</figcaption></figure>")
    sources = "".join(f"<li><b>{_e(k)}</b>: {_e(v)}</li>" for k, v in s.sources.items())
    disruptions = "".join(
        f"<li><b>{_e(name)}</b> ({_e(d.type)}): {_e(d.description or d.commodity)}</li>"
        for name, d in s.disruptions.items()
    )
    policies = "".join(
        f"<li><b>{_e(name)}</b> ({_e(p.type)}): {_e(p.description)}</li>"
        for name, p in s.policies.items()
    )
    found = "".join(f'<p class="finding">{f}</p>' for f in findings(c))
    warned = caveats(list(c.results.values()))
    if warned:
        found += "<h3>Caveats</h3>" + "".join(
            f'<p class="finding">{_e(line)}.</p>' for line in warned
        )
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>minsim: {_e(s.name or c.loaded.path.stem)}</title><style>{CSS}</style></head>
<body>
<h1>{_e(s.name or c.loaded.path.stem)}</h1>
<p>{_e(s.description)}</p>
<p class="muted">{base.reps:,} replications per option, seed {base.seed}, horizon
{_e(s.horizon.start)} for {s.horizon.years} years ({_e(s.horizon.step)}ly). Every option ran on
the same replications, so each difference is the policy's, not chance's. Figures are for
<b>{_e(base.world.blocs[b])}</b>, the bloc most exposed under {_e(c.baseline)}.
minsim {__version__}, {stamp}.</p>
<h2>What each option costs and buys</h2>
{found}
<h2>Options</h2>
{_table(c)}
<h2>By mineral</h2>
{_by_commodity(c)}
{budgets_section(c)}
{diagnostics_section(c)}
<h2>Figures</h2>
{"".join(figures)}
<h2>Scenario</h2>
<h3>Disruptions</h3><ul>{disruptions or "<li>none</li>"}</ul>
<h3>Policies</h3><ul>{policies or "<li>none</li>"}</ul>
<h3>Sources</h3><ul>{sources or "<li>none named</li>"}</ul>
<p class="muted">Model equations and their sources: docs/model.md. The resolved scenario is in
scenario.yaml beside this page; the numbers in summary.csv and differences.csv.</p>
<script>
// records how many figures decoded, so that a headless browser test can check the page
window.addEventListener("load", () => {{
  const ok = [...document.images].filter((i) => i.complete && i.naturalWidth > 0).length;
  document.body.dataset.imagesLoaded = String(ok);
}});
</script>
</body></html>
"""
    out = Path(folder) / "report.html"
    out.write_text(page, encoding="utf-8")
    return out
